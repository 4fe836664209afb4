"""Where the simulated hospital's stories go, so their clocks run out while the demo watches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

INVALID_FRACTION = 0.02
WARNING_SEED_OFFSET = 1000  # the warning cohort's seed: other patients, other stories


@dataclass(frozen=True)
class FeedPlan:
    """The simulated feed for this run and where its clocks run out (seconds from now)."""

    messages: list[Any]  # both cohorts, in publication order
    breaching: list[Any]  # the cohort whose deadlines fall in [lead, lead + window]
    warning: list[Any]  # the cohort whose last warning points fall there instead
    lead: float
    window: float
    warning_shift: timedelta  # how much later the warning cohort's deadlines are

    @property
    def due_in_minutes(self) -> float:
        """The simulator's --due-in for the breaching cohort."""
        return self.window / 60


def plan_feed(
    *, seed: int, patients: int, rate: float, duration: float, now: datetime, policy: Any
) -> FeedPlan:
    """Place the stories so the day's backlog is in before the first clock runs out.

    The simulator's --due-in places deadlines in [start, start + window]. Two thirds of the
    patients get their deadlines in the live part of the demo, after the backlog has been
    published at ``rate`` (plus a margin) and a few seconds before the end, so the breaches are
    seen. The other third is placed (1 - last warning fraction) of the window later, so their last
    warning points pass live instead (18 h after suspicion with the packaged policy).
    """
    import heapq

    from models.outputs import TimerKind
    from services.simulation import FeedConfig, generate

    fractions = policy.warnings.fractions
    later = patients // 3 if fractions else 0
    shift = policy.window(TimerKind.STEROIDS) * (1 - max(fractions, default=1.0))

    def cohorts(start: datetime, window: float) -> tuple[list[Any], list[Any]]:
        def config(offset: int, count: int, at: datetime) -> Any:
            return FeedConfig(
                seed=seed + offset,
                start=at,
                patients=count,
                invalid_fraction=INVALID_FRACTION,
                due_within=timedelta(seconds=window),
            )

        breaching = list(generate(config(0, patients - later, start)))
        warning = list(generate(config(WARNING_SEED_OFFSET, later, start + shift)))
        return breaching, warning

    provisional = cohorts(now, max(duration, 1.0))
    backlog = sum(1 for cohort in provisional for m in cohort if m.publish_at <= now)
    lead = backlog / rate + 4.0
    window = max(5.0, duration - lead - 6.0)
    breaching, warning = cohorts(now + timedelta(seconds=lead), window)
    merged = list(heapq.merge(breaching, warning, key=lambda m: m.publish_at))
    return FeedPlan(merged, breaching, warning, lead, window, shift)
