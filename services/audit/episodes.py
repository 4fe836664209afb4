"""Per-episode read side: intervals from suspicion for each episode, and one episode's timeline.

Public shapes only: episode ids, facility, clinical times, statuses and detector evidence;
never the patient id (the API and the CLI list episodes, not people).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import and_, case, func, null, select
from sqlalchemy.engine import Connection

from models.tables import (
    AlertRow,
    CareEventRow,
    DeliveryAttemptRow,
    DetectionRow,
    EpisodeRow,
    EscalationRow,
    ScoreSnapshotRow,
    TimerRow,
)
from services.audit.queries import (
    CARE,
    EPISODES,
    NO_FACILITY,
    RADIOTHERAPY_PROCEDURES,
    SURGERY_PROCEDURES,
    TIMERS,
    seconds_since,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EpisodeIntervals(_Frozen):
    """One episode's times from suspicion (seconds; None when not reached)."""

    episode_id: str
    facility: str
    status: str
    suspected_at: AwareDatetime
    steroids_status: str | None
    steroids_s: int | None
    surgical_evaluation_status: str | None
    surgical_evaluation_s: int | None
    radiotherapy_s: int | None
    surgery_s: int | None


class TimelineEntry(_Frozen):
    """One dated fact of an episode, for the timeline view."""

    at: AwareDatetime
    what: str
    detail: dict[str, Any]


class EpisodePublic(_Frozen):
    """An episode with its timeline and the detector's evidence; no patient id."""

    episode_id: str
    facility: str | None
    status: str
    suspected_at: AwareDatetime
    closed_at: AwareDatetime | None
    close_reason: str | None
    escc_grade: str | None
    levels: list[str]
    priority: str
    timers: list[dict[str, Any]]
    timeline: list[TimelineEntry]


