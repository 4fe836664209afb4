"""Metrics: conventional names, bounded labels, one registration per registry."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letter import RejectReason
from services.metrics import OTHER_FACILITY, UNKNOWN_FACILITY, CordwatchMetrics, FacilityLabels


def test_counters_and_histogram_are_named_by_convention() -> None:
    registry = CollectorRegistry()
    metrics = CordwatchMetrics.create(registry)
    metrics.events_ingested.labels("hospital.adt", "admit", "RAD").inc()
    metrics.dead_letters.labels("hospital.adt", "not_json").inc(2)
    metrics.processing_latency.labels("hospital.adt").observe(0.002)
    sample = registry.get_sample_value
    labels = {"topic": "hospital.adt", "event_type": "admit", "facility": "RAD"}
    assert sample("cordwatch_events_ingested_total", labels) == 1
    assert (
        sample("cordwatch_dead_letters_total", {"topic": "hospital.adt", "reason": "not_json"}) == 2
    )
    assert sample("cordwatch_processing_latency_seconds_count", {"topic": "hospital.adt"}) == 1


def test_second_registration_on_one_registry_is_refused() -> None:
    registry = CollectorRegistry()
    CordwatchMetrics.create(registry)
    with pytest.raises(ValueError, match="Duplicated"):
        CordwatchMetrics.create(registry)


def test_facility_label_is_capped() -> None:
    label = FacilityLabels(limit=2)
    assert [label("A"), label("B"), label("C"), label("A"), label(None)] == [
        "A",
        "B",
        OTHER_FACILITY,
        "A",
        UNKNOWN_FACILITY,
    ]


def test_every_closed_label_set_exists_at_zero_before_the_first_event() -> None:
    registry = CollectorRegistry()
    CordwatchMetrics.create(registry, facilities=("RLH", "BAR"))
    sample = registry.get_sample_value
    for facility in ("RLH", "BAR", UNKNOWN_FACILITY):
        labels = {"topic": "hospital.imaging-reports", "event_type": "imaging_report"}
        assert sample("cordwatch_events_ingested_total", {**labels, "facility": facility}) == 0
    # A topic's first event type must not be the only one there: every type of every topic.
    adt = {"topic": "hospital.adt", "event_type": "death", "facility": "BAR"}
    assert sample("cordwatch_events_ingested_total", adt) == 0
    for reason in RejectReason:
        labels = {"topic": "hospital.consults", "reason": reason.value}
        assert sample("cordwatch_dead_letters_total", labels) == 0
    acks = {"topic": "cordwatch.alert-acks", "reason": "invalid_value"}
    assert sample("cordwatch_dead_letters_total", acks) == 0
    count = "cordwatch_processing_latency_seconds_count"
    assert sample(count, {"topic": "hospital.procedures"}) == 0
    # Not pre-created: a facility nobody configured (it appears with its first event).
    missing = {"topic": "hospital.adt", "event_type": "admit", "facility": "ZZZ"}
    assert sample("cordwatch_events_ingested_total", missing) is None


def test_the_pathway_event_types_are_the_whole_patient_event_union() -> None:
    from models.events import INBOUND_TOPIC_EVENT_TYPES
    from services.metrics import patient_event_types

    inbound = {t for types in INBOUND_TOPIC_EVENT_TYPES.values() for t in types}
    assert set(patient_event_types()) == inbound | {"timer_due", "alert_acknowledged"}
