"""Send acknowledgements to cordwatch.alert-acks, keyed by patient id, awaiting the broker."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped,unused-ignore]

from models.events import AlertAcknowledged
from services.config import Settings
from streams.broker import client_options

ACKS_TOPIC = "cordwatch.alert-acks"


class AckPublisher:
    """One producer for the notify process; ``send`` returns once the broker has the event."""

    def __init__(self, settings: Settings) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap, acks="all", **client_options(settings)
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, event: AlertAcknowledged) -> None:
        """Publish one acknowledgement (the pathway partitions by patient id)."""
        await self._producer.send_and_wait(
            ACKS_TOPIC, key=event.patient_id.encode("utf-8"), value=event.model_dump_json().encode()
        )
