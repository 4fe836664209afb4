"""Output values of the reducer: change envelopes with snapshots, and alerts with their text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.outputs import (
    Alert,
    AlertType,
    CareEventRecorded,
    CareEventSnapshot,
    DetectionRecorded,
    DetectionSnapshot,
    EpisodeChanged,
    EpisodeSnapshot,
    EscalationChanged,
    EscalationSnapshot,
    Output,
    Priority,
    ScoreComputed,
    ScoreSnapshot,
    TimerChanged,
    TimerSnapshot,
)
from models.scoring import ScoreInput, ScoreResult
from models.state import CareRecord, Episode, PatientState, Timer, Watch
from services import ids
from services.pathway.summaries import alert_summary, review_summary
from services.pathway.timers import AlertIntent
from services.policy import Policy

Scorer = Callable[[ScoreInput], ScoreResult]


@dataclass(slots=True)
class Run:
    """The per-call accumulator: what one ``handle`` call knows and has emitted."""

    patient_id: str
    facility: str | None
    now: datetime
    policy: Policy
    scorer: Scorer
    detected_late: bool = False
    # This event is history (DESIGN.md section 3): what it changes is folded, nobody is paged.
    historic: bool = False
    page_after: datetime | None = None
    id_key: bytes = b""
    # This event's report detection, full, to record once in the episode it lands in.
    detection: DetectionSnapshot | None = None
    recorded: str | None = None
    outputs: list[Output] = field(default_factory=list)
    # Alerts decided during the call, rendered at its end against the episode as stored, so a
    # page always quotes the scores stored with it (issue 11, finding 8).
    pending: list[tuple[str, AlertIntent]] = field(default_factory=list)


def emit_care_record(run: Run, episode: Episode, record: CareRecord) -> None:
    key = f"{record.kind.value}:{record.record_id}"
    run.outputs.append(
        CareEventRecorded(
            change_id=ids.change_id(episode.episode_id, "care_event", key, record.version),
            patient_id=run.patient_id,
            facility=run.facility,
            episode_id=episode.episode_id,
            version=record.version,
            at=run.now,
            care_event=CareEventSnapshot(
                record_id=record.record_id,
                kind=record.kind,
                occurred_at=record.occurred_at,
                status=record.status,
                detail=record.detail,
                counts_for=record.counts_for,
            ),
        )
    )


_TIMER_FIELDS = tuple(TimerSnapshot.model_fields)


def timer_snapshot(timer: Timer) -> TimerSnapshot:
    # Both models were validated already; copying fields is enough and is on the hot path.
    return TimerSnapshot.model_construct(**{name: getattr(timer, name) for name in _TIMER_FIELDS})


def episode_snapshot(episode: Episode) -> EpisodeSnapshot:
    sins = episode.score.sins if episode.score is not None else None
    return EpisodeSnapshot(
        status=episode.status,
        suspected_at=episode.suspected_at,
        opened_by_accession=episode.opened_by_accession,
        closed_at=episode.closed_at,
        close_reason=episode.close_reason,
        escc_grade=episode.escc_grade,
        high_grade=episode.high_grade,
        levels=list(episode.levels),
        priority=episode.priority,
        retropulsion=episode.retropulsion,
        cord_signal=episode.cord_signal,
        sins_total=sins.total if sins is not None else None,
        sins_min=sins.min if sins is not None else None,
        sins_max=sins.max if sins is not None else None,
        sins_category=sins.category.value if sins is not None else None,
    )


def _envelope(
    run: Run, episode: Episode, change_type: str, entity: str, version: int
) -> dict[str, Any]:
    return {
        "change_id": ids.change_id(episode.episode_id, change_type, entity, version),
        "patient_id": run.patient_id,
        "facility": run.facility,
        "episode_id": episode.episode_id,
        "version": version,
        "at": run.now,
    }


def emit_episode(run: Run, episode: Episode) -> None:
    env = _envelope(run, episode, "episode", episode.episode_id, episode.version)
    run.outputs.append(EpisodeChanged(**env, episode=episode_snapshot(episode)))


def emit_timer(run: Run, episode: Episode, timer: Timer) -> None:
    env = _envelope(run, episode, "timer", timer.timer_id, timer.version)
    run.outputs.append(TimerChanged(**env, timer=timer_snapshot(timer)))


def escalation_snapshot(watch: Watch) -> EscalationSnapshot:
    return EscalationSnapshot(
        alert_id=watch.alert_id,
        alert_type=watch.alert_type,
        timer=watch.timer,
        paged_at=watch.paged_at,
        steps_sent=watch.steps_sent,
        tier=watch.tier,
        stopped=watch.stopped.value if watch.stopped is not None else None,
        stopped_at=watch.stopped_at,
    )


def emit_escalations(run: Run, before: PatientState, after: PatientState) -> None:
    """One change per escalation that started, went up a step or stopped during the call (the
    acknowledgement that stopped one is stored, for the timeline and the audit)."""
    old = {(e.episode_id, w.alert_id): w for e in before.episodes for w in e.watches}
    for episode in after.episodes:
        for watch in episode.watches:
            snap = escalation_snapshot(watch)
            was = old.get((episode.episode_id, watch.alert_id))
            if was is not None and escalation_snapshot(was) == snap:
                continue
            env = _envelope(run, episode, "escalation", watch.alert_id, watch.version)
            run.outputs.append(EscalationChanged(**env, escalation=snap))


def emit_detection(run: Run, episode: Episode, detection: DetectionSnapshot) -> None:
    # The version is the episode ordinal: a late report can only move a detection to a later one.
    env = _envelope(run, episode, "detection", detection.detection_id, episode.ordinal)
    run.outputs.append(DetectionRecorded(**env, detection=detection))


def emit_score(run: Run, episode: Episode, score: ScoreSnapshot, version: int) -> None:
    env = _envelope(run, episode, "score", score.score_id, version)
    run.outputs.append(ScoreComputed(**env, score=score))


def alert(run: Run, episode: Episode, intent: AlertIntent) -> Alert:
    timer = episode.timer(intent.timer) if intent.timer is not None else None
    kind = intent.alert_type
    return Alert(
        alert_id=ids.alert_id(
            episode.episode_id,
            intent.timer.value if intent.timer else None,
            kind.value,
            *intent.qualifiers,
        ),
        alert_type=kind,
        # Closure is news, not an emergency; everything else pages at the episode's priority.
        priority=Priority.ROUTINE if kind in _ROUTINE else episode.priority,
        episode_id=episode.episode_id,
        patient_id=run.patient_id,
        facility=run.facility,
        timer=intent.timer,
        due=timer.due_at if timer is not None else _first_due(episode, kind),
        at=run.now,
        summary=alert_summary(
            kind,
            episode,
            timer,
            warning_fraction=intent.warning_fraction,
            tier=intent.tier,
        ),
        detected_late=intent.detected_late,
        warning_fraction=intent.warning_fraction,
        escalates_alert_id=intent.escalates_alert_id,
        tier=intent.tier,
    )


_ROUTINE = frozenset({AlertType.EPISODE_CLOSED, AlertType.REVIEW_REQUESTED})


def render_pending(run: Run, episodes: dict[str, Episode]) -> None:
    """Turn the call's alert decisions into alerts, against the episodes as they are stored."""
    for episode_id, intent in run.pending:
        run.outputs.append(alert(run, episodes[episode_id], intent))
    run.pending.clear()


def review_alert(run: Run, *, review_id: str, accession: str, sentence: str | None) -> Alert:
    """A routine request for the MSCC coordinator to read a report (issue 10)."""
    return Alert(
        alert_id=ids.alert_id(review_id, None, AlertType.REVIEW_REQUESTED.value, accession),
        alert_type=AlertType.REVIEW_REQUESTED,
        priority=Priority.ROUTINE,
        episode_id=review_id,
        patient_id=run.patient_id,
        facility=run.facility,
        at=run.now,
        summary=review_summary(sentence),
    )


def _first_due(episode: Episode, kind: AlertType) -> datetime | None:
    # The suspicion page (and its escalation) says when the first clock runs out; closure has
    # nothing due.
    if kind not in (AlertType.MESCC_SUSPECTED, AlertType.ESCALATION) or not episode.timers:
        return None
    return min(t.due_at for t in episode.timers)
