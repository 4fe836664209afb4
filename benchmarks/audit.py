"""Audit summary over 100 000 episodes (goal: under 1 s on PostgreSQL), computed in the database.

Loads deterministic synthetic episodes through the real store, then times ``run_audit`` (summary
per facility, pooled summary and the breach list) by month, week and day. Baseline in the same
process: fetching every episode, timer and procedure row into Python and computing the same
monthly summary there (per facility and pooled). The in-database audit's point is that rows
never leave the database (memory, network, a remote PostgreSQL); the ratio says what that costs
or saves on one machine.

    .venv/bin/python -m benchmarks.audit [episodes] [postgresql|sqlite]
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from benchmarks._db import changes_for, scratch_postgres, scratch_sqlite
from services.audit import run_audit
from services.store import Store

SINCE = datetime(2025, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 1, 1, tzinfo=UTC)
REPEAT = 5


def _load(engine: Engine, episodes: int) -> float:
    store = Store(engine=engine)
    start = time.perf_counter()
    chunk = 10_000  # episodes per generation step, so memory stays flat
    for first in range(0, episodes, chunk):
        changes = changes_for(min(chunk, episodes - first), seed=first, offset=first)
        for k in range(0, len(changes), 5000):
            store.apply(changes=changes[k : k + 5000])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - start


def _timed(fn: Callable[[], object]) -> float:
    fn()  # warm caches and plans once
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _python_baseline(engine: Engine) -> None:
    """The same monthly summary computed in Python from every row: what the audit avoids."""
    month: dict[str, tuple[str, str, datetime]] = {}
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    outcomes: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * 5)
    with engine.connect() as conn:
        rows = conn.execute(
            text("select episode_id, facility, suspected_at from episodes "
                 "where suspected_at >= :since and suspected_at < :until"),
            {"since": SINCE, "until": UNTIL},
        )  # fmt: skip
        for eid, fac, suspected in rows:
            suspected = _aware(suspected)
            month[eid] = (f"{suspected:%Y-%m}", fac, suspected)
        timers = conn.execute(
            text("select episode_id, kind, status, met_at, breach_retracted from timers")
        )
        for eid, kind, status, met_at, retracted in timers:
            if eid not in month:
                continue
            period, fac, suspected = month[eid]
            for scope in (fac, "(all)"):
                acc = outcomes[(period, scope, kind)]
                acc[0] += status == "met"
                acc[1] += status in ("met", "met_late", "breached")
                acc[2] += status in ("met_late", "breached")
                acc[3] += bool(retracted)
                acc[4] += status == "pending"
                if status in ("met", "met_late") and met_at is not None:
                    seconds = (_aware(met_at) - suspected).total_seconds()
                    groups[(period, scope, kind)].append(max(0.0, seconds))
        procedures = conn.execute(
            text("select episode_id, detail, min(occurred_at) from care_events "
                 "where kind = 'procedure' and status = 'completed' group by episode_id, detail")
        )  # fmt: skip
        first: dict[tuple[str, str], datetime] = {}
        for eid, detail, at in procedures:
            measure = "radiotherapy" if detail in ("radiotherapy_started", "sbrt") else "surgery"
            at = _aware(at)
            if eid in month and ((eid, measure) not in first or at < first[(eid, measure)]):
                first[(eid, measure)] = at
        for (eid, measure), at in first.items():
            period, fac, suspected = month[eid]
            for scope in (fac, "(all)"):
                groups[(period, scope, measure)].append(max(0.0, (at - suspected).total_seconds()))
    for values in groups.values():
        values.sort()
        statistics.median(values)
        values[math.ceil(0.9 * len(values)) - 1]


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run(name: str, scratch: Callable[[], AbstractContextManager[Engine]], episodes: int) -> None:
    """Load, then print the audit timings and the baseline ratio."""
    with scratch() as engine:
        load = _load(engine, episodes)
        with engine.connect() as conn:
            n = conn.execute(text("select count(*) from episodes")).scalar_one()
        print(f"{name:10s} loaded {n} episodes through the store in {load:5.1f} s")
        for by in ("month", "week", "day"):
            seconds = _timed(
                lambda by=by: run_audit(engine=engine, since=SINCE, until=UNTIL, by=by, as_of=UNTIL)
            )
            print(f"{name:10s} audit by {by:5s}: {seconds:6.3f} s (median of {REPEAT})")
        month = _timed(
            lambda: run_audit(engine=engine, since=SINCE, until=UNTIL, by="month", as_of=UNTIL)
        )
        base = _timed(lambda: _python_baseline(engine))
        print(
            f"{name:10s} baseline, every row loaded and summarised in Python: {base:6.3f} s "
            f"-> in-database audit takes {month / base:4.2f}x the baseline's time"
        )


def main(argv: Sequence[str]) -> None:
    """PostgreSQL first (the goal), then SQLite; name one to run only it."""
    numbers = [int(a) for a in argv if a.isdigit()]
    episodes = numbers[0] if numbers else 100_000
    chosen = {a for a in argv if a in ("postgresql", "sqlite")} or {"postgresql", "sqlite"}
    for name, scratch in (("postgresql", scratch_postgres), ("sqlite", scratch_sqlite)):
        if name in chosen:
            run(name, scratch, episodes)


if __name__ == "__main__":
    main(sys.argv[1:])
