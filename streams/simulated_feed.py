"""Produce a simulated feed to the inbound topics at a steady rate (`cordwatch simulate`, the demo).

Its own module so that the demo and the CLI both use it without importing each other.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from services.simulation import SimMessage


class Door(Protocol):
    """Another way in for some messages (the demo's MLLP listener and FHIR endpoint)."""

    def takes(self, message: SimMessage) -> bool:
        """Whether this message goes through the door instead of its JSON topic."""
        ...

    async def send(self, message: SimMessage) -> str:
        """Send it, acknowledged; the inbound topic it went to."""
        ...


async def produce(
    messages: Iterable[SimMessage],
    *,
    bootstrap: str,
    options: dict[str, Any],
    partitions: int,
    rate: float,
    duration: float | None,
    follow: bool,
    counts: Counter[str],
    door: Door | None = None,
    make_producer: Callable[..., Any] | None = None,
    ensure_topics: Callable[..., Awaitable[list[str]]] | None = None,
) -> None:
    """Publish in feed order at ``rate`` messages/s; with ``follow``, not before publish_at.

    Messages ``door`` takes go through it (one at a time, each acknowledged) instead.
    ``make_producer`` (aiokafka's producer class) and ``ensure_topics`` (the broker's topic
    creation) are replaced by tests that have no broker.
    """
    from services.simulation import INBOUND_TOPICS

    if make_producer is None:
        from aiokafka import AIOKafkaProducer

        make_producer = AIOKafkaProducer
    if ensure_topics is None:
        from streams import broker

        ensure_topics = broker.ensure_topics

    # Missing topics get the deployment's partition count: a patient must land on the same
    # partition number on every topic (DESIGN.md section 2).
    await ensure_topics(
        bootstrap, INBOUND_TOPICS, partitions=partitions, replication=1, options=options
    )
    # The embedded Tansu broker refuses idempotent producers; acks=all keeps what was acked.
    producer = make_producer(
        bootstrap_servers=bootstrap,
        enable_idempotence=False,
        acks="all",
        linger_ms=5,
        **options,
    )
    await producer.start()
    loop = asyncio.get_running_loop()
    began = loop.time()
    interval = 1.0 / rate if rate > 0 else 0.0
    next_slot = began
    in_flight: list[asyncio.Future[Any]] = []
    try:
        for message in messages:
            wait = next_slot - loop.time()
            if follow:
                wait = max(wait, (message.publish_at - datetime.now(UTC)).total_seconds())
            if duration is not None and loop.time() + max(wait, 0.0) - began > duration:
                break
            if wait > 0:
                await asyncio.sleep(wait)
            next_slot = max(next_slot, loop.time()) + interval
            if door is not None and door.takes(message):
                counts[await door.send(message)] += 1
                continue
            in_flight.append(
                await producer.send(message.topic, value=message.value, key=message.key.encode())
            )
            counts[message.topic] += 1
            if not message.valid:
                counts["(invalid)"] += 1
            if len(in_flight) >= 500:
                await asyncio.gather(*in_flight)
                in_flight.clear()
        await producer.flush()
        await asyncio.gather(*in_flight)
    finally:
        await producer.stop()
