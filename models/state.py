"""One patient's pathway state: what the Faust ``patients`` table stores (as JSON) per patient_id.

Frozen; the reducer returns a new value. The context keeps the facts needed to decide by event
time whatever order they arrive in (care records by source id, reports, departures,
assessments); episodes keep their timers, every report version's detection and the latest scores.
Every collection is bounded so a long-stay patient cannot grow a changelog record without limit.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from models.detection import EsccGrade, SinsImaging
from models.outputs import (
    AlertType,
    CareKind,
    EpisodeStatus,
    Priority,
    ReviewCue,
    ReviewStatus,
    TimerKind,
    TimerStatus,
)
from models.scoring import SinsResult

# Bounds: generous for a single admission, small enough for a 100 000-patient table.
MAX_RECENT_EVENT_IDS = 256
MAX_CARE_RECORDS = 200
MAX_REPORTS = 100
MAX_ASSESSMENTS = 20
# Live episodes: the open one and the closed ones late events can still move. A closed episode
# is archived (it stays in the audit store, its facts leave the state) once its closure is older
# than the history age plus the lookback, or early while a patient has more than this many.
MAX_EPISODES = 20
MAX_REVIEWS = 64
MAX_DIAGNOSES = 200  # the scorer reads at most 200 coded diagnoses
# Reports that find nothing and belong to no known study: kept only so that a late preliminary
# of the same accession still finds its negative final (a bounded, clinical-time-newest buffer).
MAX_UNMATCHED_REPORTS = 16
# Care records that count for one timer of one live episode, earliest first: the first meets it,
# the next ones stand in only if it is entered in error.
MAX_COUNTING_RECORDS = 4
EVIDENCE_CHARS = 160  # the one evidence sentence a page quotes (summaries.MAX_EVIDENCE_CHARS)
# Review items kept in the state (open ones first, then the newest decided): a confirmation or
# dismissal must find its item; the audit store keeps every one.
MAX_REVIEW_ITEMS = 16
MAX_REVIEW_CUES = 3  # the detector logs at most three review cues per report
REVIEW_CUE_CHARS = 400  # a cue's sentence, cut: a pathological run-on sentence stays bounded


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CareRecord(_Frozen):
    """The winning event of one source record (administration, consult or procedure)."""

    record_id: str
    kind: CareKind
    occurred_at: AwareDatetime
    # completed, not-done, entered-in-error; consult_requested/_completed/_cancelled.
    status: str
    detail: str
    # The timer this record meets right now (None: it does not count, e.g. entered in error).
    counts_for: TimerKind | None = None
    event_id: str
    version: Annotated[int, Field(ge=1)] = 1
    # Steroid dose as mg of dexamethasone (None: no dose given or potency unknown).
    dexamethasone_mg: float | None = None
    # The sender's occurred_at when it was clamped to arrival (occurred_at is the clinical time).
    reported_at: AwareDatetime | None = None
    # False: whatever its status, this record never meets a timer (not a corticosteroid, not a
    # spinal surgical service): it is recorded in the audit and not kept in the state.
    can_count: bool = True


class ReportView(_Frozen):
    """What the pathway reads from one report version's detection; the full result and its
    evidence go out once, in the DetectionRecorded change, and are not stored (issue 11)."""

    detection_id: str
    escc_grade: EsccGrade | None = None
    high_grade: bool = False
    levels: tuple[str, ...] = ()
    retropulsion: bool = False
    cord_signal: bool = False
    sins_imaging: SinsImaging = Field(default_factory=SinsImaging)
    # The sentence a page quotes (grade first, then suspicion), cut to EVIDENCE_CHARS.
    sentence: str | None = None


class ReportFact(_Frozen):
    """One report version: the flags that shape episodes and, when it suspects MESCC or asks for
    review, the compact view of its detection."""

    event_id: str
    accession: str
    status: str
    occurred_at: AwareDatetime
    suspected: bool
    excludes: bool
    review: bool = False  # the detector asks a human to look (review_needed, not suspected)
    # The sender's occurred_at when it was clamped to arrival (occurred_at is the clinical time).
    reported_at: AwareDatetime | None = None
    # Only for a report that suspects MESCC or asks for review; None otherwise.
    view: ReportView | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_v1(cls, data: Any) -> Any:
        # A state written before contract version 2 stored the full detection snapshot.
        if isinstance(data, dict) and "detection" in data:
            data = dict(data)
            old = data.pop("detection") or {}
            result = old.get("result") or {}
            if data.get("suspected") or result.get("review_needed"):
                data["view"] = _view_from_result(old.get("detection_id", ""), result)
        return data


def _view_from_result(detection_id: str, result: dict[str, Any]) -> dict[str, Any]:
    evidence = result.get("evidence") or []
    sentence = next(
        (e.get("sentence") for want in ("escc_grade", "suspected_mescc") for e in evidence
         if e.get("field") == want),
        evidence[0].get("sentence") if evidence else None,
    )  # fmt: skip
    return {
        "detection_id": detection_id,
        "escc_grade": result.get("escc_grade"),
        "high_grade": bool(result.get("high_grade")),
        "levels": tuple(result.get("levels") or ()),
        "retropulsion": bool(result.get("retropulsion")),
        "cord_signal": bool(result.get("cord_signal")),
        "sins_imaging": result.get("sins_imaging") or {},
        "sentence": sentence[:EVIDENCE_CHARS] if isinstance(sentence, str) else None,
    }


class Departure(_Frozen):
    """A discharge or death, kept so a late-arriving report cannot reopen a finished stay."""

    event_id: str
    kind: str
    occurred_at: AwareDatetime


class AssessmentFact(_Frozen):
    """The scoring-relevant part of one bedside assessment."""

    event_id: str
    occurred_at: AwareDatetime
    motor_strength: int | None = None
    ambulatory: bool | None = None
    motor_deficit_onset: AwareDatetime | None = None
    pain: str | None = None
    ecog: int | None = None
    karnofsky: int | None = None


class DiagnosisFact(_Frozen):
    """A coded diagnosis from ADT; the union over all ADT messages is kept."""

    code: str
    system: str
    display: str | None = None
    onset: str | None = None  # ISO date


class PatientContext(_Frozen):
    """Patient-level facts, independent of any episode."""

    diagnoses: tuple[DiagnosisFact, ...] = ()
    care: dict[str, CareRecord] = Field(default_factory=dict)  # key: "<kind>:<record_id>"
    reports: tuple[ReportFact, ...] = ()
    departures: tuple[Departure, ...] = ()
    assessments: tuple[AssessmentFact, ...] = ()


class Timer(_Frozen):
    """One time-to-treatment clock; ``version`` changes on every change, for TimerDue staleness."""

    timer_id: str
    kind: TimerKind
    started_at: AwareDatetime
    due_at: AwareDatetime
    status: TimerStatus = TimerStatus.PENDING
    met_at: AwareDatetime | None = None
    met_by: str | None = None
    breached_at: AwareDatetime | None = None
    breach_retracted: bool = False
    cancel_reason: str | None = None
    version: Annotated[int, Field(ge=1)] = 1
    warnings_sent: tuple[float, ...] = ()
    # How many times this timer entered "breached": each cycle has its own alert ids.
    breach_cycle: int = 0
    breach_alert_id: str | None = None
    breach_alert_at: AwareDatetime | None = None
    # Before issue 13's watches these three drove the breach's own escalation; an older state's
    # values become a Watch (Episode._watches_from_timers) and new states leave them at rest.
    escalations_sent: int = 0
    acknowledged: bool = False
    # The next time the clock matters (warning, deadline); None when nothing is due.
    next_due_at: AwareDatetime | None = None


class EscalationStop(StrEnum):
    """Why a critical page's escalation stopped."""

    ACKNOWLEDGED = "acknowledged"  # someone acknowledged it or one of its escalations
    CLOSED = "closed"  # the patient left, or the finding was ruled out or withdrawn
    RESOLVED = "resolved"  # the breach was met late or retracted, or a new breach cycle began
    EXHAUSTED = "exhausted"  # the plan has no step left: still unacknowledged


