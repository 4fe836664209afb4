"""The outbox: returns only once every record is acknowledged; broker errors retried, counted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from prometheus_client import CollectorRegistry

from services.metrics import CordwatchMetrics
from streams import topics
from streams.outbox import Backoff, Outbox


class Producer:
    """Acknowledges each send only when the test says so; can refuse the first attempts."""

    def __init__(self, refuse: int = 0, error: type[Exception] = KafkaTimeoutError) -> None:
        self.refuse, self.error = refuse, error
        self.sent: list[tuple[str, bytes | None, bytes, Any]] = []
        self.acks: list[asyncio.Future[None]] = []
        self.all_enqueued = asyncio.Event()

    async def send(self, topic: str, key: bytes | None, value: bytes, *rest: Any) -> Any:
        if self.refuse:
            self.refuse -= 1
            raise self.error()
        self.sent.append((topic, key, value, rest))
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        if len(self.acks) == len(MESSAGES):
            self.all_enqueued.set()
        return ack


MESSAGES = [(topics.ALERTS, b"MRN-1", b"{}"), (topics.EPISODE_CHANGES, b"MRN-1", b"{}")]


def outbox(producer: Producer, metrics: CordwatchMetrics, backoff: Backoff | None = None) -> Outbox:
    async def source() -> Producer:
        return producer

    return Outbox(source, metrics=metrics, sender="pathway", backoff=backoff)


@pytest.fixture
def metrics() -> CordwatchMetrics:
    return CordwatchMetrics.create(CollectorRegistry())


async def test_send_returns_only_once_every_record_is_acknowledged(
    metrics: CordwatchMetrics,
) -> None:
    producer = Producer()
    sending = asyncio.create_task(outbox(producer, metrics).send(MESSAGES))
    await asyncio.wait_for(producer.all_enqueued.wait(), 1)
    # Both enqueued before any acknowledgement: one round trip for the batch.
    assert [(t, k, v) for t, k, v, _ in producer.sent] == MESSAGES
    producer.acks[0].set_result(None)
    await asyncio.sleep(0.01)
    assert not sending.done()
    producer.acks[1].set_result(None)
    await asyncio.wait_for(sending, 1)
    # Partition, timestamp and headers left to the producer: the key picks the partition.
    assert all(rest == (None, None, None) for *_, rest in producer.sent)


async def test_a_broker_error_is_retried_counted_and_nothing_lost(
    metrics: CordwatchMetrics,
) -> None:
    producer = Producer(refuse=2)
    quick = Backoff(base_seconds=0.01, cap_seconds=0.02)
    sending = asyncio.ensure_future(outbox(producer, metrics, quick).send(MESSAGES))
    await asyncio.wait_for(producer.all_enqueued.wait(), 2)
    for ack in producer.acks:
        ack.set_result(None)
    await sending
    assert [(t, k, v) for t, k, v, _ in producer.sent] == MESSAGES
    registry = metrics.registry
    labels = {"sender": "pathway"}
    assert registry.get_sample_value("cordwatch_send_retries_total", labels) == 2
    blocked = registry.get_sample_value("cordwatch_send_blocked_seconds_total", labels)
    assert blocked is not None
    assert blocked > 0
    # every sender's series exists at zero from the start
    assert registry.get_sample_value("cordwatch_send_retries_total", {"sender": "ingest"}) == 0


async def test_a_record_too_large_for_the_broker_is_not_retried(metrics: CordwatchMetrics) -> None:
    producer = Producer(refuse=1, error=MessageSizeTooLargeError)
    with pytest.raises(MessageSizeTooLargeError):
        await asyncio.wait_for(outbox(producer, metrics).send(MESSAGES), 1)


def test_backoff_is_capped_and_jittered() -> None:
    backoff = Backoff(base_seconds=0.1, cap_seconds=5.0)
    assert backoff.delay(1, lambda: 1.0) == pytest.approx(0.2)
    assert backoff.delay(10, lambda: 1.0) == 5.0  # capped
    assert backoff.delay(10, lambda: 0.25) == 1.25  # a random share of the capped step
    assert backoff.delay(3, lambda: 0.0) == 0.0
