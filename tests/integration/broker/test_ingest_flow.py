"""End to end on a real embedded broker: every inbound message comes out exactly once.

Valid messages on cordwatch.patient-events keyed by patient, invalid ones on
cordwatch.dead-letters with their reason, metric counters equal to both, and the worker's log
free of patient ids, names and report text.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from models.events import INBOUND_TOPIC_EVENT_TYPES
from services.logging import pseudonymise
from streams.broker import EmbeddedBroker, free_port, spawn_owned, terminate
from tests.conftest import TEST_PARTITIONS, start_prepared_broker, stop_and_check
from tests.integration.pathway.harness import migrated_sqlite

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

KEY = "integration-test-pseudonym-key-0123456789abcdef"
NAME = "Zebedee Quartermaine"
REPORT_PHRASE = "XYZZY epidural tumour encases the cord at T7"
FACILITY = "ITEST"
INBOUND_EVENT_TYPES = frozenset().union(*INBOUND_TOPIC_EVENT_TYPES.values())
WORKER_MAIN = "import sys; from streams.cli import main; sys.exit(main(['worker']))"


@dataclass(frozen=True)
class Sent:
    topic: str
    key: bytes | None
    value: bytes
    event_type: str | None = None  # set for valid messages
    reason: str | None = None  # set for invalid messages


def _base(patient: str, event_id: str, event_type: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": "2026-03-02T10:20:00+01:00",
        "patient_id": patient,
        "facility": FACILITY,
        "patient_name": NAME,  # an extra field: kept and forwarded, never logged
    }


def valid_messages(per_topic: int) -> list[Sent]:
    extras = {
        "hospital.adt": ("admit", {"chief_complaint": f"{NAME} cannot walk"}),
        "hospital.imaging-reports": (
            "imaging_report",
            {
                "accession": "A-1",
                "status": "final",
                "modality": "MR",
                "exam": "MRI spine",
                "text": f"{REPORT_PHRASE} (ESCC 3).",
            },
        ),
        "hospital.medication-administrations": (
            "medication_administration",
            {"administration_id": "M-1", "medication": "dexamethasone", "status": "completed"},
        ),
        "hospital.consults": (
            "consult_completed",
            {"consult_id": "C-1", "service": "neurosurgery"},
        ),
        "hospital.procedures": (
            "procedure",
            {"procedure_id": "P-1", "procedure": "sbrt", "status": "completed"},
        ),
        "hospital.assessments": ("assessment", {"motor_strength": 3, "ambulatory": False}),
    }
    out = []
    for topic, (event_type, fields) in extras.items():
        for i in range(per_topic):
            patient = f"MRN-IT-{i % 7:04d}"
            event = _base(patient, f"{topic}-{i}", event_type) | fields
            out.append(Sent(topic, patient.encode(), json.dumps(event).encode(), event_type))
    return out


def invalid_messages() -> list[Sent]:
    good = _base("MRN-IT-0001", "bad-1", "admit")
    naive = good | {"occurred_at": "2026-03-02T10:20:00"}
    consult_on_adt = _base("MRN-IT-0002", "bad-3", "consult_requested")
    no_id = {
        k: v for k, v in _base("MRN-IT-0003", "bad-4", "assessment").items() if k != "event_id"
    }
    report = _base("MRN-IT-0004", "bad-6", "imaging_report") | {"text": REPORT_PHRASE}
    return [
        Sent("hospital.adt", b"MRN-IT-0001", b"{not json " + NAME.encode(), reason="not_json"),
        Sent("hospital.adt", b"MRN-IT-0001", json.dumps(naive).encode(), reason="bad_timestamp"),
        Sent(
            "hospital.adt",
            b"MRN-IT-0002",
            json.dumps(consult_on_adt).encode(),
            reason="wrong_topic",
        ),
        Sent(
            "hospital.assessments",
            b"MRN-IT-0003",
            json.dumps(no_id).encode(),
            reason="missing_field",
        ),
        Sent("hospital.adt", b"SOMEONE-ELSE", json.dumps(good).encode(), reason="key_mismatch"),
        Sent(
            "hospital.imaging-reports",
            b"MRN-IT-0004",
            json.dumps(report).encode(),
            reason="missing_field",
        ),
        Sent("hospital.consults", b"MRN-IT-0005", b"\xff\xfe\x00garbage", reason="not_utf8"),
        Sent("hospital.procedures", None, b"", reason="empty"),
        Sent("hospital.procedures", b"MRN-IT-0006", b"[1, 2, 3]", reason="not_object"),
        # 900 KB: its dead letter (base64) is over Kafka's 1 MB default record size.
        Sent("hospital.adt", b"MRN-IT-0007", b"{" + b"x" * 900_000, reason="not_json"),
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def private_broker() -> AsyncIterator[EmbeddedBroker]:
    """A broker of its own: exact counter assertions need topics nobody else writes to."""
    embedded = await start_prepared_broker()
    yield embedded
    stop_and_check(embedded)


async def wait_ready(url: str, process: object, within: float = 60.0) -> float:
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < within:
            assert process.poll() is None, "worker exited before it was ready"  # type: ignore[attr-defined]
            try:
                async with session.get(f"{url}/ready") as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("worker not ready in time")


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_every_message_comes_out_exactly_once(
    private_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    bootstrap = private_broker.bootstrap
    valid, invalid = valid_messages(per_topic=8), invalid_messages()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        # Ambient CORDWATCH_* settings (a developer's shell) must not leak into the worker.
        **{k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")},
        "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "CORDWATCH_PARTITIONS": str(TEST_PARTITIONS),
        "CORDWATCH_WEB_PORT": str(port),
        "CORDWATCH_APP_ID": "cordwatch-itest",
        "CORDWATCH_DATA_DIR": str(tmp_path / "var"),
        # The worker refuses a database behind the code's schema: give it a migrated one.
        "CORDWATCH_DATABASE_URL": migrated_sqlite(tmp_path / "audit.db"),
        "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": "4",
        "CORDWATCH_PSEUDONYM_KEY": KEY,
        "CORDWATCH_LOG_LEVEL": "DEBUG",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = spawn_owned([sys.executable, "-c", WORKER_MAIN], stdout=log, env=env)
        try:
            await wait_ready(url, worker)
            forwarded, dead = await produce_and_collect(
                bootstrap, valid + invalid, len(valid), len(invalid)
            )
            metrics = await scrape(url)
        finally:
            exit_code = terminate(worker, grace=20.0)
    assert exit_code == 0

    # Valid: each exactly once, keyed by its patient, byte-for-byte the canonical event.
    sent_ids = Counter(json.loads(m.value)["event_id"] for m in valid)
    got_ids = Counter(json.loads(value)["event_id"] for _key, value in forwarded)
    assert got_ids == sent_ids
    for key, value in forwarded:
        assert key == json.loads(value)["patient_id"].encode()

    # Invalid: each exactly once, with its reason and original bytes.
    expected_dead = Counter((m.topic, m.value, m.reason) for m in invalid)
    # Other agents of the same worker (the pathway) may park their own failures on the same
    # topic; those name an internal source topic and are not this test's business.
    from_inbound = [d for d in dead if d["topic"] in INBOUND_TOPIC_EVENT_TYPES]
    got_dead = Counter((d["topic"], _b64(d["original"]), d["reason_code"]) for d in from_inbound)
    assert got_dead == expected_dead

    # Counters equal what came out: nothing lost, nothing invented.
    for (topic, event_type), count in Counter((m.topic, m.event_type) for m in valid).items():
        labels = (("event_type", event_type), ("facility", FACILITY), ("topic", topic))
        assert metrics[("cordwatch_events_ingested_total", labels)] == count
    ingested = sum(
        v for (name, _), v in metrics.items() if name == "cordwatch_events_ingested_total"
    )
    assert ingested == len(valid)
    for (topic, reason), count in Counter((m.topic, m.reason) for m in invalid).items():
        labels = (("reason", reason), ("topic", topic))
        assert metrics[("cordwatch_dead_letters_total", labels)] == count
    parked = sum(
        v
        for (name, labels), v in metrics.items()
        if name == "cordwatch_dead_letters_total"
        and dict(labels)["topic"] in INBOUND_TOPIC_EVENT_TYPES
    )
    assert parked == len(invalid)

    # The log names patients only by keyed pseudonym; names and report text never appear.
    text = log_path.read_text()
    assert "ingest.forwarded" in text
    assert pseudonymise("MRN-IT-0001", key=KEY.encode()) in text
    for secret in ("MRN-IT-", NAME, "Zebedee", REPORT_PHRASE, "XYZZY", "SOMEONE-ELSE"):
        assert secret not in text, f"{secret!r} leaked into the worker log"


def _inbound(dead: list[dict[str, object]]) -> int:
    return sum(1 for d in dead if d["topic"] in INBOUND_TOPIC_EVENT_TYPES)


def _b64(value: str) -> bytes:
    import base64

    return base64.b64decode(value)


async def produce_and_collect(
    bootstrap: str, messages: list[Sent], valid: int, invalid: int
) -> tuple[list[tuple[bytes, bytes]], list[dict[str, object]]]:
    consumer = AIOKafkaConsumer(
        "cordwatch.patient-events",
        "cordwatch.dead-letters",
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all")
    await consumer.start()
    await producer.start()
    forwarded: list[tuple[bytes, bytes]] = []
    dead: list[dict[str, object]] = []
    try:
        for message in messages:
            await producer.send(message.topic, message.value, key=message.key)
        await producer.flush()
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline and (len(forwarded) < valid or _inbound(dead) < invalid):
            await _drain(consumer, forwarded, dead, timeout_ms=300)
        # Linger briefly: a duplicate or an invented message would arrive now.
        settle = time.monotonic() + 1.5
        while time.monotonic() < settle:
            await _drain(consumer, forwarded, dead, timeout_ms=300)
    finally:
        await producer.stop()
        await consumer.stop()
    return forwarded, dead


async def _drain(
    consumer: AIOKafkaConsumer,
    forwarded: list[tuple[bytes, bytes]],
    dead: list[dict[str, object]],
    *,
    timeout_ms: int,
) -> None:
    batches = await consumer.getmany(timeout_ms=timeout_ms)
    for tp, records in batches.items():
        for record in records:
            if tp.topic == "cordwatch.patient-events":
                # The timer service also writes here (TimerDue); only canonical events count.
                if json.loads(record.value)["event_type"] in INBOUND_EVENT_TYPES:
                    forwarded.append((record.key, record.value))
            else:
                dead.append(json.loads(record.value))
