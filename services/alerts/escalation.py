"""Escalation plans: which tier is paged when, for an alert nobody acknowledges (pure).

The plan comes from the policy's ``paging`` section: tier 2 after the first delay, tier 3 after
the next, then the top tier again every ``repeat_every_minutes``, at most ``repeat_times`` times.
Judged in event time: the caller passes the first page's time and ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.policy import Paging


@dataclass(frozen=True)
class Step:
    """The ``number``-th escalation (1-based): page ``tier`` once ``after`` has passed."""

    number: int
    tier: int
    after: timedelta  # from the first page
    repeat: bool = False


@dataclass(frozen=True)
class EscalationPlan:
    """Every step an unacknowledged alert goes through, in order."""

    steps: tuple[Step, ...]

    def tier_of(self, number: int) -> int:
        """The tier the ``number``-th escalation pages (1 = the first page itself)."""
        if number <= 0:
            return 1
        if number > len(self.steps):
            return self.steps[-1].tier if self.steps else 1
        return self.steps[number - 1].tier

    def due(self, *, first_page_at: datetime, sent: int, now: datetime) -> tuple[Step, ...]:
        """The steps not yet sent whose time has come (several after a worker outage)."""
        return tuple(s for s in self.steps[sent:] if first_page_at + s.after <= now)

    def next_at(self, *, first_page_at: datetime, sent: int) -> datetime | None:
        """When the next step falls due; None once the plan is exhausted."""
        if sent >= len(self.steps):
            return None
        return first_page_at + self.steps[sent].after


def plan_from(paging: Paging, *, top_tier: int | None = None) -> EscalationPlan:
    """The policy's plan, with tiers capped at ``top_tier`` when a route names fewer."""
    cap = top_tier if top_tier is not None else len(paging.tier_delays_minutes) + 1
    steps: list[Step] = []
    elapsed = timedelta()
    for i, minutes in enumerate(paging.tier_delays_minutes):
        elapsed += timedelta(minutes=minutes)
        steps.append(Step(len(steps) + 1, min(i + 2, cap), elapsed))
    top = min(len(paging.tier_delays_minutes) + 1, cap)
    for _ in range(paging.repeat_times):
        elapsed += timedelta(minutes=paging.repeat_every_minutes)
        steps.append(Step(len(steps) + 1, top, elapsed, repeat=True))
    return EscalationPlan(tuple(steps))
