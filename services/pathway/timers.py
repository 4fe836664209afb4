"""Timer outcomes decided by clinical time, the timer state machine, and what is due when.

``resolve`` computes a timer's outcome from facts (suspicion, closure, the earliest care record
that counts) and the clock; ``transition`` is the state machine that turns a change of outcome
into alerts; ``fire`` sends warnings whose time has come. The next deadline is
stored on the timer so ``due_timers`` needs no policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.events import TimerDue
from models.outputs import AlertType, TimerKind, TimerStatus
from models.state import CareRecord, PatientState, Timer
from models.state_digest import StateView
from services import ids
from services.policy import Policy

# The close reason of an episode whose report no longer finds MESCC (DESIGN.md section 3).
WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class AlertIntent:
    """An alert to raise; the reducer adds priority and the human summary."""

    alert_type: AlertType
    timer: TimerKind | None
    qualifiers: tuple[object, ...] = ()
    detected_late: bool = False
    warning_fraction: float | None = None
    escalates_alert_id: str | None = None
    tier: int = 1  # the rota tier to page (services.pathway.paging decides escalations' tiers)


def new_timer(episode_id: str, kind: TimerKind, suspected_at: datetime, policy: Policy) -> Timer:
    """A pending timer started at suspicion."""
    return Timer(
        timer_id=ids.timer_id(episode_id, kind.value),
        kind=kind,
        started_at=suspected_at,
        due_at=suspected_at + policy.window(kind),
    )


def counts_toward(
    record: CareRecord,
    kind: TimerKind,
    *,
    suspected_at: datetime,
    closed_at: datetime | None,
    policy: Policy,
) -> bool:
    """Whether this record meets the timer: in [suspected_at - lookback, closed_at], and a
    pre-suspicion steroid only when it is a MESCC loading dose (policy)."""
    if record.counts_for != kind:
        return False
    if closed_at is not None and record.occurred_at > closed_at:
        return False
    if record.occurred_at >= suspected_at:
        return True
    if record.occurred_at < suspected_at - policy.lookback_window:
        return False
    # An antiemetic dexamethasone dose before the scan is not MESCC treatment.
    return kind != TimerKind.STEROIDS or policy.counts_before_suspicion(record.dexamethasone_mg)


def first_counting(
    records: Iterable[CareRecord],
    kind: TimerKind,
    *,
    suspected_at: datetime,
    closed_at: datetime | None,
    policy: Policy,
) -> CareRecord | None:
    """The earliest record that meets this timer (see `counts_toward`)."""
    hits = [
        r
        for r in records
        if counts_toward(r, kind, suspected_at=suspected_at, closed_at=closed_at, policy=policy)
    ]
    return min(hits, key=lambda r: (r.occurred_at, r.record_id), default=None)


def resolve(
    timer: Timer,
    *,
    suspected_at: datetime,
    closed_at: datetime | None,
    close_reason: str | None,
    records: Iterable[CareRecord],
    now: datetime,
    policy: Policy,
) -> Timer:
    """The timer's outcome from the facts: met, met late, cancelled, breached or pending."""
    due = suspected_at + policy.window(timer.kind)
    first = first_counting(
        records, timer.kind, suspected_at=suspected_at, closed_at=closed_at, policy=policy
    )
    met_at = met_by = cancel_reason = None
    if first is not None:
        status = TimerStatus.MET if first.occurred_at <= due else TimerStatus.MET_LATE
        met_at, met_by = first.occurred_at, first.record_id
    elif closed_at is not None and (closed_at < due or now < due or close_reason == WITHDRAWN):
        # A withdrawn finding was never MESCC: its clocks are cancelled even past the deadline.
        status, cancel_reason = TimerStatus.CANCELLED, close_reason
    elif now >= due:
        status = TimerStatus.BREACHED
    else:
        status = TimerStatus.PENDING
    return timer.model_copy(
        update={
            "started_at": suspected_at,
            "due_at": due,
            "status": status,
            "met_at": met_at,
            "met_by": met_by,
            "cancel_reason": cancel_reason,
        }
    )


