"""Ingest agents: one per inbound topic; valid events on to the patient stream, the rest parked."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog
from faust.types import StreamT
from structlog.contextvars import bound_contextvars

from models.dead_letter import DeadLetter, RejectReason
from services.config import Role
from services.ingest import Accepted, parse
from streams import topics
from streams.app import app, roles
from streams.bootstrap import Runtime, get_runtime

log = structlog.get_logger(__name__)
_HEADROOM_BYTES = 16 * 1024  # record overhead and headers beside the JSON value


@dataclass(frozen=True, slots=True)
class Inbound:
    """One Kafka message as the agent saw it."""

    topic: str
    partition: int | None
    offset: int | None
    key: bytes | None
    value: bytes


class Sink(Protocol):
    """Where results go: Faust topics in the worker, lists in unit tests."""

    async def forward(self, *, key: bytes, value: bytes) -> None: ...
    async def dead_letter(self, *, key: bytes | None, value: bytes) -> None: ...


class TopicSink:
    """Sends through Faust's producer; offsets commit only after these are flushed."""

    async def forward(self, *, key: bytes, value: bytes) -> None:
        await topics.patient_events.send(key=key, value=value)

    async def dead_letter(self, *, key: bytes | None, value: bytes) -> None:
        await topics.dead_letters.send(key=key, value=value)


async def process(msg: Inbound, *, rt: Runtime, sink: Sink) -> None:
    """Validate one message and route it; never raises (Faust would ack and lose it)."""
    started = time.perf_counter()
    now = rt.clock.now()
    try:
        result = parse(
            topic=msg.topic,
            key=msg.key,
            raw=msg.value,
            received_at=now,
            partition=msg.partition,
            offset=msg.offset,
            clinical_time=rt.pathway.policy.clinical_time,  # the deployment's policy range
        )
        if isinstance(result, Accepted):
            await sink.forward(key=result.key, value=result.value)
            event = result.event
            event_type = str(getattr(event, "event_type", "unknown"))
            facility = rt.metrics.facility(event.facility)
            rt.metrics.events_ingested.labels(msg.topic, event_type, facility).inc()
            log.info("ingest.forwarded", event_type=event_type, patient_id=event.patient_id)
        else:
            letter = result.dead_letter
            limit = rt.settings.kafka_max_message_bytes
            await sink.dead_letter(key=msg.key, value=parkable(letter, msg.value, limit=limit))
            rt.metrics.dead_letters.labels(msg.topic, letter.reason_code.value).inc()
            log.warning("ingest.dead_lettered", reason=letter.reason_code.value)
    except Exception as exc:  # the dead-letter guard: park the message, count it, keep consuming
        log.error("ingest.failed", error=type(exc).__name__)
        limit = rt.settings.kafka_max_message_bytes
        value = processing_error_letter(msg, exc, now=now, limit=limit)
        await sink.dead_letter(key=msg.key, value=value)
        rt.metrics.dead_letters.labels(msg.topic, RejectReason.PROCESSING_ERROR.value).inc()
    finally:
        rt.metrics.processing_latency.labels(msg.topic).observe(time.perf_counter() - started)


def parkable(letter: DeadLetter, raw: bytes, *, limit: int) -> bytes:
    """The dead letter as one record: without the original copy if that would not fit."""
    data = letter.to_bytes()
    if len(data) <= limit - _HEADROOM_BYTES:
        return data
    # A record over the limit fails the send and would crash the agent, losing the message.
    # The original stays readable on its inbound topic at the partition and offset named here.
    note = f" (original of {len(raw)} bytes not copied: over the record size limit)"
    return letter.model_copy(update={"original": "", "reason": letter.reason + note}).to_bytes()


def processing_error_letter(msg: Inbound, exc: Exception, *, now: datetime, limit: int) -> bytes:
    """A failed message parked as a processing_error dead letter, sized to fit one record."""
    # Only the exception's type: its message may quote the event (PHI).
    return refusal_letter(
        msg, RejectReason.PROCESSING_ERROR, type(exc).__name__, now=now, limit=limit
    )


def refusal_letter(
    msg: Inbound, code: RejectReason, reason: str, *, now: datetime, limit: int
) -> bytes:
    """A refused message as a dead letter with its bytes, sized to fit one record."""
    letter = DeadLetter.build(
        reason_code=code,
        reason=reason,
        topic=msg.topic,
        raw=msg.value,
        key=msg.key,
        received_at=now,
        partition=msg.partition,
        offset=msg.offset,
    )
    return parkable(letter, msg.value, limit=limit)


async def consume_each(
    stream: StreamT[bytes], handle: Callable[[Inbound], Awaitable[None]]
) -> None:
    """Hand each message to `handle` with its position bound into the log context."""
    async for event in stream.events():
        m = event.message
        with bound_contextvars(topic=m.topic, partition=m.partition, offset=m.offset):
            await handle(Inbound(m.topic, m.partition, m.offset, m.key, m.value or b""))


async def _consume(stream: StreamT[bytes]) -> None:
    rt, sink = get_runtime(), TopicSink()
    await consume_each(stream, lambda msg: process(msg, rt=rt, sink=sink))


agents = {
    name: app.agent(channel, name=f"ingest.{name}")(_consume)
    for name, channel in topics.inbound.items()
    if Role.INGEST in roles
}
