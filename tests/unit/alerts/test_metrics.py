"""Paging metrics count attempts by channel and outcome, retries, resends, latency."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry

from models.alerting import DeliveryOutcome
from models.outputs import Priority
from models.routing import Channel
from services.alerts.delivery import Attempt
from services.alerts.metrics import NotifyMetrics
from tests.unit.alerts.conftest import alert

AT = datetime.fromisoformat("2026-12-24T03:00:00+00:00")
FIRST = Attempt(
    "d1",
    "a1",
    "ep",
    "NORTH",
    "night",
    Channel.EMAIL,
    1,
    False,
    1,
    DeliveryOutcome.FAILED,
    "smtp_451",
    AT,
    AT,
    Priority.CRITICAL,
)


def test_series_exist_at_zero_and_count_each_attempt() -> None:
    registry = CollectorRegistry()
    metrics = NotifyMetrics.create(registry)
    value = registry.get_sample_value
    labels = {"channel": "webhook", "outcome": "delivered"}
    assert value("cordwatch_page_deliveries_total", labels) == 0
    observe = metrics.observer()
    observe.attempt(FIRST, None)
    second = replace(
        FIRST,
        attempt=2,
        outcome=DeliveryOutcome.DELIVERED,
        reason=None,
        at=AT + timedelta(seconds=2),
    )
    observe.attempt(second, 2.0)
    assert value("cordwatch_page_deliveries_total", {"channel": "email", "outcome": "failed"}) == 1
    assert (
        value("cordwatch_page_deliveries_total", {"channel": "email", "outcome": "delivered"}) == 1
    )
    assert value("cordwatch_page_retries_total", {"channel": "email"}) == 1
    assert value("cordwatch_page_email_resends_total") == 1
    assert value("cordwatch_page_delivery_seconds_count", {"channel": "email"}) == 1
    assert value("cordwatch_page_delivery_seconds_bucket", {"channel": "email", "le": "2.5"}) == 1
    assert value("cordwatch_page_delivery_seconds_bucket", {"channel": "email", "le": "1.0"}) == 0
    observe.undeliverable(alert())
    assert value("cordwatch_page_undeliverable_total", {"facility": "NORTH"}) == 1
