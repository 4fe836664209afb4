"""Cordwatch's Prometheus metrics, created once per registry and passed to whoever counts.

Names follow Prometheus conventions (`_total` counters, base units in `_seconds`); labels are
bounded: topic, event type and reject reason are closed sets, and `facility` is capped by
`FacilityLabels`. Never a patient, episode or alert id as a label.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

# Ingest is sub-millisecond per message; the upper buckets catch broker back-pressure.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
UNKNOWN_FACILITY = "unknown"
OTHER_FACILITY = "other"


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


@dataclass(frozen=True)
class CordwatchMetrics:
    """Every Cordwatch metric, registered on one registry."""

    registry: CollectorRegistry
    events_ingested: Counter
    dead_letters: Counter
    processing_latency: Histogram
    facility: FacilityLabels

    @classmethod
    def create(cls, registry: CollectorRegistry, *, max_facilities: int = 64) -> CordwatchMetrics:
        """Register the metrics on `registry`; call once per registry."""
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
                "Time to validate one message and hand its output to the producer.",
                ("topic",),
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            facility=FacilityLabels(limit=max_facilities),
        )
