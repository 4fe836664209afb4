"""Escalation of critical pages by the policy's paging plan, in event time (pure).

The pathway owns the plan rather than notify: a step is a deadline in the stored state like any
timer's (DESIGN.md section 3), so the timer scanner wakes it, the single writer decides it,
``cordwatch replay`` reproduces it, and the acknowledgement that stops it lands in the same
state (it already travels to the pathway on cordwatch.alert-acks). Notify only pages the tier
an alert names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache

from models.outputs import STAND_DOWN, AlertType, EpisodeStatus, Priority, TimerStatus
from models.state import Episode, EscalationStop, Watch
from services import ids
from services.alerts.escalation import EscalationPlan, plan_from
from services.pathway.timers import AlertIntent
from services.policy import Paging, Policy


@lru_cache(maxsize=8)
def _plan(paging: Paging) -> EscalationPlan:
    return plan_from(paging)


def plan(policy: Policy) -> EscalationPlan:
    """The policy's escalation plan, uncapped: notify pages a route's top tier for higher ones."""
    return _plan(policy.paging)


def escalates(intent: AlertIntent, priority: Priority) -> bool:
    """Whether this page is escalated until someone acknowledges it.

    Every breach escalates (an overdue clock is unsafe whatever the grade, as before issue 13);
    a suspected-MESCC page escalates when it is critical (ESCC 2-3, SINS >= 7 or retropulsion),
    since an unacknowledged one is the most dangerous silence (issue 13). A withdrawal asks for
    no action, so it is not escalated; it reaches every tier already paged instead.
    """
    if intent.alert_type == AlertType.TIMER_BREACHED:
        return True
    return intent.alert_type == AlertType.MESCC_SUSPECTED and priority == Priority.CRITICAL


def key_of(intent: AlertIntent) -> str:
    """The watch key (what TimerDue.timer names): one live escalation per key and episode."""
    return f"page:{intent.timer.value if intent.timer is not None else intent.alert_type.value}"


def escalation_id(episode_id: str, watch: Watch, step: int) -> str:
    """The ``step``-th escalation of a first page: derived from it, so replays agree."""
    timer = watch.timer.value if watch.timer is not None else None
    return ids.alert_id(episode_id, timer, AlertType.ESCALATION.value, watch.alert_id, step)


def page_ids(episode_id: str, watch: Watch) -> set[str]:
    """Every page of this escalation an acknowledgement may name."""
    steps = range(1, watch.steps_sent + 1)
    return {watch.alert_id, *(escalation_id(episode_id, watch, n) for n in steps)}


def acknowledge(watch: Watch, *, episode_id: str, alert_id: str, at: datetime) -> Watch:
    """Stop the escalation when ``alert_id`` is its first page or one of its escalations (an
    exhausted one too: nobody had answered it yet)."""
    if not _unanswered(watch) or alert_id not in page_ids(episode_id, watch):
        return watch
    return _stop(watch, EscalationStop.ACKNOWLEDGED, at)


def _unanswered(watch: Watch) -> bool:
    # Escalating, or out of steps with nobody having answered: an acknowledgement, the patient
    # leaving or the breach resolving still ends it (and the census stops counting it).
    return watch.stopped in (None, EscalationStop.EXHAUSTED)


def _stop(watch: Watch, reason: EscalationStop, at: datetime) -> Watch:
    return watch.model_copy(
        update={
            "stopped": reason,
            "stopped_at": at,
            "next_due_at": None,
            "version": watch.version + 1,
        }
    )


def _stop_reason(watch: Watch, episode: Episode) -> EscalationStop | None:
    if episode.status != EpisodeStatus.OPEN:
        return EscalationStop.CLOSED  # the patient left, or the finding was ruled out
    if watch.timer is None:
        return None
    timer = episode.timer(watch.timer)
    breached = timer is not None and timer.status == TimerStatus.BREACHED
    if not breached or timer is None or timer.breach_alert_id != watch.alert_id:
        return EscalationStop.RESOLVED  # met late, retracted, or a new cycle with its own page
    return None


def advance(
    watch: Watch, *, episode: Episode, now: datetime, policy: Policy, late_flag: bool
) -> tuple[Watch, list[AlertIntent]]:
    """Stop the escalation if its reason has gone, else page the step whose time has come."""
    if not _unanswered(watch):
        return watch, []
    reason = _stop_reason(watch, episode)
    if reason is not None:
        return _stop(watch, reason, now), []
    if watch.stopped is not None:
        return watch, []  # exhausted: no step left, still unanswered
    steps = plan(policy)
    due = steps.due(first_page_at=watch.paged_at, sent=watch.steps_sent, now=now)
    intents: list[AlertIntent] = []
    update: dict[str, object] = {}
    if due:
        # One page for the furthest step reached (several after a worker outage); it names the
        # last page that went unacknowledged.
        step = due[-1]
        previous = (
            escalation_id(episode.episode_id, watch, watch.steps_sent)
            if watch.steps_sent
            else watch.alert_id
        )
        point = watch.paged_at + step.after
        # A step older than the history age (no worker for days) is history: folded, not paged.
        if now - point <= policy.history_age:
            intents.append(
                AlertIntent(
                    AlertType.ESCALATION,
                    watch.timer,
                    (watch.alert_id, step.number),
                    detected_late=late_flag or now - point > policy.late_after,
                    escalates_alert_id=previous,
                    tier=step.tier,
                )
            )
        update = {"steps_sent": step.number, "tier": max(watch.tier, step.tier)}
    moved = watch.model_copy(update=update) if update else watch
    upcoming = steps.next_at(first_page_at=moved.paged_at, sent=moved.steps_sent)
    if upcoming is None:
        return _stop(moved, EscalationStop.EXHAUSTED, now), intents
    if upcoming != watch.next_due_at or update:
        moved = moved.model_copy(update={"next_due_at": upcoming, "version": watch.version + 1})
    return moved, intents


def open_watches(
    watches: Sequence[Watch],
    intents: Iterable[AlertIntent],
    *,
    episode: Episode,
    now: datetime,
    policy: Policy,
) -> tuple[Watch, ...]:
    """Start an escalation for each new page that escalates; a new one replaces its key's."""
    found = {w.key: w for w in watches}
    steps = plan(policy)
    for intent in intents:
        if not escalates(intent, episode.priority):
            continue
        key = key_of(intent)
        old = found.get(key)
        alert_id = ids.alert_id(
            episode.episode_id,
            intent.timer.value if intent.timer is not None else None,
            intent.alert_type.value,
            *intent.qualifiers,
        )
        if old is not None and old.alert_id == alert_id:
            continue  # the same page raised again by a replay: keep its progress
        found[key] = Watch(
            key=key,
            alert_id=alert_id,
            alert_type=intent.alert_type,
            timer=intent.timer,
            paged_at=now,
            version=old.version + 1 if old is not None else 1,
            next_due_at=steps.next_at(first_page_at=now, sent=0),
        )
    return tuple(found.values())


def with_tiers(intents: Sequence[AlertIntent], watches: Sequence[Watch]) -> list[AlertIntent]:
    """Stand-down alerts addressed to the highest tier their escalation reached."""
    out: list[AlertIntent] = []
    for intent in intents:
        if intent.alert_type in STAND_DOWN:
            reached = [w.tier for w in watches if intent.timer is None or w.timer == intent.timer]
            intent = replace(intent, tier=max(reached, default=1))
        out.append(intent)
    return out
