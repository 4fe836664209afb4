"""How agents read: batches of messages, each acknowledged only after its handler returned.

Manual acks: an offset becomes committable only once its batch is done. (Faust's take_events
acks in a `finally`, so a stop that cancels a batch mid-send would commit what it never did.)
Batches are taken by `take`, Faust's `noack_take` woken by the first event of a batch instead
of every `within` seconds: with eleven agents polling every 10 ms, an idle worker spent a fifth
of a core waking up to find nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, cast

from faust.streams import Stream
from faust.types import EventT, StreamT
from mode.utils.futures import notify
from structlog.contextvars import bound_contextvars

from streams.messages import Inbound

BatchHandler = Callable[[list[Inbound]], Awaitable[None]]


async def take(
    stream: StreamT[bytes], size: int, within: float
) -> AsyncIterator[list[EventT[bytes]]]:
    """Up to `size` events, unacked, once `within` s passed after the first (or the batch is full).

    Faust's `Stream.noack_take` (faust-streaming 0.11+), except that it waits for the first event
    of a batch rather than polling for one every `within` seconds.
    """
    faust_stream = cast(Stream[bytes], stream)
    buffer: list[EventT[bytes]] = []
    first, full, consumed = asyncio.Event(), asyncio.Event(), asyncio.Event()
    consuming: asyncio.Future[None] | None = None

    async def add_to_buffer(value: Any) -> Any:
        # Runs in Faust's passive drainer for every event of the stream.
        nonlocal consuming
        if consuming is not None:  # the batch is being handled: wait until it is done
            try:
                await consuming
            finally:
                consuming = None
        event = faust_stream.current_event
        if event is None:
            raise RuntimeError("take found no current event")
        buffer.append(event)
        first.set()
        if len(buffer) >= size:
            full.set()
            consumed.clear()
            await faust_stream.wait(consumed)  # type: ignore[arg-type]
        return value

    enable_acks = faust_stream.enable_acks
    faust_stream.enable_acks = False  # acked by the caller once a batch is done
    faust_stream.add_processor(add_to_buffer)
    faust_stream._enable_passive(cast(Any, aiter(faust_stream.channel)))
    try:
        while not faust_stream.should_stop:
            await faust_stream.wait_for_stopped(first)  # type: ignore[arg-type]
            if not full.is_set():
                await faust_stream.wait_for_stopped(full, timeout=within)  # type: ignore[arg-type]
            if buffer:
                consuming = asyncio.get_running_loop().create_future()
                try:
                    yield list(buffer)
                finally:
                    buffer.clear()
                    first.clear()
                    notify(consuming)
                    full.clear()
                    consumed.set()
    finally:
        faust_stream.enable_acks = enable_acks
        faust_stream._processors.remove(add_to_buffer)


async def consume_batches(
    stream: StreamT[bytes], handle: BatchHandler, *, size: int, within: float
) -> None:
    """Up to `size` messages at a time (a lone one waits at most `within` s), then ack them."""
    async for events in take(stream, size, within):
        batch = [
            Inbound(m.topic, m.partition, m.offset, m.key, m.value or b"")
            for m in (e.message for e in events)
        ]
        with bound_contextvars(batch=len(batch)):
            await handle(batch)
        for event in events:
            await stream.ack(event)


class Overlapping(Protocol):
    """A handler that finishes batches in the background, in order (the pathway's pipeline)."""

    async def submit(self, batch: list[Inbound], ack: Callable[[], Awaitable[None]]) -> None: ...
    async def drain(self) -> None: ...
    def cancel(self) -> None: ...


async def consume_overlapped(
    stream: StreamT[bytes], handler: Overlapping, *, size: int, within: float
) -> None:
    """As `consume_batches`, but a batch's events are acked by its `ack`, called by `handler`
    once the batch is done, while the next batches are already being read."""
    try:
        async for events in take(stream, size, within):
            batch = [
                Inbound(m.topic, m.partition, m.offset, m.key, m.value or b"")
                for m in (e.message for e in events)
            ]

            async def ack(events: list[EventT[bytes]] = events) -> None:
                for event in events:
                    await stream.ack(event)

            with bound_contextvars(batch=len(batch)):
                await handler.submit(batch, ack)
        await handler.drain()
    except BaseException:
        handler.cancel()  # unacked events are redelivered; none may be acked after a stop
        raise
