"""Failure isolation: with the audit database down, a page still goes out at once.

Production runs the ingest and pathway roles in one worker and the sink in another with its own
consumer group (CORDWATCH_ROLES). Here the sink worker's database is a closed PostgreSQL port:
it holds the alerts partitions and cannot write, while the other worker turns a suspected-MESCC
report into its mescc_suspected alert.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from streams.broker import free_port
from tests.integration.pathway.harness import (
    AlertWatch,
    Worker,
    ago,
    publish,
    report,
    unique,
    write_policy,
)

pytestmark = [pytest.mark.broker, pytest.mark.slow]

# Generous for a 2-core machine; the point is "not waiting for the database", which never comes.
PROMPTLY_SECONDS = 20.0


async def readiness(worker: Worker) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{worker.url}/ready") as r:
        return await r.json()  # type: ignore[no-any-return]


async def wait_stuck_sink(worker: Worker, within: float = 40.0) -> dict[str, Any]:
    """Until the sink worker holds partitions and says its database is unavailable."""
    deadline = time.monotonic() + within
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        assert worker.process is not None
        if worker.process.poll() is not None:
            raise AssertionError(f"sink worker exited:\n{worker.log_tail()}")
        try:
            last = await readiness(worker)
        except aiohttp.ClientError:
            last = {}
        if (
            last.get("partitions_assigned", 0) > 0
            and not last.get("rebalancing", True)
            and last.get("sink_ok") is False
        ):
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"sink worker not stuck as expected: {last}\n{worker.log_tail()}")


async def test_alert_goes_out_while_the_sink_cannot_write(broker: str, tmp_path: Path) -> None:
    app_id = unique("iso")
    prefix = unique("p")
    policy = write_policy(tmp_path / "policy.yaml", steroids_s=3600, surgical_s=3600)
    alerting = Worker(
        broker, app_id, policy, tmp_path, name="alerting", env={"CORDWATCH_ROLES": "ingest,pathway"}
    )
    closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2"
    sink = Worker(
        broker,
        app_id,
        policy,
        tmp_path,
        name="sink",
        env={"CORDWATCH_ROLES": "sink", "CORDWATCH_DATABASE_URL": closed},
    )
    try:
        alerting.start()
        sink.start()
        await alerting.wait_ready()
        stuck = await wait_stuck_sink(sink)
        assert stuck["database_ok"] is False
        assert stuck["sink_reason"].startswith("database unavailable")

        async with AlertWatch(broker, prefix) as watch:
            patient = f"{prefix}-1"
            sent_at = time.monotonic()
            await publish(broker, [report(patient, at=ago(1))])
            await watch.wait_for("mescc_suspected", 1, within=PROMPTLY_SECONDS)
            waited = time.monotonic() - sent_at

        (alert,) = watch.of("mescc_suspected")
        assert alert["patient_id"] == patient
        assert alert["priority"] == "critical"
        # The page went out while the sink still could not write a single row.
        still = await readiness(sink)
        assert still["sink_ok"] is False
        assert still["partitions_assigned"] > 0
        assert waited < PROMPTLY_SECONDS
    finally:
        alerting.stop()
        sink.stop()
