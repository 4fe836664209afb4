"""`cordwatch mllp`: the HL7 v2 MLLP listener, writing every message to hl7.inbound.

It needs a broker (CORDWATCH_KAFKA_BOOTSTRAP; `cordwatch broker` runs one) and prints
``MLLP listening on HOST:PORT`` once it accepts connections. SIGTERM or Ctrl-C stops it after the
messages in hand are acknowledged.
"""

from __future__ import annotations

import argparse
from typing import Any

ORDER = 35


def register(subparsers: Any) -> None:
    """Add the `mllp` subcommand."""
    parser = subparsers.add_parser(
        "mllp",
        help="listen for HL7 v2 over MLLP; ACK each message once it is on hl7.inbound",
        description="Settings: CORDWATCH_MLLP_* (host, port, caps, TLS, metrics port).",
    )
    parser.add_argument("--host", default=None, help="bind address (CORDWATCH_MLLP_HOST)")
    parser.add_argument("--port", type=int, default=None, help="port; 0 = a free one")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the listener until a signal."""
    import asyncio

    from services.config import load_settings
    from services.logging import configure_logging

    settings = load_settings()
    if settings.embedded:
        print("cordwatch mllp: set CORDWATCH_KAFKA_BOOTSTRAP (`cordwatch broker` runs one)")
        return 2
    configure_logging(settings)
    host = args.host if args.host is not None else settings.mllp_host
    port = args.port if args.port is not None else settings.mllp_port
    return asyncio.run(_serve(settings, host, port))


async def _serve(settings: Any, host: str, port: int) -> int:
    import asyncio
    import signal

    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError
    from prometheus_client import CollectorRegistry, start_http_server

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

    registry = CollectorRegistry()
    metrics = MllpMetrics.create(registry)
    if settings.mllp_metrics_port:
        start_http_server(settings.mllp_metrics_port, addr=host, registry=registry)
    # Tansu refuses idempotent producers; acks=all so an AA survives a broker failover.
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=False,
        max_request_size=settings.kafka_max_message_bytes,
        request_timeout_ms=15_000,
        **client_options(settings),
    )
    await producer.start()
    topic = HL7_INBOUND

    async def publish(key: bytes | None, value: bytes) -> None:
        await producer.send_and_wait(topic, value=value, key=key)

    context = None
    if settings.mllp_tls_certfile is not None:
        context = server_ssl_context(
            certfile=str(settings.mllp_tls_certfile),
            keyfile=str(settings.mllp_tls_keyfile),
            client_cafile=str(settings.mllp_tls_client_cafile or "") or None,
        )
    listener = MllpListener(
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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        bound_host, bound_port = await listener.start(host, port)
        print(f"MLLP listening on {bound_host}:{bound_port}", flush=True)
        await stop.wait()
    finally:
        await listener.stop()
        await producer.stop()
    return 0
