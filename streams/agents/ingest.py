"""Ingest agents: one per inbound topic; valid events on to the patient stream, the rest parked.

Each batch is validated message by message (`process`), then sent through the outbox in one
round trip; its offsets commit only once the broker has acknowledged every record. `register`
adds the agents to an ingest worker's app.
"""

from __future__ import annotations

import logging
import time

import structlog
from faust.types import AppT, StreamT

from models.dead_letter import RejectReason
from services.ingest import Accepted, parse
from streams import topics
from streams.agents.consume import consume_batches
from streams.bootstrap import Runtime
from streams.messages import Inbound, Message, failure_letter, parkable
from streams.outbox import Sender

log = structlog.get_logger(__name__)
# Per-message lines are DEBUG; asking the stdlib logger first (what structlog's filter_by_level
# asks, cached by the stdlib) skips building the event dict when DEBUG is off.
_debug_enabled = logging.getLogger(__name__).isEnabledFor

# Up to this many messages share one broker round trip; a lone one waits at most BATCH_WITHIN.
BATCH_MAX = 500
BATCH_WITHIN_SECONDS = 0.01


def process(msg: Inbound, *, rt: Runtime) -> Message:
    """Validate one message: the event for the patient stream, or its dead letter; never raises."""
    started = time.perf_counter()
    now = rt.clock.now()
    limit = rt.settings.kafka_max_message_bytes
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
            event = result.event
            event_type = str(getattr(event, "event_type", "unknown"))
            facility = rt.metrics.facility(event.facility)
            rt.metrics.events_ingested.labels(msg.topic, event_type, facility).inc()
            if _debug_enabled(logging.DEBUG):  # ~7 us a message in structlog even when filtered
                log.debug("ingest.forwarded", event_type=event_type, patient_id=event.patient_id)
            return (topics.PATIENT_EVENTS, result.key, result.value)
        letter = result.dead_letter
        rt.metrics.dead_letters.labels(msg.topic, letter.reason_code.value).inc()
        if _debug_enabled(logging.DEBUG):
            log.debug("ingest.dead_lettered", reason=letter.reason_code.value)
        return (topics.DEAD_LETTERS, msg.key, parkable(letter, msg.value, limit=limit))
    except Exception as exc:  # the dead-letter guard: park the message, count it, keep consuming
        log.error("ingest.failed", error=type(exc).__name__)
        rt.metrics.dead_letters.labels(msg.topic, RejectReason.PROCESSING_ERROR.value).inc()
        return failure_letter(msg, exc, now=now, limit=limit)
    finally:
        rt.metrics.processing_latency.labels(msg.topic).observe(time.perf_counter() - started)


async def process_batch(batch: list[Inbound], *, rt: Runtime, outbox: Sender) -> None:
    """Validate a batch and send its records; returns once the broker acknowledged them all."""
    records = [process(msg, rt=rt) for msg in batch]
    try:
        await outbox.send(records)
    except Exception as exc:  # a record the broker never takes: park the inputs instead
        now, limit = rt.clock.now(), rt.settings.kafka_max_message_bytes
        log.error("ingest.send_failed", error=type(exc).__name__)
        await outbox.send([failure_letter(msg, exc, now=now, limit=limit) for msg in batch])


def register(app: AppT, rt: Runtime) -> None:
    """One agent per inbound topic on `app`, each sending through its own outbox."""

    async def consume(stream: StreamT[bytes]) -> None:
        """Hospital JSON in, validated events to the patient stream, the rest parked."""
        outbox = rt.outbox("ingest")
        await consume_batches(
            stream,
            lambda batch: process_batch(batch, rt=rt, outbox=outbox),
            size=BATCH_MAX,
            within=BATCH_WITHIN_SECONDS,
        )

    for name in topics.INBOUND:
        app.agent(topics.raw_topic(app, name), name=f"ingest.{name}")(consume)
