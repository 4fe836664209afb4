"""Audit store rows (SQLModel ``table=True``) and the explicit converters from pathway outputs.

The database is a projection of ``cordwatch.episode-changes`` and ``cordwatch.alerts``: one row
per entity id, holding the newest snapshot seen (``version``). Rows are separate classes from the
frozen domain outputs (there are no classical mappers in SQLModel), and the ``*_row`` functions
below are the only place the two shapes meet. Patient ids are stored as given, because the
database is part of the clinical record, but they are kept out of every ``repr``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Index, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel import Field, SQLModel

from models.outputs import (
    Alert,
    CareEventRecorded,
    DetectionRecorded,
    EpisodeChange,
    EpisodeChanged,
    EscalationChanged,
    ReviewChanged,
    ScoreComputed,
    TimerChanged,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every dialect.

    PostgreSQL stores ``timestamptz``; SQLite has no time zone type, so values are normalised to
    UTC before they are written as text. A naive value is refused: a deadline without an offset
    is ambiguous across a daylight-saving change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the audit store")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON(), nullable=True))


class _NoPatientRepr(SQLModel):
    """Keeps ``patient_id`` out of repr so a row in a log line or traceback carries no PHI."""

    def __repr_args__(self) -> Any:
        return [(k, v) for k, v in super().__repr_args__() if k != "patient_id"]


class EpisodeRow(_NoPatientRepr, table=True):
    """One suspected MESCC episode, as of its newest change."""

    __tablename__ = "episodes"
    __table_args__ = (Index("ix_episodes_facility_suspected", "facility", "suspected_at"),)

    episode_id: str = Field(primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    version: int
    changed_at: datetime = _ts(nullable=False)
    status: str = Field(max_length=16)
    suspected_at: datetime = _ts(nullable=False, index=True)
    opened_by_accession: str = Field(max_length=64)
    closed_at: datetime | None = _ts()
    close_reason: str | None = Field(default=None, max_length=128)
    escc_grade: str | None = Field(default=None, max_length=4)
    high_grade: bool = False
    levels: list[str] | None = _json()
    priority: str = Field(max_length=16)
    retropulsion: bool = False
    cord_signal: bool = False
    sins_total: int | None = None
    sins_min: int | None = None
    sins_max: int | None = None
    sins_category: str | None = Field(default=None, max_length=32)


class TimerRow(_NoPatientRepr, table=True):
    """One time-to-treatment clock of an episode (steroids, surgical evaluation)."""

    __tablename__ = "timers"

    timer_id: str = Field(primary_key=True, max_length=64)
    episode_id: str = Field(max_length=64, index=True)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    version: int
    changed_at: datetime = _ts(nullable=False)
    kind: str = Field(max_length=32)
    started_at: datetime = _ts(nullable=False)
    due_at: datetime = _ts(nullable=False)
    status: str = Field(max_length=16)
    met_at: datetime | None = _ts()
    met_by: str | None = Field(default=None, max_length=128)
    breached_at: datetime | None = _ts()
    breach_retracted: bool = False
    cancel_reason: str | None = Field(default=None, max_length=128)


class DetectionRow(_NoPatientRepr, table=True):
    """One report version's detector result and evidence (report accession + version)."""

    __tablename__ = "detections"

    detection_id: str = Field(primary_key=True, max_length=64)
    episode_id: str = Field(max_length=64, index=True)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    version: int
    changed_at: datetime = _ts(nullable=False)
    accession: str = Field(max_length=64, index=True)
    report_status: str = Field(max_length=16)
    event_id: str = Field(max_length=128)
    occurred_at: datetime = _ts(nullable=False)
    modality: str = Field(max_length=16)
    exam: str = Field(max_length=256)
    result: dict[str, Any] | None = _json()
    evidence: list[dict[str, Any]] | None = _json()


class ScoreSnapshotRow(_NoPatientRepr, table=True):
    """The episode's scores as recomputed at ``computed_at``."""

    __tablename__ = "score_snapshots"

    score_id: str = Field(primary_key=True, max_length=64)
    episode_id: str = Field(max_length=64, index=True)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    version: int
    changed_at: datetime = _ts(nullable=False)
    computed_at: datetime = _ts(nullable=False)
    result: dict[str, Any] | None = _json()


