"""A notify group's first start on the real broker pages no history: the shared test broker's
cordwatch.alerts holds every earlier test's alerts (a first deployment's topic holds months), and
the new group pages only alerts younger than CORDWATCH_NOTIFY_PAGE_WITHIN_MINUTES. Restarted, the
same group pages what came after its commit however old, and never what precedes
CORDWATCH_PAGE_AFTER."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped,unused-ignore]

from models.outputs import Alert, AlertType, Priority
from services.alerts.delivery import Attempt, Notifier
from services.config import Settings
from streams.notify import loop

pytestmark = [pytest.mark.broker, pytest.mark.slow]


class Recorder:
    """Stands in for the Notifier: the loop's history rule is under test, not delivery."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def handle(self, alert: Alert) -> list[Attempt]:
        self.seen.append(alert.alert_id)
        return []

    def held_ids(self) -> set[str]:
        return set()

    async def flush(self) -> list[Attempt]:
        return []

    async def notice_silences(self) -> list[Attempt]:
        return []


def _alert(alert_id: str, at: datetime) -> Alert:
    # One patient, so one partition in publish order: the later alert being handled proves the
    # loop read (and skipped or paged) the ones before it.
    run = alert_id.split("-")[0]
    return Alert(
        alert_id=alert_id,
        alert_type=AlertType.MESCC_SUSPECTED,
        priority=Priority.CRITICAL,
        episode_id=f"ep-{alert_id}",
        patient_id=f"MRN-{run}",
        facility="NORTH",
        at=at,
        summary="Suspected MESCC T7.",
    )


async def _publish(broker: str, alerts: list[Alert]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    try:
        for a in alerts:
            await producer.send_and_wait(
                loop.ALERTS_TOPIC, key=a.patient_id.encode(), value=a.model_dump_json().encode()
            )
    finally:
        await producer.stop()


async def _consume_until(settings: Settings, wanted: str) -> list[str]:
    """Run the notify loop until it has handled ``wanted`` (and committed that batch)."""
    recorder = Recorder()
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(settings, notifier=cast(Notifier, recorder), stop=stop))
    try:
        deadline = asyncio.get_running_loop().time() + 120
        while wanted not in recorder.seen:
            assert asyncio.get_running_loop().time() < deadline, "the loop never reached it"
            assert not task.done(), task.exception()
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)
    return recorder.seen


async def test_a_new_group_skips_history_and_a_resumed_group_pages_what_it_missed(
    broker: str,
) -> None:
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    hours = timedelta(hours=1)
    settings = Settings(
        kafka_bootstrap=broker, app_id=f"cw-history-{run}", notify_page_within_minutes=15
    )
    await _publish(
        broker,
        [_alert(f"{run}-old", now - 2 * hours), _alert(f"{run}-young", now - timedelta(minutes=1))],
    )
    first = _consume_until(settings, f"{run}-young")
    seen = [a for a in await first if a.startswith(run)]
    assert seen == [f"{run}-young"]  # two hours old: history for a group that never paged
    # Stopped, then alerts arrive while it is down: the restarted group resumes from its commit
    # and pages the two-hour-old one it never delivered, but not one before CORDWATCH_PAGE_AFTER.
    await _publish(
        broker,
        [
            _alert(f"{run}-ancient", now - 5 * hours),
            _alert(f"{run}-missed", now - 2 * hours),
            _alert(f"{run}-last", now),
        ],
    )
    resumed = settings.model_copy(update={"page_after": now - 4 * hours})
    seen = [a for a in await _consume_until(resumed, f"{run}-last") if a.startswith(run)]
    assert seen == [f"{run}-missed", f"{run}-last"]
