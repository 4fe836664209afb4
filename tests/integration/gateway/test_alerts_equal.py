"""The alerts from HL7 over MLLP and FHIR over the worker's endpoint equal those from JSON.

The simulator's hospital (eight patients over three days, real report text, the real detector)
is sent twice, each time to a fresh broker and a fresh `cordwatch worker`: once as the JSON
contract on the hospital.* topics, once through the hospital-facing gateway, where half the
patients' messages go as HL7 v2 through `cordwatch mllp` (ADT, ORU^R01 reports and
assessments, RAS^O17, ORM^O01 consults, BAR^P12 procedures; a raw-socket MLLP client that waits
for each AA) and the other half's are POSTed as FHIR to the worker's /fhir endpoint.
Each event is sent only once the previous one is on cordwatch.patient-events, so the pathway
folds the same sequence in both runs; through the gateway a quarter of the messages are then
sent again, as interface engines resend. The alerts that come out (ids, types, priorities,
summaries, due times, everything but the moment each was raised) are the same, in the same
order per patient, and their ids are those the replay driver computes.

Policy windows are 14 days, so no deadline falls while the test runs: a timer firing between
two sends would race the next event and make the alert sets differ for reasons of timing, not
of mapping.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from models.outputs import Alert
from services.gateway.encode_fhir import encode_fhir
from services.gateway.encode_hl7 import encode_hl7
from services.pathway.replay import read_lines, replay
from services.policy import load_policy
from services.simulation.feed import FeedConfig, SimMessage, generate
from tests.conftest import TEST_PARTITIONS, start_prepared_broker, stop_and_check
from tests.integration.gateway.mllp_client import (
    control_id,
    exchange,
    msa,
    start_listener,
    stop_listener,
)
from tests.integration.pathway.harness import ALERTS, Worker, read_topic, write_policy
from tests.streams.api_client import AUTH, TOKEN

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.e2e]

_MAIN = "import sys; from streams.cli import main; sys.exit(main())"
WORKER = [sys.executable, "-c", _MAIN, "worker"]  # `cordwatch worker`, with the real detector
FOURTEEN_DAYS = 14 * 86_400.0  # the policy's longest window (services/policy.py bound)


def hospital(now: datetime) -> list[SimMessage]:
    """The simulator's valid messages of the three days before ``now``, in publication order."""
    config = FeedConfig(
        seed=1, start=now - timedelta(days=3), patients=8, horizon=now - timedelta(minutes=1)
    )
    return [m for m in generate(config) if m.valid and m.event is not None]


class PatientStream:
    """The canonical events on cordwatch.patient-events of a broker of the test's own."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.seen: set[str] = set()

    async def start(self) -> None:
        await self.consumer.start()
        self.consumer.assign(
            [TopicPartition("cordwatch.patient-events", p) for p in range(TEST_PARTITIONS)]
        )
        await self.consumer.seek_to_beginning()

    async def wait_for(self, event_id: str, within: float = 60.0) -> None:
        """Until ``event_id`` has been forwarded to the patient stream."""
        deadline = time.monotonic() + within
        while event_id not in self.seen:
            assert time.monotonic() < deadline, "an event never reached the patient stream"
            for records in (await self.consumer.getmany(timeout_ms=200)).values():
                self.seen.update(json.loads(r.value).get("event_id", "") for r in records)


@dataclass
class Gateway:
    """The hospital-facing doors of one run: an MLLP connection and the worker's /fhir."""

    sock: socket.socket
    http: aiohttp.ClientSession
    fhir_url: str
    hl7_patients: frozenset[str]
    sent: Counter[str]

    async def send(self, event: dict[str, Any]) -> None:
        raw = encode_hl7(event) if event["patient_id"] in self.hl7_patients else None
        if raw is not None:
            ack = await asyncio.to_thread(exchange, self.sock, raw)
            assert ack is not None
            assert msa(ack)[1:3] == ["AA", control_id(raw)]
            self.sent["hl7"] += 1
            return
        document = encode_fhir(event)
        assert document is not None, event["event_type"]
        kind = json.loads(document)["resourceType"]
        path = "/fhir" if kind == "Bundle" else f"/fhir/{kind}"
        headers = {**AUTH, "Content-Type": "application/fhir+json"}
        async with self.http.post(self.fhir_url + path, data=document, headers=headers) as reply:
            assert reply.status in (200, 201), await reply.text()
        self.sent["fhir"] += 1


