"""The MLLP listener wired to Kafka from the settings: `cordwatch mllp` and the demo share it."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.config import Settings
from services.gateway import HL7_INBOUND
from services.gateway.profile import SiteProfile
from streams.broker import client_options
from streams.gateway.metrics import MllpMetrics
from streams.gateway.mllp_server import (
    STORE_ERRORS,
    ListenerConfig,
    MllpListener,
    server_ssl_context,
)


def hl7_producer(settings: Settings, bootstrap: str | None = None) -> Any:
    """The listener's producer: acks=all, so an AA survives a broker failover."""
    # Tansu refuses idempotent producers.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap or settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=False,
        max_request_size=settings.kafka_max_message_bytes,
        request_timeout_ms=15_000,
        **client_options(settings),
    )


def kafka_listener(
    settings: Settings, *, producer: Any, metrics: MllpMetrics, tls: bool = True
) -> MllpListener:
    """A listener that writes each message to hl7.inbound through ``producer`` (started)."""

    async def publish(key: bytes | None, value: bytes) -> None:
        await producer.send_and_wait(HL7_INBOUND, value=value, key=key)

    context = None
    if tls and settings.mllp_tls_certfile is not None:
        context = server_ssl_context(
            certfile=str(settings.mllp_tls_certfile),
            keyfile=str(settings.mllp_tls_keyfile),
            client_cafile=str(settings.mllp_tls_client_cafile or "") or None,
        )
    return MllpListener(
        publish=publish,
        profile=SiteProfile.from_settings(
            timezone=settings.site_timezone,
            assigning_authority=settings.hl7_assigning_authority,
            patient_system=settings.fhir_patient_system,
            facility=settings.gateway_facility,
        ),
        metrics=metrics,
        config=ListenerConfig(
            max_connections=settings.mllp_max_connections,
            idle_timeout=settings.mllp_idle_timeout_seconds,
            # A frame must also fit one Kafka record (with room for the record's envelope).
            max_message_bytes=min(
                settings.mllp_max_message_bytes, settings.kafka_max_message_bytes - 16 * 1024
            ),
            ssl=context,
        ),
        store_errors=(KafkaError, *STORE_ERRORS),
    )
