"""The gateway agents: HL7 and FHIR from hl7/fhir.inbound to the patient stream or dead letters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letter import DeadLetter
from services.config import Settings
from services.gateway.encode_fhir import encode_fhir
from services.gateway.encode_hl7 import encode_hl7
from services.ingest import Accepted, parse
from services.simulation.feed import FeedConfig, generate
from streams.agents import gateway
from streams.bootstrap import Runtime, build_runtime
from streams.messages import Inbound

START = datetime(2026, 1, 5, 8, tzinfo=UTC)
NOW = datetime(2026, 1, 9, tzinfo=UTC)
SIM = [m for m in generate(FeedConfig(seed=21, start=START, patients=4)) if m.valid]


class FixedClock:
    def now(self) -> datetime:
        return NOW


class ListSink:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes | None, bytes]] = []

    async def send(self, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
        self.records.extend(messages)


@pytest.fixture
def rt() -> Runtime:
    return build_runtime(Settings(), clock=FixedClock(), registry=CollectorRegistry())


def _inbound(topic: str, value: bytes, offset: int) -> Inbound:
    return Inbound(topic=topic, partition=0, offset=offset, key=None, value=value)


async def test_hl7_and_fhir_give_the_same_records_as_the_json_feed(rt: Runtime) -> None:
    profile = gateway.site_profile(rt)
    expected = []
    for m in SIM:
        accepted = parse(topic=m.topic, key=m.key.encode(), raw=m.value, received_at=NOW,
                         clinical_time=rt.pathway.policy.clinical_time)  # fmt: skip
        assert isinstance(accepted, Accepted)
        expected.append(("cordwatch.patient-events", accepted.key, accepted.value))
    assert SIM
    for topic, encode in (("hl7.inbound", encode_hl7), ("fhir.inbound", encode_fhir)):
        sink = ListSink()
        batch, wanted = [], []
        for index, (m, record) in enumerate(zip(SIM, expected, strict=True)):
            assert m.event is not None
            if (raw := encode(m.event)) is not None:
                batch.append(_inbound(topic, raw, index))
                wanted.append(record)
        await gateway.process_batch(batch, rt=rt, outbox=sink, profile=profile)
        assert sink.records == wanted, topic


async def test_a_refusal_is_parked_with_the_original_bytes_and_no_phi(rt: Runtime) -> None:
    admit = next(m.event for m in SIM if m.event and m.event["event_type"] == "admit")
    raw = encode_hl7(admit)
    assert raw is not None
    raw = raw.replace(b"^^^CWDEMO^MR", b"^^^ELSEWHERE^MR")
    sink = ListSink()
    await gateway.process_batch([_inbound("hl7.inbound", raw, 7)], rt=rt, outbox=sink,
                                profile=gateway.site_profile(rt))  # fmt: skip
    [(topic, _, value)] = sink.records
    assert topic == "cordwatch.dead-letters"
    letter = DeadLetter.model_validate_json(value)
    assert letter.original_bytes() == raw
    assert (letter.topic, letter.offset, letter.reason_code) == ("hl7.inbound", 7, "missing_field")
    assert letter.reason.startswith("no_patient_identifier: ")
    assert str(admit["patient_id"]) not in letter.reason
    labels = {"topic": "hl7.inbound", "reason": "missing_field"}
    assert rt.registry.get_sample_value("cordwatch_dead_letters_total", labels) == 1


async def test_a_fhir_bundle_entry_refused_beside_one_forwarded(rt: Runtime) -> None:
    report = next(m.event for m in SIM if m.event and m.event["event_type"] == "imaging_report")
    resource = json.loads(encode_fhir(report) or b"{}")
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"resource": resource}, {"resource": {"resourceType": "Spaceship"}}],
    }
    sink = ListSink()
    await gateway.process_batch([_inbound("fhir.inbound", json.dumps(bundle).encode(), 3)],
                                rt=rt, outbox=sink, profile=gateway.site_profile(rt))  # fmt: skip
    topics = [topic for topic, _, _ in sink.records]
    assert topics == ["cordwatch.patient-events", "cordwatch.dead-letters"]
    letter = DeadLetter.model_validate_json(sink.records[1][2])
    assert letter.reason.startswith("not_fhir at Bundle.entry[1]: ")
