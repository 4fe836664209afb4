"""The composition root: `create_app` builds the Faust app and registers the chosen roles on it.

`create_app(settings, roles=..., runtime=...)` configures Faust from the settings, completes the
worker's Runtime with what the app owns (its producer, a pathway worker's patients table) and
calls each role's `register(app, rt)`: nothing registers at import. `cordwatch worker` calls it
once; `faust -A streams.app worker` reads the module attribute `app`, built on first access from
the CORDWATCH_* environment (the only entry point that reads settings at import).

Plain Kafka protocol only, so the same app runs on the embedded Tansu broker and on Apache
Kafka: at-least-once processing and no idempotent or transactional producer (Tansu rejects
InitProducerId). Duplicates that at-least-once allows are absorbed downstream by `event_id`
(DESIGN.md section 3).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable
from typing import Any

import faust
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.tables import TableManager
from faust.types import AppT
from prometheus_client import REGISTRY, CollectorRegistry

from services.config import (
    CONFIG_ERROR_STATUS,
    ConfigError,
    Role,
    SecurityProtocol,
    Settings,
    load_settings,
)
from services.logging import configure_structlog, logging_config
from streams import api, review_api, web
from streams.agents import acks, census, deadline_scan, gateway, ingest, notify, pathway, sink
from streams.bootstrap import Runtime, build_runtime, read_startup_files
from streams.broker import client_options
from streams.gateway import fhir_endpoint
from streams.patient_store import PatientTable, declare_table
from streams.worklist import mount as worklist

Register = Callable[[AppT, Runtime], None]

# What every worker serves, then what each role adds (DESIGN.md section 1).
EVERY_WORKER: tuple[Register, ...] = (
    web.register,
    api.register,
    review_api.register,
    fhir_endpoint.register,
    worklist.register,
)
ROLE_PARTS: dict[Role, tuple[Register, ...]] = {
    Role.INGEST: (ingest.register, gateway.register),
    Role.PATHWAY: (pathway.register, acks.register, deadline_scan.register, census.register),
    Role.SINK: (sink.register,),
    Role.NOTIFY: (notify.register,),
}

# With no bootstrap (the embedded broker's address is not known yet) Faust needs some URL;
# this is Faust's own default and is never dialled by tests.
_FALLBACK_BROKER = "localhost:9092"


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """SASL/TLS settings in Faust's shape (the same ones aiokafka gets directly)."""
    options = client_options(settings)
    context = options.get("ssl_context")
    if settings.kafka_security_protocol in (
        SecurityProtocol.SASL_PLAINTEXT,
        SecurityProtocol.SASL_SSL,
    ):
        return faust.SASLCredentials(
            username=options["sasl_plain_username"],
            password=options["sasl_plain_password"],
            mechanism=options["sasl_mechanism"],
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def broker_urls(settings: Settings) -> list[str]:
    """Faust broker URLs for the comma-separated bootstrap list."""
    hosts = [h.strip() for h in (settings.kafka_bootstrap or _FALLBACK_BROKER).split(",")]
    return [f"kafka://{host}" for host in hosts if host]


# aiokafka keeps one produce request in flight per broker, holding one record batch per
# partition; at Faust's 16 KiB a 200-report batch of the pathway (about 2 MB of outputs and
# 0.35 MB of states) took dozens of round trips in turn. Half of Kafka's default
# message.max.bytes, so a batch fits any broker Cordwatch runs on.
PRODUCER_BATCH_BYTES = 512 * 1024


def limit_fetch_wait(milliseconds: int, *, consumer_thread: Any = None) -> None:
    """Make Faust's worker consumer wait at most this long per fetch (it hard-codes 1500 ms).

    `consumer_thread` is the class to adjust: Faust's aiokafka consumer thread unless a test
    gives a stand-in.
    """
    if consumer_thread is None:
        from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

        consumer_thread = AIOKafkaConsumerThread
    current = consumer_thread._create_worker_consumer
    original = getattr(current, "__wrapped__", current)

    def create(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = milliseconds  # read by AIOKafkaConsumer.start()
        return consumer

    create.__wrapped__ = original  # type: ignore[attr-defined]
    consumer_thread._create_worker_consumer = create


class PromptTableManager(TableManager):
    """Faust's table manager without its one-second pause before it registers the tables.

    faust-streaming 0.15.3 sleeps 1 s in `TableManager.on_start` before registering the tables,
    and the conductor subscribes the consumer (so the group join begins) only after that: every
    start and every recovery waited that second. `create_app` declares every table before the
    app starts, so there is nothing to wait for.
    """

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


def keep_queued_on_resume(flow: Any) -> None:
    """Resuming Faust's flow control (`flow`: `app.flow_control`) no longer empties agent queues.

    faust-streaming 0.15.3 ends a recovery by resuming the stream partitions and seeking them to
    the committed offsets while its fetcher runs, and only then resumes flow control, which
    clears every agent queue. Messages delivered into a queue in between were already marked
    read: they were never fetched again in this process, so never processed or acked, and the
    offset commit stayed behind them (a stalled run of the SIGKILL mid-flood broker test: the
    restarted worker had fetched the episode changes to their end, processed a fraction of them
    and of the patient events, and sat idle; its pathway agent was busy through that window).
    Kept, those messages are processed; what the seek fetches again is skipped by offset or is a
    redelivery
    (at-least-once; event ids dedupe it). The queues are still cleared when a rebalance starts
    (`FlowControlEvent.clear`), which drops what belongs to partitions this worker may lose;
    stream partitions stay paused through the recovery that follows, so nothing reaches an agent
    before its table is recovered.
    """

    def resume() -> None:
        flow._suspend.clear()
        flow._resume.set()

    flow.resume = resume


def create_app(
    settings: Settings,
    *,
    roles: Iterable[Role] | None = None,
    runtime: Runtime | None = None,
) -> faust.App:
    """The worker's Faust app with the agents, timers and pages of `roles` registered.

    `roles` (default: CORDWATCH_ROLES) replaces the settings' roles, so the consumer group and
    /ready agree with what is registered. `runtime` (default: built from the settings, on a
    registry of its own) must be built from those same settings, roles aside.
    """
    if roles is not None:
        settings = settings.model_copy(update={"roles": frozenset(roles)})
    rt = runtime if runtime is not None else build_runtime(settings)
    if rt.settings.model_copy(update={"roles": settings.roles}) != settings:
        raise ValueError("the runtime was built from other settings")
    app = faust_app(settings, registry=rt.registry)
    patients = rt.patients
    if patients is None and Role.PATHWAY in settings.roles:
        table = declare_table(app, client_options=client_options(settings), digests=rt.digests)
        patients = PatientTable(table)
    rt = dataclasses.replace(
        rt, settings=settings, producer=rt.producer or app.maybe_start_producer, patients=patients
    )
    for register in registrations(settings.roles):
        register(app, rt)
    return app


def registrations(roles: frozenset[Role]) -> list[Register]:
    """The `register` functions of a worker running `roles`, in a fixed order."""
    return [*EVERY_WORKER, *(r for role in Role if role in roles for r in ROLE_PARTS[role])]


def faust_app(settings: Settings, *, registry: CollectorRegistry) -> faust.App:
    """A Faust app configured from `settings`, nothing registered on it yet."""
    session = settings.kafka_session_timeout_seconds
    options: dict[str, Any] = {
        "broker": broker_urls(settings),
        "broker_credentials": broker_credentials(settings),
        "processing_guarantee": "at_least_once",
        "producer_acks": -1,
        "producer_max_request_size": settings.kafka_max_message_bytes,
        "producer_linger_ms": settings.kafka_linger_ms,
        "producer_max_batch_size": PRODUCER_BATCH_BYTES,
        "store": "memory://",
        "TableManager": PromptTableManager,
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        "consumer_auto_offset_reset": "earliest",
        "broker_session_timeout": session,
        # Kafka's rule: heartbeat at most a third of the session timeout.
        "broker_heartbeat_interval": min(3.0, session / 4),
        # Faust creates only the last path level (mkdir without parents): the data dir itself.
        "datadir": str(settings.data_dir),
        "web_enabled": True,
        "web_bind": settings.web_host,
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        # The built-in /table and /router pages would serve table contents (PHI) over HTTP.
        "web_tables_enabled": False,
        "web_router_enabled": False,
        "web_graph_enabled": False,
        "web_stats_enabled": False,
        "web_metrics_enabled": False,
        "logging_config": logging_config(settings),
        "worker_redirect_stdouts": False,
    }
    limit_fetch_wait(settings.kafka_fetch_max_wait_ms)
    app = faust.App(settings.faust_app_id, **options)
    keep_queued_on_resume(app.flow_control)
    # Faust's own sensors, on the worker's registry (one app per Runtime: a second would
    # register them twice, which prometheus_client refuses).
    app.monitor = PrometheusMonitor(metrics=FaustMetrics.create(registry, "faust"))

    def _configure_structlog(*_args: Any, **_kwargs: Any) -> None:
        # `cordwatch worker` configures logging itself; `faust -A streams.app worker` only
        # applies `logging_config` (stdlib), so structlog, and with it the PHI scrubber, is
        # configured here, before any agent logs.
        configure_structlog(settings)

    app.on_worker_init.connect(_configure_structlog, weak=False)
    return app


def __getattr__(name: str) -> faust.App:
    """`app` for `faust -A streams.app worker`: built once, on first access, from the environment.

    Lazily, so that importing `create_app` (the CLI, tests) builds nothing. It registers on the
    global registry, where the process collectors are, like `cordwatch worker`.
    """
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if "app" not in globals():
        try:
            settings = load_settings()
            users, pathway = read_startup_files(settings)
        except ConfigError as exc:  # as `cordwatch worker` says it: no traceback, no values
            for line in exc.problems:
                print(f"streams.app: {line}", file=sys.stderr)
            raise SystemExit(CONFIG_ERROR_STATUS) from None
        runtime = build_runtime(settings, registry=REGISTRY, pathway=pathway, users=users)
        globals()["app"] = create_app(settings, runtime=runtime)
    return globals()["app"]  # type: ignore[no-any-return]