class Watch(_Frozen):
    """A critical page being escalated by the policy's paging plan until it is acknowledged.

    Escalation is a deadline like a timer's (DESIGN.md section 3): stored here, listed by
    ``due_timers`` as a TimerDue naming ``key``, decided by the pathway agent in event time.
    """

    # What TimerDue.timer names: "page:mescc_suspected" or "page:<timer kind>" (a breach).
    key: str
    alert_id: str  # the first page; its escalations derive their ids from it
    alert_type: AlertType
    timer: TimerKind | None = None
    paged_at: AwareDatetime  # event time of the first page: the plan counts from here
    steps_sent: int = 0  # escalation steps of the plan already paged
    tier: Annotated[int, Field(ge=1)] = 1  # highest tier paged so far
    stopped: EscalationStop | None = None  # None while escalating
    stopped_at: AwareDatetime | None = None
    version: Annotated[int, Field(ge=1)] = 1
    next_due_at: AwareDatetime | None = None


class StoredScore(_Frozen):
    """What the episode keeps of its latest scores: what priority and pages read, and a digest
    of the full result (which went to the sink once, in ScoreComputed)."""

    score_id: str
    computed_at: AwareDatetime
    sins: SinsResult | None = None
    escc_grade: EsccGrade | None = None
    digest: str = ""


