"""The composition root: builds what agents use, once, with every part overridable in tests.

Also prepares a cluster for a worker: start the embedded broker when no bootstrap is set,
wait for metadata, create the topics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

import structlog
from prometheus_client import REGISTRY, CollectorRegistry

from services.config import Settings, get_settings
from services.metrics import CordwatchMetrics
from services.pathway import Detector, Scorer
from services.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from services.store import Store, make_engine
from services.store.sink import SinkHealth
from streams.broker import EmbeddedBroker, client_options, ensure_topics, wait_ready
from streams.patient_store import DeadlineIndex

BOOTSTRAP_ENV = "CORDWATCH_KAFKA_BOOTSTRAP"

log = structlog.get_logger(__name__)


class Clock(Protocol):
    """Where agents get the current time; replay and tests pass their own."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class Pathway:
    """The clinical collaborators of the reducer: the policy and, for tests, stand-ins."""

    policy: Policy
    detector: Detector | None = None
    scorer: Scorer | None = None


@dataclass(frozen=True)
class Runtime:
    """Everything an agent needs besides its input, built once per worker."""

    settings: Settings
    clock: Clock
    registry: CollectorRegistry
    metrics: CordwatchMetrics
    pathway: Pathway
    deadlines: DeadlineIndex  # when each stored patient next needs the clock (pathway worker)
    store: Store  # the audit store: the sink writes it, /ready and the HTTP API read it
    sink_health: SinkHealth  # the sink's last write, for /ready


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    registry: CollectorRegistry | None = None,
    metrics: CordwatchMetrics | None = None,
    pathway: Pathway | None = None,
    store: Store | None = None,
) -> Runtime:
    """Assemble a Runtime; tests pass a fresh registry and fakes."""
    registry = registry if registry is not None else CollectorRegistry()
    return Runtime(
        settings=settings,
        clock=clock or SystemClock(),
        registry=registry,
        metrics=metrics
        or CordwatchMetrics.create(
            registry,
            max_facilities=settings.metrics_max_facilities,
            facilities=settings.metrics_facilities,
        ),
        # CORDWATCH_POLICY through the settings; the packaged policy when unset.
        pathway=pathway or Pathway(policy=load_policy(settings.policy or DEFAULT_POLICY_PATH)),
        deadlines=DeadlineIndex(),
        # An engine connects on first use: building it here opens nothing.
        store=store or Store(engine=make_engine(settings.database_url, pool_pre_ping=True)),
        sink_health=SinkHealth(),
    )


_overrides: dict[str, Any] = {}


def install(*, clock: Clock | None = None, pathway: Pathway | None = None) -> None:
    """What a test or benchmark entry point gives the worker's Runtime before `cordwatch worker`.

    Child processes (broker tests, benchmarks) run the real worker with a stand-in detector or a
    test clock; they say so here instead of replacing functions in agent modules.
    """
    _overrides.update({k: v for k, v in (("clock", clock), ("pathway", pathway)) if v})
    get_runtime.cache_clear()


@lru_cache(maxsize=1)
def get_runtime() -> Runtime:
    """The worker's Runtime, on the global registry (where Faust's sensors also live)."""
    return build_runtime(get_settings(), registry=REGISTRY, **_overrides)


def publish_bootstrap(address: str) -> None:
    """Make `address` the Kafka bootstrap for this process and its children.

    `streams.app` reads the settings at import, as `faust -A` requires, so the embedded
    broker's address reaches it the way an operator's would: through the environment.
    """
    os.environ[BOOTSTRAP_ENV] = address
    get_settings.cache_clear()


def start_embedded_broker(settings: Settings) -> EmbeddedBroker:
    """Start the embedded broker from `settings` (empty bootstrap only)."""
    broker = EmbeddedBroker(
        host=settings.embedded_broker_host, port=settings.embedded_broker_port
    ).start()
    log.info("broker.embedded_started", bootstrap=broker.bootstrap, pid=broker.pid)
    return broker


async def prepare_cluster(settings: Settings, bootstrap: str) -> list[str]:
    """Wait for the cluster to answer, then create missing topics; return those created."""
    from streams.topics import all_topic_names

    options = client_options(settings)
    waited = await wait_ready(bootstrap, options=options)
    created = await ensure_topics(
        bootstrap,
        all_topic_names(),
        partitions=settings.partitions,
        replication=settings.replication_factor,
        max_message_bytes=settings.kafka_max_message_bytes,
        options=options,
    )
    log.info(
        "broker.ready",
        bootstrap=bootstrap,
        waited_seconds=round(waited, 3),
        topics_created=len(created),
        partitions=settings.partitions,
    )
    return created
