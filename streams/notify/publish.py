"""Send acknowledgements to cordwatch.alert-acks, keyed by patient id, through the outbox.

Inside a worker (the notify role) the outbox is the worker's own, on Faust's producer; a process
without a worker (`cordwatch notify`, `cordwatch ack`) gets one on a producer of its own
(`own_outbox`). Either way a send returns only once the broker acknowledged it, and broker errors
are retried with the outbox's backoff and counted, for at most SEND_TIMEOUT_SECONDS: a person is
waiting on the answer, and "not sent, try again" beats a page that hangs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped,unused-ignore]
from prometheus_client import CollectorRegistry

from models.events import AlertAcknowledged
from services.config import Settings
from services.metrics import SendMetrics
from streams.broker import client_options
from streams.outbox import Outbox, Producer, Sender
from streams.topics import ALERT_ACKS

SENDER = "notify"  # the outbox's label on cordwatch_send_retries_total and ..._blocked_...
SEND_TIMEOUT_SECONDS = 15.0


class AckPublisher:
    """Acknowledgements through an outbox; ``send`` returns once the broker has the event."""

    def __init__(self, outbox: Sender, *, timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        self._outbox = outbox
        self._timeout = timeout

    async def send(self, event: AlertAcknowledged) -> None:
        """Publish one acknowledgement (the pathway partitions by patient id)."""
        record = (ALERT_ACKS, event.patient_id.encode("utf-8"), event.model_dump_json().encode())
        await asyncio.wait_for(self._outbox.send([record]), self._timeout)


class _KafkaProducer:
    """An aiokafka producer in the shape the outbox sends through (Faust's producer's)."""

    def __init__(self, producer: Any) -> None:
        self._producer = producer

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
    ) -> Awaitable[Any]:
        return await self._producer.send(topic, value=value, key=key, partition=partition)  # type: ignore[no-any-return]


@asynccontextmanager
async def own_outbox(settings: Settings, *, registry: CollectorRegistry) -> AsyncIterator[Outbox]:
    """An outbox on a producer of its own (acks=all, not idempotent: Tansu), counted on
    `registry`; the producer stops on exit."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=False,
        **client_options(settings),
    )
    await producer.start()
    adapter = _KafkaProducer(producer)

    async def source() -> Producer:
        return adapter

    try:
        yield Outbox(source, metrics=SendMetrics.create(registry, senders=[SENDER]), sender=SENDER)
    finally:
        await producer.stop()
