"""Human text for a phone, and the one-line episode summary of `cordwatch replay --summary`.

The alert summary says what was found (grade, levels, SINS, the evidence sentence) and what is
overdue. It never contains the patient's name or id: the page may show on a locked screen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.outputs import AlertType, TimerKind
from models.state import Episode, PatientState, Timer

MAX_EVIDENCE_CHARS = 160  # one phone screen line-wrapped; the full text is in the audit view
MAX_SUMMARY_CHARS = 480

_ACTION = {
    TimerKind.STEROIDS: "steroids",
    TimerKind.SURGICAL_EVALUATION: "spinal surgical review",
}


def _hhmm(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def _levels(levels: tuple[str, ...]) -> str:
    if not levels:
        return "level not stated"
    shown = ", ".join(levels[:4])
    return shown + (f" +{len(levels) - 4}" if len(levels) > 4 else "")


def _sins(episode: Episode) -> str | None:
    sins = episode.score.sins if episode.score is not None else None
    if sins is None:
        return None
    if sins.total is not None:
        return f"SINS {sins.total}"
    return f"SINS {sins.min}-{sins.max}"


def finding(episode: Episode) -> str:
    """One clause: levels, grade, SINS, retropulsion."""
    parts = [f"MESCC {_levels(episode.levels)}"]
    if episode.escc_grade is not None:
        parts.append(f"ESCC {episode.escc_grade}" + (" (high grade)" if episode.high_grade else ""))
    sins = _sins(episode)
    if sins:
        parts.append(sins)
    if episode.retropulsion:
        parts.append("retropulsed fragment")
    if episode.cord_signal:
        parts.append("cord signal change")
    return ", ".join(parts)


def _evidence(episode: Episode) -> str:
    sentence = " ".join((episode.evidence_sentence or "").split())
    if not sentence:
        return ""
    if len(sentence) > MAX_EVIDENCE_CHARS:
        sentence = sentence[: MAX_EVIDENCE_CHARS - 1].rstrip() + "…"
    return f' "{sentence}"'


def alert_summary(
    alert_type: AlertType,
    episode: Episode,
    timer: Timer | None,
    *,
    warning_fraction: float | None = None,
    tier: int | None = None,
) -> str:
    """Phone text for one alert; no patient identifiers."""
    what = finding(episode)
    action = _ACTION[timer.kind] if timer is not None else ""
    match alert_type:
        case AlertType.MESCC_SUSPECTED:
            dues = "; ".join(f"{_ACTION[t.kind]} due {_hhmm(t.due_at)}" for t in episode.timers)
            head = f"Suspected {what}.{_evidence(episode)} {dues}."
        case AlertType.TIMER_WARNING if timer is not None:
            pct = round((warning_fraction or 0) * 100)
            head = (
                f"{action.capitalize()} not yet recorded: {pct}% of window gone, "
                f"due {_hhmm(timer.due_at)}. {what}."
            )
        case AlertType.TIMER_BREACHED if timer is not None:
            due = _hhmm(timer.due_at)
            head = f"OVERDUE: {action} not recorded by {due}. {what}.{_evidence(episode)}"
        case AlertType.ESCALATION if timer is not None:
            head = (
                f"ESCALATION tier {tier or 2}: breach unacknowledged; {action} overdue since "
                f"{_hhmm(timer.due_at)}. {what}."
            )
        case AlertType.ESCALATION:
            dues = "; ".join(f"{_ACTION[t.kind]} due {_hhmm(t.due_at)}" for t in episode.timers)
            head = (
                f"ESCALATION tier {tier or 2}: nobody acknowledged the suspected {what} page."
                f"{_evidence(episode)} {dues}."
            )
        case AlertType.BREACH_RETRACTED if timer is not None:
            if timer.met_at is not None:
                met, due = _hhmm(timer.met_at), _hhmm(timer.due_at)
                why = f"recorded at {met}, before the {due} deadline"
            else:
                why = f"episode ended ({timer.cancel_reason}) before the deadline"
            head = f"RETRACTED breach: {action} {why}. {what}."
        case AlertType.FINDING_WITHDRAWN:
            head = (
                f"WITHDRAWN: the newest version of the report no longer finds MESCC; no episode, "
                f"timers cancelled, no action needed for it. Was: {what}."
            )
        case AlertType.EPISODE_CLOSED:
            reason = {
                "ruled_out": "MESCC ruled out by a later study",
                "discharge": "patient discharged",
                "death": "patient died",
                "superseded": "merged into the earlier episode after a late report",
            }.get(episode.close_reason or "", episode.close_reason or "closed")
            head = f"Episode closed: {reason}. Open timers cancelled. Was: {what}."
        case _:
            head = f"{alert_type.value}: {what}."
    return head[:MAX_SUMMARY_CHARS]


def review_summary(sentence: str | None) -> str:
    """The coordinator's review request: malignant disease near the canal, not suspected MESCC."""
    text = " ".join((sentence or "").split())
    if len(text) > MAX_EVIDENCE_CHARS:
        text = text[: MAX_EVIDENCE_CHARS - 1].rstrip() + "…"
    quoted = f' "{text}"' if text else ""
    head = (
        "Review requested: spinal metastatic disease near the canal, cord or roots, not "
        f"reported as MESCC; please read the report and confirm or dismiss.{quoted}"
    )
    return head[:MAX_SUMMARY_CHARS]


def _timer_line(timer: Timer | None) -> dict[str, Any] | None:
    if timer is None:
        return None
    return {
        "due": timer.due_at.isoformat(),
        "outcome": timer.status.value,
        "met_at": timer.met_at.isoformat() if timer.met_at else None,
    }


def episode_summary(state: PatientState, episode: Episode) -> dict[str, Any]:
    """One `cordwatch replay --summary` line for one episode."""
    return {
        "episode_id": episode.episode_id,
        "patient_id": state.patient_id,
        "suspected_at": episode.suspected_at.isoformat(),
        "status": episode.status.value,
        "escc_grade": episode.escc_grade,
        "levels": list(episode.levels),
        "timers": {kind.value: _timer_line(episode.timer(kind)) for kind in TimerKind},
    }
