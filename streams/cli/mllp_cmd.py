"""`cordwatch mllp`: the HL7 v2 MLLP listener, writing every message to hl7.inbound.

It needs a broker (CORDWATCH_KAFKA_BOOTSTRAP; `cordwatch broker` runs one) and prints
``MLLP listening on HOST:PORT`` once it accepts connections. SIGTERM or Ctrl-C stops it after the
messages in hand are acknowledged.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.cli import SettingsSource

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


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Run the listener until a signal."""
    import asyncio

    from services.logging import configure_logging

    settings = read_settings()
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

    from prometheus_client import CollectorRegistry, start_http_server

    from streams.gateway.metrics import MllpMetrics
    from streams.gateway.mllp_kafka import hl7_producer, kafka_listener

    registry = CollectorRegistry()
    metrics = MllpMetrics.create(registry)
    if settings.mllp_metrics_port:
        start_http_server(settings.mllp_metrics_port, addr=host, registry=registry)
    producer = hl7_producer(settings)
    await producer.start()
    listener = kafka_listener(settings, producer=producer, metrics=metrics)
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
