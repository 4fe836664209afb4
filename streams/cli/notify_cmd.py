"""`cordwatch notify`: the paging worker on its own (cordwatch.alerts -> people).

Needs CORDWATCH_KAFKA_BOOTSTRAP (a running broker) and CORDWATCH_ROUTING_FILE. Serves one-tap
links, the ack API, PagerDuty's webhook and /metrics on CORDWATCH_NOTIFY_WEB_PORT. Exits 2
when the routing file has problems.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 15


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `notify` subcommand."""
    parser = subparsers.add_parser(
        "notify", help="run the paging worker: deliver alerts to who is on call"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Run until SIGINT/SIGTERM."""
    import asyncio
    import signal

    from prometheus_client import CollectorRegistry

    from services.identity.users_file import UsersFileError
    from services.logging import configure_logging
    from services.policy import load_policy
    from streams.notify.loop import run as consume
    from streams.notify.parts import NotifyConfigError, build_parts, routing_from
    from streams.notify.serve import ack_service
    from streams.security.users import UsersFile

    settings = read_settings()  # everything below is given these
    if not settings.kafka_bootstrap:
        print("cordwatch notify: set CORDWATCH_KAFKA_BOOTSTRAP", file=sys.stderr)
        return 2
    try:
        routing_from(settings)
    except NotifyConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    users = UsersFile(settings.users_file)  # read now, re-read when it changes
    try:
        users.current()
    except UsersFileError as exc:  # one line per problem, naming entry and field, no credential
        for line in exc.problems:
            print(f"cordwatch notify: CORDWATCH_USERS_FILE: {line}", file=sys.stderr)
        return 78
    configure_logging(settings)
    registry = CollectorRegistry()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        parts = build_parts(settings, policy=load_policy(settings.policy), registry=registry)
        try:
            async with ack_service(settings, registry=registry, users=users) as port:
                await consume(
                    settings,
                    notifier=parts.notifier,
                    stop=stop,
                    on_ready=lambda: print(f"notify ready; acks on port {port}", flush=True),
                )
        finally:
            await parts.close()

    asyncio.run(main())
    return 0
