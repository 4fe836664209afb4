"""The notify consumer: read cordwatch.alerts in group ``<app_id>-notify-pages``, then commit.

At-least-once: an offset is committed only once every alert before it has been delivered,
decided (silenced, inhibited) or stored as undeliverable, and never past an alert still held for
grouping. A worker killed mid-page re-reads from the last commit; the delivery store and the
channels' idempotency keys turn the re-read into no repeat page. A partition the group had never
committed pages no history (services.alerts.history).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from aiokafka import (  # type: ignore[import-untyped,unused-ignore]
    AIOKafkaConsumer,
    ConsumerRebalanceListener,
    TopicPartition,
)
from aiokafka.structs import ConsumerRecord  # type: ignore[import-untyped,unused-ignore]
from pydantic import ValidationError

from models.outputs import Alert
from services.alerts import history
from services.alerts.delivery import Notifier
from services.config import Settings
from services.store.store import StoreUnavailableError
from streams.broker import client_options

log = structlog.get_logger(__name__)
ALERTS_TOPIC = "cordwatch.alerts"
_POISON_AFTER = 5  # attempts at one alert before it is logged and skipped
_NOTICE_EVERY_S = 30.0  # how often silences about to end are looked at


def group_id(settings: Settings) -> str:
    """The notify consumer group: apart from the pathway's, so paging never stalls it."""
    return f"{settings.app_id}-notify-pages"


class _History(ConsumerRebalanceListener):  # type: ignore[misc,unused-ignore]
    """Notes, at each assignment, the partitions this group had never committed."""

    def __init__(self, consumer: AIOKafkaConsumer, settings: Settings) -> None:
        self.consumer = consumer
        self.page_after = settings.page_after
        self.since = history.pages_from(
            started=datetime.now(UTC),
            within=timedelta(minutes=settings.notify_page_within_minutes),
            page_after=settings.page_after,
        )
        self.fresh: set[TopicPartition] = set()
        self.skipped = 0

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        for tp in assigned:
            if await self.consumer.committed(tp) is None:
                self.fresh.add(tp)
                log.info("notify.new_partition", partition=tp.partition, since=str(self.since))

    def skip(self, tp: TopicPartition, alert: Alert) -> bool:
        """Whether this alert is history this group must not page."""
        fresh = tp in self.fresh
        if history.is_history(alert, fresh=fresh, since=self.since, page_after=self.page_after):
            self.skipped += 1
            return True
        return False


async def run(
    settings: Settings,
    *,
    notifier: Notifier,
    stop: asyncio.Event,
    on_ready: Callable[[], None] = lambda: None,
) -> None:
    """Consume until ``stop`` is set; commits as described in the module docstring."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group_id(settings),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=int(settings.kafka_session_timeout_seconds * 1000),
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        **client_options(settings),
    )
    past = _History(consumer, settings)
    consumer.subscribe([ALERTS_TOPIC], listener=past)
    await consumer.start()
    on_ready()
    held: dict[str, tuple[TopicPartition, int]] = {}
    clock = asyncio.get_running_loop().time
    next_notice = clock()
    try:
        while not stop.is_set():
            if clock() >= next_notice:
                next_notice = clock() + _NOTICE_EVERY_S
                await _notice(notifier)
            batches = await consumer.getmany(timeout_ms=100, max_records=200)
            ends: dict[TopicPartition, int] = {}
            skipped = past.skipped
            await asyncio.gather(
                *(_partition(notifier, tp, records, held, past) for tp, records in batches.items())
            )
            if past.skipped > skipped:
                log.info("notify.history_skipped", count=past.skipped - skipped)
            for tp, records in batches.items():
                ends[tp] = records[-1].offset + 1
            await _flush(notifier, held)
            await _commit(consumer, ends, held)
    finally:
        await consumer.stop()


async def _partition(
    notifier: Notifier,
    tp: TopicPartition,
    records: list[ConsumerRecord[bytes, bytes]],
    held: dict[str, tuple[TopicPartition, int]],
    past: _History,
) -> None:
    # One partition in order (a breach before its warning inhibits it); partitions in parallel.
    for record in records:
        alert = _decode(record)
        if alert is None or past.skip(tp, alert):
            continue
        for attempt in range(1, _POISON_AFTER + 1):
            try:
                await notifier.handle(alert)
                break
            except StoreUnavailableError as exc:
                log.warning("notify.store_unavailable", error=str(exc), alert_id=alert.alert_id)
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
            except Exception as exc:  # the guard: a bug must not stop every later page
                log.error("notify.failed", alert_id=alert.alert_id, error=type(exc).__name__)
                await asyncio.sleep(0.2)
        if alert.alert_id in notifier.held_ids():
            held[alert.alert_id] = (tp, record.offset)


async def _notice(notifier: Notifier) -> None:
    try:
        await notifier.notice_silences()
    except Exception as exc:  # the guard: silence notices must never stop paging
        log.error("notify.silence_notice_failed", error=type(exc).__name__)


def _decode(record: ConsumerRecord[bytes, bytes]) -> Alert | None:
    try:
        return Alert.model_validate_json(record.value or b"")
    except ValidationError:
        log.error("notify.not_an_alert", partition=record.partition, offset=record.offset)
        return None


async def _flush(notifier: Notifier, held: dict[str, tuple[TopicPartition, int]]) -> None:
    await notifier.flush()
    still = notifier.held_ids()
    for alert_id in [a for a in held if a not in still]:
        del held[alert_id]


async def _commit(
    consumer: AIOKafkaConsumer,
    ends: dict[TopicPartition, int],
    held: dict[str, tuple[TopicPartition, int]],
) -> None:
    offsets = dict(ends)
    for tp, offset in held.values():
        # Never past an alert still waiting in a group: a restart must read it again.
        offsets[tp] = min(offsets.get(tp, offset), offset)
    if offsets:
        await consumer.commit(offsets)
