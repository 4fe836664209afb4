"""What the pathway reducer emits: alerts and episode changes, frozen facts in the past tense.

``Alert`` goes to ``cordwatch.alerts`` and ``EpisodeChange`` to ``cordwatch.episode-changes``
(both keyed by patient_id). Every id is deterministic (services.ids: keyed HMAC where a patient id
goes in, uuid5 of those ids otherwise), so a replay or a restarted worker reproduces the same ids
and downstream consumers can dedupe on them. Each
episode change carries a full snapshot of the changed entity plus its ``version``: the sink
upserts by entity id and drops a change whose version is not newer than the stored one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

# The outbound contract's version (DESIGN.md: it changes only on purpose, with a note).
# 2 (issue 11): ids derived from a patient id are keyed with CORDWATCH_ID_KEY; alert ids derive
# from the episode id; new alert types finding_withdrawn and review_requested; detections carry
# reported_at when a sender's clock was clamped. README "Contract version 2" says how to migrate.
# 3 (issue 14): the inbound topic cordwatch.reviews (review_confirmed, review_dismissed) and the
# episode change ``review`` (ReviewChanged, its episode_id the review id); nothing else moved.
# 4 (issue 13): every critical alert escalates by the policy's paging plan; alerts carry ``tier``
# (default 1, so an older alert still reads) and escalation ids derive from the first page; the
# episode change ``escalation`` (EscalationChanged) records each start, step and stop.
CONTRACT_VERSION = 4


class AlertType(StrEnum):
    """Why an alert was raised (DESIGN.md section 3)."""

    MESCC_SUSPECTED = "mescc_suspected"
    TIMER_WARNING = "timer_warning"
    TIMER_BREACHED = "timer_breached"
    BREACH_RETRACTED = "breach_retracted"
    ESCALATION = "escalation"
    EPISODE_CLOSED = "episode_closed"
    # The newest version of the report that opened the episode no longer finds MESCC.
    FINDING_WITHDRAWN = "finding_withdrawn"
    # A report the detector marks review_needed: routine, for the MSCC coordinator's queue.
    REVIEW_REQUESTED = "review_requested"
    # Raised by notify, never the pathway (issue 13): a silence on an episode with a timer still
    # open ends soon, so whoever set it (or the route's role) must look again.
    SILENCE_EXPIRING = "silence_expiring"


# Alerts that tell people to stand down: they go to every tier the escalation had reached (their
# ``tier``), so the consultant woken at tier 3 hears it too, not only the tier-1 registrar.
STAND_DOWN = frozenset({AlertType.FINDING_WITHDRAWN, AlertType.BREACH_RETRACTED})


class Priority(StrEnum):
    """Paging priority: critical wakes the on-call spinal team."""

    CRITICAL = "critical"
    HIGH = "high"
    ROUTINE = "routine"


class TimerKind(StrEnum):
    """The time-to-treatment clocks of DESIGN.md section 3."""

    STEROIDS = "steroids"
    SURGICAL_EVALUATION = "surgical_evaluation"


class TimerStatus(StrEnum):
    """A timer's outcome; pending until met, breached or cancelled."""

    PENDING = "pending"
    MET = "met"
    MET_LATE = "met_late"
    BREACHED = "breached"
    CANCELLED = "cancelled"


class EpisodeStatus(StrEnum):
    """open until ruled out by a later study or closed by discharge or death."""

    OPEN = "open"
    RULED_OUT = "ruled_out"
    CLOSED = "closed"


class ReviewStatus(StrEnum):
    """A review item (issue 14): open until the coordinator confirms or dismisses it."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    # A later version of the study suspects MESCC by the detector's own words: no verdict needed.
    SUPERSEDED = "superseded"


class CareKind(StrEnum):
    """Which source-record family a care event belongs to."""

    MEDICATION = "medication"
    CONSULT = "consult"
    PROCEDURE = "procedure"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# JSON-mode dump of models.detection.Detection / models.scoring.ScoreResult. Kept as plain JSON
# so the changelog, the sink and old stored rows do not break when those models gain fields.
JsonObject = dict[str, Any]


class Alert(_Frozen):
    """A page-worthy fact for the on-call team; ``alert_id`` is the delivery dedupe key."""

    kind: Literal["alert"] = "alert"
    alert_id: str
    alert_type: AlertType
    priority: Priority
    episode_id: str
    patient_id: str
    facility: str | None = None
    timer: TimerKind | None = None
    due: AwareDatetime | None = None
    at: AwareDatetime
    # Phone-sized text: grade, levels, SINS, the evidence sentence, what is overdue; no name.
    summary: str
    detected_late: bool = False
    # Which warning point (fraction of the window) a timer_warning stands for.
    warning_fraction: float | None = None
    # For escalation: the alert that was not acknowledged in time.
    escalates_alert_id: str | None = None
    # The rota tier this page is for (issue 13): the pathway's paging plan decides it, so notify
    # never infers it. An escalation from before this field is sent at its parent's tier + 1; a
    # stand-down (finding withdrawn, breach retracted) goes to every tier up to this one.
    tier: Annotated[int, Field(ge=1)] = 1


class EpisodeSnapshot(_Frozen):
    """The episode row as it stands after this change."""

    status: EpisodeStatus
    suspected_at: AwareDatetime
    opened_by_accession: str
    closed_at: AwareDatetime | None = None
    close_reason: str | None = None
    escc_grade: str | None = None
    high_grade: bool = False
    levels: list[str] = Field(default_factory=list)
    priority: Priority
    retropulsion: bool = False
    cord_signal: bool = False
    sins_total: int | None = None
    sins_min: int | None = None
    sins_max: int | None = None
    sins_category: str | None = None


class TimerSnapshot(_Frozen):
    """The timer row as it stands after this change."""

    timer_id: str
    kind: TimerKind
    started_at: AwareDatetime
    due_at: AwareDatetime
    status: TimerStatus
    met_at: AwareDatetime | None = None
    met_by: str | None = None  # source record id (administration_id / consult_id)
    breached_at: AwareDatetime | None = None
    breach_retracted: bool = False
    cancel_reason: str | None = None


class DetectionSnapshot(_Frozen):
    """One report version's detector result and evidence; never overwritten."""

    detection_id: str
    accession: str
    report_status: str
    event_id: str
    occurred_at: AwareDatetime
    modality: str
    exam: str
    result: JsonObject
    # The sender's occurred_at when it was ahead of arrival and clamped (DESIGN.md section 3).
    reported_at: AwareDatetime | None = None


