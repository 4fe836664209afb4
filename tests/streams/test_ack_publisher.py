"""Acknowledgements go through the outbox: keyed by patient, retried, counted, bounded in time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError
from prometheus_client import CollectorRegistry

from models.events import AlertAcknowledged
from services.metrics import SendMetrics
from streams import topics
from streams.notify.publish import SENDER, AckPublisher
from streams.outbox import Backoff, Outbox

ACK = AlertAcknowledged(
    event_type="alert_acknowledged",
    event_id="ack-1",
    occurred_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    patient_id="MRN-7",
    source="cordwatch-link",
    alert_id="alert-1",
    acknowledged_by="on-call registrar",
)


class Producer:
    """Refuses the first `refuse` sends like a broker away, then acknowledges at once (or never)."""

    def __init__(self, *, refuse: int = 0, acknowledge: bool = True) -> None:
        self.refuse, self.acknowledge = refuse, acknowledge
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    async def send(self, topic: str, key: bytes | None, value: bytes, *_: Any) -> Any:
        if self.refuse:
            self.refuse -= 1
            raise KafkaTimeoutError()
        self.sent.append((topic, key, value))
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.acknowledge:
            acked.set_result(None)
        return acked


def publisher(
    producer: Producer, registry: CollectorRegistry, timeout: float = 5.0
) -> AckPublisher:
    async def source() -> Producer:
        return producer

    metrics = SendMetrics.create(registry, senders=[SENDER])
    quick = Backoff(base_seconds=0.01, cap_seconds=0.02)
    return AckPublisher(
        Outbox(source, metrics=metrics, sender=SENDER, backoff=quick), timeout=timeout
    )


async def test_an_acknowledgement_is_retried_through_the_outbox_and_counted() -> None:
    registry, producer = CollectorRegistry(), Producer(refuse=2)
    await publisher(producer, registry).send(ACK)
    [(topic, key, value)] = producer.sent
    assert (topic, key) == (topics.ALERT_ACKS, b"MRN-7")  # the pathway partitions by patient
    assert AlertAcknowledged.model_validate_json(value) == ACK
    retries = registry.get_sample_value("cordwatch_send_retries_total", {"sender": SENDER})
    assert retries == 2


async def test_an_unacknowledged_send_gives_up_in_time_for_the_person_waiting() -> None:
    never = Producer(acknowledge=False)
    with pytest.raises(TimeoutError):
        await publisher(never, CollectorRegistry(), timeout=0.2).send(ACK)
