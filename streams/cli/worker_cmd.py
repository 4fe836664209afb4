"""`cordwatch worker`: run the stream processors (and the embedded broker when none is set)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from services.config import Role, Settings

if TYPE_CHECKING:
    from streams.bootstrap import Pathway
    from streams.cli import SettingsSource
    from streams.clock import Clock

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


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Run the worker of the CORDWATCH_* settings until SIGINT/SIGTERM."""
    return serve(read_settings())  # read here, once: nothing else in the worker reads them


def serve(
    settings: Settings,
    *,
    roles: Iterable[Role] | None = None,
    clock: Clock | None = None,
    pathway: Pathway | None = None,
) -> int:
    """Prepare the cluster, build the app once (`create_app`), run it until SIGINT/SIGTERM.

    Entry points of broker tests and benchmarks (child processes) pass their stand-ins here: a
    clock, a detector, fewer roles.
    """
    import asyncio

    import structlog
    from prometheus_client import REGISTRY

    from services.config import ConfigError
    from services.logging import configure_logging
    from streams.app import create_app
    from streams.bootstrap import (
        build_runtime,
        prepare_cluster,
        read_startup_files,
        start_embedded_broker,
    )
    from streams.broker import BrokerError
    from streams.cli import CONFIG_ERROR_STATUS

    if roles is not None:
        settings = settings.model_copy(update={"roles": frozenset(roles)})
    try:
        users, pathway = read_startup_files(settings, pathway=pathway)
    except ConfigError as exc:  # one line per problem, naming the variable, no credential
        for line in exc.problems:
            print(f"cordwatch worker: {line}", file=sys.stderr)
        return CONFIG_ERROR_STATUS
    problem = schema_problem(settings.database_url)
    if problem is not None:
        print(f"cordwatch worker: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    broker = None
    if settings.embedded:
        broker = start_embedded_broker(settings)
        settings = settings.model_copy(update={"kafka_bootstrap": broker.bootstrap})
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        try:
            loop.run_until_complete(prepare_cluster(settings, settings.kafka_bootstrap))
        except BrokerError as exc:
            structlog.get_logger(__name__).error("worker.broker_unavailable", error=str(exc))
            return 1
        # The global registry: the process collectors live there, and Faust's sensors join it.
        runtime = build_runtime(
            settings, registry=REGISTRY, clock=clock, pathway=pathway, users=users
        )
        return _run_worker(create_app(settings, runtime=runtime), loop)
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

    # Not the sink's helper: the CLI imports no agent module before it runs a worker.
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


def _run_worker(app: Any, loop: Any) -> int:
    from faust.worker import Worker

    worker = Worker(app, loop=loop, quiet=True, loglevel=app.conf.logging_config["root"]["level"])
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0
