"""How agents read: batches of messages, each acknowledged only after its handler returned.

Manual acks: an offset becomes committable only once its batch is done. (Faust's take_events
acks in a `finally`, so a stop that cancels a batch mid-send would commit what it never did.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from faust.streams import Stream
from faust.types import EventT, StreamT
from structlog.contextvars import bound_contextvars

from streams.messages import Inbound

BatchHandler = Callable[[list[Inbound]], Awaitable[None]]


async def consume_batches(
    stream: StreamT[bytes], handle: BatchHandler, *, size: int, within: float
) -> None:
    """Up to `size` messages at a time (a lone one waits at most `within` s), then ack them."""
    # faust types noack_take as yielding values; it yields the events themselves.
    taking = cast(Stream[bytes], stream).noack_take(size, within=within)
    async for taken in taking:
        events = cast("list[EventT[bytes]]", taken)
        batch = [
            Inbound(m.topic, m.partition, m.offset, m.key, m.value or b"")
            for m in (e.message for e in events)
        ]
        with bound_contextvars(batch=len(batch)):
            await handle(batch)
        for event in events:
            await stream.ack(event)
