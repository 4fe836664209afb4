"""Alert ids already on cordwatch.alerts, read back after an assignment (the resend guard)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.config import Settings
from streams.broker import client_options

log = structlog.get_logger(__name__)

ALERTS = "cordwatch.alerts"


TailReader = Callable[[int], Awaitable[set[str]]]


class SentAlerts:
    """Alert ids already on cordwatch.alerts, per partition, read back once per assignment.

    At-least-once without transactions leaves one window: an alert acknowledged by the broker
    whose state write was lost in a crash is sent again when the event is redelivered. Alert ids
    are unique per logical alert (uuid5 of patient, episode, timer, kind, cycle, tier), so an id
    already on the topic is always a resend, never a new page: skipping it cannot lose an alert.
    The alerts topic is co-partitioned with the patient stream, so the tail of one partition
    holds every alert the redelivered events of that partition can have produced.
    """

    def __init__(self, read_tail: TailReader, generation: Callable[[], object]) -> None:
        self._read_tail = read_tail
        self._generation = generation
        self._seen: dict[int, set[str]] = {}
        self._loaded_for: object = None

    async def ids(self, partition: int) -> set[str]:
        """The alert ids on this partition's tail (read on first use after an assignment)."""
        generation = self._generation()
        if generation != self._loaded_for:
            self._seen.clear()
            self._loaded_for = generation
        if partition not in self._seen:
            try:
                self._seen[partition] = await self._read_tail(partition)
            except Exception as exc:  # cannot read back: a possible resend beats a lost alert
                log.warning(
                    "pathway.alert_tail_unreadable", partition=partition, error=type(exc).__name__
                )
                # Not read again until the next assignment: every alert of the partition would
                # wait for another failing read (delivery still dedupes a resend on alert_id).
                self._seen[partition] = set()
        return self._seen[partition]


# Redelivery after a crash covers at most the events since the last offset commit (Faust
# commits every 2.8 s): their alerts are among the last few thousand on the partition.
ALERT_TAIL_MESSAGES = 5000
# The pathway agent waits for the read (its next alert may be a resend), so a read that does not
# finish is abandoned and tried again with a new client; reading 5 000 alerts takes about 1 s.
ALERT_TAIL_ATTEMPT_SECONDS = 10.0
ALERT_TAIL_ATTEMPTS = 3


async def read_alert_tail(
    settings: Settings,
    partition: int,
    *,
    attempts: int = ALERT_TAIL_ATTEMPTS,
    within: float = ALERT_TAIL_ATTEMPT_SECONDS,
    read_once: Callable[[Settings, int], Awaitable[set[str]]] | None = None,
) -> set[str]:
    """The alert ids among the last ALERT_TAIL_MESSAGES messages of one alerts partition.

    Each attempt gets `within` seconds: the read loops until its position reaches the end
    offset and `AIOKafkaConsumer.position` waits for a position without limit, so nothing else
    would bound it, and the pathway agent waits behind it. After `attempts` the TimeoutError
    goes to the caller. `read_once`: one attempt (default: a new consumer reads the tail).
    """
    read = read_once or _read_tail_once
    for attempt in range(1, attempts + 1):
        try:
            async with asyncio.timeout(within):
                return await read(settings, partition)
        except TimeoutError:
            log.warning("pathway.alert_tail_timeout", partition=partition, attempt=attempt)
    raise TimeoutError(f"alert tail of partition {partition} not read in {attempts} attempts")


async def _read_tail_once(settings: Settings, partition: int) -> set[str]:
    started = time.monotonic()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        group_id=None,
        # aiokafka's 500 ms default: a fetch at the end of the partition (before the seek)
        # holds the connection that long, and the offset requests queue behind it (Tansu).
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        **client_options(settings),
    )
    await consumer.start()
    try:
        tp = TopicPartition(ALERTS, partition)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        start = (await consumer.beginning_offsets([tp]))[tp]
        consumer.seek(tp, max(start, end - ALERT_TAIL_MESSAGES))
        ids: set[str] = set()
        while await consumer.position(tp) < end:
            for records in (await consumer.getmany(tp, timeout_ms=1000)).values():
                for record in records:
                    with contextlib.suppress(ValueError, TypeError, KeyError):
                        ids.add(json.loads(record.value or b"")["alert_id"])
        took = round(time.monotonic() - started, 3)
        log.info("pathway.alert_tail_read", partition=partition, alerts=len(ids), seconds=took)
        return ids
    finally:
        await consumer.stop()