class Episode(_Frozen):
    """One suspected-MESCC episode, from suspicion to ruled out or closed."""

    episode_id: str
    ordinal: Annotated[int, Field(ge=1)]
    status: EpisodeStatus = EpisodeStatus.OPEN
    suspected_at: AwareDatetime
    opened_by_accession: str
    accessions: tuple[str, ...] = ()  # accessions of reports that suspected MESCC
    closed_at: AwareDatetime | None = None
    close_reason: str | None = None
    escc_grade: str | None = None
    high_grade: bool = False
    levels: tuple[str, ...] = ()
    retropulsion: bool = False
    cord_signal: bool = False
    priority: Priority = Priority.HIGH
    evidence_sentence: str | None = None
    version: Annotated[int, Field(ge=1)] = 1
    timers: tuple[Timer, ...] = ()
    # Report versions (event ids) in this episode; their detections live in context.reports,
    # stored once even when a late report moves them to another episode.
    report_event_ids: tuple[str, ...] = ()
    score: StoredScore | None = None
    score_version: int = 0
    facility: str | None = None
    # Opened by history (older than the policy's age at arrival, or before CORDWATCH_PAGE_AFTER):
    # folded with its true outcomes, shown to the coordinator, never paged.
    quiet: bool = False
    # Critical pages of this episode under escalation (one per key; a new breach cycle replaces).
    watches: tuple[Watch, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _watches_from_timers(cls, data: Any) -> Any:
        # A state stored before watches escalated a breach from its timer's fields: carry an
        # unacknowledged one over so an upgrade never silences an escalation in flight.
        if not isinstance(data, dict) or "watches" in data:
            return data
        watches = []
        for t in data.get("timers") or ():
            if not isinstance(t, dict) or t.get("status") != "breached":
                continue
            live = t.get("breach_alert_id") and t.get("breach_alert_at")
            if t.get("acknowledged") or not live:
                continue
            sent = int(t.get("escalations_sent") or 0)
            watches.append(
                {
                    "key": f"page:{t['kind']}",
                    "alert_id": t["breach_alert_id"],
                    "alert_type": "timer_breached",
                    "timer": t["kind"],
                    "paged_at": t["breach_alert_at"],
                    "steps_sent": sent,
                    "tier": sent + 1,
                    # The next scan fires it and the reducer recomputes it from the plan.
                    "next_due_at": t.get("next_due_at") or t["breach_alert_at"],
                }
            )
        return {**data, "watches": tuple(watches)} if watches else data

    @model_validator(mode="before")
    @classmethod
    def _score_from_v1(cls, data: Any) -> Any:
        # Before contract version 2 the score was {score_id, computed_at, result: {sins, ...}}.
        score = data.get("score") if isinstance(data, dict) else None
        if isinstance(score, dict) and "result" in score:
            result = score.get("result") or {}
            data = {
                **data,
                "score": {
                    "score_id": score.get("score_id", ""),
                    "computed_at": score.get("computed_at"),
                    "sins": result.get("sins"),
                    "escc_grade": (result.get("escc") or {}).get("grade"),
                    "digest": result.get("digest", ""),
                },
            }
        return data

    def timer(self, kind: TimerKind) -> Timer | None:
        """This episode's timer of one kind."""
        return next((t for t in self.timers if t.kind == kind), None)


class ReviewItem(_Frozen):
    """One study the detector sent for review (issue 14) and the coordinator's verdict on it."""

    review_id: str
    accession: str
    report_event_id: str  # the version that asked first
    report_status: str
    modality: str
    exam: str
    report_at: AwareDatetime  # clinical time of the study's earliest version that asked
    requested_at: AwareDatetime
    status: ReviewStatus = ReviewStatus.OPEN
    sentence: str | None = None
    cues: tuple[ReviewCue, ...] = ()
    decided_at: AwareDatetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    note: str | None = None
    opened_episode_id: str | None = None
    version: Annotated[int, Field(ge=1)] = 1


class PatientState(_Frozen):
    """Everything the pathway knows about one patient."""

    patient_id: str
    facility: str | None = None
    context: PatientContext = Field(default_factory=PatientContext)
    episodes: tuple[Episode, ...] = ()
    recent_event_ids: tuple[str, ...] = ()
    # Accessions a review_requested alert went out for: one request per study.
    reviews_requested: tuple[str, ...] = ()
    # Studies sent for review and their verdicts; a confirmed accession's review versions count
    # as suspecting MESCC.
    reviews: tuple[ReviewItem, ...] = ()
    # The next episode's ordinal (0: one more than the highest stored, for older states).
    next_ordinal: int = 0
    # Clinical time up to which episodes were archived: facts before it are not folded again.
    horizon: AwareDatetime | None = None

    def open_episode(self) -> Episode | None:
        """The episode still open, if any (at most one)."""
        return next((e for e in self.episodes if e.status == EpisodeStatus.OPEN), None)