async def run(
    messages: list[SimMessage], *, through_gateway: bool, workdir: Path, policy: Path
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Send the hospital to a fresh broker and worker; every alert that came out, and the mix."""
    await asyncio.to_thread(workdir.mkdir)
    sent: Counter[str] = Counter()
    async with AsyncExitStack() as stack:
        embedded = await start_prepared_broker()
        stack.callback(stop_and_check, embedded)
        worker = Worker(
            embedded.bootstrap, "cw-equal", policy, workdir, name="worker", argv=WORKER,
            env={"CORDWATCH_API_TOKEN": TOKEN, "CORDWATCH_LOG_LEVEL": "WARNING"},
        )  # fmt: skip
        stack.callback(worker.stop)
        worker.start()
        await worker.wait_ready(within=120)
        stream = PatientStream(embedded.bootstrap)
        await stream.start()
        stack.push_async_callback(stream.consumer.stop)
        send = await stack.enter_async_context(
            _gateway(embedded.bootstrap, worker.url, messages, sent)
            if through_gateway
            else _json(embedded.bootstrap, sent)
        )
        for m in messages:
            assert m.event is not None
            await send(m)
            await stream.wait_for(m.event["event_id"])
        if through_gateway:
            # An interface engine resends what it is unsure of: the same MSH-10 or FHIR id and
            # version, which maps to the same event, a redelivery the pathway drops.
            for m in messages[::4]:
                await send(m)
                sent["resent"] += 1
        alerts = await _settled_alerts(embedded.bootstrap)
    return alerts, sent


Send = Callable[[SimMessage], Awaitable[None]]


@asynccontextmanager
async def _json(bootstrap: str, sent: Counter[str]) -> AsyncIterator[Send]:
    """Each message as the JSON contract on its hospital.* topic."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()

    async def send(m: SimMessage) -> None:
        await producer.send_and_wait(m.topic, m.value, key=m.key.encode())
        sent["json"] += 1

    try:
        yield send
    finally:
        await producer.stop()


@asynccontextmanager
async def _gateway(
    bootstrap: str, worker_url: str, messages: list[SimMessage], sent: Counter[str]
) -> AsyncIterator[Send]:
    """Half the patients' HL7-shaped events over MLLP, everything else as FHIR to /fhir."""
    process, port = await asyncio.to_thread(start_listener, bootstrap)
    patients = sorted({m.key for m in messages})
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            async with aiohttp.ClientSession() as http:
                door = Gateway(sock, http, worker_url, frozenset(patients[::2]), sent)
                yield lambda m: door.send(m.event or {})
    finally:
        stop_listener(process)


async def _settled_alerts(bootstrap: str, quiet: float = 5.0, within: float = 90.0) -> list[Any]:
    """Every alert on the broker, once no new one arrived for ``quiet`` seconds."""
    deadline = time.monotonic() + within
    alerts = (await read_topic(bootstrap, ALERTS)).records
    last_change = time.monotonic()
    while time.monotonic() - last_change < quiet:
        assert time.monotonic() < deadline, "alerts kept coming"
        await asyncio.sleep(0.5)
        now = (await read_topic(bootstrap, ALERTS)).records
        if len(now) != len(alerts):
            alerts, last_change = now, time.monotonic()
    return [json.loads(value) for _, value in alerts]


def per_patient(alerts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each patient's alerts in the order they were sent (one patient, one partition).

    Without ``at``: the moment the worker raised the alert, the one field that legitimately
    differs between two runs a minute apart. Every other field must be equal.
    """
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for alert in alerts:
        out[alert["patient_id"]].append({k: v for k, v in alert.items() if k != "at"})
    return dict(out)


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def test_alerts_through_mllp_and_fhir_equal_those_from_json(
    tmp_path: Path, now: datetime
) -> None:
    messages = hospital(now)
    policy = write_policy(tmp_path / "policy.yaml", steroids_s=FOURTEEN_DAYS,
                          surgical_s=FOURTEEN_DAYS)  # fmt: skip
    from_json, _ = await run(messages, through_gateway=False, workdir=tmp_path / "json",
                             policy=policy)  # fmt: skip
    from_gateway, mix = await run(messages, through_gateway=True, workdir=tmp_path / "gateway",
                                  policy=policy)  # fmt: skip

    assert mix["hl7"] > 20, mix  # both doors carried a real share
    assert mix["fhir"] > 20, mix
    assert mix["resent"] > 20, mix
    assert from_json, "the hospital raises alerts"
    assert Counter(a["alert_type"] for a in from_json)["mescc_suspected"] >= 3
    assert per_patient(from_gateway) == per_patient(from_json)
    assert len({a["alert_id"] for a in from_gateway}) == len(from_gateway)  # none twice

    # Every message arrived at about ``now`` in the live runs, as the replay is told: the page
    # times escalation counts from are arrival times, not the backdated clinical ones.
    arrived = now.isoformat()
    _, outputs = replay(
        read_lines(json.dumps({**(m.event or {}), "received_at": arrived}) for m in messages),
        policy=load_policy(policy),
        until=now,
    )
    expected = {o.alert_id for o in outputs if isinstance(o, Alert)}
    assert {a["alert_id"] for a in from_json} == expected
