"""Acknowledgements (cordwatch.alert-acks) onto the patient stream, for the pathway agent to fold.

A person or the HTTP API acknowledges an alert; only the pathway agent may change patient state
(one writer per key), so the acknowledgement travels as an ``alert_acknowledged`` event on
cordwatch.patient-events, keyed by patient id like everything else there. Malformed ones are
parked on cordwatch.dead-letters with their bytes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Protocol

import structlog
from aiokafka.errors import KafkaError
from faust.types import StreamT
from pydantic import TypeAdapter, ValidationError

from models.dead_letter import RejectReason
from models.events import AlertAcknowledged
from services.config import Role
from streams import topics
from streams.agents.ingest import Inbound, consume_each, refusal_letter
from streams.app import app, for_role
from streams.bootstrap import Runtime, get_runtime

log = structlog.get_logger(__name__)

_ack: TypeAdapter[AlertAcknowledged] = TypeAdapter(AlertAcknowledged)


class Sink(Protocol):
    """Where acknowledgements go; returns once the broker has acknowledged the message."""

    async def send(self, *, topic: str, key: bytes | None, value: bytes) -> None: ...


class TopicSink:
    """Faust topics, waiting for the broker's acknowledgement before the offset may commit."""

    async def send(self, *, topic: str, key: bytes | None, value: bytes) -> None:
        channel = topics.patient_events if topic == topics.PATIENT_EVENTS else topics.dead_letters
        attempt = 0
        while True:
            try:
                pending = await channel.send(key=key, value=value)
                await pending
                return
            except KafkaError as exc:  # an acknowledgement must not be dropped: wait and retry
                attempt += 1
                log.warning("acks.send_retry", error=type(exc).__name__)
                await asyncio.sleep(min(5.0, 0.1 * 2**attempt))


async def process(msg: Inbound, *, rt: Runtime, sink: Sink) -> None:
    """Forward one acknowledgement to the patient stream, or park it; never raises."""
    now = rt.clock.now()
    try:
        ack = _ack.validate_json(msg.value)
        # Keyed by the patient, whatever key the sender used: the pathway is partitioned by it.
        await sink.send(
            topic=topics.PATIENT_EVENTS, key=ack.patient_id.encode("utf-8"), value=msg.value
        )
        log.info("acks.forwarded", alert_id=ack.alert_id)
    except ValidationError as exc:
        where = ".".join(map(str, exc.errors(include_input=False)[0]["loc"]))
        await _park(
            msg,
            RejectReason.INVALID_VALUE,
            f"not an alert_acknowledged event: {where}",
            rt=rt,
            sink=sink,
            now=now,
        )
    except Exception as exc:  # the dead-letter guard: park the message, count it, keep consuming
        await _park(
            msg, RejectReason.PROCESSING_ERROR, type(exc).__name__, rt=rt, sink=sink, now=now
        )


async def _park(
    msg: Inbound, code: RejectReason, reason: str, *, rt: Runtime, sink: Sink, now: datetime
) -> None:
    limit = rt.settings.kafka_max_message_bytes
    value = refusal_letter(msg, code, reason, now=now, limit=limit)
    await sink.send(topic=topics.DEAD_LETTERS, key=msg.key, value=value)
    rt.metrics.dead_letters.labels(msg.topic, code.value).inc()
    log.warning("acks.dead_lettered", reason=code.value)


@for_role(Role.PATHWAY, app.agent(topics.alert_acks, name="acks"))
async def acks_agent(stream: StreamT[bytes]) -> None:
    """Acknowledgements in, alert_acknowledged events out to the pathway."""
    rt, sink = get_runtime(), TopicSink()
    await consume_each(stream, lambda msg: process(msg, rt=rt, sink=sink))
