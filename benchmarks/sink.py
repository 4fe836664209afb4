"""Sink throughput: episode changes per second into PostgreSQL (and SQLite) with batch upserts.

Baseline in the same process: the same store applying one change per transaction, which is what
a naive per-message sink does. Also timed: replaying everything already stored (every change is
dropped by the version guard), the cost of a redelivery after a crash.

    .venv/bin/python -m benchmarks.sink [episodes]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager

from sqlalchemy.engine import Engine

from benchmarks._db import changes_for, scratch_postgres, scratch_sqlite
from models.outputs import EpisodeChange
from services.store import Store

BATCH = 1000


def _apply(store: Store, changes: Sequence[EpisodeChange], batch: int) -> tuple[float, int]:
    written = 0
    start = time.perf_counter()
    for k in range(0, len(changes), batch):
        written += store.apply(changes=changes[k : k + batch]).written
    return time.perf_counter() - start, written


def run(name: str, scratch: Callable[[], AbstractContextManager[Engine]], episodes: int) -> None:
    """Print batched, replay and one-per-transaction throughput on one dialect."""
    changes = changes_for(episodes)
    sample = changes_for(max(200, episodes // 20), seed=11)
    with scratch() as engine:
        store = Store(engine=engine)
        batched, written = _apply(store, changes, BATCH)
        replay, rewritten = _apply(store, changes, BATCH)
    with scratch() as engine:
        single, _ = _apply(Store(engine=engine), sample, 1)
    rate = len(changes) / batched
    base = len(sample) / single
    print(
        f"{name:10s} batched x{BATCH}: {len(changes):7d} changes in {batched:6.2f} s "
        f"= {rate:8.0f} changes/s (written {written})"
    )
    print(
        f"{name:10s} replay (all stale): {len(changes) / replay:8.0f} changes/s, "
        f"rewritten {rewritten}"
    )
    print(
        f"{name:10s} baseline 1 change per transaction: {base:8.0f} changes/s "
        f"-> batching is {rate / base:5.1f}x faster"
    )


def _scratches() -> Iterator[tuple[str, Callable[[], AbstractContextManager[Engine]]]]:
    yield "postgresql", scratch_postgres
    yield "sqlite", scratch_sqlite


def main(argv: Sequence[str]) -> None:
    """Run on PostgreSQL then SQLite."""
    episodes = int(argv[0]) if argv else 20_000
    for name, scratch in _scratches():
        run(name, scratch, episodes)


if __name__ == "__main__":
    main(sys.argv[1:])
