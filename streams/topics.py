"""Every Kafka topic Cordwatch reads or writes, declared once (DESIGN.md sections 1 and 2).

All topics share one partition count (`CORDWATCH_PARTITIONS`) and are keyed by patient id, so a
patient lives on the same partition number everywhere and one worker owns all of a patient's
state. Values travel as raw bytes: validation happens in `services.ingest`, not in a codec.
"""

from __future__ import annotations

from faust.types import TopicT

from models.events import INBOUND_TOPIC_EVENT_TYPES
from streams.app import app

INBOUND: tuple[str, ...] = tuple(INBOUND_TOPIC_EVENT_TYPES)
GATEWAY_INBOUND: tuple[str, ...] = ("hl7.inbound", "fhir.inbound")
PATIENT_EVENTS = "cordwatch.patient-events"
ALERTS = "cordwatch.alerts"
EPISODE_CHANGES = "cordwatch.episode-changes"
DEAD_LETTERS = "cordwatch.dead-letters"
ALERT_ACKS = "cordwatch.alert-acks"
OUTBOUND: tuple[str, ...] = (PATIENT_EVENTS, ALERTS, EPISODE_CHANGES, DEAD_LETTERS, ALERT_ACKS)


def all_topic_names() -> tuple[str, ...]:
    """Every topic to create up front with the shared partition count.

    Faust creates its own internal topics on start: the one-partition leader-assignor topic and
    table changelogs (those get `topic_partitions`, the same shared count).
    """
    return (*INBOUND, *GATEWAY_INBOUND, *OUTBOUND)


def _raw(name: str) -> TopicT:
    return app.topic(name, key_serializer="raw", value_serializer="raw")


inbound: dict[str, TopicT] = {name: _raw(name) for name in INBOUND}
patient_events = _raw(PATIENT_EVENTS)
alerts = _raw(ALERTS)
episode_changes = _raw(EPISODE_CHANGES)
dead_letters = _raw(DEAD_LETTERS)
alert_acks = _raw(ALERT_ACKS)
hl7_inbound = _raw("hl7.inbound")
fhir_inbound = _raw("fhir.inbound")
