"""Cordwatch's Prometheus metrics, created once per registry and passed to whoever counts.

Names follow Prometheus conventions (`_total` counters, base units in `_seconds`); labels are
bounded: topic, event type and reject reason are closed sets, and `facility` is capped by
`FacilityLabels`. Never a patient, episode or alert id as a label.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from models.dead_letter import RejectReason
from models.events import INBOUND_TOPIC_EVENT_TYPES, PatientEvent
from models.outputs import TimerKind
from models.review import VERDICT_KINDS
from services.census import FacilityCensus, TimerState

# Ingest is sub-millisecond per message; the upper buckets catch broker back-pressure.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
UNKNOWN_FACILITY = "unknown"
# Every agent that sends through the outbox (streams/outbox.py): the `sender` label's closed set.
SENDERS = ("ingest", "pathway", "acks", "timers", "sink", "worklist", "review")
OTHER_FACILITY = "other"

# The internal topics whose agents park failures, and the reasons each can give.
PATIENT_EVENTS = "cordwatch.patient-events"
ALERT_ACKS = "cordwatch.alert-acks"
EPISODE_CHANGES = "cordwatch.episode-changes"
INTERNAL_REASONS: dict[str, tuple[RejectReason, ...]] = {
    PATIENT_EVENTS: (RejectReason.PROCESSING_ERROR,),
    ALERT_ACKS: (RejectReason.INVALID_VALUE, RejectReason.PROCESSING_ERROR),
    EPISODE_CHANGES: (RejectReason.PROCESSING_ERROR,),
}


@dataclass
class FacilityLabels:
    """Caps distinct `facility` label values; later sites are counted as "other"."""

    limit: int
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, facility: str | None) -> str:
        """The label value to use for this facility."""
        if not facility:
            return UNKNOWN_FACILITY
        if facility in self._seen:
            return facility
        with self._lock:
            if len(self._seen) < self.limit:
                self._seen.add(facility)
                return facility
        return OTHER_FACILITY

    def known(self) -> list[str]:
        """Every label value in use so far, "unknown" included."""
        with self._lock:
            return sorted({*self._seen, UNKNOWN_FACILITY})


def patient_event_types() -> list[str]:
    """Every event_type the pathway folds (the PatientEvent union): its counters' closed set."""
    members = get_args(get_args(PatientEvent)[0])
    return sorted({t for m in members for t in get_args(m.model_fields["event_type"].annotation)})


def dead_letter_label_sets() -> list[tuple[str, str]]:
    """Every (topic, reason) a Cordwatch agent can count: closed, so each starts at zero."""
    pairs = [(topic, r.value) for topic in INBOUND_TOPIC_EVENT_TYPES for r in RejectReason]
    pairs += [(topic, r.value) for topic, reasons in INTERNAL_REASONS.items() for r in reasons]
    return pairs


