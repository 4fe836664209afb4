"""Scratch databases for the store benchmarks: a throwaway PostgreSQL schema or SQLite file."""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

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
from services.store import make_engine, upgrade

POSTGRES_URL = os.environ.get(
    "CORDWATCH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FACILITIES = ("NORTH", "SOUTH", "EAST", "WEST", "CITY")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@contextmanager
def scratch_postgres() -> Iterator[Engine]:
    """A migrated engine on a fresh schema, dropped afterwards."""
    schema = f"cw_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine=engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@contextmanager
def scratch_sqlite() -> Iterator[Engine]:
    """A migrated engine on a temporary SQLite file."""
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            upgrade(engine=engine)
            yield engine
        finally:
            engine.dispose()


def episode_changes(i: int, rng: random.Random) -> list[EpisodeChange]:
    """The changes one episode produces: opened, two timers started then settled, a procedure."""
    eid = f"ep-{i:07d}"
    fac = FACILITIES[i % len(FACILITIES)]
    suspected = T0 + timedelta(minutes=5 * i + rng.randint(0, 4))
    env = dict(patient_id=f"MRN{i:07d}", facility=fac, episode_id=eid)
    out: list[EpisodeChange] = [
        EpisodeChanged(
            change_id=f"{eid}-e", version=1, at=suspected, **env,
            episode=EpisodeSnapshot(
                status=EpisodeStatus.OPEN, suspected_at=suspected, opened_by_accession=f"A{i}",
                priority=Priority.HIGH, levels=["T7", "T8"], escc_grade="2", high_grade=True,
            ),
        )
    ]  # fmt: skip
    for kind in TimerKind:
        due = suspected + timedelta(hours=24)
        started = TimerSnapshot(
            timer_id=f"{eid}-{kind.value}", kind=kind, started_at=suspected, due_at=due,
            status=TimerStatus.PENDING,
        )  # fmt: skip
        out.append(
            TimerChanged(change_id=f"{eid}-{kind}-1", version=2, at=suspected, timer=started, **env)
        )
        roll = rng.random()
        if roll < 0.05:
            continue  # still open
        met_after = timedelta(minutes=rng.randint(10, 40 * 60))
        status = TimerStatus.MET if met_after <= timedelta(hours=24) else TimerStatus.MET_LATE
        settled = started.model_copy(
            update={"status": status, "met_at": suspected + met_after, "met_by": f"r{i}",
                    "breach_retracted": roll > 0.98}
        )  # fmt: skip
        out.append(
            TimerChanged(change_id=f"{eid}-{kind}-2", version=3, at=suspected, timer=settled, **env)
        )
    if rng.random() < 0.6:
        name = "radiotherapy_started" if rng.random() < 0.7 else "decompressive_surgery"
        at = suspected + timedelta(hours=rng.randint(6, 96))
        out.append(
            CareEventRecorded(
                change_id=f"{eid}-p", version=4, at=at, **env,
                care_event=CareEventSnapshot(
                    record_id=f"proc-{i}", kind=CareKind.PROCEDURE, occurred_at=at,
                    status="completed", detail=name,
                ),
            )
        )  # fmt: skip
    return out


def changes_for(episodes: int, *, seed: int = 7, offset: int = 0) -> list[EpisodeChange]:
    """Deterministic changes for episodes offset..offset+episodes (about 5.5 per episode)."""
    rng = random.Random(seed)
    return [c for i in range(offset, offset + episodes) for c in episode_changes(i, rng)]
