"""The simulated hospital's live run: the plan explained, the feed paced, progress lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.demo.console import Console
from streams.demo.lines import span
from streams.demo.options import DEFAULT_DURATION_SECONDS, DemoOptions
from streams.demo.plan import INVALID_FRACTION, FeedPlan, plan_feed
from streams.demo.watcher import AlertWatcher
from streams.demo.worker import WorkerProcess
from streams.simulated_feed import Door

PROGRESS_EVERY_SECONDS = 15.0
QUIET_PROGRESS_SECONDS = 300.0


@dataclass
class SimCounts:
    """What the simulated hospital published (produce() fills ``by_topic`` as it goes)."""

    by_topic: Counter[str] = field(default_factory=Counter)
    backlog: int = 0
    later: int = 0  # story events after the demo's end (published with --forever)

    @property
    def invalid(self) -> int:
        """Messages published malformed on purpose."""
        return self.by_topic["(invalid)"]

    @property
    def valid(self) -> int:
        """Messages ingest should forward."""
        return sum(n for t, n in self.by_topic.items() if t != "(invalid)") - self.invalid


async def simulate(
    options: DemoOptions,
    *,
    sim: SimCounts,
    watcher: AlertWatcher,
    worker: WorkerProcess,
    settings: Any,
    bootstrap: str,
    console: Console,
    policy: Any,
    door: Door | None = None,
) -> None:
    """Run the simulated hospital for the duration (or until cancelled), with progress lines."""
    import asyncio

    from streams.broker import client_options
    from streams.simulated_feed import produce

    now = datetime.now(UTC)
    plan = plan_feed(
        seed=options.seed,
        patients=options.patients,
        rate=options.rate,
        duration=options.duration or DEFAULT_DURATION_SECONDS,
        now=now,
        policy=policy,
    )
    end = now + timedelta(seconds=options.duration)
    sim.backlog = sum(1 for m in plan.messages if m.publish_at <= now)
    sim.later = 0 if options.forever else sum(1 for m in plan.messages if m.publish_at > end)
    explain(options, plan=plan, now=now, console=console, policy=policy, backlog=sim.backlog)
    loop = asyncio.get_running_loop()
    began = loop.time()
    feeding = asyncio.create_task(
        produce(
            plan.messages,
            bootstrap=bootstrap,
            options=client_options(settings),
            partitions=settings.partitions,
            rate=options.rate,
            duration=None if options.forever else options.duration,
            follow=True,
            counts=sim.by_topic,
            door=door,
        )
    )
    shown: tuple[int, ...] = ()
    shown_at = began
    try:
        while True:
            left = PROGRESS_EVERY_SECONDS
            if not options.forever:
                left = min(left, options.duration - (loop.time() - began))
                if left <= 0:
                    break
            if feeding.done():
                await asyncio.sleep(left)  # everything published; the timers keep firing
            else:
                await asyncio.wait({feeding}, timeout=left)
            if feeding.done() and feeding.exception() is not None:
                raise feeding.exception()  # type: ignore[misc]
            if worker.process.poll() is not None:
                console.line("demo", f"the worker exited; see {worker.log_path}", style="red")
                break
            # A quiet --forever run reports every few minutes, not every 15 s.
            state = (sum(sim.by_topic.values()), len(watcher.forwarded), len(watcher.alerts))
            if state != shown or loop.time() - shown_at >= QUIET_PROGRESS_SECONDS:
                progress(console, sim=sim, watcher=watcher, elapsed=loop.time() - began)
                shown, shown_at = state, loop.time()
    finally:
        if not feeding.done():
            feeding.cancel()
            await asyncio.gather(feeding, return_exceptions=True)
    console.line(
        "sim", f"{options.duration:.0f} s up: the simulated hospital stops publishing", style="dim"
    )


def explain(
    options: DemoOptions,
    *,
    plan: FeedPlan,
    now: datetime,
    console: Console,
    policy: Any,
    backlog: int,
) -> None:
    """Say what the simulated hospital will do: stories, policy windows, when clocks run out."""
    from models.outputs import TimerKind

    steroids = policy.window(TimerKind.STEROIDS).total_seconds() / 3600
    review = policy.window(TimerKind.SURGICAL_EVALUATION).total_seconds() / 3600
    warnings = ", ".join(f"{f:.0%}" for f in policy.warnings.fractions)
    escalation = ", ".join(f"{d.total_seconds() / 60:g}" for d in policy.escalation_delays)
    first = now + timedelta(seconds=plan.lead)
    last = first + timedelta(seconds=plan.window)
    live = f"between {first:%H:%M:%S} and {last:%H:%M:%S} UTC"
    breaching = len({m.key for m in plan.breaching})
    warning = len({m.key for m in plan.warning})
    console.raw()
    console.line(
        "sim",
        f"simulated hospital: {breaching + warning} patient stories (seed {options.seed}), "
        f"{options.rate:g} messages/s, {INVALID_FRACTION:.0%} malformed on purpose",
        style="bold",
    )
    console.line(
        "sim",
        f"policy services/policy.yaml: steroids within {steroids:g} h and a spinal surgical "
        f"review within {review:g} h of suspicion; warnings at {warnings} of each window; "
        f"escalation {escalation} min after an unacknowledged critical page",
    )
    console.line(
        "sim",
        f"backdated about a day: {backlog} messages of history arrive first; then the 24-hour "
        f"deadlines of {breaching} stories pass live {live} (like `cordwatch simulate --seed "
        f"{options.seed} --patients {breaching} --due-in {plan.due_in_minutes:.2f} --follow`)",
    )
    if warning:
        hours = (policy.window(TimerKind.STEROIDS) - plan.warning_shift).total_seconds() / 3600
        console.line(
            "sim",
            f"{warning} more stories are placed {plan.warning_shift.total_seconds() / 3600:g} h "
            f"later: their {max(policy.warnings.fractions):.0%} warning points ({hours:g} h after "
            f"suspicion) pass live instead, their deadlines after the demo",
        )
    console.line(
        "sim",
        "a report in the backlog opens its episode after some warning points have passed: "
        "each open timer pages for those once, at once (marked late)",
    )
    console.raw()


def progress(console: Console, *, sim: SimCounts, watcher: AlertWatcher, elapsed: float) -> None:
    """One dim line: published, ingested, dead letters, alerts, and the next deadline."""
    pending = watcher.pending_deadlines()
    upcoming = min(pending, default=None)
    nxt = (
        f"next deadline in {span((upcoming - datetime.now(UTC)).total_seconds())}"
        if upcoming is not None
        else "no deadline pending"
    )
    console.line(
        "sim",
        f"+{elapsed:.0f}s published {sum(sim.by_topic.values()) - sim.invalid} "
        f"({sim.invalid} malformed) | ingested {len(watcher.forwarded)} | dead letters "
        f"{len(watcher.dead)} | alerts {len(watcher.alerts)} | {len(pending)} timers pending, "
        f"{nxt}",
        style="dim",
    )
