"""The sink agents: cordwatch.episode-changes and cordwatch.alerts into the audit store.

Batches of up to ``BATCH`` messages; Faust's ``take_events`` acknowledges a batch only when the
loop asks for the next one, i.e. after ``process_batch`` returned, i.e. after the database
commit. While the database is down the loop waits inside the store's retry (the partitions
pause), the runtime's ``sink_health`` says why, and no offset moves. The store must be at the
code's schema revision: until it is, the sink waits and says so rather than write into an old
schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import structlog
from faust.streams import Stream
from faust.types import AppT, StreamT
from prometheus_client import CollectorRegistry, Counter

from models.dead_letter import RejectReason
from services.config import Settings
from services.store import SchemaError, Store, check_schema, make_engine
from services.store.sink import (
    DEFAULT_BACKOFF,
    Backoff,
    BatchStore,
    SinkHealth,
    decode,
    write_batch,
)
from streams import topics
from streams.bootstrap import Runtime
from streams.messages import Inbound, Message, dead_letter
from streams.outbox import Sender

log = structlog.get_logger(__name__)

BATCH = 500
WITHIN_SECONDS = 0.5
SCHEMA_RECHECK_SECONDS = 10.0


def ensure_schema_current(settings: Settings) -> str:
    """For `cordwatch worker` before it starts: raise SchemaError unless the store is current."""
    engine = make_engine(settings.database_url)
    try:
        return check_schema(engine=engine)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class SinkMetrics:
    """Rows written or dropped (replays, stale versions) and retries, no patient labels."""

    changes: Counter
    retries: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> SinkMetrics:
        """Register on `registry` (once per worker: `register`), every result at zero."""
        created = cls(
            changes=Counter(
                "cordwatch_sink_records_total",
                "Episode changes and alerts the sink handled, by result.",
                ("result",),
                registry=registry,
            ),
            retries=Counter(
                "cordwatch_sink_retries_total",
                "Batch writes retried because the database was unavailable.",
                registry=registry,
            ),
        )
        for result in ("written", "dropped"):
            created.changes.labels(result)
        return created


async def process_batch(
    messages: Sequence[Inbound],
    *,
    rt: Runtime,
    store: BatchStore,
    dead_letters: Sender,
    health: SinkHealth,
    metrics: SinkMetrics,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> None:
    """Write one batch; returns only after the commit (or after parking what cannot be read)."""
    decoded = decode([m.value for m in messages])
    retries_before = health.retries
    result, refused = await write_batch(
        decoded, store=store, health=health, now=rt.clock.now, backoff=backoff
    )
    metrics.retries.inc(health.retries - retries_before)
    metrics.changes.labels("written").inc(result.written)
    metrics.changes.labels("dropped").inc(result.dropped)
    parked = list(decoded.rejects)
    parked += [(decoded.message_index(i), "refused by the database") for i in refused]
    letters: list[Message] = []
    limit = rt.settings.kafka_max_message_bytes
    for index, reason in parked:
        msg = messages[index]
        code = RejectReason.PROCESSING_ERROR
        letters.append(dead_letter(msg, code, reason, now=rt.clock.now(), limit=limit))
        rt.metrics.dead_letters.labels(msg.topic, code.value).inc()
        log.error("sink.parked", topic=msg.topic, offset=msg.offset, reason=reason)
    await dead_letters.send(letters)


async def wait_for_schema(
    *, store: Store, health: SinkHealth, rt: Runtime, recheck: float = SCHEMA_RECHECK_SECONDS
) -> None:
    """Hold the sink (and its partitions) until the database is at the code's revision.

    ``recheck`` is the seconds between checks: someone has to run `cordwatch db upgrade`.
    """
    while True:
        try:
            await asyncio.to_thread(check_schema, engine=store.engine)
        except SchemaError as exc:
            health.failing(str(exc), now=rt.clock.now())
            log.error("sink.schema_not_current", reason=str(exc))
        except Exception as exc:  # unreachable database: same wait, different reason
            health.failing(f"database unavailable: {type(exc).__name__}", now=rt.clock.now())
        else:
            return
        await asyncio.sleep(recheck)


async def _run(stream: StreamT[bytes], *, rt: Runtime, metrics: SinkMetrics) -> None:
    store = rt.store
    letters = rt.outbox("sink")
    await wait_for_schema(store=store, health=rt.sink_health, rt=rt)
    async for events in cast(Stream[bytes], stream).take_events(BATCH, within=WITHIN_SECONDS):
        batch = [
            Inbound(e.message.topic, e.message.partition, e.message.offset, e.message.key,
                    e.message.value or b"")
            for e in events
        ]  # fmt: skip
        await process_batch(
            batch, rt=rt, store=store, dead_letters=letters, health=rt.sink_health, metrics=metrics
        )


def register(app: AppT, rt: Runtime) -> None:
    """The two sink agents on a sink worker's `app`; their metrics exist from the first scrape."""
    metrics = SinkMetrics.create(rt.registry)

    @app.agent(topics.raw_topic(app, topics.EPISODE_CHANGES), name="sink")
    async def episode_sink(stream: StreamT[bytes]) -> None:
        """Episode changes into the audit store, committed before their offsets."""
        await _run(stream, rt=rt, metrics=metrics)

    @app.agent(topics.raw_topic(app, topics.ALERTS), name="alert_sink")
    async def alert_sink(stream: StreamT[bytes]) -> None:
        """Alerts into the audit store (once per alert_id; delivery facts are added later)."""
        await _run(stream, rt=rt, metrics=metrics)
