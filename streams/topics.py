"""Every Kafka topic Cordwatch reads or writes, declared once (DESIGN.md sections 1 and 2).

All topics share one partition count (`CORDWATCH_PARTITIONS`) and are keyed by patient id, so a
patient lives on the same partition number everywhere and one worker owns all of a patient's
state. Values travel as raw bytes: validation happens in `services.ingest`, not in a codec.
Names only: each agent declares the topic it reads on the app it registers on (`raw_topic`).
"""

from __future__ import annotations

from faust.types import AppT, TopicT

from models.events import INBOUND_TOPIC_EVENT_TYPES

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


def raw_topic(app: AppT, name: str) -> TopicT:
    """Topic `name` on `app`, keys and values as raw bytes (no codec: ingest validates)."""
    return app.topic(name, key_serializer="raw", value_serializer="raw")
