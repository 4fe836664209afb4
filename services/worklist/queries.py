"""The worklist's read side: every open episode and what the page shows of it, in six queries.

Each query selects rows of the open episodes only (``episode_id IN (open episodes)``), so the
cost grows with the worklist, not with the history; the page groups them in Python.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, or_, select
from sqlalchemy.engine import Connection

from models.tables import (
    AlertRow,
    DeliveryAttemptRow,
    DetectionRow,
    EpisodeRow,
    ReviewItemRow,
    ScoreSnapshotRow,
    SilenceRow,
    TimerRow,
)
from models.worklist import (
    WorkAlert,
    WorkDelivery,
    WorkEpisode,
    WorkEvidence,
    Worklist,
    WorkSilence,
    WorkTimer,
)

EPISODES: Table = EpisodeRow.__table__  # type: ignore[attr-defined]
TIMERS: Table = TimerRow.__table__  # type: ignore[attr-defined]
ALERTS: Table = AlertRow.__table__  # type: ignore[attr-defined]
ATTEMPTS: Table = DeliveryAttemptRow.__table__  # type: ignore[attr-defined]
DETECTIONS: Table = DetectionRow.__table__  # type: ignore[attr-defined]
SCORES: Table = ScoreSnapshotRow.__table__  # type: ignore[attr-defined]
SILENCES: Table = SilenceRow.__table__  # type: ignore[attr-defined]
REVIEWS: Table = ReviewItemRow.__table__  # type: ignore[attr-defined]
OPEN = "open"
_MAX_EVIDENCE = 6  # sentences per episode: the page is a worklist, the detail has them all


def _open_ids() -> Any:
    return select(EPISODES.c.episode_id).where(EPISODES.c.status == OPEN)


def _by_episode(rows: Iterable[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.episode_id].append(row)
    return grouped


def worklist(conn: Connection, *, now: datetime, facility: str | None = None) -> Worklist:
    """Every open episode, the soonest running deadline first (episodes with none last)."""
    ep = EPISODES.c
    where = [ep.status == OPEN] + ([ep.facility == facility] if facility else [])
    episodes = list(conn.execute(select(EPISODES).where(*where)))
    ids = _open_ids() if facility is None else _open_ids().where(ep.facility == facility)
    t, a, d, s, sc = TIMERS.c, ALERTS.c, ATTEMPTS.c, DETECTIONS.c, SCORES.c
    timers = _by_episode(conn.execute(
        select(TIMERS).where(t.episode_id.in_(ids)).order_by(t.due_at, t.kind)))  # fmt: skip
    alerts = _by_episode(conn.execute(
        select(ALERTS).where(a.episode_id.in_(ids)).order_by(a.at.desc(), a.alert_id)))  # fmt: skip
    attempts: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(
        select(d.alert_id, d.receiver, d.channel, d.tier, d.outcome, d.reason, d.at)
        .where(d.episode_id.in_(ids)).order_by(d.at)
    ):  # fmt: skip
        attempts[row.alert_id].append(row)
    newest_report = _newest(conn, DETECTIONS, s.occurred_at, ids,
                            s.accession, s.exam, s.evidence)  # fmt: skip
    # The advice only: the score's explanation rows are most of its JSON, and unused here.
    newest_score = _newest(conn, SCORES, sc.computed_at, ids, sc.result["advice"].label("advice"))
    patients = [e.patient_id for e in episodes]
    silences = list(conn.execute(
        select(SILENCES).where(
            SILENCES.c.ended_at.is_(None), SILENCES.c.expires_at > now,
            or_(SILENCES.c.target.in_(ids), SILENCES.c.target.in_(patients)),
        )
    ))  # fmt: skip
    rows = [
        _episode(e, timers.get(e.episode_id, []), alerts.get(e.episode_id, []), attempts,
                 newest_report.get(e.episode_id), newest_score.get(e.episode_id), silences)
        for e in episodes
    ]  # fmt: skip
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda w: (w.next_due or far, w.suspected_at, w.episode_id))
    return Worklist(as_of=now, episodes=tuple(rows))


def _newest(conn: Connection, table: Table, at: Any, ids: Any, *columns: Any) -> dict[str, Any]:
    """Per open episode, the newest row of ``table`` by ``at`` (one query, a max per group)."""
    c = table.c
    latest = (
        select(c.episode_id, func.max(at).label("latest"))
        .where(c.episode_id.in_(ids)).group_by(c.episode_id).subquery("latest")
    )  # fmt: skip
    stmt = select(c.episode_id, *columns).join(
        latest, (latest.c.episode_id == c.episode_id) & (latest.c.latest == at)
    )
    return {row.episode_id: row for row in conn.execute(stmt)}


def _episode(
    e: Any, timers: list[Any], alerts: list[Any], attempts: dict[str, list[Any]],
    report: Any, score: Any, silences: list[Any],
) -> WorkEpisode:  # fmt: skip
    work_timers = tuple(
        WorkTimer(
            timer_id=r.timer_id, kind=r.kind, status=r.status, started_at=r.started_at,
            due_at=r.due_at, met_at=r.met_at, breached_at=r.breached_at,
        )
        for r in timers
    )  # fmt: skip
    running = [w.due_at for w in work_timers if w.running]
    work_alerts = tuple(
        WorkAlert(
            alert_id=r.alert_id, alert_type=r.alert_type, priority=r.priority, timer=r.timer,
            at=r.at, summary=r.summary, delivery_status=r.delivery_status,
            acknowledged_at=r.acknowledged_at, acknowledged_by=r.acknowledged_by,
            deliveries=tuple(
                WorkDelivery(
                    receiver=d.receiver, channel=d.channel, tier=d.tier, outcome=d.outcome,
                    reason=d.reason, at=d.at,
                )
                for d in attempts.get(r.alert_id, [])
            ),
        )
        for r in alerts
    )  # fmt: skip
    advice = tuple(
        str(item.get("text")) for item in (score.advice or [])
        if isinstance(item, dict) and item.get("text")
    ) if score is not None else ()  # fmt: skip
    holding = tuple(
        WorkSilence(
            silence_id=s.silence_id, scope=s.scope, reason=s.reason, author=s.author,
            expires_at=s.expires_at,
        )
        for s in silences if s.target in (e.episode_id, e.patient_id)
    )  # fmt: skip
    return WorkEpisode(
        episode_id=e.episode_id, patient_id=e.patient_id, facility=e.facility,
        priority=e.priority, suspected_at=e.suspected_at, escc_grade=e.escc_grade,
        high_grade=e.high_grade, levels=tuple(e.levels or ()), sins_total=e.sins_total,
        sins_min=e.sins_min, sins_max=e.sins_max, sins_category=e.sins_category,
        next_due=min(running) if running else None, timers=work_timers, alerts=work_alerts,
        evidence=evidence_sentences(report.evidence if report is not None else None),
        report=f"{report.accession} ({report.exam})" if report is not None else None,
        advice=advice, silences=holding,
    )  # fmt: skip


def evidence_sentences(evidence: list[dict[str, Any]] | None) -> tuple[WorkEvidence, ...]:
    """The distinct evidence sentences, in report order, each with the fields it supports."""
    by_sentence: dict[tuple[str | None, str], tuple[int, set[str]]] = {}
    for item in evidence or []:
        sentence = item.get("sentence")
        if not isinstance(sentence, str) or not sentence.strip():
            continue
        key = (item.get("section"), sentence)
        raw_start = item.get("start")
        start = raw_start if isinstance(raw_start, int) else 0
        first, fields = by_sentence.get(key, (start, set()))
        fields.add(str(item.get("field", "")))
        by_sentence[key] = (min(first, start), fields)
    ordered = sorted(by_sentence.items(), key=lambda kv: kv[1][0])[:_MAX_EVIDENCE]
    return tuple(
        WorkEvidence(section=section, sentence=sentence, fields=tuple(sorted(filter(None, fields))))
        for (section, sentence), (_, fields) in ordered
    )


def stamp(conn: Connection, *, now: datetime) -> str:
    """A short digest that changes whenever the worklist would (polled; names no patient)."""
    parts = [
        conn.execute(select(func.count(), func.max(EPISODES.c.changed_at))
                     .where(EPISODES.c.status == OPEN)).one(),
        conn.execute(select(func.max(TIMERS.c.changed_at))).one(),
        conn.execute(select(func.count(), func.max(ALERTS.c.at),
                            func.max(ALERTS.c.acknowledged_at))).one(),
        conn.execute(select(func.count(), func.max(ATTEMPTS.c.at))).one(),
        conn.execute(select(func.count(), func.max(SILENCES.c.ended_at))
                     .where(or_(SILENCES.c.expires_at > now, SILENCES.c.ended_at.is_not(None)))
                     ).one(),
        conn.execute(select(func.count(), func.max(REVIEWS.c.changed_at))).one(),
    ]  # fmt: skip
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
