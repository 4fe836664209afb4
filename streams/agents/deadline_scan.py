"""The deadline scan (the timer service): due deadlines of the recovered partitions -> TimerDue.

Timers trigger; the stored state decides (STYLE.md). Every worker runs the scan (not only the
leader) over the partitions it owns, and only once their table partitions are recovered: Faust
timers are not persisted and keep firing during a rebalance or a changelog recovery, when the
table is incomplete. Deadlines live in the patients table; an index (a heap per partition of
(next deadline, patient key)) is rebuilt from the table after each assignment and recovery and
updated by the pathway agent on every write, so a tick touches only what is due, never every
patient. A deadline that passed while no worker was up is found by the rebuild and fires at once,
marked detected late. The scan only sends TimerDue to cordwatch.patient-events: the pathway
agent stays the single writer, and a TimerDue for a stale timer version is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from faust.tables.manager import TableManager
from faust.types import AppT
from prometheus_client import CollectorRegistry, Counter, Gauge

from models.events import TimerDue
from models.state import PatientState
from services.pathway import due_timers, next_deadline
from streams import topics
from streams.bootstrap import Runtime
from streams.outbox import Sender
from streams.patient_store import DeadlineIndex, StoredStates, rebuild

log = structlog.get_logger(__name__)

SCAN_INTERVAL_SECONDS = 1.0
# A TimerDue whose deadline the agent did not move (lost send, stale version raced by a newer
# write that the index has not seen yet) is sent again after this long; same event id.
RETRY_AFTER_SECONDS = 10.0


@dataclass(frozen=True)
class TimerMetrics:
    """The timer service's own health: a stalled scanner is itself alerted on."""

    heartbeat: Gauge
    waiting: Gauge
    timer_due_sent: Counter
    indexed: Gauge
    scan_seconds: Gauge
    errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> TimerMetrics:
        """Register on `registry` (once per worker: `register`), both label values at zero."""
        created = cls(
            heartbeat=Gauge(
                "cordwatch_timer_service_heartbeat_timestamp_seconds",
                "Unix time of the last completed deadline scan (stale = timers not watched).",
                registry=registry,
            ),
            waiting=Gauge(
                "cordwatch_timer_service_waiting",
                "1 while the scan waits for a rebalance or table recovery to finish.",
                registry=registry,
            ),
            timer_due_sent=Counter(
                "cordwatch_timer_due_sent_total",
                "TimerDue events sent to cordwatch.patient-events.",
                ("detected_late",),
                registry=registry,
            ),
            indexed=Gauge(
                "cordwatch_timer_service_indexed_patients",
                "Patients with a pending deadline in this worker's deadline index.",
                registry=registry,
            ),
            scan_seconds=Gauge(
                "cordwatch_timer_service_last_scan_seconds",
                "Duration of the last deadline scan.",
                registry=registry,
            ),
            errors=Counter(
                "cordwatch_timer_service_errors_total",
                "Scans that failed (the next tick retries).",
                registry=registry,
            ),
        )
        for late in ("false", "true"):
            created.timer_due_sent.labels(late)
        return created


SendTimerDue = Callable[[bytes, TimerDue], Awaitable[Any]]


async def scan(
    index: DeadlineIndex,
    table: StoredStates,
    *,
    owned: Iterable[int],
    now: datetime,
    late_after: timedelta,
    send: SendTimerDue,
    metrics: TimerMetrics,
) -> int:
    """Send a TimerDue for every due deadline in the owned partitions; return how many."""
    sent = 0
    now_ts = now.timestamp()
    for partition in owned:
        for key in index.pop_due(partition, now_ts):
            raw = table.get(key)
            if not raw:
                continue
            state = PatientState.model_validate_json(raw)
            fired = 0
            for due in due_timers(state, now, late_after=late_after):
                await send(key, due)
                metrics.timer_due_sent.labels(str(due.detected_late).lower()).inc()
                fired += 1
            sent += fired
            if index.noted(partition, key):
                continue  # the agent noted a newer state while the sends were awaited
            upcoming = next_deadline(state)
            if fired or (upcoming is not None and upcoming.timestamp() <= now_ts):
                # Until the agent writes the advanced state (and notes its next deadline), retry.
                index.note(partition, key, now_ts + RETRY_AFTER_SECONDS)
            else:
                # Nothing was due: the state had already advanced (the agent took the last
                # TimerDue while the sends were awaited). Its next deadline, if any; a retry
                # here would re-read the patient every 10 s for good.
                index.note(partition, key, upcoming)
    return sent


def owned_partitions(app: AppT) -> frozenset[int] | None:
    """Partitions of cordwatch.patient-events this worker owns and has recovered, else None."""
    if not app.started or app.rebalancing or getattr(app, "in_recovery", False):
        return None
    recovery = cast(TableManager, app.tables).recovery
    if not recovery.completed.is_set() or recovery.in_recovery:
        return None
    return frozenset(
        tp.partition for tp in app.consumer.assignment() if tp.topic == topics.PATIENT_EVENTS
    )


def outbox_sender(outbox: Sender) -> SendTimerDue:
    """TimerDue events to the patient stream, each acknowledged by the broker."""

    async def send(key: bytes, due: TimerDue) -> None:
        await outbox.send([(topics.PATIENT_EVENTS, key, due.model_dump_json().encode("utf-8"))])

    return send


def register(app: AppT, rt: Runtime) -> None:
    """The deadline scan on a pathway worker's `app`, every SCAN_INTERVAL_SECONDS."""
    send = outbox_sender(rt.outbox("timers"))
    metrics = TimerMetrics.create(rt.registry)
    # Until its first tick finds the partitions recovered, the scan waits: so says the gauge
    # from the first scrape, and a heartbeat never stamped is not "stalled".
    metrics.waiting.set(1)

    @app.timer(SCAN_INTERVAL_SECONDS)
    async def deadline_scan() -> None:
        """Every second on every worker: fire what is due in this worker's recovered partitions."""
        await scan_once(app, rt, send=send, metrics=metrics)


async def scan_once(app: AppT, rt: Runtime, *, send: SendTimerDue, metrics: TimerMetrics) -> None:
    """One tick of the timer service; never raises (an escaping error would stop the worker)."""
    deadlines = rt.deadlines  # the pathway agent notes every state it writes here
    patients = rt.patient_store()
    owned = owned_partitions(app)
    if owned is None:
        metrics.waiting.set(1)
        deadlines.generation = None  # rebuild once the rebalance/recovery is over
        return
    metrics.waiting.set(0)
    started = time.perf_counter()
    try:
        generation = (app.consumer_generation_id, owned)
        if deadlines.generation != generation:
            count = await rebuild(
                deadlines,
                patients,
                owned=owned,
                partitions=app.conf.topic_partitions,
                digests=rt.digests,
            )
            deadlines.generation = generation
            log.info("timers.index_rebuilt", partitions=sorted(owned), pending=count)
        sent = await scan(
            deadlines,
            patients,
            owned=sorted(owned),
            now=rt.clock.now(),
            late_after=rt.pathway.policy.late_after,
            send=send,
            metrics=metrics,
        )
        if sent:
            log.info("timers.due_sent", count=sent)
    except Exception as exc:  # a failed scan must not kill the worker; the next tick retries
        deadlines.generation = None
        metrics.errors.inc()
        log.error("timers.scan_failed", error=type(exc).__name__)
        return
    metrics.indexed.set(len(deadlines))
    metrics.scan_seconds.set(time.perf_counter() - started)
    metrics.heartbeat.set(time.time())
