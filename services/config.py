"""The one settings object: every `CORDWATCH_*` environment variable, typed and checked at start.

`load_settings()` reads the environment once per entry point (a `cordwatch` invocation, the
`faust -A streams.app` shim, alembic); nothing is cached, and everything else receives what it
needs as arguments (`create_app(settings)`). Tests construct `Settings(...)` directly.

A wrong environment is reported as `ConfigError`: one line per problem, each naming the
`CORDWATCH_*` variable, and never the value of any setting (a secret pasted into the wrong
variable must not reach a terminal or a log).
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    """Where the process runs; production refuses the conveniences of development."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SecurityProtocol(StrEnum):
    """Kafka listener security protocols, as aiokafka spells them."""

    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"


class SaslMechanism(StrEnum):
    """SASL mechanisms aiokafka implements without extra dependencies."""

    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


class LogFormat(StrEnum):
    """JSON for machines (default); console for a person reading a terminal."""

    JSON = "json"
    CONSOLE = "console"


class Role(StrEnum):
    """What a worker runs: a sink apart keeps an audit outage from delaying pages."""

    INGEST = "ingest"
    PATHWAY = "pathway"  # the pathway agent, its table, the deadline timer and the acks agent
    SINK = "sink"
    # Pages people (cordwatch.alerts -> webhook, email, PagerDuty): its own consumer group, so a
    # slow channel never stalls the pathway. Opt-in: it needs a routing file.
    NOTIFY = "notify"


# The default worker: everything but notify, which runs only where a routing file is set.
ALL_ROLES = frozenset({Role.INGEST, Role.PATHWAY, Role.SINK})


# Strings people paste into .env files; a pseudonym keyed by one of these is reversible by anyone
# who guesses it (a dictionary attack over MRNs takes seconds).
_PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "secret", "password", "example", "test", "default", "xxx"}
)
MIN_SECRET_CHARS = 32

TopicCount = Annotated[int, Field(ge=1, le=1024)]


