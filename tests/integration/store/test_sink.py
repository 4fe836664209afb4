"""The sink writes each batch once and only then lets go of it: through outages (a refused
connection, terminated PostgreSQL backends, a locked SQLite file), redeliveries and bad records."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from models.outputs import Alert, EpisodeChange
from services.config import Settings
from services.store import ApplyResult, Store, StoreError, StoreUnavailableError, make_engine
from services.store.sink import Backoff, SinkHealth, decode
from streams.agents import sink
from streams.agents.sink import wait_for_schema
from streams.bootstrap import Runtime, build_runtime
from streams.messages import Inbound
from tests.integration.store.conftest import PG_URL
from tests.integration.store.dataset import known_dataset
from tests.integration.store.test_store import _alert

FAST = Backoff(first=0.01, factor=2.0, cap=0.05)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def _runtime() -> Runtime:
    return build_runtime(Settings(), clock=FixedClock(), registry=CollectorRegistry())


_metrics: weakref.WeakKeyDictionary[CollectorRegistry, sink.SinkMetrics] = (
    weakref.WeakKeyDictionary()
)


async def process_batch(messages: Sequence[Inbound], *, rt: Runtime, **parts: Any) -> None:
    """The sink's batch write, with its metrics on the Runtime's registry (made once each)."""
    if rt.registry not in _metrics:
        _metrics[rt.registry] = sink.SinkMetrics.create(rt.registry)
    await sink.process_batch(messages, rt=rt, metrics=_metrics[rt.registry], **parts)


def _messages(records: Sequence[Any], topic: str = "cordwatch.episode-changes") -> list[Inbound]:
    return [
        Inbound(topic, 0, i, b"MRN", r if isinstance(r, bytes) else r.model_dump_json().encode())
        for i, r in enumerate(records)
    ]


class Letters:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send(self, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
        assert all(topic == "cordwatch.dead-letters" for topic, _, _ in messages)
        self.sent += [value for _, _, value in messages]


class Flaky:
    """The real store behind a switch that refuses the first ``failures`` attempts."""

    def __init__(self, store: Store, *, failures: int) -> None:
        self.store, self.failures, self.attempts = store, failures, 0

    async def apply_async(
        self, *, changes: Sequence[EpisodeChange] = (), alerts: Sequence[Alert] = ()
    ) -> ApplyResult:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise StoreUnavailableError("OperationalError (08006)")
        return await self.store.apply_async(changes=changes, alerts=alerts)


async def _eventually(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in 10 s")


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"select count(*) from {table}")).scalar_one())


def test_decode_splits_changes_alerts_and_garbage() -> None:
    change = known_dataset()[0]
    decoded = decode([b"{not json", _alert().model_dump_json().encode(),
                      change.model_dump_json().encode(), b'{"kind": "alert"}'])  # fmt: skip
    assert [type(c).__name__ for c in decoded.changes] == ["EpisodeChanged"]
    assert len(decoded.alerts) == 1
    assert [i for i, _ in decoded.rejects] == [0, 3]
    assert decoded.positions == [2, 1]  # the change, then the alert
    assert all("MRN" not in reason for _, reason in decoded.rejects)


async def test_outage_is_retried_and_every_change_lands_once(store: Store) -> None:
    rt, health, letters = _runtime(), SinkHealth(), Letters()
    batch = _messages([*known_dataset(), _alert()])
    flaky = Flaky(store, failures=3)
    await process_batch(batch, rt=rt, store=flaky, dead_letters=letters, health=health,
                        backoff=FAST)  # fmt: skip
    assert flaky.attempts == 4
    assert (health.ok, health.retries, health.written) == (True, 3, len(batch))
    assert _count(store.engine, "timers") == 15
    before = {t: _count(store.engine, t) for t in ("episodes", "timers", "care_events", "alerts")}
    # Kafka redelivers the batch (the worker died before the offset commit): nothing changes.
    await process_batch(batch, rt=rt, store=store, dead_letters=letters, health=health)
    assert {t: _count(store.engine, t) for t in before} == before
    assert health.dropped == len(batch)
    assert rt.registry.get_sample_value("cordwatch_sink_retries_total") == 3
    assert rt.registry.get_sample_value(
        "cordwatch_sink_records_total", {"result": "written"}
    ) == len(batch)
    assert letters.sent == []


async def test_health_says_why_while_the_database_is_down(store: Store) -> None:
    rt, health = _runtime(), SinkHealth()
    flaky = Flaky(store, failures=10_000)
    task = asyncio.create_task(
        process_batch(_messages(known_dataset()[:3]), rt=rt, store=flaky, dead_letters=Letters(),
                      health=health, backoff=FAST)
    )  # fmt: skip
    await _eventually(lambda: flaky.attempts >= 3)
    assert not task.done()  # the batch is held: its offsets cannot be committed
    report = health.report()
    assert report["sink_ok"] is False
    assert "database unavailable" in report["sink_reason"]
    assert report["sink_failing_since"] == NOW.isoformat()
    flaky.failures = 0  # the database is back
    await asyncio.wait_for(task, timeout=5)
    assert health.ok
    assert _count(store.engine, "episodes") == 1


class Poisoned:
    """The real store, except that it refuses any batch holding episode POISON (a data error)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def apply_async(
        self, *, changes: Sequence[EpisodeChange] = (), alerts: Sequence[Alert] = ()
    ) -> ApplyResult:
        if any(c.episode_id == "POISON" for c in changes):
            raise StoreError("DataError (22001)")
        return await self.store.apply_async(changes=changes, alerts=alerts)


