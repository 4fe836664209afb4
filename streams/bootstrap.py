"""What agents use, built once per worker (`build_runtime`), every part overridable in tests.

`streams.app.create_app` is the composition root: it takes this Runtime and hands it to every
agent it registers; nothing here is cached or global. Also prepares a cluster for a worker:
start the embedded broker when no bootstrap is set, wait for metadata, create the topics.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from prometheus_client import CollectorRegistry

from services.config import ConfigError, Settings
from services.identity.users_file import UsersFileError
from services.metrics import CordwatchMetrics
from services.pathway import Detector, Scorer
from services.policy import Policy, PolicyError, load_policy
from services.store import Store, make_engine
from services.store.sink import SinkHealth
from streams.alert_tail import TailReader, read_alert_tail
from streams.broker import EmbeddedBroker, client_options, ensure_topics, wait_ready
from streams.clock import Clock, SystemClock
from streams.outbox import Outbox, ProducerSource
from streams.patient_store import DeadlineIndex, Digests, PatientStore
from streams.security.guard import Security, security_for
from streams.security.users import UsersFile

log = structlog.get_logger(__name__)


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
    digests: Digests  # what the index and the census read of each stored state, decoded once
    store: Store  # the audit store: the sink writes it, /ready and the HTTP API read it
    sink_health: SinkHealth  # the sink's last write, for /ready
    read_alert_tail: TailReader  # alert ids already on a cordwatch.alerts partition
    users: UsersFile  # CORDWATCH_USERS_FILE, re-read when it changes (issue 14)
    security: Security | None  # a fixed guard (tests); None: `guard()` builds it per request
    # What the Faust app owns, given by `create_app` (or stand-ins, in tests): where outboxes
    # get their producer, and a pathway worker's patients table.
    producer: ProducerSource | None = None
    patients: PatientStore | None = None

    def outbox(self, sender: str) -> Outbox:
        """An outbox on the worker's producer; `sender` labels its retry metrics."""
        if self.producer is None:
            raise LookupError("no producer: this Runtime was not given to create_app")
        return Outbox(self.producer, metrics=self.metrics, sender=sender)

    def guard(self) -> Security:
        """The HTTP guard over the users file as it is now, the store's access log, the clock."""
        if self.security is not None:
            return self.security
        return security_for(
            self.settings, users=self.users.current(), engine=self.store.engine, clock=self.clock
        )

    def patient_store(self) -> PatientStore:
        """The patients table of a pathway worker."""
        if self.patients is None:
            raise LookupError("no patients table: this worker does not run the pathway role")
        return self.patients


def read_startup_files(
    settings: Settings, *, pathway: Pathway | None = None
) -> tuple[UsersFile, Pathway]:
    """The users file and the policy (unless ``pathway`` is given), read before anything starts:
    a wrong one must not take a broker down with it.

    ConfigError lists every problem of both, one line each, naming ``CORDWATCH_USERS_FILE`` or
    ``CORDWATCH_POLICY``; the lines name entries and fields, never a credential.
    """
    problems: list[str] = []
    users = UsersFile(settings.users_file)  # the Runtime's: read now, re-read when it changes
    try:
        users.current()
    except UsersFileError as exc:
        problems += [f"CORDWATCH_USERS_FILE: {line}" for line in exc.problems]
    if pathway is None:
        try:
            pathway = Pathway(policy=load_policy(settings.policy))
        except PolicyError as exc:
            problems += [f"CORDWATCH_POLICY: {line}" for line in exc.problems]
    if problems or pathway is None:
        raise ConfigError(problems)
    return users, pathway


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    registry: CollectorRegistry | None = None,
    metrics: CordwatchMetrics | None = None,
    pathway: Pathway | None = None,
    store: Store | None = None,
    read_tail: TailReader | None = None,
    users: UsersFile | None = None,
    security: Security | None = None,
    producer: ProducerSource | None = None,
    patients: PatientStore | None = None,
) -> Runtime:
    """Assemble a Runtime; a worker passes the global registry, tests a fresh one and fakes."""
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
        pathway=pathway or Pathway(policy=load_policy(settings.policy)),
        deadlines=DeadlineIndex(),
        digests=Digests(),
        # An engine connects on first use: building it here opens nothing.
        store=store or Store(engine=make_engine(settings.database_url, pool_pre_ping=True)),
        sink_health=SinkHealth(),
        read_alert_tail=read_tail or (lambda partition: read_alert_tail(settings, partition)),
        users=users or UsersFile(settings.users_file),
        security=security,
        producer=producer,
        patients=patients,
    )


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
