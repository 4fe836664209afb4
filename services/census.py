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
from models.state_digest import StateView


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


@dataclass(frozen=True, slots=True)
class OpenEpisode:
    """What the census needs of one open episode, none of it depending on `now`."""

    facility: str | None
    timers: tuple[tuple[TimerKind, TimerStatus, datetime], ...]  # kind, status, due at
    # Paged-at times of its critical pages still unacknowledged (empty unless critical).
    unacknowledged: tuple[datetime, ...]


def summarise(state: StateView) -> tuple[OpenEpisode, ...]:
    """A patient's open episodes as the census counts them (kept per patient between censuses,
    so a census need not decode every stored state again); from a PatientState or a digest."""
    out: list[OpenEpisode] = []
    for episode in state.episodes:
        if episode.status != EpisodeStatus.OPEN:
            continue
        unacknowledged: tuple[datetime, ...] = ()
        if episode.priority == Priority.CRITICAL:
            # Exhausted: the plan has no step left, and still nobody has acknowledged it.
            unacknowledged = tuple(
                w.paged_at for w in episode.watches if w.stopped in (None, EscalationStop.EXHAUSTED)
            )
        timers = tuple((t.kind, t.status, t.due_at) for t in episode.timers)
        out.append(OpenEpisode(episode.facility or state.facility, timers, unacknowledged))
    return tuple(out)


def census(states: Iterable[PatientState], *, now: datetime) -> dict[str | None, FacilityCensus]:
    """Open episodes, unfinished timers and unacknowledged critical pages by facility.

    A critical page (a breach or a suspected-MESCC page of a critical episode) is unacknowledged
    while it is under escalation or its plan ran out with nobody acknowledging it, and the
    episode is still open (services.pathway.paging; DESIGN.md section 3).
    """
    return census_of((summarise(state) for state in states), now=now)


def census_of(
    patients: Iterable[tuple[OpenEpisode, ...]], *, now: datetime
) -> dict[str | None, FacilityCensus]:
    """The census of patients already summarised (`summarise`)."""
    out: dict[str | None, FacilityCensus] = {}
    for episodes in patients:
        for episode in episodes:
            site = out.setdefault(episode.facility, FacilityCensus())
            site.open_episodes += 1
            for kind, status, due in episode.timers:
                where = _timer_state(status, due=due, now=now)
                if where is not None:
                    key = (kind, where)
                    site.timers[key] = site.timers.get(key, 0) + 1
            for paged_at in episode.unacknowledged:
                site.unacknowledged_critical += 1
                age = max(0.0, (now - paged_at).total_seconds())
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
