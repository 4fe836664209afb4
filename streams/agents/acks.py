"""Acknowledgements (cordwatch.alert-acks) onto the patient stream, for the pathway agent to fold.

A person or the HTTP API acknowledges an alert; only the pathway agent may change patient state
(one writer per key), so the acknowledgement travels as an ``alert_acknowledged`` event on
cordwatch.patient-events, keyed by patient id like everything else there. Malformed ones are
parked on cordwatch.dead-letters with their bytes. Offsets commit once the outbox's sends are
acknowledged by the broker.
"""

from __future__ import annotations

import structlog
from faust.types import AppT, StreamT
from pydantic import TypeAdapter, ValidationError

from models.dead_letter import RejectReason
from models.events import AlertAcknowledged
from streams import topics
from streams.agents.consume import consume_batches
from streams.bootstrap import Runtime
from streams.messages import Inbound, Message, dead_letter
from streams.outbox import Sender

log = structlog.get_logger(__name__)

_ack: TypeAdapter[AlertAcknowledged] = TypeAdapter(AlertAcknowledged)


def process(msg: Inbound, *, rt: Runtime) -> Message:
    """The acknowledgement for the patient stream, or its dead letter; never raises."""
    try:
        ack = _ack.validate_json(msg.value)
        log.debug("acks.forwarded", alert_id=ack.alert_id)
        # Keyed by the patient, whatever key the sender used: the pathway is partitioned by it.
        return (topics.PATIENT_EVENTS, ack.patient_id.encode("utf-8"), msg.value)
    except ValidationError as exc:
        where = ".".join(map(str, exc.errors(include_input=False)[0]["loc"]))
        return _park(
            msg, RejectReason.INVALID_VALUE, f"not an alert_acknowledged event: {where}", rt=rt
        )
    except Exception as exc:  # the dead-letter guard: park the message, count it, keep consuming
        return _park(msg, RejectReason.PROCESSING_ERROR, type(exc).__name__, rt=rt)


def _park(msg: Inbound, code: RejectReason, reason: str, *, rt: Runtime) -> Message:
    rt.metrics.dead_letters.labels(msg.topic, code.value).inc()
    log.warning("acks.dead_lettered", reason=code.value)
    limit = rt.settings.kafka_max_message_bytes
    return dead_letter(msg, code, reason, now=rt.clock.now(), limit=limit)


async def process_batch(batch: list[Inbound], *, rt: Runtime, outbox: Sender) -> None:
    """Forward or park every message; returns once the broker acknowledged them all."""
    await outbox.send([process(msg, rt=rt) for msg in batch])


def register(app: AppT, rt: Runtime) -> None:
    """The acks agent on a pathway worker's `app`."""

    @app.agent(topics.raw_topic(app, topics.ALERT_ACKS), name="acks")
    async def acks_agent(stream: StreamT[bytes]) -> None:
        """Acknowledgements in, alert_acknowledged events out to the pathway."""
        outbox = rt.outbox("acks")
        await consume_batches(
            stream, lambda batch: process_batch(batch, rt=rt, outbox=outbox), size=200, within=0.01
        )