def episode_intervals(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    facility: str | None = None,
    limit: int | None = None,
) -> list[EpisodeIntervals]:
    """Each episode suspected in [since, until): its four intervals, oldest first."""
    ep, t, c = EPISODES.c, TIMERS.c, CARE.c
    met = t.status.in_(("met", "met_late")) & t.met_at.is_not(None)

    def timer_seconds(kind: str) -> Any:
        return func.max(case((and_(t.kind == kind, met), seconds_since(ep.suspected_at, t.met_at))))

    def timer_status(kind: str) -> Any:
        return func.max(case((t.kind == kind, t.status), else_=null()))

    timers = (
        select(
            t.episode_id,
            timer_seconds("steroids").label("steroids_s"),
            timer_status("steroids").label("steroids_status"),
            timer_seconds("surgical_evaluation").label("surgical_s"),
            timer_status("surgical_evaluation").label("surgical_status"),
        )
        .select_from(TIMERS.join(EPISODES, ep.episode_id == t.episode_id))
        .group_by(t.episode_id)
        .subquery("t")
    )
    done = (c.kind == "procedure") & (c.status == "completed")

    def first(names: tuple[str, ...]) -> Any:
        return func.min(case((done & c.detail.in_(names), c.occurred_at)))

    procedures = (
        select(
            c.episode_id,
            first(RADIOTHERAPY_PROCEDURES).label("rt_at"),
            first(SURGERY_PROCEDURES).label("surgery_at"),
        )
        .group_by(c.episode_id)
        .subquery("p")
    )
    conditions = [ep.suspected_at >= since, ep.suspected_at < until]
    if facility is not None:
        conditions.append(ep.facility == facility)
    stmt = (
        select(
            ep.episode_id,
            func.coalesce(ep.facility, NO_FACILITY).label("facility"),
            ep.status,
            ep.suspected_at,
            timers.c.steroids_status,
            timers.c.steroids_s,
            timers.c.surgical_status,
            timers.c.surgical_s,
            seconds_since(ep.suspected_at, procedures.c.rt_at).label("rt_s"),
            seconds_since(ep.suspected_at, procedures.c.surgery_at).label("surgery_s"),
        )
        .select_from(
            EPISODES.outerjoin(timers, timers.c.episode_id == ep.episode_id).outerjoin(
                procedures, procedures.c.episode_id == ep.episode_id
            )
        )
        .where(*conditions)
        .order_by(ep.suspected_at, ep.episode_id)
        .limit(limit)
    )
    return [
        EpisodeIntervals(
            episode_id=r.episode_id,
            facility=r.facility,
            status=r.status,
            suspected_at=r.suspected_at,
            steroids_status=r.steroids_status,
            steroids_s=_int(r.steroids_s),
            surgical_evaluation_status=r.surgical_status,
            surgical_evaluation_s=_int(r.surgical_s),
            radiotherapy_s=_int(r.rt_s),
            surgery_s=_int(r.surgery_s),
        )
        for r in conn.execute(stmt)
    ]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def episode_public(conn: Connection, episode_id: str) -> EpisodePublic | None:
    """One episode with timers and a dated timeline of detections, scores, care and alerts."""
    ep = conn.execute(
        select(EpisodeRow.__table__).where(EPISODES.c.episode_id == episode_id)  # type: ignore[attr-defined]
    ).one_or_none()
    if ep is None:
        return None
    timers = [
        {
            "timer_id": r.timer_id, "kind": r.kind, "status": r.status,
            "started_at": r.started_at.isoformat(), "due_at": r.due_at.isoformat(),
            "met_at": r.met_at.isoformat() if r.met_at else None, "met_by": r.met_by,
            "breach_retracted": r.breach_retracted, "cancel_reason": r.cancel_reason,
        }
        for r in _rows(conn, TimerRow, episode_id)
    ]  # fmt: skip
    timeline = [
        TimelineEntry(at=ep.suspected_at, what="suspected", detail={
            "accession": ep.opened_by_accession})
    ]  # fmt: skip
    for r in _rows(conn, DetectionRow, episode_id):
        timeline.append(TimelineEntry(at=r.occurred_at, what="report", detail={
            "accession": r.accession, "report_status": r.report_status, "modality": r.modality,
            "exam": r.exam, "result": r.result, "evidence": r.evidence}))  # fmt: skip
    for r in _rows(conn, ScoreSnapshotRow, episode_id):
        timeline.append(TimelineEntry(at=r.computed_at, what="scores", detail=r.result))
    for r in _rows(conn, CareEventRow, episode_id):
        timeline.append(TimelineEntry(at=r.occurred_at, what=f"care:{r.kind}", detail={
            "record_id": r.record_id, "status": r.status, "detail": r.detail,
            "counts_for": r.counts_for}))  # fmt: skip
    for r in _rows(conn, AlertRow, episode_id):
        timeline.append(TimelineEntry(at=r.at, what=f"alert:{r.alert_type}", detail={
            "alert_id": r.alert_id, "priority": r.priority, "timer": r.timer,
            "summary": r.summary, "acknowledged_at": r.acknowledged_at.isoformat()
            if r.acknowledged_at else None}))  # fmt: skip
        if r.acknowledged_at is not None:
            timeline.append(TimelineEntry(at=r.acknowledged_at, what="acknowledged", detail={
                "alert_id": r.alert_id, "by": r.acknowledged_by}))  # fmt: skip
    # Every delivery attempt of the notify worker (services.alerts): who (routing-file key), how,
    # which tier, and what came of it.
    for r in _rows(conn, DeliveryAttemptRow, episode_id):
        timeline.append(TimelineEntry(at=r.at, what=f"page:{r.outcome}", detail={
            "alert_id": r.alert_id, "receiver": r.receiver, "channel": r.channel,
            "tier": r.tier, "fallback": r.fallback, "attempt": r.attempt,
            "reason": r.reason}))  # fmt: skip
    # Each critical page's escalation (issue 13): how far it went and what stopped it.
    for r in _rows(conn, EscalationRow, episode_id):
        if r.stopped is not None and r.stopped_at is not None:
            timeline.append(TimelineEntry(at=r.stopped_at, what=f"escalation:{r.stopped}", detail={
                "alert_id": r.alert_id, "alert_type": r.alert_type, "timer": r.timer,
                "tier": r.tier, "steps_sent": r.steps_sent}))  # fmt: skip
    if ep.closed_at is not None:
        timeline.append(TimelineEntry(at=ep.closed_at, what=ep.status,
                                      detail={"reason": ep.close_reason}))  # fmt: skip
    timeline.sort(key=lambda e: (e.at, e.what))
    return EpisodePublic(
        episode_id=ep.episode_id, facility=ep.facility, status=ep.status,
        suspected_at=ep.suspected_at, closed_at=ep.closed_at, close_reason=ep.close_reason,
        escc_grade=ep.escc_grade, levels=list(ep.levels or []), priority=ep.priority,
        timers=timers, timeline=timeline,
    )  # fmt: skip


def _rows(conn: Connection, row_type: Any, episode_id: str) -> list[Any]:
    table = row_type.__table__
    return list(conn.execute(select(table).where(table.c.episode_id == episode_id)))