class CareEventRow(_NoPatientRepr, table=True):
    """The newest state of one source record (drug, consult, procedure) relevant to an episode."""

    __tablename__ = "care_events"

    # Source record ids are unique per family (administration, consult, procedure) and one
    # record may fall in two episodes' windows: the key is all three.
    episode_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    record_id: str = Field(primary_key=True, max_length=128)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    version: int
    changed_at: datetime = _ts(nullable=False)
    occurred_at: datetime = _ts(nullable=False)
    status: str = Field(max_length=32)
    detail: str = Field(max_length=256)
    counts_for: str | None = Field(default=None, max_length=32)


class AlertRow(_NoPatientRepr, table=True):
    """An alert as raised, plus the delivery and acknowledgement facts filled in later."""

    __tablename__ = "alerts"

    alert_id: str = Field(primary_key=True, max_length=64)
    alert_type: str = Field(max_length=32)
    priority: str = Field(max_length=16)
    episode_id: str = Field(max_length=64, index=True)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    timer: str | None = Field(default=None, max_length=32)
    due: datetime | None = _ts()
    at: datetime = _ts(nullable=False)
    summary: str = Field(max_length=2000)
    detected_late: bool = False
    warning_fraction: float | None = None
    escalates_alert_id: str | None = Field(default=None, max_length=64)
    # Written by the notify side (services.alerts), never by the alert itself.
    delivery_status: str | None = Field(default=None, max_length=16)
    delivery_attempts: int = 0
    delivered_at: datetime | None = _ts()
    delivery_channel: str | None = Field(default=None, max_length=64)
    acknowledged_at: datetime | None = _ts()
    acknowledged_by: str | None = Field(default=None, max_length=128)


class DeliveryAttemptRow(SQLModel, table=True):
    """One delivery attempt of a page (or the decision not to send: silenced, inhibited, nobody).

    ``delivery_id`` is one per (alert, receiver, tier); ``receiver`` is the routing file's key of
    the person, never a name or a contact.
    """

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_delivery", "delivery_id", "outcome"),)

    attempt_id: str = Field(primary_key=True, max_length=80)  # delivery_id:attempt:time_us
    delivery_id: str = Field(max_length=64)
    alert_id: str = Field(max_length=64, index=True)
    episode_id: str = Field(max_length=64, index=True)
    facility: str | None = Field(default=None, max_length=32)
    priority: str = Field(max_length=16)
    receiver: str = Field(max_length=64)
    channel: str | None = Field(default=None, max_length=16)
    tier: int = 1
    fallback: bool = False
    attempt: int = 0
    outcome: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=64)
    at: datetime = _ts(nullable=False)
    alert_at: datetime = _ts(nullable=False)
    grouped_alert_ids: Any = _json()


class SilenceRow(_NoPatientRepr, table=True):
    """A silence on an episode or a patient: pages are stored, not delivered, until it ends."""

    __tablename__ = "silences"

    silence_id: str = Field(primary_key=True, max_length=64)
    scope: str = Field(max_length=16)
    # An episode id, or a patient id (PHI: kept out of repr as ``patient_id`` is elsewhere).
    target: str = Field(max_length=64, index=True, repr=False)
    reason: str = Field(max_length=500)
    author: str = Field(max_length=128)
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    ended_at: datetime | None = _ts()
    ended_by: str | None = Field(default=None, max_length=128)


class EscalationRow(_NoPatientRepr, table=True):
    """A critical page's escalation: how far it went and why it stopped (issue 13).

    A projection of ``EscalationChanged``: one row per first page, its newest version."""

    __tablename__ = "escalations"

    alert_id: str = Field(primary_key=True, max_length=64)
    episode_id: str = Field(max_length=64, index=True)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    version: int
    changed_at: datetime = _ts(nullable=False)
    alert_type: str = Field(max_length=32)
    timer: str | None = Field(default=None, max_length=32)
    paged_at: datetime = _ts(nullable=False)
    steps_sent: int
    tier: int
    stopped: str | None = Field(default=None, max_length=16)
    stopped_at: datetime | None = _ts()


class ReviewItemRow(_NoPatientRepr, table=True):
    """A study the detector sent for review (review_needed, not suspected) and its verdict.

    A projection of ``ReviewChanged`` like the other entity tables: the pathway decides, the sink
    writes. ``episode_id`` is the episode a confirmation opened (or the study joined).
    """

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_status_report", "status", "report_at"),)

    review_id: str = Field(primary_key=True, max_length=64)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    version: int
    changed_at: datetime = _ts(nullable=False)
    accession: str = Field(max_length=64)
    report_event_id: str = Field(max_length=128)
    report_status: str = Field(max_length=16)
    modality: str = Field(max_length=16)
    exam: str = Field(max_length=256)
    report_at: datetime = _ts(nullable=False)
    requested_at: datetime = _ts(nullable=False)
    status: str = Field(max_length=16)
    sentence: str | None = Field(default=None, max_length=400)
    cues: list[dict[str, Any]] | None = _json()
    decided_at: datetime | None = _ts()
    decided_by: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=2000)
    episode_id: str | None = Field(default=None, max_length=64, index=True)


