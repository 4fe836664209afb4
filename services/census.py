"""The clinical census: what the stored patient states say is open right now, per facility.

Pure: from `PatientState` values and `now` to counts, so the same figures come from a worker's
table partitions, from a replay or from a test. Only facility-level aggregates leave this module:
no patient, episode or alert id, so the result can become metric labels (STYLE.md rule 12).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from models.outputs import EpisodeStatus, Priority, TimerKind, TimerStatus
from models.state import EscalationStop, PatientState


class TimerState(StrEnum):
    """Where an unfinished timer of an open episode stands."""

    PENDING = "pending"  # deadline still ahead
    PAST_DUE = "past_due"  # deadline passed but no breach recorded: the deadline scan is behind
    BREACHED = "breached"  # breach paged, care still not recorded


@dataclass
class FacilityCensus:
    """One facility's open work."""

    open_episodes: int = 0
    timers: dict[tuple[TimerKind, TimerState], int] = field(default_factory=dict)
    unacknowledged_critical: int = 0
    oldest_unacknowledged_critical_s: float = 0.0  # 0 when none


def census(states: Iterable[PatientState], *, now: datetime) -> dict[str | None, FacilityCensus]:
    """Open episodes, unfinished timers and unacknowledged critical pages by facility.

    A critical page (a breach or a suspected-MESCC page of a critical episode) is unacknowledged
    while it is under escalation or its plan ran out with nobody acknowledging it, and the
    episode is still open (services.pathway.paging; DESIGN.md section 3).
    """
    out: dict[str | None, FacilityCensus] = {}
    for state in states:
        for episode in state.episodes:
            if episode.status != EpisodeStatus.OPEN:
                continue
            site = out.setdefault(episode.facility or state.facility, FacilityCensus())
            site.open_episodes += 1
            for timer in episode.timers:
                where = _timer_state(timer.status, due=timer.due_at, now=now)
                if where is not None:
                    key = (timer.kind, where)
                    site.timers[key] = site.timers.get(key, 0) + 1
            if episode.priority != Priority.CRITICAL:
                continue
            for watch in episode.watches:
                # Exhausted: the plan has no step left, and still nobody has acknowledged it.
                if watch.stopped not in (None, EscalationStop.EXHAUSTED):
                    continue
                site.unacknowledged_critical += 1
                age = max(0.0, (now - watch.paged_at).total_seconds())
                site.oldest_unacknowledged_critical_s = max(
                    site.oldest_unacknowledged_critical_s, age
                )
    return out


def _timer_state(status: TimerStatus, *, due: datetime, now: datetime) -> TimerState | None:
    if status == TimerStatus.PENDING:
        return TimerState.PENDING if due > now else TimerState.PAST_DUE
    if status == TimerStatus.BREACHED:
        return TimerState.BREACHED
    return None  # met, met late or cancelled: finished
