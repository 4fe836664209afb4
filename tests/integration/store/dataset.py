"""Builders for episode changes and a small dataset whose audit answers are worked out by hand.

Policy windows are 24 h for both timers (services/policy.yaml). Every expected figure in
``EXPECTED`` is derived in the comment next to the episode that produces it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from models.outputs import (
    CareEventRecorded,
    CareEventSnapshot,
    CareKind,
    EpisodeChange,
    EpisodeChanged,
    EpisodeSnapshot,
    EpisodeStatus,
    Priority,
    TimerChanged,
    TimerKind,
    TimerSnapshot,
    TimerStatus,
)

H = timedelta(hours=1)
WINDOW = 24 * H
_ids = count(1)


def episode(
    episode_id: str,
    suspected_at: datetime,
    *,
    facility: str | None,
    version: int = 1,
    status: EpisodeStatus = EpisodeStatus.OPEN,
    patient_id: str | None = None,
) -> EpisodeChanged:
    """An episode snapshot change."""
    return EpisodeChanged(
        change_id=f"c{next(_ids)}",
        patient_id=patient_id or f"MRN-{episode_id}",
        facility=facility,
        episode_id=episode_id,
        version=version,
        at=suspected_at,
        episode=EpisodeSnapshot(
            status=status,
            suspected_at=suspected_at,
            opened_by_accession=f"ACC-{episode_id}",
            priority=Priority.HIGH,
            levels=["T7"],
        ),
    )


def timer(
    episode_id: str,
    kind: TimerKind,
    suspected_at: datetime,
    *,
    facility: str | None,
    status: TimerStatus,
    met_after: timedelta | None = None,
    retracted: bool = False,
    version: int = 2,
) -> TimerChanged:
    """A timer snapshot change; ``met_after`` is measured from suspicion."""
    due = suspected_at + WINDOW
    met_at = suspected_at + met_after if met_after is not None else None
    return TimerChanged(
        change_id=f"c{next(_ids)}",
        patient_id=f"MRN-{episode_id}",
        facility=facility,
        episode_id=episode_id,
        version=version,
        at=met_at or due,
        timer=TimerSnapshot(
            timer_id=f"{episode_id}-{kind.value}",
            kind=kind,
            started_at=suspected_at,
            due_at=due,
            status=status,
            met_at=met_at,
            met_by="rec" if met_at else None,
            breached_at=due if status in (TimerStatus.BREACHED, TimerStatus.MET_LATE) else None,
            breach_retracted=retracted,
            cancel_reason="ruled_out" if status is TimerStatus.CANCELLED else None,
        ),
    )


def procedure(
    episode_id: str,
    record_id: str,
    name: str,
    at: datetime,
    *,
    facility: str | None,
    status: str = "completed",
    version: int = 3,
) -> CareEventRecorded:
    """A procedure care event change."""
    return CareEventRecorded(
        change_id=f"c{next(_ids)}",
        patient_id=f"MRN-{episode_id}",
        facility=facility,
        episode_id=episode_id,
        version=version,
        at=at,
        care_event=CareEventSnapshot(
            record_id=record_id, kind=CareKind.PROCEDURE, occurred_at=at, status=status, detail=name
        ),
    )


S, E = TimerKind.STEROIDS, TimerKind.SURGICAL_EVALUATION
MET, LATE, BREACHED = TimerStatus.MET, TimerStatus.MET_LATE, TimerStatus.BREACHED
PENDING, CANCELLED = TimerStatus.PENDING, TimerStatus.CANCELLED


def known_dataset() -> list[EpisodeChange]:
    """Seven episodes over two facilities and two months, plus distractors outside the range."""
    n = "NORTH"
    s = "SOUTH"
    e1 = datetime(2026, 1, 5, 10, tzinfo=UTC)  # Monday
    e2 = datetime(2026, 1, 12, 8, tzinfo=UTC)
    e3 = datetime(2026, 1, 20, tzinfo=UTC)
    e4 = datetime(2026, 1, 28, 12, tzinfo=UTC)
    e5 = datetime(2026, 1, 3, 6, tzinfo=UTC)  # Saturday: week of Monday 2025-12-29
    e6 = datetime(2026, 1, 11, 23, 30, tzinfo=UTC)  # Sunday: week of Monday 2026-01-05
    # 23:30 at UTC-05:00 on 31 January is 04:30 UTC on 1 February: a February episode.
    e7 = datetime.fromisoformat("2026-01-31T23:30:00-05:00")
    return [
        # E1 NORTH Jan: steroids 2 h (met), surgical 20 h (met), radiotherapy 30 h.
        episode("E1", e1, facility=n),
        timer("E1", S, e1, facility=n, status=MET, met_after=2 * H),
        timer("E1", E, e1, facility=n, status=MET, met_after=20 * H),
        procedure("E1", "P1", "radiotherapy_started", e1 + 30 * H, facility=n),
        # E2 NORTH Jan: steroids 30 h (met late), surgical breached and unmet, surgery 48 h.
        episode("E2", e2, facility=n),
        timer("E2", S, e2, facility=n, status=LATE, met_after=30 * H),
        timer("E2", E, e2, facility=n, status=BREACHED),
        procedure("E2", "P2", "decompressive_surgery", e2 + 48 * H, facility=n),
        # E3 NORTH Jan: steroids 4 h (met; a breach alert went out and was retracted),
        # surgical 30 h (met late).
        episode("E3", e3, facility=n),
        timer("E3", S, e3, facility=n, status=MET, met_after=4 * H, retracted=True),
        timer("E3", E, e3, facility=n, status=LATE, met_after=30 * H),
        # E4 NORTH Jan: both timers still open.
        episode("E4", e4, facility=n),
        timer("E4", S, e4, facility=n, status=PENDING),
        timer("E4", E, e4, facility=n, status=PENDING),
        # E5 SOUTH Jan: steroids 3 h BEFORE suspicion (lookback) -> 0 h; surgical 10 h;
        # radiotherapy first at 20 h (a 5 h one was entered in error; a 50 h one is later);
        # surgery (stabilisation) 40 h; a vertebroplasty at 12 h does not count as surgery.
        episode("E5", e5, facility=s),
        timer("E5", S, e5, facility=s, status=MET, met_after=-3 * H),
        timer("E5", E, e5, facility=s, status=MET, met_after=10 * H),
        procedure("E5", "P5a", "radiotherapy_started", e5 + 5 * H, facility=s,
                  status="entered-in-error"),
        procedure("E5", "P5b", "radiotherapy_started", e5 + 20 * H, facility=s),
        procedure("E5", "P5c", "radiotherapy_started", e5 + 50 * H, facility=s),
        procedure("E5", "P5d", "stabilisation", e5 + 40 * H, facility=s),
        procedure("E5", "P5e", "vertebroplasty", e5 + 12 * H, facility=s),
        # E6 SOUTH Jan: ruled out; both timers cancelled (excluded from compliance).
        episode("E6", e6, facility=s, status=EpisodeStatus.RULED_OUT),
        timer("E6", S, e6, facility=s, status=CANCELLED),
        timer("E6", E, e6, facility=s, status=CANCELLED),
        # E7 NORTH Feb: steroids 1 h, surgical 12 h.
        episode("E7", e7, facility=n),
        timer("E7", S, e7, facility=n, status=MET, met_after=1 * H),
        timer("E7", E, e7, facility=n, status=MET, met_after=12 * H),
        # Outside [2026-01-01, 2026-03-01): never counted.
        episode("X1", datetime(2025, 12, 31, 23, 59, tzinfo=UTC), facility=n),
        timer("X1", S, datetime(2025, 12, 31, 23, 59, tzinfo=UTC), facility=n, status=BREACHED),
        episode("X2", datetime(2026, 3, 1, tzinfo=UTC), facility=n),
    ]  # fmt: skip


SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 1, tzinfo=UTC)
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)

# (period, facility, measure) -> (episodes, n, median_h, p90_h, on_time, decided, breaches,
#                                 retracted, open)
EXPECTED_MONTH: dict[tuple[str, str, str], tuple[object, ...]] = {
    # steroids 2, 30, 4 -> sorted 2, 4, 30: median 4; p90 rank ceil(2.7) = 3 -> 30.
    # decided E1 met, E2 late, E3 met: 2/3; breaches E2; retracted E3; open E4.
    ("2026-01", "NORTH", "steroids"): (4, 3, 4.0, 30.0, 2, 3, 1, 1, 1),
    # surgical 20, 30 -> median 25 (mean of two middles); p90 rank ceil(1.8) = 2 -> 30.
    # decided E1 met, E2 breached, E3 late: 1/3; breaches 2; open E4.
    ("2026-01", "NORTH", "surgical_evaluation"): (4, 2, 25.0, 30.0, 1, 3, 2, 0, 1),
    ("2026-01", "NORTH", "radiotherapy"): (4, 1, 30.0, 30.0, 0, 0, 0, 0, 0),
    ("2026-01", "NORTH", "surgery"): (4, 1, 48.0, 48.0, 0, 0, 0, 0, 0),
    ("2026-01", "SOUTH", "steroids"): (2, 1, 0.0, 0.0, 1, 1, 0, 0, 0),
    ("2026-01", "SOUTH", "surgical_evaluation"): (2, 1, 10.0, 10.0, 1, 1, 0, 0, 0),
    ("2026-01", "SOUTH", "radiotherapy"): (2, 1, 20.0, 20.0, 0, 0, 0, 0, 0),
    ("2026-01", "SOUTH", "surgery"): (2, 1, 40.0, 40.0, 0, 0, 0, 0, 0),
    ("2026-02", "NORTH", "steroids"): (1, 1, 1.0, 1.0, 1, 1, 0, 0, 0),
    ("2026-02", "NORTH", "surgical_evaluation"): (1, 1, 12.0, 12.0, 1, 1, 0, 0, 0),
    ("2026-02", "NORTH", "radiotherapy"): (1, 0, None, None, 0, 0, 0, 0, 0),
    ("2026-02", "NORTH", "surgery"): (1, 0, None, None, 0, 0, 0, 0, 0),
}

# Episodes per week (labelled by Monday) and facility.
EXPECTED_WEEK_EPISODES = {
    ("2025-12-29", "SOUTH"): 1,  # E5 (Saturday 3 Jan)
    ("2026-01-05", "NORTH"): 1,  # E1 (Monday)
    ("2026-01-05", "SOUTH"): 1,  # E6 (Sunday 11 Jan 23:30)
    ("2026-01-12", "NORTH"): 1,  # E2
    ("2026-01-19", "NORTH"): 1,  # E3 (Tuesday 20 Jan)
    ("2026-01-26", "NORTH"): 2,  # E4 (Wednesday 28 Jan), E7 (Sunday 1 Feb 04:30 UTC)
}

# Breaches, latest first: E2 surgical unmet since 13 Jan 08:00 until AS_OF (1 Mar 00:00) =
# 46 d 16 h = 1120 h; E2 steroids 6 h late; E3 surgical 6 h late. Ties order by episode id.
EXPECTED_BREACHES = [
    ("E2", "surgical_evaluation", 1120 * 3600),
    ("E2", "steroids", 6 * 3600),
    ("E3", "surgical_evaluation", 6 * 3600),
]