def transition(
    old: Timer, new: Timer, *, episode_id: str, now: datetime, late: bool
) -> tuple[Timer, list[AlertIntent]]:
    """The timer state machine: which change of outcome raises which alert."""
    match (old.status, new.status):
        case (before, after) if before == after:
            return new, []
        case (_, TimerStatus.BREACHED):
            # Every entry into "breached" is a new cycle with its own alert ids, so a breach that
            # was retracted and then re-opened by an entered-in-error dose pages again.
            cycle = old.breach_cycle + 1
            alert = ids.alert_id(episode_id, new.kind.value, AlertType.TIMER_BREACHED.value, cycle)
            new = new.model_copy(
                update={
                    "breach_cycle": cycle,
                    "breached_at": new.due_at,
                    "breach_retracted": False,
                    "breach_alert_id": alert,
                    "breach_alert_at": now,
                    "escalations_sent": 0,
                    "acknowledged": False,
                }
            )
            # "Detected late" means the clock was not watched at the deadline; a breach caused by
            # new evidence (an entered-in-error dose) is news, not a late detection.
            clock_driven = old.status == TimerStatus.PENDING
            return new, [
                AlertIntent(
                    AlertType.TIMER_BREACHED,
                    new.kind,
                    (cycle,),
                    detected_late=late and clock_driven,
                )
            ]
        case (_, TimerStatus.MET | TimerStatus.CANCELLED) if (
            old.breach_cycle > 0 and not old.breach_retracted
        ):
            # Late evidence shows the action was on time (or the stay ended before the deadline).
            new = new.model_copy(update={"breach_retracted": True})
            if new.cancel_reason == WITHDRAWN:  # the finding_withdrawn page says it for both
                return new, []
            return new, [AlertIntent(AlertType.BREACH_RETRACTED, new.kind, (old.breach_cycle,))]
        case _:
            return new, []


def fire(
    timer: Timer,
    *,
    episode_id: str,
    episode_open: bool,
    now: datetime,
    policy: Policy,
    late_flag: bool,
) -> tuple[Timer, list[AlertIntent]]:
    """Send the warnings whose time has come (escalation is services.pathway.paging's)."""
    intents: list[AlertIntent] = []
    update: dict[str, object] = {}
    window = timer.due_at - timer.started_at
    if timer.status == TimerStatus.PENDING:
        unsent = [f for f in policy.warnings.fractions if f not in timer.warnings_sent]
        passed = [f for f in unsent if timer.started_at + window * f <= now]
        if passed:
            update["warnings_sent"] = tuple(sorted((*timer.warnings_sent, *passed)))
            # Only the furthest warning point: a late-opened episode gets one page, not three.
            fraction = max(passed)
            point = timer.started_at + window * fraction
            intents.append(
                AlertIntent(
                    AlertType.TIMER_WARNING,
                    timer.kind,
                    (fraction,),
                    detected_late=late_flag or now - point > policy.late_after,
                    warning_fraction=fraction,
                )
            )
    fired = timer.model_copy(update=update) if update else timer
    return fired, intents


def next_due(timer: Timer, *, episode_open: bool, policy: Policy) -> datetime | None:
    """When this timer next needs the clock: a warning point or the deadline (escalations of its
    breach are a Watch's, services.pathway.paging)."""
    if timer.status == TimerStatus.PENDING:
        window = timer.due_at - timer.started_at
        points = [
            timer.started_at + window * f
            for f in policy.warnings.fractions
            if f not in timer.warnings_sent
        ]
        return min([*points, timer.due_at])
    return None


def next_deadline(state: StateView) -> datetime | None:
    """The earliest stored deadline of any timer or escalation of this patient, for the timer
    service index (from a PatientState or a digest of the stored one)."""
    deadlines = [t.next_due_at for e in state.episodes for t in e.timers]
    deadlines += [w.next_due_at for e in state.episodes for w in e.watches]
    return min((d for d in deadlines if d is not None), default=None)


def due_timers(
    state: PatientState, now: datetime, *, late_after: timedelta = timedelta(seconds=60)
) -> list[TimerDue]:
    """TimerDue events for every stored deadline at or before ``now``, earliest first."""
    due: list[TimerDue] = []
    for episode in state.episodes:
        clocks = [(t.kind.value, t.version, t.next_due_at) for t in episode.timers]
        clocks += [(w.key, w.version, w.next_due_at) for w in episode.watches]
        for name, version, at in clocks:
            if at is None or at > now:
                continue
            due.append(
                TimerDue(
                    event_type="timer_due",
                    event_id=ids.timer_due_event_id(
                        episode.episode_id, name, version, at.isoformat()
                    ),
                    occurred_at=at,
                    patient_id=state.patient_id,
                    facility=state.facility,
                    episode_id=episode.episode_id,
                    timer=name,
                    version=version,
                    due_at=at,
                    detected_late=now - at > late_after,
                )
            )
    return sorted(due, key=lambda d: (d.due_at, d.episode_id, d.timer))