class ScoreSnapshot(_Frozen):
    """The episode's scores recomputed from the evidence known at ``computed_at``."""

    score_id: str
    computed_at: AwareDatetime
    result: JsonObject


class CareEventSnapshot(_Frozen):
    """The latest state of one source record (administration, consult or procedure)."""

    record_id: str
    kind: CareKind
    occurred_at: AwareDatetime
    status: str
    detail: str
    # Which timer this record can meet under the policy (None: recorded for context only).
    counts_for: TimerKind | None = None


class ReviewCue(_Frozen):
    """One reason the detector asked for review: the rule and the sentence holding the words
    at [start, end) (character offsets into the report text), cut to a bounded length."""

    rule: str
    sentence: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    section: str | None = None


class ReviewSnapshot(_Frozen):
    """A report the detector marks review_needed (not suspected), and the coordinator's verdict.

    ``report_at`` is the clinical time of the study's earliest version that asked for review:
    a confirmation opens the episode with its clocks from there.
    """

    review_id: str
    accession: str
    report_event_id: str
    report_status: str
    modality: str
    exam: str
    report_at: AwareDatetime
    requested_at: AwareDatetime
    status: ReviewStatus
    sentence: str | None = None
    cues: list[ReviewCue] = Field(default_factory=list)
    decided_at: AwareDatetime | None = None
    decided_by: str | None = None
    # The dismissal's reason (FeedbackKind) and the free text beside either verdict.
    reason: str | None = None
    note: str | None = None
    # The episode the study belongs to after a confirmation (None while open or dismissed).
    opened_episode_id: str | None = None


class _ChangeBase(_Frozen):
    kind: Literal["episode_change"] = "episode_change"
    change_id: str
    patient_id: str
    facility: str | None = None
    episode_id: str
    version: Annotated[int, Field(ge=1)]
    at: AwareDatetime


class EpisodeChanged(_ChangeBase):
    """The episode opened, was updated, ruled out or closed."""

    change_type: Literal["episode"] = "episode"
    episode: EpisodeSnapshot


class TimerChanged(_ChangeBase):
    """A timer started, was met, breached, retracted, re-opened or cancelled."""

    change_type: Literal["timer"] = "timer"
    timer: TimerSnapshot


class DetectionRecorded(_ChangeBase):
    """A report version was run through the detector for this episode."""

    change_type: Literal["detection"] = "detection"
    detection: DetectionSnapshot


class ScoreComputed(_ChangeBase):
    """The episode's scores were recomputed."""

    change_type: Literal["score"] = "score"
    score: ScoreSnapshot


class CareEventRecorded(_ChangeBase):
    """A care source record relevant to this episode was created or replaced."""

    change_type: Literal["care_event"] = "care_event"
    care_event: CareEventSnapshot


class ReviewChanged(_ChangeBase):
    """A review item was opened or decided; ``episode_id`` is the review id (the review alert's
    episode id), the episode a confirmation opened is in the snapshot."""

    change_type: Literal["review"] = "review"
    review: ReviewSnapshot


class EscalationSnapshot(_Frozen):
    """A critical page's escalation as the pathway holds it (models.state.Watch)."""

    alert_id: str  # the first page
    alert_type: AlertType
    timer: TimerKind | None = None
    paged_at: AwareDatetime
    steps_sent: int
    tier: int
    # acknowledged, closed, resolved, exhausted (models.state.EscalationStop); None: escalating.
    stopped: str | None = None
    stopped_at: AwareDatetime | None = None


class EscalationChanged(_ChangeBase):
    """A critical page began escalating, went up a step, or stopped (and why) (issue 13)."""

    change_type: Literal["escalation"] = "escalation"
    escalation: EscalationSnapshot


EpisodeChange = Annotated[
    EpisodeChanged
    | TimerChanged
    | DetectionRecorded
    | ScoreComputed
    | CareEventRecorded
    | ReviewChanged
    | EscalationChanged,
    Field(discriminator="change_type"),
]

# Everything handle() may return; ``kind`` says which topic it goes to.
Output = (
    Alert
    | EpisodeChanged
    | TimerChanged
    | DetectionRecorded
    | ScoreComputed
    | CareEventRecorded
    | ReviewChanged
    | EscalationChanged
)


episode_change_adapter: TypeAdapter[EpisodeChange] = TypeAdapter(EpisodeChange)
