"""A worker SIGKILLed twice mid-flood, once during ingest and once during the pathway, loses no
inbound message and sends no alert id twice; what it sent equals `cordwatch replay` of the input.

Thousands of messages (a suspicious report and a steroid dose for each of many patients) go to
the inbound topics as fast as the broker takes them. The worker is killed while ingest is part
way through them, restarted, killed again while the pathway is part way through its alerts, and
restarted. Then: every inbound event id is on cordwatch.patient-events (nothing lost at ingest,
duplicates allowed there); no alert id is on cordwatch.alerts twice; and the alert ids are
exactly those the replay driver (what `cordwatch replay` runs) computes from the same events
with the same stand-in detector.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from services.pathway.replay import read_lines, replay
from services.policy import load_policy
from tests.conftest import start_prepared_broker, stop_and_check
from tests.integration.pathway.harness import (
    ALERTS,
    TOPIC_FOR,
    AlertWatch,
    Worker,
    ago,
    dexamethasone,
    now_utc,
    read_topic,
    report,
    unique,
    write_policy,
)
from tests.unit.pathway.helpers import fake_detect

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PATIENTS = 1500  # 3 000 inbound messages


async def flood(bootstrap: str, events: list[dict[str, Any]]) -> None:
    """Every event, as fast as the broker acknowledges them (acks=all, plain producer)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5
    )
    await producer.start()
    try:
        pending = [
            await producer.send(
                TOPIC_FOR[e["event_type"]],
                key=e["patient_id"].encode(),
                value=json.dumps(e).encode(),
            )
            for e in events
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if await check():
                return
        except Exception:  # not serving yet
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {within:.0f}s: {what}")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def broker() -> AsyncIterator[str]:
    """A broker of this module's own: every later test's new worker group reads the shared
    patient stream from its start, and this flood's thousands of events would come first."""
    embedded = await start_prepared_broker()
    try:
        yield embedded.bootstrap
    finally:
        stop_and_check(embedded)


async def test_sigkill_mid_flood_loses_nothing_and_doubles_no_alert(
    broker: str, tmp_path: Path
) -> None:
    prefix = unique("FLOOD")
    patients = [f"{prefix}-{i}" for i in range(PATIENTS)]
    # Long windows: only the suspicion alerts fire during the test, as in the replay to now.
    policy_path = write_policy(tmp_path / "policy.yaml", steroids_s=86_400, surgical_s=86_400)
    at = ago(60)
    events = [report(p, at=at) for p in patients] + [dexamethasone(p, at=at) for p in patients]
    worker = Worker(broker, unique("cw-flood"), policy_path, tmp_path, name="flood")
    ingested = "cordwatch_events_ingested_total"
    async with AlertWatch(broker, prefix) as watch:
        try:
            worker.start()
            await worker.wait_ready()
            sending = asyncio.create_task(flood(broker, events))
            # 1. SIGKILL during ingest: some of the flood forwarded, most not yet.
            await until(lambda: _at_least(worker, ingested, len(events) // 6), "ingest under way")
            worker.kill()
            ingest_killed_after = len({a["alert_id"] for a in watch.messages})
            worker.start()
            await worker.wait_ready()
            await sending
            # 2. SIGKILL during the pathway: some alerts out, many to come.
            await watch.wait_for("mescc_suspected", PATIENTS // 3, within=180)
            worker.kill()
            pathway_killed_after = len({a["alert_id"] for a in watch.messages})
            worker.start()
            await worker.wait_ready()
            await watch.wait_for("mescc_suspected", PATIENTS, within=240)
            await asyncio.sleep(3.0)  # room for a late duplicate
        finally:
            worker.stop()
    assert ingest_killed_after < PATIENTS  # the kills were mid-flood, not after it
    assert pathway_killed_after < PATIENTS

    # No inbound message lost: each event id reached the patient stream (maybe twice).
    stream = await read_topic(broker, "cordwatch.patient-events")
    forwarded = {json.loads(v)["event_id"] for k, v in stream.records if k.startswith(b"FLOOD")}
    assert {e["event_id"] for e in events} <= forwarded

    # No alert id twice, and exactly the alerts the replay of the same input sends.
    dump = await read_topic(broker, ALERTS)
    ours = [
        json.loads(v) for _, v in dump.records if json.loads(v)["patient_id"].startswith(prefix)
    ]
    doubled = {a: n for a, n in Counter(a["alert_id"] for a in ours).items() if n > 1}
    assert doubled == {}, f"alert ids sent more than once: {len(doubled)}"
    _, outputs = replay(
        read_lines(json.dumps(e) for e in events),
        policy=load_policy(policy_path),
        until=now_utc(),
        detector=fake_detect,
    )
    expected = {
        o.alert_id
        for o in outputs
        if getattr(o, "alert_id", None) and o.patient_id.startswith(prefix)
    }  # type: ignore[attr-defined]
    assert expected, "the replay sends alerts"
    assert {a["alert_id"] for a in ours} == expected


async def _at_least(worker: Worker, metric: str, value: float) -> bool:
    return await worker.metric(metric) >= value
