"""Gateway agents: hl7.inbound and fhir.inbound mapped to canonical events for the patient stream.

Each message is mapped by the pure services.gateway mappers; every event they give is then
validated by services.ingest.parse exactly as if the hospital had sent its JSON to the topic of
its type, so a report that came as HL7 or FHIR meets the same contract and the same clinical
time range as one sent as JSON. Refusals are parked on cordwatch.dead-letters with the original
HL7 or FHIR bytes. A resent message (same MSH-10, same FHIR version) maps to the same event ids
and content, which the pathway drops as a redelivery.
"""

from __future__ import annotations

import time
from datetime import datetime

import structlog
from faust.types import AppT, StreamT

from models.dead_letter import RejectReason
from models.events import INBOUND_TOPIC_EVENT_TYPES
from services.gateway import FHIR_INBOUND, HL7_INBOUND
from services.gateway.fhir_map import map_fhir
from services.gateway.hl7_map import map_hl7
from services.gateway.profile import SiteProfile
from services.gateway.result import Mapped, Refusal, Refused
from services.ingest import Accepted, parse
from streams import topics
from streams.agents.consume import consume_batches
from streams.bootstrap import Runtime
from streams.messages import Inbound, Message, dead_letter, failure_letter
from streams.outbox import Sender

log = structlog.get_logger(__name__)

BATCH_MAX = 200
BATCH_WITHIN_SECONDS = 0.01
# The hospital topic whose contract each canonical event type meets (DESIGN.md section 2).
_TOPIC_OF = {t: topic for topic, types in INBOUND_TOPIC_EVENT_TYPES.items() for t in types}
# Gateway refusals under the contract's nearest dead-letter code; the reason names the gateway's.
_CODES = {
    Refused.EMPTY: RejectReason.EMPTY,
    Refused.OVERSIZED: RejectReason.OVERSIZED,
    Refused.NOT_JSON: RejectReason.NOT_JSON,
    Refused.MISSING_FIELD: RejectReason.MISSING_FIELD,
    Refused.NO_PATIENT_IDENTIFIER: RejectReason.MISSING_FIELD,
    Refused.BAD_TIMESTAMP: RejectReason.BAD_TIMESTAMP,
    Refused.UNSUPPORTED_MESSAGE: RejectReason.UNKNOWN_EVENT_TYPE,
    Refused.UNSUPPORTED_RESOURCE: RejectReason.UNKNOWN_EVENT_TYPE,
}


def site_profile(rt: Runtime) -> SiteProfile:
    """The site's identifier and time zone choices from the Runtime's settings."""
    s = rt.settings
    return SiteProfile.from_settings(
        timezone=s.site_timezone,
        assigning_authority=s.hl7_assigning_authority,
        patient_system=s.fhir_patient_system,
        facility=s.gateway_facility,
    )


def process(msg: Inbound, *, rt: Runtime, profile: SiteProfile) -> list[Message]:
    """Map one HL7 message or FHIR document: events for the patient stream, or dead letters."""
    started = time.perf_counter()
    now = rt.clock.now()
    limit = rt.settings.kafka_max_message_bytes
    try:
        if msg.topic == HL7_INBOUND:
            outcome = map_hl7(msg.value, profile=profile)
            results: list[Mapped | Refusal] = (
                [outcome] if isinstance(outcome, Refusal) else list(outcome)
            )
        else:
            results = list(map_fhir(msg.value, profile=profile))
        return [_route(msg, result, rt=rt, now=now, limit=limit) for result in results]
    except Exception as exc:  # the dead-letter guard: park the message, count it, keep consuming
        log.error("gateway.failed", error=type(exc).__name__)
        rt.metrics.dead_letters.labels(msg.topic, RejectReason.PROCESSING_ERROR.value).inc()
        return [failure_letter(msg, exc, now=now, limit=limit)]
    finally:
        rt.metrics.processing_latency.labels(msg.topic).observe(time.perf_counter() - started)


def _route(
    msg: Inbound, result: Mapped | Refusal, *, rt: Runtime, now: datetime, limit: int
) -> Message:
    if isinstance(result, Refusal):
        code = _CODES.get(result.reason, RejectReason.INVALID_VALUE)
        where = f" at {result.where}" if result.where else ""
        reason = f"{result.reason.value}{where}: {result.detail}"
        return _park(msg, code, reason, rt=rt, now=now, limit=limit)
    event = result.event
    event_type = str(getattr(event, "event_type", ""))
    topic = _TOPIC_OF[event_type]
    checked = parse(
        topic=topic,
        key=None,
        raw=event.model_dump_json().encode("utf-8"),
        received_at=now,
        partition=msg.partition,
        offset=msg.offset,
        clinical_time=rt.pathway.policy.clinical_time,
    )
    if not isinstance(checked, Accepted):
        letter = checked.dead_letter
        return _park(msg, letter.reason_code, letter.reason, rt=rt, now=now, limit=limit)
    facility = rt.metrics.facility(event.facility)
    rt.metrics.events_ingested.labels(msg.topic, event_type, facility).inc()
    log.debug("gateway.forwarded", event_type=event_type, patient_id=event.patient_id)
    return (topics.PATIENT_EVENTS, checked.key, checked.value)


def _park(
    msg: Inbound, code: RejectReason, reason: str, *, rt: Runtime, now: datetime, limit: int
) -> Message:
    rt.metrics.dead_letters.labels(msg.topic, code.value).inc()
    log.debug("gateway.dead_lettered", reason=code.value)
    return dead_letter(msg, code, reason, now=now, limit=limit)


async def process_batch(
    batch: list[Inbound], *, rt: Runtime, outbox: Sender, profile: SiteProfile
) -> None:
    """Map a batch and send its records; returns once the broker acknowledged them all."""
    records = [record for msg in batch for record in process(msg, rt=rt, profile=profile)]
    try:
        await outbox.send(records)
    except Exception as exc:  # a record the broker never takes: park the inputs instead
        now, limit = rt.clock.now(), rt.settings.kafka_max_message_bytes
        log.error("gateway.send_failed", error=type(exc).__name__)
        await outbox.send([failure_letter(msg, exc, now=now, limit=limit) for msg in batch])


def register(app: AppT, rt: Runtime) -> None:
    """The hl7.inbound and fhir.inbound agents on an ingest worker's `app`."""
    profile = site_profile(rt)

    async def consume(stream: StreamT[bytes]) -> None:
        """HL7 v2 or FHIR in, canonical events to the patient stream, refusals parked."""
        outbox = rt.outbox("ingest")
        await consume_batches(
            stream,
            lambda batch: process_batch(batch, rt=rt, outbox=outbox, profile=profile),
            size=BATCH_MAX,
            within=BATCH_WITHIN_SECONDS,
        )

    for name in (HL7_INBOUND, FHIR_INBOUND):
        app.agent(topics.raw_topic(app, name), name=f"gateway.{name}")(consume)
