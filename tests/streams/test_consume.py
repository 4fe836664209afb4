"""consume_batches: each batch is acked only once its handler's wait is over, in batch order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from types import SimpleNamespace
from typing import Any, cast

from faust.types import StreamT

from streams.agents.consume import consume_batches
from streams.messages import Inbound


class Stream:
    """What consume_batches uses of a Faust stream: noack_take and ack."""

    def __init__(self, *batches: list[int]) -> None:
        self.batches = batches
        self.acked: list[int] = []

    async def noack_take(self, size: int, within: float) -> AsyncIterator[list[Any]]:
        for offsets in self.batches:
            message = SimpleNamespace(topic="t", partition=0, key=b"k", value=b"v")
            yield [
                SimpleNamespace(message=SimpleNamespace(**vars(message), offset=o)) for o in offsets
            ]

    async def ack(self, event: Any) -> bool:
        self.acked.append(event.message.offset)
        return True


async def test_a_batch_is_acked_after_its_wait_and_the_batches_before_it() -> None:
    stream = Stream([1, 2], [3], [4])
    loop = asyncio.get_running_loop()
    waits = [loop.create_future() for _ in range(3)]
    seen: list[list[int | None]] = []

    async def handle(batch: list[Inbound]) -> Awaitable[None]:
        seen.append([m.offset for m in batch])
        return waits[len(seen) - 1]

    # Every batch is handled at once: none waits for the changelog of the one before.
    await consume_batches(cast(StreamT[bytes], stream), handle, size=10, within=0.01)
    assert seen == [[1, 2], [3], [4]]
    assert stream.acked == []
    waits[1].set_result(None)  # the second batch is stored before the first: it waits
    await asyncio.sleep(0.01)
    assert stream.acked == []
    waits[0].set_result(None)
    await asyncio.sleep(0.01)
    assert stream.acked == [1, 2, 3]
    waits[2].set_result(None)
    await asyncio.sleep(0.01)
    assert stream.acked == [1, 2, 3, 4]


async def test_a_handler_with_nothing_to_wait_for_acks_at_once() -> None:
    stream = Stream([1], [2])

    async def handle(batch: list[Inbound]) -> None:
        return None

    await consume_batches(cast(StreamT[bytes], stream), handle, size=10, within=0.01)
    assert stream.acked == [1, 2]