class FeedbackRow(_NoPatientRepr, table=True):
    """One person's verdict on an alert or a review item (issue 14): what the detector's
    precision is measured from. ``flagged_at`` is the clinical time of what was flagged (the
    report of a review item, the episode's suspicion for an alert): the month it counts in."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_flagged", "flagged_at", "kind"),)

    feedback_id: str = Field(primary_key=True, max_length=64)
    target: str = Field(max_length=16)  # "alert" or "review"
    alert_id: str | None = Field(default=None, max_length=64, index=True)
    review_id: str | None = Field(default=None, max_length=64, index=True)
    episode_id: str | None = Field(default=None, max_length=64, index=True)
    patient_id: str = Field(max_length=64)
    facility: str | None = Field(default=None, max_length=32)
    # not_mescc, already_treated_elsewhere, duplicate; "confirmed" for a confirmed review item.
    kind: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=2000)
    author: str = Field(max_length=128)
    created_at: datetime = _ts(nullable=False)
    flagged_at: datetime = _ts(nullable=False)


# --- converters: pathway outputs -> rows ------------------------------------------------------


def _envelope(change: EpisodeChange) -> dict[str, Any]:
    return {
        "episode_id": change.episode_id,
        "patient_id": change.patient_id,
        "facility": change.facility,
        "version": change.version,
        "changed_at": change.at,
    }


def episode_values(change: EpisodeChanged) -> dict[str, Any]:
    """Episode snapshot -> episodes column values."""
    ep = change.episode
    return dict(
        **_envelope(change),
        status=ep.status.value,
        suspected_at=ep.suspected_at,
        opened_by_accession=ep.opened_by_accession,
        closed_at=ep.closed_at,
        close_reason=ep.close_reason,
        escc_grade=ep.escc_grade,
        high_grade=ep.high_grade,
        levels=list(ep.levels),
        priority=ep.priority.value,
        retropulsion=ep.retropulsion,
        cord_signal=ep.cord_signal,
        sins_total=ep.sins_total,
        sins_min=ep.sins_min,
        sins_max=ep.sins_max,
        sins_category=ep.sins_category,
    )


def timer_values(change: TimerChanged) -> dict[str, Any]:
    """Timer snapshot -> timers column values."""
    t = change.timer
    return dict(
        **_envelope(change),
        timer_id=t.timer_id,
        kind=t.kind.value,
        started_at=t.started_at,
        due_at=t.due_at,
        status=t.status.value,
        met_at=t.met_at,
        met_by=t.met_by,
        breached_at=t.breached_at,
        breach_retracted=t.breach_retracted,
        cancel_reason=t.cancel_reason,
    )


def detection_values(change: DetectionRecorded) -> dict[str, Any]:
    """Detection snapshot -> detections column values; evidence also gets its own column."""
    d = change.detection
    evidence = d.result.get("evidence")
    return dict(
        **_envelope(change),
        detection_id=d.detection_id,
        accession=d.accession,
        report_status=d.report_status,
        event_id=d.event_id,
        occurred_at=d.occurred_at,
        modality=d.modality,
        exam=d.exam,
        result=dict(d.result),
        evidence=list(evidence) if isinstance(evidence, list) else [],
    )


def score_values(change: ScoreComputed) -> dict[str, Any]:
    """Score snapshot -> score_snapshots column values."""
    s = change.score
    return dict(
        **_envelope(change), score_id=s.score_id, computed_at=s.computed_at, result=dict(s.result)
    )


def care_event_values(change: CareEventRecorded) -> dict[str, Any]:
    """Care event snapshot -> care_events column values."""
    c = change.care_event
    return dict(
        **_envelope(change),
        record_id=c.record_id,
        kind=c.kind.value,
        occurred_at=c.occurred_at,
        status=c.status,
        detail=c.detail,
        counts_for=c.counts_for.value if c.counts_for is not None else None,
    )


def escalation_values(change: EscalationChanged) -> dict[str, Any]:
    """Escalation snapshot -> escalations column values."""
    e = change.escalation
    return dict(
        **_envelope(change),
        alert_id=e.alert_id,
        alert_type=e.alert_type.value,
        timer=e.timer.value if e.timer is not None else None,
        paged_at=e.paged_at,
        steps_sent=e.steps_sent,
        tier=e.tier,
        stopped=e.stopped,
        stopped_at=e.stopped_at,
    )


def review_values(change: ReviewChanged) -> dict[str, Any]:
    """Review snapshot -> review_items column values (``episode_id``: the episode it opened)."""
    r = change.review
    return dict(
        review_id=r.review_id,
        patient_id=change.patient_id,
        facility=change.facility,
        version=change.version,
        changed_at=change.at,
        accession=r.accession,
        report_event_id=r.report_event_id,
        report_status=r.report_status,
        modality=r.modality,
        exam=r.exam,
        report_at=r.report_at,
        requested_at=r.requested_at,
        status=r.status.value,
        sentence=r.sentence,
        cues=[c.model_dump(mode="json") for c in r.cues],
        decided_at=r.decided_at,
        decided_by=r.decided_by,
        reason=r.reason,
        note=r.note,
        episode_id=r.opened_episode_id,
    )


def alert_values(alert: Alert) -> dict[str, Any]:
    """Alert -> alerts column values, with the delivery fields at their initial values."""
    return dict(
        alert_id=alert.alert_id,
        alert_type=alert.alert_type.value,
        priority=alert.priority.value,
        episode_id=alert.episode_id,
        patient_id=alert.patient_id,
        facility=alert.facility,
        timer=alert.timer.value if alert.timer is not None else None,
        due=alert.due,
        at=alert.at,
        summary=alert.summary,
        detected_late=alert.detected_late,
        warning_fraction=alert.warning_fraction,
        escalates_alert_id=alert.escalates_alert_id,
        delivery_status=None,
        delivery_attempts=0,
        delivered_at=None,
        delivery_channel=None,
        acknowledged_at=None,
        acknowledged_by=None,
    )


_CONVERTERS: dict[type[BaseModel], tuple[type[SQLModel], Callable[[Any], dict[str, Any]]]] = {
    EpisodeChanged: (EpisodeRow, episode_values),
    TimerChanged: (TimerRow, timer_values),
    DetectionRecorded: (DetectionRow, detection_values),
    ScoreComputed: (ScoreSnapshotRow, score_values),
    CareEventRecorded: (CareEventRow, care_event_values),
    ReviewChanged: (ReviewItemRow, review_values),
    EscalationChanged: (EscalationRow, escalation_values),
}


def change_values(change: EpisodeChange) -> tuple[Table, dict[str, Any]]:
    """Any episode change -> the table it upserts and every column's value (the sink's path)."""
    try:
        row_type, convert = _CONVERTERS[type(change)]
    except KeyError:
        raise TypeError(f"unknown episode change type: {type(change).__name__}") from None
    return row_type.__table__, convert(change)  # type: ignore[attr-defined]


def change_row(change: EpisodeChange) -> SQLModel:
    """Any episode change -> its row object (for callers that want the SQLModel instance)."""
    row_type, convert = _CONVERTERS[type(change)]
    return row_type(**convert(change))


def alert_row(alert: Alert) -> AlertRow:
    """Alert -> alerts row object."""
    return AlertRow(**alert_values(alert))


def row_values(row: SQLModel) -> dict[str, Any]:
    """Column values of a row, keyed by column name, for a Core insert."""
    table = row.__table__  # type: ignore[attr-defined]
    return {col.name: getattr(row, col.name) for col in table.columns}


class AccessRecordRow(SQLModel, table=True):
    """One patient-level read or action by a named user (the access audit, issue 14).

    Who (``user_name``, ``role``, ``via``), when (``at``), what (``action`` on ``target_kind``
    ``target_id``: an episode, alert or silence id, which are keyed hashes, never a patient id)
    and from where (``remote``: the client address). ``detail`` holds counts and reasons only.
    """

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_user_at", "user_name", "at"),)

    access_id: str = Field(primary_key=True, max_length=40)
    at: datetime = _ts(nullable=False, index=True)
    user_name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    via: str = Field(max_length=16)
    action: str = Field(max_length=32)
    target_kind: str | None = Field(default=None, max_length=16)
    target_id: str | None = Field(default=None, max_length=64, index=True)
    remote: str | None = Field(default=None, max_length=64)
    outcome: str = Field(max_length=16)
    detail: dict[str, Any] | None = _json()
