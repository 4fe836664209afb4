"""The API's episode queries over 100 000 episodes: a page costs what a page holds, not the range.

Times ``episode_page`` (first page, a page half-way through, a status filter) and
``episode_detail`` on the same synthetic store as the audit benchmark. Baseline in the same
process: ``episode_intervals`` over the whole year, i.e. computing every episode's intervals
and cutting the page in Python, which is what a list without page-first SQL would cost.

    .venv/bin/python -m benchmarks.api [episodes] [postgresql|sqlite]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from sqlalchemy import text
from sqlalchemy.engine import Engine

from benchmarks._db import scratch_postgres, scratch_sqlite
from benchmarks.audit import SINCE, UNTIL, _load, _timed
from services.audit.browse import episode_detail, episode_page
from services.audit.episodes import episode_intervals


def run(name: str, scratch: Callable[[], AbstractContextManager[Engine]], episodes: int) -> None:
    """Load, then print page and detail timings against the whole-range baseline."""
    with scratch() as engine:
        load = _load(engine, episodes)
        with engine.connect() as conn:
            n = conn.execute(text("select count(*) from episodes")).scalar_one()
            some_id = conn.execute(text("select min(episode_id) from episodes")).scalar_one()
            print(f"{name:10s} loaded {n} episodes in {load:5.1f} s")
            cases: dict[str, Callable[[], object]] = {
                "page 1 (100)": lambda: episode_page(conn, since=SINCE, until=UNTIL),
                "page at offset n/2": lambda: episode_page(
                    conn, since=SINCE, until=UNTIL, offset=n // 2
                ),
                "status=closed page 1": lambda: episode_page(
                    conn, since=SINCE, until=UNTIL, status="closed"
                ),
                "one episode detail": lambda: episode_detail(conn, some_id),
            }
            base = _timed(lambda: episode_intervals(conn, since=SINCE, until=UNTIL)[:100])
            for label, fn in cases.items():
                seconds = _timed(fn)
                print(
                    f"{name:10s} {label:22s} {seconds * 1000:8.1f} ms  "
                    f"{seconds / base:6.3f}x baseline"
                )
            print(f"{name:10s} {'baseline: all intervals':22s} {base * 1000:8.1f} ms  1.000x")


def main(argv: Sequence[str]) -> None:
    """PostgreSQL first, then SQLite; name one to run only it."""
    numbers = [int(a) for a in argv if a.isdigit()]
    episodes = numbers[0] if numbers else 100_000
    chosen = {a for a in argv if a in ("postgresql", "sqlite")} or {"postgresql", "sqlite"}
    for name, scratch in (("postgresql", scratch_postgres), ("sqlite", scratch_sqlite)):
        if name in chosen:
            run(name, scratch, episodes)


if __name__ == "__main__":
    main(sys.argv[1:])
