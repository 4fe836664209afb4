"""At-least-once across a restart: a worker stopped mid-backlog loses nothing when it comes back.

SIGTERM lets Faust flush its producer and commit what it finished; the restarted worker (same
consumer group) resumes from the committed offsets. Duplicates are allowed by the contract
(downstream drops a seen event_id); a missing event is not.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.broker import EmbeddedBroker, free_port, spawn_owned, terminate
from tests.conftest import TEST_PARTITIONS, start_prepared_broker, stop_and_check
from tests.integration.pathway.harness import migrated_sqlite

pytestmark = [pytest.mark.broker, pytest.mark.e2e, pytest.mark.slow]
WORKER_MAIN = "import sys; from streams.cli import main; sys.exit(main(['worker']))"
TOTAL = 1500


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def private_broker() -> AsyncIterator[EmbeddedBroker]:
    embedded = await start_prepared_broker()
    yield embedded
    stop_and_check(embedded)


def event(i: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"restart-{i}",
            "event_type": "assessment",
            "occurred_at": "2026-03-02T10:20:00Z",
            "patient_id": f"MRN-R-{i % 50:03d}",
            "ecog": i % 5,
        }
    ).encode()


async def ingested(url: str, session: aiohttp.ClientSession) -> float:
    try:
        async with session.get(f"{url}/metrics") as response:
            text = await response.text()
    except aiohttp.ClientError:
        return 0.0
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("cordwatch_events_ingested_total{")
    )


async def run_worker_until(
    env: dict[str, str], log: Path, until: Callable[[], Awaitable[bool]]
) -> int:
    """Run a worker until `until()` holds (or 60 s pass), then SIGTERM it; its exit code."""
    with log.open("ab") as out:
        worker = spawn_owned([sys.executable, "-c", WORKER_MAIN], stdout=out, env=env)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not await until():
                assert worker.poll() is None, f"worker exited early; see {log}"
                await asyncio.sleep(0.05)
        finally:
            code = terminate(worker, grace=30.0)
    return code


class Outputs:
    """Canonical events seen on cordwatch.patient-events, by event_id."""

    def __init__(self, bootstrap: str) -> None:
        self.seen: Counter[str] = Counter()
        self.consumer = AIOKafkaConsumer(
            "cordwatch.patient-events",
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )

    async def read(self) -> int:
        batches = await self.consumer.getmany(timeout_ms=100)
        for records in batches.values():
            for record in records:
                value = json.loads(record.value)
                if value["event_type"] == "assessment":
                    self.seen[value["event_id"]] += 1
        return sum(len(records) for records in batches.values())

    async def drain(self) -> None:
        """Read until nothing new arrives for a second."""
        idle = time.monotonic()
        while time.monotonic() - idle < 1.0:
            if await self.read():
                idle = time.monotonic()


async def test_sigterm_mid_backlog_then_restart_loses_nothing(
    private_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    bootstrap = private_broker.bootstrap
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all")
    await producer.start()
    try:
        for i in range(TOTAL):
            key = json.loads(event(i))["patient_id"].encode()
            await producer.send("hospital.assessments", event(i), key=key)
        await producer.flush()
    finally:
        await producer.stop()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        # Ambient CORDWATCH_* settings (a developer's shell) must not leak into the worker.
        **{k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")},
        "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "CORDWATCH_PARTITIONS": str(TEST_PARTITIONS),
        "CORDWATCH_WEB_PORT": str(port),
        "CORDWATCH_APP_ID": "cordwatch-restart",
        "CORDWATCH_DATA_DIR": str(tmp_path / "var"),
        # The worker refuses a database behind the code's schema: give it a migrated one.
        "CORDWATCH_DATABASE_URL": migrated_sqlite(tmp_path / "audit.db"),
        "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": "4",
        "CORDWATCH_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "worker.log"
    outputs = Outputs(bootstrap)
    await outputs.consumer.start()
    try:

        async def some_done() -> bool:
            async with aiohttp.ClientSession() as session:
                return await ingested(url, session) >= 1

        async def all_seen() -> bool:
            await outputs.read()
            return len(outputs.seen) == TOTAL

        first_code = await run_worker_until(env, log, some_done)
        await outputs.drain()
        interrupted_at = len(outputs.seen)
        second_code = await run_worker_until(env, log, all_seen)
    finally:
        await outputs.consumer.stop()
    assert (first_code, second_code) == (0, 0)
    assert 0 < interrupted_at < TOTAL, "the stop did not land mid-backlog"
    missing = {f"restart-{i}" for i in range(TOTAL)} - set(outputs.seen)
    assert missing == set()
