"""HTTP API shapes: the query parameters it accepts and the ``...Public`` bodies it returns.

Query models validate at the edge (a bad parameter is a 400 naming the parameter, never a 500).
Instants serialise with ``isoformat()`` (``+00:00``), the spelling of `cordwatch audit --format
json`, so the API and the CLI return byte-identical timestamps. Only the episode detail carries
the patient id; lists and the audit never do.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from models.outputs import EpisodeStatus


def _date_or_instant(value: Any) -> Any:
    # A bare date means midnight UTC, as on the `cordwatch audit` command line.
    if isinstance(value, str) and len(value) == 10:
        try:
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        except ValueError:
            return value
    return value


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_date_or_instant),
    PlainSerializer(lambda v: v.isoformat(), return_type=str, when_used="json"),
]

MAX_PAGE = 500


class _Query(BaseModel):
    # Unknown parameters are refused: a misspelt filter must not silently return everything.
    model_config = ConfigDict(frozen=True, extra="forbid")


class AuditQuery(_Query):
    """``GET /api/audit``: the `cordwatch audit` options."""

    since: Instant | None = None
    until: Instant | None = None
    facility: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    by: Literal["month", "week", "day"] = "month"


class EpisodesQuery(_Query):
    """``GET /api/episodes``: a page of episodes suspected in [since, until)."""

    since: Instant | None = None
    until: Instant | None = None
    facility: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    status: EpisodeStatus | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 100
    offset: Annotated[int, Field(ge=0)] = 0


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AuditRowPublic(_Public):
    """One period x facility x measure row, rounded as every audit format rounds it."""

    period: str
    facility: str
    measure: str
    episodes: int
    n: int
    median_h: float | None
    p90_h: float | None
    compliance_pct: float | None
    on_time: int
    decided: int
    breaches: int
    retracted: int
    open: int


class BreachPublic(_Public):
    """A timer that ran past its deadline (no patient id)."""

    episode_id: str
    facility: str
    suspected_at: Instant
    measure: str
    due_at: Instant
    met_at: Instant | None
    status: str
    late_by_s: int
    late_by: str


class PrecisionPublic(_Public):
    """The detector's precision in one month and facility, from people's verdicts (issue 14)."""

    period: str
    facility: str
    confirmed: int
    not_mescc: int
    duplicates: int
    precision_pct: float | None


class PagingPublic(_Public):
    """Paging in one period and facility (issue 13): delivery in seconds, acknowledgement in
    minutes, and the critical pages nobody acknowledged."""

    period: str
    facility: str
    pages: int
    delivered_n: int
    delivered_median_s: float | None
    delivered_p90_s: int | None
    acknowledged_n: int
    acknowledged_median_min: float | None
    acknowledged_p90_min: float | None
    critical: int
    unacknowledged_critical: int


class AuditPublic(_Public):
    """The audit summary: the document `cordwatch audit --format json` prints."""

    since: Instant
    until: Instant
    by: str
    facility: str | None
    generated_at: Instant
    definitions: dict[str, str]
    rows: list[AuditRowPublic]
    breaches: list[BreachPublic]
    breaches_total: int
    precision: list[PrecisionPublic] = []
    paging: list[PagingPublic] = []


class EpisodeSummaryPublic(_Public):
    """One episode in a list: outcome and times from suspicion in seconds, no patient id."""

    episode_id: str
    facility: str | None
    status: str
    priority: str
    suspected_at: Instant
    closed_at: Instant | None
    close_reason: str | None
    escc_grade: str | None
    steroids_status: str | None
    steroids_s: int | None
    surgical_evaluation_status: str | None
    surgical_evaluation_s: int | None
    radiotherapy_s: int | None
    surgery_s: int | None


class EpisodePagePublic(_Public):
    """A page of episodes, oldest suspicion first, with the total for paging."""

    total: int
    limit: int
    offset: int
    episodes: list[EpisodeSummaryPublic]


class TimerPublic(_Public):
    """One time-to-treatment clock of the episode."""

    timer_id: str
    kind: str
    status: str
    started_at: Instant
    due_at: Instant
    met_at: Instant | None
    met_by: str | None
    breached_at: Instant | None
    breach_retracted: bool
    cancel_reason: str | None


class AlertPublic(_Public):
    """An alert as raised, with its delivery and acknowledgement facts."""

    alert_id: str
    alert_type: str
    priority: str
    timer: str | None
    due: Instant | None
    at: Instant
    summary: str
    detected_late: bool
    escalates_alert_id: str | None
    delivery_status: str | None
    delivery_attempts: int
    delivered_at: Instant | None
    delivery_channel: str | None
    acknowledged_at: Instant | None
    acknowledged_by: str | None


class EvidencePublic(BaseModel):
    """A report sentence that decided a detector field, and the rule that fired."""

    # Stored evidence is the detector's own dump: tolerate fields added to it later.
    model_config = ConfigDict(frozen=True, extra="ignore")

    field: str
    rule: str
    sentence: str
    start: int
    end: int
    section: str | None = None


class DetectionPublic(_Public):
    """One report version's detector result with its evidence."""

    detection_id: str
    accession: str
    report_status: str
    occurred_at: Instant
    modality: str
    exam: str
    result: dict[str, Any]
    evidence: list[EvidencePublic]


class ScoreSnapshotPublic(_Public):
    """The scores as recomputed at ``computed_at``."""

    score_id: str
    computed_at: Instant
    result: dict[str, Any]


class CareEventPublic(_Public):
    """A drug, consult or procedure record relevant to the episode."""

    kind: str
    record_id: str
    occurred_at: Instant
    status: str
    detail: str
    counts_for: str | None


class TimelineEntryPublic(_Public):
    """One dated fact, pointing at its entry in the lists above by ``ref`` (an id)."""

    at: Instant
    what: str
    ref: str | None


class EpisodeDetailPublic(_Public):
    """One episode for the clinician who opens it: its patient id, timers and dated facts."""

    episode_id: str
    # PHI, returned here only: the clinician acting on the episode must identify the patient.
    patient_id: str
    facility: str | None
    status: str
    priority: str
    suspected_at: Instant
    opened_by_accession: str
    closed_at: Instant | None
    close_reason: str | None
    escc_grade: str | None
    high_grade: bool
    levels: list[str]
    sins_total: int | None
    sins_category: str | None
    timers: list[TimerPublic]
    alerts: list[AlertPublic]
    detections: list[DetectionPublic]
    scores: list[ScoreSnapshotPublic]
    care_events: list[CareEventPublic]
    timeline: list[TimelineEntryPublic]


class ErrorPublic(_Public):
    """Every non-2xx body: what went wrong, in words, with no data from the store."""

    error: str
