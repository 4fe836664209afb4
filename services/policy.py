"""The one cited policy file (services/policy.yaml) as a frozen ``Policy`` passed into pure code.

``load_policy`` is the only function here that does I/O; everything else is a pure question asked
of a loaded policy: does this drug count as a corticosteroid, is this a surgical spine service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.outputs import TimerKind

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yaml")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


class PolicyError(ValueError):
    """The policy file is missing, unreadable or contradicts itself; one line per problem."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("\n".join(self.problems))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimerWindow(_Frozen):
    """One timer's window and where the number comes from."""

    window_hours: Annotated[float, Field(gt=0, le=24 * 14)]
    source: Annotated[str, Field(min_length=1)]


class Sourced(_Frozen):
    source: Annotated[str, Field(min_length=1)]


class Lookback(Sourced):
    hours: Annotated[float, Field(ge=0, le=24 * 30)]


class Warnings(Sourced):
    fractions: tuple[float, ...]

    @field_validator("fractions")
    @classmethod
    def _in_window(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < f < 1 for f in value):
            raise ValueError("warning fractions must lie strictly between 0 and 1")
        return tuple(sorted(set(value)))


class Escalation(Sourced):
    after_minutes: tuple[Annotated[float, Field(gt=0)], ...]

    @field_validator("after_minutes")
    @classmethod
    def _increasing(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("escalation tiers must be strictly increasing")
        return value


class DetectedLate(Sourced):
    after_seconds: Annotated[float, Field(ge=0)]


class Corticosteroids(Sourced):
    atc_prefixes: tuple[str, ...]
    names: tuple[str, ...]
    brands: tuple[str, ...] = ()
    misspellings: tuple[str, ...] = ()
    fuzzy_min_length: Annotated[int, Field(ge=4)] = 8
    excluded_routes: tuple[str, ...] = ()
    excluded_terms: tuple[str, ...] = ()
    # None: every pre-suspicion dose counts (the lookback applies to any dose).
    lookback_minimum_dexamethasone_mg: Annotated[float, Field(ge=0)] | None = None
    lookback_minimum_source: str | None = None
    dexamethasone_mg_per_mg: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    equivalence_source: str | None = None


class ClinicalTime(Sourced):
    """How far a sender's clock is trusted, and the sane range of a clinical time."""

    future_tolerance_minutes: Annotated[float, Field(ge=0, le=24 * 60)] = 5
    earliest: AwareDatetime = datetime(1900, 1, 1, tzinfo=UTC)
    refuse_ahead_days: Annotated[float, Field(gt=0, le=3660)] = 366
    range_source: str = "Engineering default (issue 11)"


class History(Sourced):
    """Events older than this at arrival are folded without paging anyone."""

    page_within_days: Annotated[float, Field(gt=0, le=3660)] = 7


class Paging(Sourced):
    """How pages reach people: escalation tiers, grouping, retries, fallback (services/alerts)."""

    # Minutes from one tier to the next: tier 2 after the first value, tier 3 after the second...
    tier_delays_minutes: tuple[Annotated[float, Field(gt=0)], ...] = (15, 30)
    repeat_every_minutes: Annotated[float, Field(gt=0)] = 30
    repeat_times: Annotated[int, Field(ge=0, le=20)] = 3
    group_window_seconds: Annotated[float, Field(ge=0, le=600)] = 5
    retry_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    retry_base_seconds: Annotated[float, Field(gt=0)] = 0.5
    retry_cap_seconds: Annotated[float, Field(gt=0)] = 30
    fallback_after_minutes: Annotated[float, Field(gt=0)] = 5
    undeliverable_after_minutes: Annotated[float, Field(gt=0)] = 10
    ack_link_valid_hours: Annotated[float, Field(gt=0, le=24 * 14)] = 24
    # How long before a silence ends, with a timer of its episode still open, the notice goes out.
    silence_notice_minutes: Annotated[float, Field(ge=0, le=24 * 60)] = 30
    # A page nobody was on call for (and no fallback) is tried again this often, for this long.
    nobody_retry_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 5
    nobody_retry_hours: Annotated[float, Field(gt=0, le=24 * 7)] = 12


class SurgicalServices(Sourced):
    services: tuple[str, ...]
    procedures_meeting_evaluation: tuple[str, ...] = ()


class Policy(_Frozen):
    """Every clinical constant of the pathway, loaded from one YAML file."""

    model_config = ConfigDict(frozen=True, extra="forbid", ignored_types=(cached_property,))

    version: int
    timers: dict[TimerKind, TimerWindow]
    lookback: Lookback
    warnings: Warnings
    # Superseded by ``paging`` (issue 13), which escalates every critical page; still accepted so
    # a hospital's older copy loads, and ignored.
    escalation: Escalation | None = None
    detected_late: DetectedLate
    corticosteroids: Corticosteroids
    surgical_services: SurgicalServices
    # Defaults so a hospital's own older policy copy still loads; the packaged file cites them.
    clinical_time: ClinicalTime = ClinicalTime(source="Engineering default (issue 11)")
    history: History = History(source="Local operational default (issue 11)")
    # A default so a hospital's own older policy copy still loads; the packaged file cites it.
    paging: Paging = Paging(source="Local operational default (issue 13)")

    @field_validator("timers")
    @classmethod
    def _every_timer(cls, value: dict[TimerKind, TimerWindow]) -> dict[TimerKind, TimerWindow]:
        missing = set(TimerKind) - set(value)
        if missing:
            raise ValueError(f"policy lacks timers: {sorted(missing)}")
        return value

    def window(self, kind: TimerKind) -> timedelta:
        """How long after suspicion the timer is due."""
        return timedelta(hours=self.timers[kind].window_hours)

    @property
    def lookback_window(self) -> timedelta:
        return timedelta(hours=self.lookback.hours)

    @property
    def escalation_delays(self) -> tuple[timedelta, ...]:
        """When each step of the paging plan falls due, counted from the unacknowledged page."""
        p, elapsed, found = self.paging, 0.0, []
        for minutes in (*p.tier_delays_minutes, *[p.repeat_every_minutes] * p.repeat_times):
            elapsed += minutes
            found.append(timedelta(minutes=elapsed))
        return tuple(found)

    @property
    def late_after(self) -> timedelta:
        return timedelta(seconds=self.detected_late.after_seconds)

    @property
    def future_tolerance(self) -> timedelta:
        return timedelta(minutes=self.clinical_time.future_tolerance_minutes)

    @property
    def history_age(self) -> timedelta:
        return timedelta(days=self.history.page_within_days)

    def clinical_time_range(self, arrival: datetime) -> tuple[datetime, datetime]:
        """The clinical times ingest accepts for an event that arrived at ``arrival``."""
        ahead = timedelta(days=self.clinical_time.refuse_ahead_days)
        return self.clinical_time.earliest, arrival + ahead

    def deadline_time(self, reported: datetime, *, arrival: datetime) -> datetime:
        """The time deadlines use: never later than arrival beyond the tolerance, never before
        the earliest sane date (DESIGN.md section 3)."""
        if reported > arrival + self.future_tolerance:
            return arrival
        return max(reported, self.clinical_time.earliest)

    @cached_property
    def _steroid_words(self) -> frozenset[str]:
        c = self.corticosteroids
        return frozenset(_normalise(w) for w in (*c.names, *c.brands, *c.misspellings))

    @cached_property
    def _excluded_terms(self) -> frozenset[str]:
        return frozenset(_normalise(w) for w in self.corticosteroids.excluded_terms)

    @cached_property
    def _excluded_routes(self) -> frozenset[str]:
        return frozenset(_normalise(w) for w in self.corticosteroids.excluded_routes)

    @cached_property
    def _services(self) -> tuple[str, ...]:
        return tuple(f" {_normalise(s)} " for s in self.surgical_services.services)

    def is_corticosteroid(
        self, medication: str, *, route: str | None = None, atc_code: str | None = None
    ) -> bool:
        """A systemic corticosteroid by ATC code, name, brand or a near-miss spelling."""
        if route is not None and _normalise(route) in self._excluded_routes:
            return False
        tokens = _normalise(medication).split()
        if any(t in self._excluded_terms for t in tokens):
            return False
        if atc_code is not None:
            code = atc_code.strip().upper()
            if any(code.startswith(p) for p in self.corticosteroids.atc_prefixes):
                return True
        for token in tokens:
            if token in self._steroid_words:
                return True
            if len(token) >= self.corticosteroids.fuzzy_min_length and any(
                _within_one_edit(token, name) for name in self.corticosteroids.names
            ):
                return True
        return False

    def dexamethasone_equivalent_mg(self, medication: str, dose_mg: float | None) -> float | None:
        """The dose as mg of dexamethasone; None when the dose or the potency is unknown."""
        if dose_mg is None:
            return None
        table = {_normalise(k): v for k, v in self.corticosteroids.dexamethasone_mg_per_mg.items()}
        for token in _normalise(medication).split():
            factor = table.get(token)
            if factor is None and len(token) >= self.corticosteroids.fuzzy_min_length:
                factor = next((v for k, v in table.items() if _within_one_edit(token, k)), None)
            if factor is not None:
                return round(dose_mg * factor, 4)
        return None

    def counts_before_suspicion(self, dexamethasone_mg: float | None) -> bool:
        """Whether a steroid dose given before suspicion is a MESCC loading dose (see the YAML)."""
        minimum = self.corticosteroids.lookback_minimum_dexamethasone_mg
        if minimum is None:
            return True
        return dexamethasone_mg is not None and dexamethasone_mg >= minimum

    def is_surgical_service(self, service: str) -> bool:
        """A spine-surgical consult service (spinal surgery, neurosurgery, orthopaedic spine)."""
        padded = f" {_normalise(service)} "
        return any(phrase in padded for phrase in self._services)

    def procedure_meets_evaluation(self, procedure: str) -> bool:
        """Surgery on the spine implies a surgeon evaluated the patient."""
        return procedure in self.surgical_services.procedures_meeting_evaluation


def _normalise(text: str) -> str:
    return " ".join(_NON_ALNUM.sub(" ", text.casefold()).split())


def _within_one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance <= 1 (one insert, delete, substitute or swap)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def parse_policy(data: Mapping[str, Any]) -> Policy:
    """Validate a policy mapping (as read from YAML)."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_problems(exc)) from None


def _problems(error: ValidationError) -> list[str]:
    lines: list[str] = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        where = ".".join(str(part) for part in item["loc"]) or "policy"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.extend(f"invalid policy: {where}: {part}" for part in message.splitlines())
    return lines


def load_policy(path: Path | str | None = None) -> Policy:
    """Read the policy from ``path``, else the packaged default.

    A deployment's path is ``Settings.policy`` (CORDWATCH_POLICY), passed in by the caller: the
    settings object is the only reader of the environment.
    """
    chosen = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read policy file {chosen}: {type(exc).__name__}") from None
    if not isinstance(data, Mapping):
        raise PolicyError(f"policy file {chosen} is not a mapping")
    return parse_policy(data)
