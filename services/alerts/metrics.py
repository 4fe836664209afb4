"""Paging metrics, injected (created once per registry); labels are channel, outcome, facility.

Series: ``cordwatch_page_deliveries_total{channel,outcome}`` (every attempt and every decision
not to send), ``cordwatch_page_delivery_seconds{channel}`` (alert raised -> receiver accepted),
``cordwatch_page_retries_total{channel}``, ``cordwatch_page_email_resends_total`` (an email
attempt after a failed one: SMTP has no idempotency key, so each may be a duplicate) and
``cordwatch_page_undeliverable_total{facility}`` (a critical page that reached nobody: the
operational alert's rule reads it). ``AckMetrics``: ``cordwatch_page_time_to_acknowledge_seconds
{priority,via}`` (alert raised -> its first acknowledgement, on the notify worker's paths). The
oldest unacknowledged critical page is the census gauge
``cordwatch_oldest_unacknowledged_critical_alert_age_seconds`` (services.census), read from the
pathway's stored escalations, which every acknowledgement path reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from models.alerting import DeliveryOutcome
from models.outputs import Alert, Priority
from models.routing import Channel
from services.alerts.acks import AckResult, AckTarget
from services.alerts.delivery import Attempt, Observer

# Seconds from the alert to the receiver's acceptance: a page should land within one second.
_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 900.0)
# Seconds from the alert to its acknowledgement, around the paging plan's steps (15 min to tier
# 2, 45 to tier 3, repeats to 135 min) and beyond.
_ACK_BUCKETS = (60.0, 300.0, 600.0, 900.0, 1800.0, 2700.0, 3600.0, 8100.0, 14400.0, 43200.0)
_ACK_VIAS = ("link", "api", "pagerduty", "cli", "worklist")


@dataclass(frozen=True)
class AckMetrics:
    """Time to acknowledge, observed by the Acknowledger on each alert's first acknowledgement."""

    time_to_ack: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> AckMetrics:
        """Register the histogram on ``registry``, every priority x path at zero."""
        made = cls(
            time_to_ack=Histogram(
                "cordwatch_page_time_to_acknowledge_seconds",
                "Time from the alert to its first acknowledgement, by priority and path",
                ["priority", "via"],
                buckets=_ACK_BUCKETS,
                registry=registry,
            )
        )
        for priority in Priority:
            for via in _ACK_VIAS:
                made.time_to_ack.labels(priority=priority.value, via=via)
        return made

    def observe(self, target: AckTarget, result: AckResult, via: str) -> None:
        """The Acknowledger's ``observe`` hook."""
        seconds = max(0.0, (result.acknowledged_at - target.at).total_seconds())
        label = via if via in _ACK_VIAS else "other"
        self.time_to_ack.labels(priority=target.priority, via=label).observe(seconds)


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