async def test_unreadable_and_refused_records_are_parked_and_the_rest_written(
    store: Store,
) -> None:
    from tests.integration.store.dataset import episode

    rt, letters = _runtime(), Letters()
    good = known_dataset()[:4]
    poison = episode("POISON", NOW, facility="N")
    batch = _messages([good[0], b"garbage", poison, *good[1:]])
    await process_batch(batch, rt=rt, store=Poisoned(store), dead_letters=letters,
                        health=SinkHealth(), backoff=FAST)  # fmt: skip
    tables = ("episodes", "timers", "care_events")
    assert [_count(store.engine, t) for t in tables] == [1, 2, 1]  # all of E1, no POISON
    parked = sorted((json.loads(v) for v in letters.sent), key=lambda p: p["offset"])
    assert [p["offset"] for p in parked] == [1, 2]
    assert parked[0]["reason"].startswith("not an alert or episode change")
    assert parked[1]["reason"] == "refused by the database"
    assert base64.b64decode(parked[1]["original"]) == batch[2].value


async def test_sink_waits_until_the_schema_is_current(engine: Engine) -> None:
    from services.store import upgrade

    health, store = SinkHealth(), Store(engine=engine)
    task = asyncio.create_task(
        wait_for_schema(store=store, health=health, rt=_runtime(), recheck=0.01)
    )
    await _eventually(lambda: health.retries >= 2)
    assert not task.done()
    assert "cordwatch db upgrade" in (health.reason or "")
    await asyncio.to_thread(upgrade, engine=engine)
    await asyncio.wait_for(task, timeout=5)


def _terminate(application_name: str) -> int:
    url = make_url(PG_URL)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                         autocommit=True) as conn:  # fmt: skip
        rows = conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


async def test_real_outage_the_database_drops_the_sink_mid_stream(
    db_url: str, migrated: Engine
) -> None:
    """PostgreSQL: the sink's connections are terminated between batches. SQLite: another
    process holds the write lock. Either way the next batch retries until it commits."""
    rt, health = _runtime(), SinkHealth()
    changes = known_dataset()
    if db_url.startswith("postgresql"):
        name = f"cw_sink_{id(health)}"
        url = make_url(db_url).update_query_dict({"application_name": name})
        engine = make_engine(url.render_as_string(hide_password=False))
        release = None
    else:
        engine = make_engine(db_url, connect_args={"timeout": 0.05})
        holder = sqlite3.connect(make_url(db_url).database, timeout=5, isolation_level=None)
        release = threading.Event()
    store = Store(engine=engine)
    await process_batch(_messages(changes[:10]), rt=rt, store=store, dead_letters=Letters(),
                        health=health, backoff=FAST)  # fmt: skip
    if release is None:
        assert _terminate(name) >= 1  # every pooled connection of the sink is gone
        await process_batch(_messages(changes), rt=rt, store=store, dead_letters=Letters(),
                            health=health, backoff=FAST)  # fmt: skip
        assert health.retries >= 1  # the write hit the dead connection, then retried
    else:
        holder.execute("begin exclusive")
        task = asyncio.create_task(
            process_batch(_messages(changes), rt=rt, store=store, dead_letters=Letters(),
                          health=health, backoff=FAST)
        )  # fmt: skip
        await _eventually(lambda: health.retries >= 2)
        assert not health.ok
        holder.execute("commit")
        holder.close()
        await asyncio.wait_for(task, timeout=10)
        assert health.retries >= 2
    assert health.ok
    assert _count(migrated, "episodes") == 9
    assert _count(migrated, "timers") == 15
    assert health.written == len(changes)  # the first 10 once, the rest once: no double write
    engine.dispose()
