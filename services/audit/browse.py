"""The HTTP API's read side: a filtered page of episodes with their intervals, and one episode.

The page is chosen first (filters, order, limit, offset on the episodes table alone), and the
timer and procedure aggregates are computed only for the episodes on it, so a page costs the
same on 100 episodes as on 100 000. Intervals follow ``episode_intervals`` exactly (the tests
check that the two agree).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, func, select
from sqlalchemy.engine import Connection

from models.api import (
    AlertPublic,
    CareEventPublic,
    DetectionPublic,
    EpisodeDetailPublic,
    EpisodePagePublic,
    EpisodeSummaryPublic,
    ScoreSnapshotPublic,
    TimelineEntryPublic,
    TimerPublic,
)
from models.tables import AlertRow, DetectionRow, EscalationRow, ScoreSnapshotRow
from services.audit.queries import (
    CARE,
    EPISODES,
    RADIOTHERAPY_PROCEDURES,
    SURGERY_PROCEDURES,
    TIMERS,
    seconds_since,
)

ALERTS: Table = AlertRow.__table__  # type: ignore[attr-defined]
DETECTIONS: Table = DetectionRow.__table__  # type: ignore[attr-defined]
SCORES: Table = ScoreSnapshotRow.__table__  # type: ignore[attr-defined]


def episode_page(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    facility: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> EpisodePagePublic:
    """Episodes suspected in [since, until), oldest first, ``limit`` from ``offset``."""
    ep, t, c = EPISODES.c, TIMERS.c, CARE.c
    conditions = [ep.suspected_at >= since, ep.suspected_at < until]
    if facility is not None:
        conditions.append(ep.facility == facility)
    if status is not None:
        conditions.append(ep.status == status)
    total = conn.execute(select(func.count()).select_from(EPISODES).where(*conditions)).scalar()
    page = (
        select(EPISODES)
        .where(*conditions)
        .order_by(ep.suspected_at, ep.episode_id)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    on_page = select(page.c.episode_id)
    met = t.status.in_(("met", "met_late")) & t.met_at.is_not(None)

    def timer_seconds(kind: str) -> Any:
        return func.max(case((and_(t.kind == kind, met), seconds_since(page.c.suspected_at,
                                                                         t.met_at))))  # fmt: skip

    def timer_status(kind: str) -> Any:
        return func.max(case((t.kind == kind, t.status)))

    timers = (
        select(
            t.episode_id,
            timer_seconds("steroids").label("steroids_s"),
            timer_status("steroids").label("steroids_status"),
            timer_seconds("surgical_evaluation").label("surgical_s"),
            timer_status("surgical_evaluation").label("surgical_status"),
        )
        .select_from(TIMERS.join(page, page.c.episode_id == t.episode_id))
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
        .where(c.episode_id.in_(on_page))
        .group_by(c.episode_id)
        .subquery("p")
    )
    stmt = (
        select(
            page,
            timers.c.steroids_status, timers.c.steroids_s, timers.c.surgical_status,
            timers.c.surgical_s,
            seconds_since(page.c.suspected_at, procedures.c.rt_at).label("rt_s"),
            seconds_since(page.c.suspected_at, procedures.c.surgery_at).label("surgery_s"),
        )
        .select_from(
            page.outerjoin(timers, timers.c.episode_id == page.c.episode_id).outerjoin(
                procedures, procedures.c.episode_id == page.c.episode_id
            )
        )
        .order_by(page.c.suspected_at, page.c.episode_id)
    )  # fmt: skip
    episodes = [
        EpisodeSummaryPublic(
            episode_id=r.episode_id, facility=r.facility, status=r.status, priority=r.priority,
            suspected_at=r.suspected_at, closed_at=r.closed_at, close_reason=r.close_reason,
            escc_grade=r.escc_grade, steroids_status=r.steroids_status,
            steroids_s=_int(r.steroids_s), surgical_evaluation_status=r.surgical_status,
            surgical_evaluation_s=_int(r.surgical_s), radiotherapy_s=_int(r.rt_s),
            surgery_s=_int(r.surgery_s),
        )
        for r in conn.execute(stmt)
    ]  # fmt: skip
    return EpisodePagePublic(total=int(total or 0), limit=limit, offset=offset, episodes=episodes)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _rows(conn: Connection, table: Table, episode_id: str, *order: Any) -> list[Any]:
    stmt = select(table).where(table.c.episode_id == episode_id).order_by(*order)
    return list(conn.execute(stmt))


def episode_detail(conn: Connection, episode_id: str) -> EpisodeDetailPublic | None:
    """One episode with everything recorded about it, and a dated timeline over all of it."""
    ep = conn.execute(select(EPISODES).where(EPISODES.c.episode_id == episode_id)).one_or_none()
    if ep is None:
        return None
    tc, ac, dc, sc, cc = TIMERS.c, ALERTS.c, DETECTIONS.c, SCORES.c, CARE.c
    timers = [
        TimerPublic(
            timer_id=r.timer_id, kind=r.kind, status=r.status, started_at=r.started_at,
            due_at=r.due_at, met_at=r.met_at, met_by=r.met_by, breached_at=r.breached_at,
            breach_retracted=r.breach_retracted, cancel_reason=r.cancel_reason,
        )
        for r in _rows(conn, TIMERS, episode_id, tc.started_at, tc.kind)
    ]  # fmt: skip
    alerts = [
        AlertPublic(
            alert_id=r.alert_id, alert_type=r.alert_type, priority=r.priority, timer=r.timer,
            due=r.due, at=r.at, summary=r.summary, detected_late=r.detected_late,
            escalates_alert_id=r.escalates_alert_id, delivery_status=r.delivery_status,
            delivery_attempts=r.delivery_attempts, delivered_at=r.delivered_at,
            delivery_channel=r.delivery_channel, acknowledged_at=r.acknowledged_at,
            acknowledged_by=r.acknowledged_by,
        )
        for r in _rows(conn, ALERTS, episode_id, ac.at, ac.alert_id)
    ]  # fmt: skip
    detections = [
        DetectionPublic(
            detection_id=r.detection_id, accession=r.accession, report_status=r.report_status,
            occurred_at=r.occurred_at, modality=r.modality, exam=r.exam, result=r.result or {},
            evidence=r.evidence or [],
        )
        for r in _rows(conn, DETECTIONS, episode_id, dc.occurred_at, dc.detection_id)
    ]  # fmt: skip
    scores = [
        ScoreSnapshotPublic(score_id=r.score_id, computed_at=r.computed_at, result=r.result or {})
        for r in _rows(conn, SCORES, episode_id, sc.computed_at, sc.score_id)
    ]
    care = [
        CareEventPublic(
            kind=r.kind, record_id=r.record_id, occurred_at=r.occurred_at, status=r.status,
            detail=r.detail, counts_for=r.counts_for,
        )
        for r in _rows(conn, CARE, episode_id, cc.occurred_at, cc.kind, cc.record_id)
    ]  # fmt: skip
    return EpisodeDetailPublic(
        episode_id=ep.episode_id, patient_id=ep.patient_id, facility=ep.facility,
        status=ep.status, priority=ep.priority, suspected_at=ep.suspected_at,
        opened_by_accession=ep.opened_by_accession, closed_at=ep.closed_at,
        close_reason=ep.close_reason, escc_grade=ep.escc_grade, high_grade=ep.high_grade,
        levels=list(ep.levels or []), sins_total=ep.sins_total, sins_category=ep.sins_category,
        timers=timers, alerts=alerts, detections=detections, scores=scores, care_events=care,
        timeline=sorted(
            _timeline(ep, timers, alerts, detections, scores, care)
            + _escalation_stops(conn, episode_id),
            key=lambda e: (e.at, e.what),
        ),
    )  # fmt: skip


def _escalation_stops(conn: Connection, episode_id: str) -> list[TimelineEntryPublic]:
    """When each critical page's escalation stopped and why (an acknowledgement among them)."""
    table = EscalationRow.__table__  # type: ignore[attr-defined]
    rows = _rows(conn, table, episode_id, table.c.stopped_at, table.c.alert_id)
    return [
        TimelineEntryPublic(at=r.stopped_at, what=f"escalation:{r.stopped}", ref=r.alert_id)
        for r in rows
        if r.stopped is not None and r.stopped_at is not None
    ]


