"""The Faust application, built from the settings (`faust -A streams.app worker` needs `app`).

Plain Kafka protocol only, so the same app runs on the embedded Tansu broker and on Apache
Kafka: at-least-once processing and no idempotent or transactional producer (Tansu rejects
InitProducerId). Duplicates that at-least-once allows are absorbed downstream by `event_id`
(DESIGN.md section 3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import faust
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import REGISTRY, CollectorRegistry

from services.config import Role, SecurityProtocol, Settings, get_settings
from services.logging import configure_structlog, logging_config
from streams.broker import client_options

# Faust's own sensors register on a registry at creation; a second App in one process (tests)
# must reuse them or prometheus_client raises "Duplicated timeseries".
_faust_metrics: dict[int, FaustMetrics] = {}

# Until `cordwatch worker` publishes the embedded broker's address (before importing this
# module), Faust needs some URL; this is Faust's own default and is never dialled by tests.
_FALLBACK_BROKER = "localhost:9092"


def faust_metrics(registry: CollectorRegistry) -> FaustMetrics:
    """Faust's Prometheus metrics on `registry`, created once per registry."""
    key = id(registry)
    if key not in _faust_metrics:
        _faust_metrics[key] = FaustMetrics.create(registry, "faust")
    return _faust_metrics[key]


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


def limit_fetch_wait(milliseconds: int) -> None:
    """Make Faust's worker consumer wait at most this long per fetch (it hard-codes 1500 ms)."""
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    current = AIOKafkaConsumerThread._create_worker_consumer
    original = getattr(current, "__wrapped__", current)

    def create(self: AIOKafkaConsumerThread, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = milliseconds  # read by AIOKafkaConsumer.start()
        return consumer

    create.__wrapped__ = original  # type: ignore[attr-defined]
    AIOKafkaConsumerThread._create_worker_consumer = create  # type: ignore[method-assign]


def create_app(settings: Settings, *, registry: CollectorRegistry = REGISTRY) -> faust.App:
    """A Faust app configured from `settings`; agents and pages attach at import."""
    session = settings.kafka_session_timeout_seconds
    options: dict[str, Any] = {
        "broker": broker_urls(settings),
        "broker_credentials": broker_credentials(settings),
        "processing_guarantee": "at_least_once",
        "producer_acks": -1,
        "producer_max_request_size": settings.kafka_max_message_bytes,
        "producer_linger_ms": settings.kafka_linger_ms,
        "store": "memory://",
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
        # Agents and HTTP pages register on import; the worker imports these packages at start
        # (an import here would be circular: agents import `app`).
        "autodiscover": [
            "streams.agents",
            "streams.web",
            "streams.api",
            "streams.review_api",
            "streams.gateway",
            "streams.worklist.mount",
        ],
    }
    limit_fetch_wait(settings.kafka_fetch_max_wait_ms)
    app = faust.App(settings.faust_app_id, **options)
    app.monitor = PrometheusMonitor(metrics=faust_metrics(registry))

    def _configure_structlog(*_args: Any, **_kwargs: Any) -> None:
        # `cordwatch worker` configures logging itself; `faust -A streams.app worker` only
        # applies `logging_config` (stdlib), so structlog, and with it the PHI scrubber, is
        # configured here, before any agent logs.
        configure_structlog(settings)

    app.on_worker_init.connect(_configure_structlog, weak=False)
    return app


_settings = get_settings()
app = create_app(_settings)
roles: frozenset[Role] = _settings.roles
"""The roles of this worker (CORDWATCH_ROLES); agents of other roles are not registered."""

_F = TypeVar("_F", bound=Callable[..., Any])


def for_role(role: Role, register: Callable[[_F], Any]) -> Callable[[_F], Any]:
    """`register` (an `app.agent(...)`/`app.timer(...)` decorator) if this worker runs `role`."""
    if role in roles:
        return register
    return lambda fn: fn
