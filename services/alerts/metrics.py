"""Paging metrics, injected (created once per registry); labels are channel, outcome, facility.

Series: ``cordwatch_page_deliveries_total{channel,outcome}`` (every attempt and every decision
not to send), ``cordwatch_page_delivery_seconds{channel}`` (alert raised -> receiver accepted),
``cordwatch_page_retries_total{channel}``, ``cordwatch_page_email_resends_total`` (an email
attempt after a failed one: SMTP has no idempotency key, so each may be a duplicate) and
``cordwatch_page_undeliverable_total{facility}`` (a critical page that reached nobody: the
operational alert's rule reads it).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from models.alerting import DeliveryOutcome
from models.outputs import Alert
from models.routing import Channel
from services.alerts.delivery import Attempt, Observer

# Seconds from the alert to the receiver's acceptance: a page should land within one second.
_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 900.0)


@dataclass(frozen=True)
class NotifyMetrics:
    """The notify worker's series."""

    deliveries: Counter
    latency: Histogram
    retries: Counter
    email_resends: Counter
    undeliverable: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> NotifyMetrics:
        """Register the series on ``registry`` with every channel x outcome at zero."""
        made = cls(
            deliveries=Counter(
                "cordwatch_page_deliveries",
                "Page delivery attempts and decisions, by channel and outcome",
                ["channel", "outcome"],
                registry=registry,
            ),
            latency=Histogram(
                "cordwatch_page_delivery_seconds",
                "Time from the alert to the receiver accepting the page",
                ["channel"],
                buckets=_BUCKETS,
                registry=registry,
            ),
            retries=Counter(
                "cordwatch_page_retries",
                "Delivery attempts after a failed one",
                ["channel"],
                registry=registry,
            ),
            email_resends=Counter(
                "cordwatch_page_email_resends",
                "Email attempts after a failed one (each a possible duplicate)",
                registry=registry,
            ),
            undeliverable=Counter(
                "cordwatch_page_undeliverable",
                "Critical pages no receiver (nor the fallback) accepted",
                ["facility"],
                registry=registry,
            ),
        )
        for channel in [*(c.value for c in Channel), "none"]:
            for outcome in DeliveryOutcome:
                made.deliveries.labels(channel=channel, outcome=outcome.value)
        return made

    def observer(self) -> Observer:
        """Hooks for the Notifier."""
        return Observer(attempt=self._attempt, undeliverable=self._undeliverable)

    def _attempt(self, attempt: Attempt, latency: float | None) -> None:
        channel = attempt.channel.value if attempt.channel is not None else "none"
        self.deliveries.labels(channel=channel, outcome=attempt.outcome.value).inc()
        if attempt.attempt > 1:
            self.retries.labels(channel=channel).inc()
            if attempt.channel == Channel.EMAIL:
                self.email_resends.inc()
        if latency is not None:
            self.latency.labels(channel=channel).observe(max(0.0, latency))

    def _undeliverable(self, alert: Alert) -> None:
        self.undeliverable.labels(facility=alert.facility or "unknown").inc()
