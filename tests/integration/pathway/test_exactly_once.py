"""The pathway under Faust on the real embedded broker: every alert once, whatever happens.

(a) a worker SIGKILLed while timers are open is restarted, and every alert fires exactly once;
(b) the same events delivered twice produce the same alerts once;
(c) two workers in one consumer group split the partitions, and each alert appears once.
"Once" is checked twice: the distinct alert ids are exactly the expected ones (none lost), and
no alert id is carried by more than one message on cordwatch.alerts (none doubled).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from streams.patient_store import partition_for
from tests.conftest import TEST_PARTITIONS
from tests.integration.pathway.harness import (
    ALERTS,
    AlertWatch,
    Worker,
    ago,
    dexamethasone,
    publish,
    read_topic,
    report,
    unique,
    write_policy,
)
from tests.integration.pathway.polling import clock_past, until

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@contextlib.asynccontextmanager
async def running(*workers: Worker) -> AsyncIterator[None]:
    try:
        for worker in workers:
            worker.start()
        await asyncio.gather(*(w.wait_ready() for w in workers))
        yield
    finally:
        for worker in workers:
            worker.stop()


def assert_each_alert_once(watch: AlertWatch) -> None:
    doubled = {a: n for a, n in watch.copies_per_alert().items() if n > 1}
    assert doubled == {}, f"alert ids sent more than once: {doubled}"


def seconds(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


# The SIGKILL test's clock. Every instant it checks is derived from a measured event (the reports'
# clinical time, the moment the worker was seen dead, the moment it was started again), so a
# slow machine stretches the scenario instead of reordering it.
STEROIDS_S = 15.0  # due 13 s after the publish: the first worker pages within ~3 s here
SURGICAL_S = 30.0  # due 15 s after the steroid deadline: normally after the restart
ESCALATION_S = 5.0  # after each breach alert, which only the restarted worker sends
LATE_AFTER_S = 1.0  # policy: a deadline fired more than this after it passed is "detected late"


async def test_restart_after_sigkill_fires_every_breach_exactly_once(
    broker: str, tmp_path: Path
) -> None:
    prefix = unique("KILL")
    patients = [f"{prefix}-{i}" for i in range(6)]
    policy = write_policy(
        tmp_path / "policy.yaml",
        steroids_s=STEROIDS_S,
        surgical_s=SURGICAL_S,
        escalation_s=ESCALATION_S,
        late_after_s=LATE_AFTER_S,
    )
    worker = Worker(broker, unique("cw-kill"), policy, tmp_path, name="kill")
    folded = "cordwatch_pathway_events_total"
    async with AlertWatch(broker, prefix) as watch:
        try:
            worker.start()
            await worker.wait_ready()
            reports = [report(p, at=ago(2)) for p in patients]
            steroids_due = max(seconds(r["occurred_at"]) for r in reports) + STEROIDS_S
            await publish(broker, reports)
            await watch.wait_for("mescc_suspected", len(patients))
            # SIGKILL as soon as the states recording those alerts are in the table: their
            # changelog records and the input offsets may or may not have reached the broker.
            await until(
                lambda: has_at_least(worker, folded, len(patients), event_type="imaging_report"),
                "the first worker stores every patient's state",
            )
            worker.kill()
            killed_at = time.time()  # observed dead: the process has been reaped
            # No worker at all until every steroid deadline has passed by more than the policy's
            # late threshold: whatever fires them cannot have been watching at the deadline.
            restarted_at = await clock_past(steroids_due + LATE_AFTER_S)
            worker.start()
            await worker.wait_ready()
            for timer in ("steroids", "surgical_evaluation"):
                await watch.wait_for("timer_breached", len(patients), timer=timer, within=90)
                await watch.wait_for("escalation", len(patients), timer=timer, within=90)
            # Room for a duplicate: the restarted worker keeps scanning for 2 s more.
            quiet_from = time.time() + 2.0
            await until(
                lambda: has_at_least(worker, HEARTBEAT, quiet_from),
                "two more deadline scans after the last expected alert",
            )
        finally:
            worker.stop()
    # After the SIGTERM (producer flushed, worker gone) the topic holds everything ever sent.
    alerts = await alerts_for(broker, prefix)
    doubled = {a: n for a, n in Counter(a["alert_id"] for a in alerts).items() if n > 1}
    assert doubled == {}, f"alert ids sent more than once: {doubled}"
    for kind, timer in [
        ("mescc_suspected", None),
        ("timer_breached", "steroids"),
        ("timer_breached", "surgical_evaluation"),
        ("escalation", "steroids"),
        ("escalation", "surgical_evaluation"),
    ]:
        sent = [a["patient_id"] for a in alerts if a["alert_type"] == kind and a["timer"] == timer]
        assert Counter(sent) == Counter(patients), (kind, timer)
    assert all(seconds(a["at"]) < killed_at for a in alerts if a["alert_type"] == "mescc_suspected")
    breaches = [a for a in alerts if a["alert_type"] == "timer_breached"]
    # Every timer was still open when the worker was killed, and none fired before its deadline.
    assert all(seconds(a["due"]) > killed_at for a in breaches), "a deadline passed before the kill"
    assert all(seconds(a["at"]) >= seconds(a["due"]) for a in breaches)
    # Deadlines that passed while no worker was up fired after the restart, marked late.
    unwatched = [a for a in breaches if seconds(a["due"]) + LATE_AFTER_S < restarted_at]
    assert {a["patient_id"] for a in unwatched if a["timer"] == "steroids"} == set(patients)
    assert all(a["detected_late"] for a in unwatched)
    assert all(seconds(a["at"]) >= restarted_at for a in unwatched)


HEARTBEAT = "cordwatch_timer_service_heartbeat_timestamp_seconds"


async def has_at_least(worker: Worker, metric: str, value: float, **labels: str) -> bool:
    """True once the worker's metric (summed over matching samples) reaches `value`."""
    try:
        return await worker.metric(metric, **labels) >= value
    except aiohttp.ClientError:  # not serving yet, or between a kill and the restart
        return False


