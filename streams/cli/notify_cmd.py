"""`cordwatch notify`: the paging worker on its own (cordwatch.alerts -> people).

Needs CORDWATCH_KAFKA_BOOTSTRAP (a running broker) and CORDWATCH_ROUTING_FILE. Serves
Prometheus metrics on --metrics-port (0 = none). Exits 2 when the routing file has problems.
"""

from __future__ import annotations

import argparse
import sys

ORDER = 15


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `notify` subcommand."""
    parser = subparsers.add_parser(
        "notify", help="run the paging worker: deliver alerts to who is on call"
    )
    parser.add_argument("--metrics-port", type=int, default=0, help="Prometheus port (0: none)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM."""
    import asyncio
    import signal

    from prometheus_client import CollectorRegistry, start_http_server

    from services.config import get_settings
    from services.logging import configure_logging
    from services.policy import load_policy
    from streams.notify.loop import run as consume
    from streams.notify.runtime import NotifyConfigError, build_parts, routing_from

    settings = get_settings()
    if not settings.kafka_bootstrap:
        print("cordwatch notify: set CORDWATCH_KAFKA_BOOTSTRAP", file=sys.stderr)
        return 2
    try:
        routing_from(settings)
    except NotifyConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings)
    registry = CollectorRegistry()
    if args.metrics_port:
        start_http_server(args.metrics_port, addr="127.0.0.1", registry=registry)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        parts = build_parts(settings, policy=load_policy(), registry=registry)
        try:
            await consume(
                settings,
                notifier=parts.notifier,
                stop=stop,
                on_ready=lambda: print("notify ready", flush=True),
            )
        finally:
            await parts.close()

    asyncio.run(main())
    return 0