class Settings(BaseSettings):
    """Every `CORDWATCH_*` setting; see the settings table in README.md."""

    model_config = SettingsConfigDict(
        env_prefix="CORDWATCH_", frozen=True, extra="ignore", validate_default=True
    )

    environment: Environment = Environment.DEVELOPMENT

    # Kafka. Empty bootstrap = start the embedded Tansu broker (development only).
    kafka_bootstrap: str = ""
    kafka_security_protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    # Kafka's pre-3.0 default. Tansu holds the first JoinGroup for half of it, so it is also the
    # floor on worker start-up time against the embedded broker.
    kafka_session_timeout_seconds: Annotated[float, Field(ge=2.0, le=300.0)] = 10.0
    # Longest a consumer fetch waits for data (Faust hard-codes 1.5 s). Tansu ends a fetch that
    # spans several partitions only at this wait, even when data arrives (benchmarks/pathway.py
    # measures it), so it bounds the latency of each hop; Kafka answers as soon as data is there.
    kafka_fetch_max_wait_ms: Annotated[int, Field(ge=10, le=60_000)] = 50
    # Largest record Cordwatch produces, and the max.message.bytes of the topics it creates. A
    # dead letter carries the refused message in base64 (4/3 of its size) plus an envelope, so
    # this must exceed the largest inbound message by a third; Kafka's 1 MB default does not.
    kafka_max_message_bytes: Annotated[int, Field(ge=1_048_576, le=64 * 1_048_576)] = 4 * 1_048_576
    # Producer batching delay. Raising it batches ingest's fire-and-forget sends (about +20%
    # at 5 ms) but adds that delay to every send an agent awaits (the pathway awaits each
    # output's acknowledgement before writing state, and slowed by half at 5 ms).
    kafka_linger_ms: Annotated[int, Field(ge=0, le=1000)] = 0
    partitions: TopicCount = 8
    replication_factor: Annotated[int, Field(ge=1, le=16)] = 1
    app_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] = (
        "cordwatch"
    )
    # Comma-separated subset of ingest, pathway, sink (default all: one worker does everything).
    roles: Annotated[frozenset[Role], NoDecode] = ALL_ROLES
    embedded_broker_host: str = "127.0.0.1"
    embedded_broker_port: Annotated[int, Field(ge=0, le=65535)] = 0
    # The pathway policy YAML (windows, deadlines, paging). Unset: the packaged policy.yaml.
    policy: Path | None = None

    # Worker HTTP endpoints (/metrics, /health, /ready).
    web_host: str = "127.0.0.1"
    web_port: Annotated[int, Field(ge=0, le=65535)] = 6066
    # Bearer token of the worker's /api/* endpoints (audit and episodes, PHI in the detail).
    # Empty = the API is off and answers 503; a real token is random, 32+ characters.
    api_token: SecretStr = SecretStr("")
    # Named users (services/identity/users_file.py): name, role, Argon2id password hash, API
    # token digest. Unset: nobody can sign in; only the service token above reaches the API.
    users_file: Path | None = None
    # Signs the worklist's session cookies and CSRF tokens. Unset in development: a random key
    # per process (sessions end when the worker restarts). Required in production with users.
    session_secret: SecretStr | None = None
    # How long a sign-in lasts (a clinical shift and a handover).
    session_hours: Annotated[float, Field(gt=0, le=24)] = 12.0
    # The session cookie's Secure flag. Unset: on when CORDWATCH_PUBLIC_URL is https (a worker
    # behind a TLS-terminating proxy); set true or false to say so explicitly.
    cookie_secure: bool | None = None

    # Paging (services/alerts). The routing file names who is paged; links in pages start with
    # public_url; webhook_secret signs webhook bodies; ack_link_secret signs one-tap links.
    routing_file: Path | None = None
    public_url: str = "http://127.0.0.1:6066"
    webhook_secret: SecretStr = SecretStr("")
    ack_link_secret: SecretStr = SecretStr("")
    smtp_host: str = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_sender: str = "cordwatch@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    pagerduty_endpoint: str = "https://events.pagerduty.com/v2/enqueue"
    pagerduty_webhook_secret: SecretStr = SecretStr("")
    # The notify worker's HTTP port: one-tap links, the ack API, PagerDuty's webhook, /metrics.
    notify_web_port: Annotated[int, Field(ge=0, le=65535)] = 6067
    # A notify group that has never committed (a first deployment) pages only alerts younger
    # than this at its start (and none before page_after), not the history of cordwatch.alerts.
    # 15 min: the paging plan's first step, so an unacknowledged critical alert older than this
    # is paged again by its escalation (services/alerts/history.py).
    notify_page_within_minutes: Annotated[float, Field(ge=0, le=7 * 24 * 60)] = 15

    data_dir: Path = Path("var")
    database_url: str = "sqlite:///var/cordwatch.db"

    log_level: Annotated[str, Field(pattern=r"^(?i:debug|info|warning|error|critical)$")] = "INFO"
    log_format: LogFormat = LogFormat.JSON
    # HMAC-SHA256 key for patient pseudonyms in logs. Unset in development: a random key per
    # process (pseudonyms then only correlate within one run). Required in production.
    pseudonym_key: SecretStr | None = None
    # HMAC-SHA256 key for every id derived from a patient id (episode, detection, review ids;
    # alert ids come from those). The same on every worker, for ever: changing it changes the ids
    # of new episodes. Unset in development: a published development key. Required in production.
    id_key: SecretStr | None = None
    # First deployment (DESIGN.md section 3): nothing about clinical times before this moment is
    # paged; such events update episodes, timers and the audit only. RFC 3339 with an offset.
    page_after: AwareDatetime | None = None
    # Bounds the `facility` metric label: after this many distinct sites, the rest count as
    # "other", so a sender with a typo cannot explode Prometheus series.
    metrics_max_facilities: Annotated[int, Field(ge=1, le=1000)] = 64
    # Site codes known up front (comma-separated): their labelled series exist at zero from the
    # first scrape, so increase() and rate() see their first events and a silent site shows 0.
    metrics_facilities: Annotated[tuple[str, ...], NoDecode] = ()

    # HL7 v2 and FHIR gateway (services/gateway). Local times without an offset (HL7 TS, FHIR
    # dates) are read in this IANA zone; the demo hospital's identifiers are the defaults.
    site_timezone: str = "UTC"
    # PID-3 repetition whose CX.4 assigning authority is the MRN; empty = the first typed MR.
    hl7_assigning_authority: str = "CWDEMO"
    # FHIR identifier system of the MRN; a resource whose patient has none of it is refused.
    fhir_patient_system: Annotated[str, Field(min_length=1)] = "urn:oid:2.16.840.1.113883.3.9999.1"
    # Site code for messages that name no facility (no PV1-3.4, no facility tag); empty = none.
    gateway_facility: Annotated[str, Field(max_length=32)] = ""
    # `cordwatch mllp`: the HL7 v2 listener (MLLP over TCP, TLS when a certificate is set).
    mllp_host: str = "127.0.0.1"
    mllp_port: Annotated[int, Field(ge=0, le=65535)] = 2575
    mllp_max_connections: Annotated[int, Field(ge=1, le=10_000)] = 64
    # A sender that says nothing this long is disconnected (interface engines reconnect).
    mllp_idle_timeout_seconds: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    mllp_max_message_bytes: Annotated[int, Field(ge=1024, le=64 * 1_048_576)] = 2 * 1_048_576
    mllp_tls_certfile: Path | None = None
    mllp_tls_keyfile: Path | None = None
    # CA of the senders' client certificates: when set, a sender without one is refused.
    mllp_tls_client_cafile: Path | None = None
    # Port of the listener's /metrics (Prometheus); 0 = not served.
    mllp_metrics_port: Annotated[int, Field(ge=0, le=65535)] = 0

    @field_validator("site_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("site_timezone must be an IANA zone such as Europe/London") from None
        return value

    @field_validator("metrics_facilities", mode="before")
    @classmethod
    def _split_facilities(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
        return value

    @field_validator("metrics_facilities")
    @classmethod
    def _facilities_fit_the_label_cap(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if len(code) > 32:  # DESIGN.md section 2: facility is 1-32 characters
                raise ValueError("a site code is 1-32 characters")
        return value

    @field_validator("roles", mode="before")
    @classmethod
    def _split_roles(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("roles")
    @classmethod
    def _some_role(cls, value: frozenset[Role]) -> frozenset[Role]:
        if not value:
            raise ValueError("needs at least one of ingest, pathway, sink")
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        return value.upper()

    @field_validator("pseudonym_key", "id_key", "session_secret")
    @classmethod
    def _reject_weak_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        if raw.strip().lower() in _PLACEHOLDER_SECRETS or len(raw) < MIN_SECRET_CHARS:
            raise ValueError(f"must be a random secret of at least {MIN_SECRET_CHARS} characters")
        return value

    @field_validator("webhook_secret", "ack_link_secret")
    @classmethod
    def _reject_weak_paging_secret(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw and (raw.strip().lower() in _PLACEHOLDER_SECRETS or len(raw) < MIN_SECRET_CHARS):
            raise ValueError(
                f"paging secrets must be random, at least {MIN_SECRET_CHARS} characters"
            )
        return value

    @field_validator("api_token")
    @classmethod
    def _reject_weak_token(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw and (raw.strip().lower() in _PLACEHOLDER_SECRETS or len(raw) < MIN_SECRET_CHARS):
            raise ValueError(
                f"must be a random secret of at least {MIN_SECRET_CHARS} characters "
                "(or empty to turn the HTTP API off)"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = self.contradictions()
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def contradictions(self) -> list[str]:
        """Settings that are each valid but wrong together, one line each, no values."""
        problems: list[str] = []
        sasl = self.kafka_security_protocol in (
            SecurityProtocol.SASL_PLAINTEXT,
            SecurityProtocol.SASL_SSL,
        )
        if sasl:
            for name in ("kafka_sasl_mechanism", "kafka_sasl_username", "kafka_sasl_password"):
                if not getattr(self, name):
                    problems.append(
                        f"{env_name(name)}: required when CORDWATCH_KAFKA_SECURITY_PROTOCOL is "
                        f"{self.kafka_security_protocol.value}"
                    )
        elif self.kafka_sasl_mechanism is not None:
            problems.append(
                "CORDWATCH_KAFKA_SASL_MECHANISM: set, but CORDWATCH_KAFKA_SECURITY_PROTOCOL is "
                "not SASL"
            )
        if (self.mllp_tls_certfile is None) != (self.mllp_tls_keyfile is None):
            problems.append(
                "CORDWATCH_MLLP_TLS_CERTFILE and CORDWATCH_MLLP_TLS_KEYFILE go together"
            )
        if self.mllp_tls_client_cafile is not None and self.mllp_tls_certfile is None:
            problems.append("CORDWATCH_MLLP_TLS_CLIENT_CAFILE: needs CORDWATCH_MLLP_TLS_CERTFILE")
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            problems.append(
                "CORDWATCH_KAFKA_SSL_CERTFILE and CORDWATCH_KAFKA_SSL_KEYFILE go together"
            )
        if self.environment is Environment.PRODUCTION:
            if not self.kafka_bootstrap:
                problems.append(
                    "CORDWATCH_KAFKA_BOOTSTRAP: required in production (the embedded broker keeps "
                    "nothing)"
                )
            if self.pseudonym_key is None:
                problems.append(
                    "CORDWATCH_PSEUDONYM_KEY: required in production (patient pseudonyms)"
                )
            if self.users_file is not None and self.session_secret is None:
                problems.append(
                    "CORDWATCH_SESSION_SECRET: required in production when CORDWATCH_USERS_FILE "
                    "is set (sessions must survive a restart and agree across workers)"
                )
            if self.id_key is None:
                problems.append(
                    "CORDWATCH_ID_KEY: required in production (episode and alert ids are keyed)"
                )
        if len(self.metrics_facilities) > self.metrics_max_facilities:
            problems.append(
                "CORDWATCH_METRICS_FACILITIES: lists more sites than "
                "CORDWATCH_METRICS_MAX_FACILITIES"
            )
        if self.replication_factor > 1 and not self.kafka_bootstrap:
            problems.append(
                "CORDWATCH_REPLICATION_FACTOR: the embedded broker is a single node, so it must "
                "be 1"
            )
        return problems

    @property
    def faust_app_id(self) -> str:
        """The consumer group: app_id where the pathway runs, else app_id-<roles> (own group).

        The pathway's worker keeps app_id, so its offsets and table changelog survive a split;
        any worker without the pathway subscribes to other topics and must not share its group.
        """
        if Role.PATHWAY in self.roles:
            return self.app_id
        return "-".join([self.app_id, *sorted(self.roles)])

    @property
    def embedded(self) -> bool:
        """True when Cordwatch must start its own broker."""
        return not self.kafka_bootstrap

    @property
    def uses_tls(self) -> bool:
        """True when the Kafka connection is encrypted."""
        return self.kafka_security_protocol in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)

    def id_secret(self) -> bytes | None:
        """The HMAC key for ids derived from a patient id (None: the development key)."""
        return self.id_key.get_secret_value().encode("utf-8") if self.id_key else None

    def session_key(self) -> bytes:
        """The HMAC key of session cookies and CSRF tokens (random per process when unset)."""
        if self.session_secret is not None:
            return self.session_secret.get_secret_value().encode("utf-8")
        return _process_session_key()

    @property
    def secure_cookies(self) -> bool:
        """Whether the session cookie is marked Secure (explicit, or from the public URL)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.lower().startswith("https://")

    def pseudonym_secret(self) -> bytes:
        """The HMAC key for patient pseudonyms (random per process when none is configured)."""
        if self.pseudonym_key is not None:
            return self.pseudonym_key.get_secret_value().encode("utf-8")
        return _process_key()


@lru_cache(maxsize=1)
def _process_key() -> bytes:
    # Development fallback: never written anywhere, so pseudonyms cannot be reversed later.
    return secrets.token_bytes(32)


@lru_cache(maxsize=1)
def _process_session_key() -> bytes:
    # Development fallback: sessions end with the process, which is what a developer expects.
    return secrets.token_bytes(32)


def env_name(field: str) -> str:
    """The environment variable of a settings field: ``api_token`` -> ``CORDWATCH_API_TOKEN``."""
    return f"CORDWATCH_{field.upper()}"


CONFIG_ERROR_STATUS = 78  # EX_CONFIG (sysexits.h): the configuration is wrong, do not retry as is


class ConfigError(Exception):
    """The environment's settings are wrong; ``problems`` has one line each, no values."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def describe(error: ValidationError) -> list[str]:
    """One line per problem, naming the variable; pydantic's input values are never read."""
    lines: list[str] = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        loc = item["loc"]
        if loc:
            lines.extend(f"{env_name(str(loc[0]))}: {part}" for part in message.splitlines())
        else:  # the cross-field check: its lines already name their variables
            lines.extend(message.splitlines())
    return lines


def load_settings(**fields: object) -> Settings:
    """Settings from the environment (``fields`` override it); ConfigError when they are wrong."""
    try:
        return Settings(**fields)  # type: ignore[arg-type]
    except ValidationError as exc:
        # `from None`: pydantic's own message quotes every refused input, secrets included.
        raise ConfigError(describe(exc)) from None