async def alerts_for(broker: str, prefix: str) -> list[dict[str, Any]]:
    """Every message on cordwatch.alerts for this test's patients, duplicates included."""
    dump = await read_topic(broker, ALERTS)
    alerts = [json.loads(value) for _, value in dump.records]
    return [a for a in alerts if a["patient_id"].startswith(prefix)]


async def test_events_delivered_twice_produce_each_alert_once(broker: str, tmp_path: Path) -> None:
    prefix = unique("TWICE")
    patients = [f"{prefix}-{i}" for i in range(4)]
    treated = patients[:2]
    policy = write_policy(tmp_path / "policy.yaml", steroids_s=6, surgical_s=3600)
    worker = Worker(broker, unique("cw-twice"), policy, tmp_path, name="twice")
    async with AlertWatch(broker, prefix) as watch, running(worker):
        events = [report(p, at=ago(1)) for p in patients]
        events += [dexamethasone(p, at=ago(0.5)) for p in treated]
        await publish(broker, events)
        await publish(broker, events)  # a sender retrying a whole batch
        # And redelivery after ingest: the canonical events again on the patient stream.
        await publish(broker, events, topic="cordwatch.patient-events")
        await watch.wait_for("mescc_suspected", len(patients))
        await watch.wait_for("timer_breached", len(patients) - len(treated), timer="steroids")
        for _ in range(100):  # until every copy has reached the agent
            if await worker.metric("cordwatch_pathway_noop_events_total") >= 2 * len(events):
                break
            await asyncio.sleep(0.1)
        assert await worker.metric("cordwatch_pathway_noop_events_total") >= 2 * len(events)
        await asyncio.sleep(1.5)
    assert_each_alert_once(watch)
    assert sorted(a["patient_id"] for a in watch.of("mescc_suspected")) == sorted(patients)
    breached = sorted(a["patient_id"] for a in watch.of("timer_breached"))
    assert breached == sorted(set(patients) - set(treated))
    assert watch.of("breach_retracted") == []
    # Faust created the table's changelog on Tansu co-partitioned with the patient stream,
    # holding each patient's state as plain JSON.
    changelog = f"{worker.app_id}-patients-changelog"
    states = await read_topic(broker, changelog)
    assert len(states.partitions) == TEST_PARTITIONS
    # (A new group reads the shared patient stream from the start: earlier tests' patients too.)
    stored = {json.loads(v)["patient_id"] for _, v in states.records}
    assert {p for p in stored if p.startswith(prefix)} == set(patients)
    assert all(partition_for(k, TEST_PARTITIONS) == p for p, (k, _) in states.keyed())