@dataclass(frozen=True)
class CordwatchMetrics:
    """Every Cordwatch metric, registered on one registry."""

    registry: CollectorRegistry
    events_ingested: Counter
    dead_letters: Counter
    processing_latency: Histogram
    pathway_latency: Histogram
    send_retries: Counter
    send_blocked: Counter
    assigned_partitions: Gauge
    feedback: Counter
    facility: FacilityLabels

    @classmethod
    def create(
        cls,
        registry: CollectorRegistry,
        *,
        max_facilities: int = 64,
        facilities: Sequence[str] = (),
    ) -> CordwatchMetrics:
        """Register the metrics on `registry`, every closed label set at zero; once per registry.

        A labelled series that first appears with its first event hides that event from
        `increase()` and `rate()` (Prometheus sees no earlier sample to differ from), so every
        topic, event type, reason and known facility exists from the first scrape.
        """
        metrics = cls._register(registry, max_facilities=max_facilities)
        sites = [metrics.facility(code) for code in facilities] + [UNKNOWN_FACILITY]
        for topic, event_types in INBOUND_TOPIC_EVENT_TYPES.items():
            metrics.processing_latency.labels(topic)
            for event_type in sorted(event_types):
                for site in dict.fromkeys(sites):
                    metrics.events_ingested.labels(topic, event_type, site)
        for topic, reason in dead_letter_label_sets():
            metrics.dead_letters.labels(topic, reason)
        for sender in SENDERS:
            metrics.send_retries.labels(sender)
            metrics.send_blocked.labels(sender)
        for kind in VERDICT_KINDS:
            metrics.feedback.labels(kind)
        return metrics

    @classmethod
    def _register(cls, registry: CollectorRegistry, *, max_facilities: int) -> CordwatchMetrics:
        return cls(
            registry=registry,
            events_ingested=Counter(
                "cordwatch_events_ingested_total",
                "Inbound events accepted and forwarded to cordwatch.patient-events.",
                ("topic", "event_type", "facility"),
                registry=registry,
            ),
            dead_letters=Counter(
                "cordwatch_dead_letters_total",
                "Messages refused and parked on cordwatch.dead-letters, by cause.",
                ("topic", "reason"),
                registry=registry,
            ),
            processing_latency=Histogram(
                "cordwatch_processing_latency_seconds",
                "Ingest: time to validate one inbound message and hand its output to the producer.",
                ("topic",),
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            pathway_latency=Histogram(
                "cordwatch_pathway_seconds",
                "Pathway: time from taking a batch of patient events to its outputs and states "
                "acknowledged by the broker, per batch.",
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            send_retries=_send_retries(registry),
            send_blocked=_send_blocked(registry),
            assigned_partitions=Gauge(
                "cordwatch_assigned_partitions",
                "Topic partitions assigned to this worker's consumer (read at each scrape).",
                registry=registry,
            ),
            feedback=Counter(
                "cordwatch_feedback_total",
                "Verdicts people stored on alerts and review items (issue 14), by kind: "
                "confirmed, not_mescc, already_treated_elsewhere, duplicate.",
                ("kind",),
                registry=registry,
            ),
            facility=FacilityLabels(limit=max_facilities),
        )


def zero(counter: Counter, label_sets: Iterable[Sequence[str]]) -> None:
    """Create each labelled child at zero (for closed label sets defined outside this module)."""
    for labels in label_sets:
        counter.labels(*labels)


@dataclass
class ClinicalGauges:
    """The census of this worker's table partitions (services.census) as per-facility gauges.

    Each pathway worker reports the partitions it owns; `sum by (facility)` over workers is the
    hospital's figure (`max` for the age). A facility that had work and has none now reads 0.
    """

    open_episodes: Gauge
    pending_timers: Gauge
    unacknowledged_critical: Gauge
    oldest_unacknowledged_critical: Gauge
    computed_at: Gauge
    facility: FacilityLabels
    _published: set[str] = field(default_factory=set)

    @classmethod
    def create(cls, registry: CollectorRegistry, *, facility: FacilityLabels) -> ClinicalGauges:
        """Register on `registry` with every known facility at zero; once per registry."""
        gauges = cls(
            open_episodes=Gauge(
                "cordwatch_open_episodes",
                "Open suspected-MESCC episodes in this worker's partitions.",
                ("facility",),
                registry=registry,
            ),
            pending_timers=Gauge(
                "cordwatch_pending_timers",
                "Unfinished timers of open episodes: pending, past due (no breach recorded "
                "yet: the deadline scan is behind) or breached awaiting care.",
                ("facility", "kind", "state"),
                registry=registry,
            ),
            unacknowledged_critical=Gauge(
                "cordwatch_unacknowledged_critical_alerts",
                "Critical breach pages of open episodes that nobody has acknowledged.",
                ("facility",),
                registry=registry,
            ),
            oldest_unacknowledged_critical=Gauge(
                "cordwatch_oldest_unacknowledged_critical_alert_age_seconds",
                "Age of the oldest unacknowledged critical breach page (0 when none).",
                ("facility",),
                registry=registry,
            ),
            computed_at=Gauge(
                "cordwatch_census_timestamp_seconds",
                "Unix time of the last census of this worker's recovered table partitions.",
                registry=registry,
            ),
            facility=facility,
        )
        gauges.publish({}, at=None)
        return gauges

    def publish(self, result: Mapping[str | None, FacilityCensus], *, at: float | None) -> None:
        """Set every gauge from one census; `at` is its Unix time (None: not computed yet)."""
        known = {*self.facility.known(), *self._published}
        merged = {site: FacilityCensus() for site in sorted(known)}
        for code, site in result.items():
            into = merged.setdefault(self.facility(code), FacilityCensus())
            into.open_episodes += site.open_episodes
            for key, count in site.timers.items():
                into.timers[key] = into.timers.get(key, 0) + count
            into.unacknowledged_critical += site.unacknowledged_critical
            into.oldest_unacknowledged_critical_s = max(
                into.oldest_unacknowledged_critical_s, site.oldest_unacknowledged_critical_s
            )
        self._published.update(merged)
        for label, site in merged.items():
            self.open_episodes.labels(label).set(site.open_episodes)
            for kind in TimerKind:
                for state in TimerState:
                    count = site.timers.get((kind, state), 0)
                    self.pending_timers.labels(label, kind.value, state.value).set(count)
            self.unacknowledged_critical.labels(label).set(site.unacknowledged_critical)
            self.oldest_unacknowledged_critical.labels(label).set(
                site.oldest_unacknowledged_critical_s
            )
        if at is not None:
            self.computed_at.set(at)


def _send_retries(registry: CollectorRegistry) -> Counter:
    return Counter(
        "cordwatch_send_retries_total",
        "Sends the outbox retried after a broker error (the batch waits, nothing is lost).",
        ("sender",),
        registry=registry,
    )


def _send_blocked(registry: CollectorRegistry) -> Counter:
    return Counter(
        "cordwatch_send_blocked_seconds_total",
        "Seconds senders spent waiting to retry a send the broker refused.",
        ("sender",),
        registry=registry,
    )


@dataclass(frozen=True)
class SendMetrics:
    """The outbox's two series alone, for a process that sends but runs no worker (`cordwatch
    notify`, `cordwatch ack`); a worker's come with its CordwatchMetrics."""

    send_retries: Counter
    send_blocked: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry, *, senders: Sequence[str]) -> SendMetrics:
        """Register both on `registry`, each sender's series at zero."""
        metrics = cls(send_retries=_send_retries(registry), send_blocked=_send_blocked(registry))
        for sender in senders:
            metrics.send_retries.labels(sender)
            metrics.send_blocked.labels(sender)
        return metrics
