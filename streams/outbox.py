"""The one way agents send: a batch of records, returned only once the broker acknowledged all.

An agent lets its input offsets commit only after `Outbox.send` returns, so a crash re-delivers
whatever was not acknowledged (at-least-once; ids downstream dedupe the resend). A broker error
retries the batch with capped, jittered exponential backoff, for as long as it takes: moving on
without the acknowledgement could lose an alert. Retries and the time spent waiting are counted
per sender (cordwatch_send_retries_total, cordwatch_send_blocked_seconds_total). A record the
broker can never take (over its size limit) is not retried: the caller parks the input instead.

Plain Kafka protocol: no idempotent or transactional producer (the embedded Tansu broker
rejects InitProducerId).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from prometheus_client import Counter

from streams.messages import Message

log = structlog.get_logger(__name__)


class Producer(Protocol):
    """Faust's producer as the outbox uses it: `send` enqueues, its result is the ack future."""

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
    ) -> Awaitable[Any]: ...


ProducerSource = Callable[[], Awaitable[Producer]]


class SendCounters(Protocol):
    """Where the outbox counts retries and blocked time (CordwatchMetrics, SendMetrics)."""

    @property
    def send_retries(self) -> Counter: ...
    @property
    def send_blocked(self) -> Counter: ...


class Sender(Protocol):
    """What agents send through (the Outbox; a list in unit tests)."""

    async def send(self, messages: Sequence[Message]) -> None:
        """Return once the broker has acknowledged every record."""
        ...


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter (a random wait up to the capped step)."""

    base_seconds: float = 0.1
    cap_seconds: float = 5.0

    def delay(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """How long to wait before retry number `attempt` (1-based)."""
        return draw() * min(self.cap_seconds, self.base_seconds * 2.0**attempt)


class Outbox:
    """Sends for one agent (`sender`, a label of the retry metrics) through the app's producer."""

    def __init__(
        self,
        producer: ProducerSource,
        *,
        metrics: SendCounters,
        sender: str,
        backoff: Backoff | None = None,
    ) -> None:
        self._producer = producer
        self._retries = metrics.send_retries.labels(sender)
        self._blocked = metrics.send_blocked.labels(sender)
        self._sender = sender
        self._backoff = backoff or Backoff()

    async def send(self, messages: Sequence[Message]) -> None:
        """Enqueue every record, then wait for every acknowledgement; retry on broker errors."""
        if not messages:
            return
        attempt = 0
        while True:
            try:
                producer = await self._producer()
                # Enqueue all, then wait for all: one broker round trip per batch, not per record.
                pending = [
                    await producer.send(topic, key, value, None, None, None)
                    for topic, key, value in messages
                ]
                await asyncio.gather(*pending)
                return
            except MessageSizeTooLargeError:
                raise  # never fits: retrying would block the partition for good
            except KafkaError as exc:
                attempt += 1
                self._retries.inc()
                wait = self._backoff.delay(attempt)
                log.warning("outbox.retry", sender=self._sender, error=type(exc).__name__)
                started = time.perf_counter()
                await asyncio.sleep(wait)
                self._blocked.inc(time.perf_counter() - started)
