"""The ingest agent: `process` with fakes, and the Faust wiring through `test_context()`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letter import DeadLetter
from services.config import Settings
from streams.agents import ingest
from streams.bootstrap import Pathway, Runtime, build_runtime
from streams.messages import Inbound

NOW = datetime(2026, 1, 31, 8, 15, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


class ListSink:
    """Records what the outbox was given, split by topic."""

    def __init__(self) -> None:
        self.forwarded: list[tuple[bytes | None, bytes]] = []
        self.dead: list[tuple[bytes | None, bytes]] = []

    async def send(self, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
        for topic, key, value in messages:
            target = self.forwarded if topic == "cordwatch.patient-events" else self.dead
            target.append((key, value))


def admit(patient: str = "MRN-1", facility: str | None = "RAD") -> bytes:
    event = {
        "event_id": "e-1",
        "event_type": "admit",
        "occurred_at": "2026-01-31T08:00:00Z",
        "patient_id": patient,
    }
    if facility:
        event["facility"] = facility
    return json.dumps(event).encode()


@pytest.fixture
def rt() -> Runtime:
    return build_runtime(Settings(), clock=FixedClock(), registry=CollectorRegistry())


def msg(value: bytes, key: bytes | None = b"MRN-1", topic: str = "hospital.adt") -> Inbound:
    return Inbound(topic=topic, partition=3, offset=41, key=key, value=value)


async def test_valid_event_is_forwarded_keyed_by_patient(rt: Runtime) -> None:
    sink = ListSink()
    await ingest.process_batch([msg(admit())], rt=rt, outbox=sink)
    assert [key for key, _ in sink.forwarded] == [b"MRN-1"]
    assert json.loads(sink.forwarded[0][1])["event_id"] == "e-1"
    assert sink.dead == []
    labels = {"topic": "hospital.adt", "event_type": "admit", "facility": "RAD"}
    assert rt.registry.get_sample_value("cordwatch_events_ingested_total", labels) == 1


async def test_invalid_message_is_parked_with_reason_position_and_bytes(rt: Runtime) -> None:
    sink = ListSink()
    await ingest.process_batch([msg(b"{not json")], rt=rt, outbox=sink)
    assert sink.forwarded == []
    key, value = sink.dead[0]
    letter = DeadLetter.model_validate_json(value)
    assert key == b"MRN-1"
    assert letter.reason_code == "not_json"
    assert (letter.partition, letter.offset, letter.received_at) == (3, 41, NOW)
    assert letter.original_bytes() == b"{not json"
    labels = {"topic": "hospital.adt", "reason": "not_json"}
    assert rt.registry.get_sample_value("cordwatch_dead_letters_total", labels) == 1


class BrokenPolicy:
    """A policy whose clinical time range raises while a message is validated (a bug)."""

    @property
    def clinical_time(self) -> object:
        raise RuntimeError("boom MRN-1")


async def test_unexpected_failure_never_escapes_and_is_parked() -> None:
    sink = ListSink()
    broken = Pathway(policy=BrokenPolicy())  # type: ignore[arg-type]
    rt = build_runtime(Settings(), clock=FixedClock(), registry=CollectorRegistry(), pathway=broken)
    await ingest.process_batch([msg(admit())], rt=rt, outbox=sink)
    letter = DeadLetter.model_validate_json(sink.dead[0][1])
    assert letter.reason_code == "processing_error"
    assert "MRN" not in letter.reason  # the exception message may carry PHI; only its type goes
    labels = {"topic": "hospital.adt", "reason": "processing_error"}
    assert rt.registry.get_sample_value("cordwatch_dead_letters_total", labels) == 1


async def test_missing_facility_counts_as_unknown(rt: Runtime) -> None:
    await ingest.process_batch([msg(admit(facility=None))], rt=rt, outbox=ListSink())
    labels = {"topic": "hospital.adt", "event_type": "admit", "facility": "unknown"}
    assert rt.registry.get_sample_value("cordwatch_events_ingested_total", labels) == 1


async def test_agent_wiring_sends_through_the_outbox() -> None:
    from services.config import Role
    from streams import topics
    from tests.streams.test_pathway_agent import FakeProducer, worker_app

    producer = FakeProducer()
    rt = build_runtime(
        Settings(), clock=FixedClock(), registry=CollectorRegistry(), producer=producer.source
    )
    agent = worker_app(rt, Role.INGEST).agents["ingest.hospital.consults"]
    async with agent.test_context() as wrapper:
        await wrapper.put(b"[]", key=b"MRN-9")
        await wrapper.put(consult("MRN-9"), key=b"MRN-9")
    [(_, parked)] = producer.on(topics.DEAD_LETTERS)
    letter = DeadLetter.model_validate_json(parked)
    assert (letter.topic, letter.reason_code) == ("hospital.consults", "not_object")
    [(key, _)] = producer.on(topics.PATIENT_EVENTS)
    assert key == b"MRN-9"


def consult(patient: str) -> bytes:
    event = {
        "event_id": "c-1",
        "event_type": "consult_requested",
        "occurred_at": "2026-01-31T09:00:00+01:00",
        "patient_id": patient,
        "consult_id": "C-77",
        "service": "spine surgery",
    }
    return json.dumps(event).encode()


async def test_dead_letter_too_large_for_one_record_names_where_the_original_is() -> None:
    limit = 1_048_576
    rt = build_runtime(
        Settings(kafka_max_message_bytes=limit), clock=FixedClock(), registry=CollectorRegistry()
    )
    sink = ListSink()
    raw = b"x" * 900_000  # base64 makes 1.2 MB: over the limit
    await ingest.process_batch([msg(raw)], rt=rt, outbox=sink)
    value = sink.dead[0][1]
    assert len(value) < limit
    letter = DeadLetter.model_validate_json(value)
    assert letter.reason_code == "not_json"
    assert letter.original == ""
    assert "900000 bytes not copied" in letter.reason
    assert (letter.topic, letter.partition, letter.offset) == ("hospital.adt", 3, 41)


async def test_dead_letter_within_the_limit_keeps_the_original(rt: Runtime) -> None:
    sink = ListSink()
    raw = b"y" * 900_000  # 1.2 MB in base64: fits the default 4 MiB
    await ingest.process_batch([msg(raw)], rt=rt, outbox=sink)
    assert DeadLetter.model_validate_json(sink.dead[0][1]).original_bytes() == raw


async def test_a_timestamp_outside_the_deployments_policy_range_is_bad_timestamp() -> None:
    from services.policy import load_policy
    from streams.bootstrap import Pathway

    strict = load_policy()
    strict = strict.model_copy(
        update={"clinical_time": strict.clinical_time.model_copy(update={"refuse_ahead_days": 1})}
    )
    rt = build_runtime(
        Settings(), clock=FixedClock(), registry=CollectorRegistry(), pathway=Pathway(policy=strict)
    )
    sink = ListSink()
    two_days_ahead = json.loads(admit())
    two_days_ahead["occurred_at"] = "2026-02-02T09:00:00Z"
    await ingest.process_batch([msg(json.dumps(two_days_ahead).encode())], rt=rt, outbox=sink)
    assert sink.forwarded == []
    assert DeadLetter.model_validate_json(sink.dead[0][1]).reason_code == "bad_timestamp"
    labels = {"topic": "hospital.adt", "reason": "bad_timestamp"}
    assert rt.registry.get_sample_value("cordwatch_dead_letters_total", labels) == 1
