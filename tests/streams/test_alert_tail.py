"""The resend guard's read of cordwatch.alerts: bounded, retried, and never a stall of the agent."""

from __future__ import annotations

import asyncio

import pytest

from services.config import Settings
from streams.alert_tail import SentAlerts, read_alert_tail


async def test_a_read_that_does_not_finish_is_abandoned_and_tried_again() -> None:
    calls: list[int] = []

    async def first_hangs(settings: Settings, partition: int) -> set[str]:
        calls.append(partition)
        if len(calls) == 1:
            await asyncio.Event().wait()  # a position that is never reached
        return {"alert-1"}

    ids = await read_alert_tail(Settings(), 3, attempts=3, within=0.05, read_once=first_hangs)
    assert ids == {"alert-1"}
    assert calls == [3, 3]


async def test_after_the_last_attempt_the_timeout_goes_to_the_caller() -> None:
    async def hangs(settings: Settings, partition: int) -> set[str]:
        await asyncio.Event().wait()
        return set()

    with pytest.raises(TimeoutError):
        await read_alert_tail(Settings(), 0, attempts=2, within=0.02, read_once=hangs)


async def test_an_unreadable_tail_is_not_read_again_until_the_next_assignment() -> None:
    reads: list[int] = []

    async def broken(partition: int) -> set[str]:
        reads.append(partition)
        raise TimeoutError

    generation = [1]
    sent = SentAlerts(broken, lambda: generation[0])
    assert await sent.ids(1) == set()  # a possible resend beats a lost alert
    assert await sent.ids(1) == set()  # not another failing read for every alert
    generation[0] = 2
    await sent.ids(1)
    assert reads == [1, 1]
