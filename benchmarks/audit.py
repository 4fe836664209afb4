"""Audit summary over 100 000 episodes (goal: under 1 s on PostgreSQL), computed in the database.

Loads deterministic synthetic episodes through the real store, then times ``run_audit`` (summary
per facility, pooled summary and the breach list) by month, week and day. Baseline in the same
process: fetching the same intervals into Python and computing medians and p90s there.

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
    """Fetch every interval row and aggregate in Python: what the audit avoids."""
    sql = text(
        "select e.facility, e.suspected_at, t.kind, t.status, t.met_at "
        "from episodes e join timers t on t.episode_id = e.episode_id "
        "where e.suspected_at >= :since and e.suspected_at < :until"
    )
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    with engine.connect() as conn:
        for fac, suspected, kind, status, met_at in conn.execute(
            sql, {"since": SINCE, "until": UNTIL}
        ):
            if isinstance(suspected, str):  # SQLite text
                suspected = datetime.fromisoformat(suspected)
                met_at = datetime.fromisoformat(met_at) if met_at else None
            key = (f"{suspected:%Y-%m}", fac, kind)
            if status in ("met", "met_late") and met_at is not None:
                groups[key].append(max(0.0, (met_at - suspected).total_seconds()))
    for values in groups.values():
        values.sort()
        statistics.median(values)
        values[math.ceil(0.9 * len(values)) - 1]


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
            f"{name:10s} baseline, intervals loaded into Python (timers only): {base:6.3f} s "
            f"-> in-database audit is {base / month:4.1f}x faster"
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