async def test_two_workers_split_partitions_and_each_alert_appears_once(
    broker: str, tmp_path: Path
) -> None:
    prefix = unique("PAIR")
    candidates = (f"{prefix}-{i}" for i in range(1000))
    by_partition: dict[int, list[str]] = {p: [] for p in range(TEST_PARTITIONS)}
    for patient in candidates:  # two patients on every partition
        slot = by_partition[partition_for(patient.encode(), TEST_PARTITIONS)]
        if len(slot) < 2:
            slot.append(patient)
        if all(len(s) == 2 for s in by_partition.values()):
            break
    patients = [p for slot in by_partition.values() for p in slot]
    policy = write_policy(tmp_path / "policy.yaml", steroids_s=6, surgical_s=3600)
    app_id = unique("cw-pair")
    first = Worker(broker, app_id, policy, tmp_path, name="one")
    second = Worker(broker, app_id, policy, tmp_path, name="two")
    async with AlertWatch(broker, prefix) as watch, running(first, second):
        await publish(broker, [report(p, at=ago(1)) for p in patients])
        await watch.wait_for("mescc_suspected", len(patients))
        await watch.wait_for("timer_breached", len(patients), timer="steroids")
        await asyncio.sleep(1.5)
        work = [await w.metric("cordwatch_pathway_events_total") for w in (first, second)]
        scans = [await w.metric("cordwatch_timer_due_sent_total") for w in (first, second)]
    assert_each_alert_once(watch)
    assert sorted(a["patient_id"] for a in watch.of("mescc_suspected")) == sorted(patients)
    assert sorted(a["patient_id"] for a in watch.of("timer_breached")) == sorted(patients)
    # Both members folded events and both scanned their own partitions' deadlines.
    assert all(n > 0 for n in work), work
    assert all(n > 0 for n in scans), scans


async def test_state_lost_after_alerts_were_sent_does_not_resend_them(
    broker: str, tmp_path: Path
) -> None:
    # The crash window at-least-once leaves: alerts acknowledged, the state that records them
    # lost. A second app id has an empty table and reads the patient stream from the start,
    # which is exactly that situation for every event the first one handled.
    prefix = unique("LOST")
    patients = [f"{prefix}-{i}" for i in range(4)]
    policy = write_policy(tmp_path / "policy.yaml", steroids_s=3600, surgical_s=3600)
    first = Worker(broker, unique("cw-lost"), policy, tmp_path, name="first")
    amnesiac = Worker(broker, unique("cw-lost"), policy, tmp_path, name="amnesiac")
    async with AlertWatch(broker, prefix) as watch:
        async with running(first):
            await publish(broker, [report(p, at=ago(1)) for p in patients])
            await watch.wait_for("mescc_suspected", len(patients))
        async with running(amnesiac):
            skipped = "cordwatch_pathway_resent_alerts_skipped_total"
            for _ in range(150):
                if await amnesiac.metric(skipped) >= len(patients):
                    break
                await asyncio.sleep(0.1)
            assert await amnesiac.metric(skipped) >= len(patients)
            await asyncio.sleep(1.0)
    assert_each_alert_once(watch)
    assert sorted(a["patient_id"] for a in watch.of("mescc_suspected")) == sorted(patients)
