"""How agents read: batches of messages, each acknowledged only after its handler returned.

Manual acks: an offset becomes committable only once its batch is done. (Faust's take_events
acks in a `finally`, so a stop that cancels a batch mid-send would commit what it never did.)
A handler may return what its batch still waits for (the pathway: the changelog's
acknowledgement of its states): the next batch is taken at once, and this batch is acked once
that completes, after every batch before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import cast

from faust.streams import Stream
from faust.types import EventT, StreamT
from structlog.contextvars import bound_contextvars

from streams.messages import Inbound

BatchHandler = Callable[[list[Inbound]], Awaitable[Awaitable[None] | None]]


async def consume_batches(
    stream: StreamT[bytes], handle: BatchHandler, *, size: int, within: float
) -> None:
    """Up to `size` messages at a time (a lone one waits at most `within` s), then ack them."""
    # faust types noack_take as yielding values; it yields the events themselves.
    taking = cast(Stream[bytes], stream).noack_take(size, within=within)
    acking: asyncio.Future[None] | None = None  # the acks of the batches still waiting
    async for taken in taking:
        events = cast("list[EventT[bytes]]", taken)
        batch = [
            Inbound(m.topic, m.partition, m.offset, m.key, m.value or b"")
            for m in (e.message for e in events)
        ]
        with bound_contextvars(batch=len(batch)):
            waiting = await handle(batch)
        if acking is not None and acking.done():
            acking.result()  # a batch before failed to complete: stop, nothing after it commits
            acking = None
        if waiting is None and acking is None:
            for event in events:
                await stream.ack(event)
        else:
            acking = asyncio.ensure_future(_ack_after(stream, events, waiting, acking))


async def _ack_after(
    stream: StreamT[bytes],
    events: Sequence[EventT[bytes]],
    waiting: Awaitable[None] | None,
    before: Awaitable[None] | None,
) -> None:
    """Ack `events` once the batches before them are acked and their batch has completed."""
    if before is not None:
        await before
    if waiting is not None:
        await waiting
    for event in events:
        await stream.ack(event)
