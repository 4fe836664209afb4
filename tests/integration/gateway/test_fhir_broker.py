"""POST /fhir on a real `cordwatch worker` and a real broker: 201 only once fhir.inbound has it.

A broker of this module's own, because the second test freezes it (SIGSTOP): with no broker
acknowledgement the endpoint answers 503 with a transient OperationOutcome instead of a 201.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.gateway.encode_fhir import encode_fhir
from services.simulation.feed import FeedConfig, generate
from streams.broker import EmbeddedBroker
from tests.conftest import TEST_PARTITIONS
from tests.integration.pathway.harness import Worker, write_policy
from tests.streams.api_client import AUTH, TOKEN

pytestmark = [pytest.mark.broker, pytest.mark.slow]

_MAIN = "import sys; from streams.cli import main; sys.exit(main())"
HEADERS = {**AUTH, "Content-Type": "application/fhir+json"}
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
REPORTS = [
    m.event
    for m in generate(FeedConfig(seed=5, start=START, patients=8))
    if m.event is not None and m.event["event_type"] == "imaging_report"
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def worker(
    own_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Worker]:
    """`cordwatch worker` with the API (and so /fhir) on, on a broker of this module's own
    (tests/conftest.py `own_broker`): one test freezes it with SIGSTOP."""
    workdir = tmp_path_factory.mktemp("fhir-worker")
    async with Worker(
        own_broker.bootstrap, "cw-fhir", write_policy(workdir / "policy.yaml",
        steroids_s=86_400, surgical_s=86_400), workdir, name="fhir",
        argv=[sys.executable, "-c", _MAIN, "worker"],
        env={"CORDWATCH_API_TOKEN": TOKEN, "CORDWATCH_LOG_LEVEL": "WARNING"},
    ).serving() as running:  # fmt: skip
        yield running


def report_resource(index: int) -> bytes:
    raw = encode_fhir(REPORTS[index])
    assert raw is not None
    return raw


async def post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=90)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(f"{url}/fhir/DiagnosticReport", data=body, headers=HEADERS) as reply,
    ):
        return reply.status, json.loads(await reply.text())


async def fhir_inbound(bootstrap: str) -> list[bytes]:
    """Every record on fhir.inbound, read to the topic's end by a real consumer."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition("fhir.inbound", p) for p in range(TEST_PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(tps)
        found: list[bytes] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += [r.value for r in records]
        return found
    finally:
        await consumer.stop()


async def test_a_201_means_the_resource_is_already_on_fhir_inbound(
    own_broker: EmbeddedBroker, worker: Worker
) -> None:
    for index in range(2):
        raw = report_resource(index)
        status, body = await post(worker.url, raw)
        assert status == 201, body
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["diagnostics"] == "accepted: 1 event(s)"
        # Read right after the answer, with nothing awaited in between: the broker has it.
        assert (await fhir_inbound(own_broker.bootstrap)).count(raw) == 1


async def test_a_frozen_broker_gets_a_503_and_no_201(
    own_broker: EmbeddedBroker, worker: Worker
) -> None:
    raw = report_resource(2)
    os.kill(own_broker.pid, signal.SIGSTOP)  # the broker acknowledges nothing
    try:
        started = time.monotonic()
        status, body = await post(worker.url, raw)
        waited = time.monotonic() - started
    finally:
        os.kill(own_broker.pid, signal.SIGCONT)
    assert status == 503, body
    assert body["issue"][0]["code"] == "transient"
    assert waited >= 14.0  # it waited for the broker (STORE_TIMEOUT_SECONDS) before giving up
    # The sender, told 503, resends once the broker is back, and gets its 201. The frozen try may
    # also land after the thaw: the same resource id and version, which maps to the same event.
    status, body = await post(worker.url, raw)
    assert status == 201, body
    assert raw in await fhir_inbound(own_broker.bootstrap)