def _timeline(
    ep: Any,
    timers: list[TimerPublic],
    alerts: list[AlertPublic],
    detections: list[DetectionPublic],
    scores: list[ScoreSnapshotPublic],
    care: list[CareEventPublic],
) -> list[TimelineEntryPublic]:
    entries = [TimelineEntryPublic(at=ep.suspected_at, what="suspected",
                                   ref=ep.opened_by_accession)]  # fmt: skip
    for d in detections:
        entries.append(TimelineEntryPublic(at=d.occurred_at, what="report", ref=d.detection_id))
    for s in scores:
        entries.append(TimelineEntryPublic(at=s.computed_at, what="scores", ref=s.score_id))
    for c in care:
        entries.append(TimelineEntryPublic(at=c.occurred_at, what=f"care:{c.kind}",
                                           ref=c.record_id))  # fmt: skip
    for t in timers:
        entries.append(TimelineEntryPublic(at=t.due_at, what=f"due:{t.kind}", ref=t.timer_id))
        if t.met_at is not None:
            entries.append(TimelineEntryPublic(at=t.met_at, what=f"met:{t.kind}",
                                               ref=t.timer_id))  # fmt: skip
    for a in alerts:
        entries.append(TimelineEntryPublic(at=a.at, what=f"alert:{a.alert_type}", ref=a.alert_id))
        if a.acknowledged_at is not None:
            entries.append(TimelineEntryPublic(at=a.acknowledged_at, what="acknowledged",
                                               ref=a.alert_id))  # fmt: skip
    if ep.closed_at is not None:
        entries.append(TimelineEntryPublic(at=ep.closed_at, what=ep.status, ref=ep.close_reason))
    entries.sort(key=lambda e: (e.at, e.what))
    return entries
