"""`cordwatch worker`: run the stream processors (and the embedded broker when none is set)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

ORDER = 10


def register(subparsers: Any) -> None:
    """Add the `worker` subcommand."""
    parser = subparsers.add_parser(
        "worker",
        help="run the stream worker (and an embedded broker if no bootstrap is set)",
        description=(
            "Run the ingest (and later pathway, sink, notify) agents. Settings come from "
            "CORDWATCH_* environment variables; see README.md. With no CORDWATCH_KAFKA_BOOTSTRAP "
            "an in-memory broker is started for this process and stopped when it exits."
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Prepare the cluster, then run the worker until SIGINT/SIGTERM."""
    import asyncio

    import structlog

    from services.config import get_settings
    from services.logging import configure_logging
    from streams.bootstrap import prepare_cluster, publish_bootstrap, start_embedded_broker
    from streams.broker import BrokerError

    settings = get_settings()
    from services.identity.users_file import UsersFileError
    from streams.security.context import check_users_file

    try:
        check_users_file(settings)
    except UsersFileError as exc:  # one line per problem, naming entry and field, no credential
        for line in exc.problems:
            print(f"cordwatch worker: users file: {line}", file=sys.stderr)
        return 78
    problem = schema_problem(settings.database_url)
    if problem is not None:
        print(f"cordwatch worker: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    broker = None
    if settings.embedded:
        broker = start_embedded_broker(settings)
        publish_bootstrap(broker.bootstrap)
        settings = get_settings()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        try:
            loop.run_until_complete(prepare_cluster(settings, settings.kafka_bootstrap))
        except BrokerError as exc:
            structlog.get_logger(__name__).error("worker.broker_unavailable", error=str(exc))
            return 1
        return _run_worker(loop)
    finally:
        # The worker has committed its offsets by now; only then may the broker go.
        if broker is not None:
            broker.stop()
        if not loop.is_closed():
            loop.close()


def schema_problem(url: str) -> str | None:
    """Why the worker must not start on this database (behind or ahead of the code), or None.

    An unreachable database is not a reason: the sink waits for it and /ready says so.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from services.store import SchemaError, check_schema, make_engine

    # Not the sink's helper: importing streams.agents would build the app before the embedded
    # broker's address is published.
    engine = make_engine(url)
    try:
        check_schema(engine=engine)
    except SchemaError as exc:
        return str(exc)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    return None


def _run_worker(loop: Any) -> int:
    from faust.worker import Worker

    from streams.app import app

    worker = Worker(app, loop=loop, quiet=True, loglevel=app.conf.logging_config["root"]["level"])
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0
