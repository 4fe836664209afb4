"""The pathway's producer sink: outputs acknowledged before emit returns; Kafka errors retried."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest import mock

from aiokafka.errors import KafkaTimeoutError

from streams import topics
from streams.agents import pathway


class Producer:
    """Acknowledges each send only when the test says so; can refuse the first attempts."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.sent: list[tuple[str, bytes, bytes, Any]] = []
        self.acks: list[asyncio.Future[None]] = []
        self.all_enqueued = asyncio.Event()

    async def send(self, topic: str, key: bytes, value: bytes, *rest: Any) -> asyncio.Future[None]:
        if self.refuse:
            self.refuse -= 1
            raise KafkaTimeoutError()
        self.sent.append((topic, key, value, rest))
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        if len(self.acks) == len(MESSAGES):
            self.all_enqueued.set()
        return ack


MESSAGES = [(topics.ALERTS, b"MRN-1", b"{}"), (topics.EPISODE_CHANGES, b"MRN-1", b"{}")]


async def test_emit_returns_only_once_every_output_is_acknowledged() -> None:
    producer = Producer()
    with mock.patch.object(
        pathway.app, "maybe_start_producer", mock.AsyncMock(return_value=producer)
    ):
        emitting = asyncio.create_task(pathway.TopicSink().emit(MESSAGES))
        await asyncio.wait_for(producer.all_enqueued.wait(), 1)
        # Both enqueued before any acknowledgement: one round trip for the batch.
        assert [(t, k, v) for t, k, v, _ in producer.sent] == MESSAGES
        producer.acks[0].set_result(None)
        await asyncio.sleep(0.01)
        assert not emitting.done()
        producer.acks[1].set_result(None)
        await asyncio.wait_for(emitting, 1)
    # Partition, timestamp and headers left to the producer: the key picks the partition.
    assert all(rest == (None, None, None) for *_, rest in producer.sent)


async def test_kafka_error_is_retried_not_lost() -> None:
    producer = Producer(refuse=1)
    with (
        mock.patch.object(
            pathway.app, "maybe_start_producer", mock.AsyncMock(return_value=producer)
        ),
        mock.patch.object(pathway, "_SEND_BACKOFF_CAP_SECONDS", 0.0),
    ):
        emitting = asyncio.ensure_future(pathway.TopicSink().emit(MESSAGES))
        await asyncio.wait_for(producer.all_enqueued.wait(), 1)
        for ack in producer.acks:
            ack.set_result(None)
        await emitting
    assert [(t, k, v) for t, k, v, _ in producer.sent] == MESSAGES
