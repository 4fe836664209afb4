"""The pathway agent: the single writer of each patient's state (DESIGN.md section 1).

Per event: decode, fold it into the patient's state with the pure reducer, send the outputs,
then write the table. Effects are ordered for at-least-once delivery without transactions:
outputs are acknowledged by the broker before the state that records them is written, and Faust
flushes the table's changelog before it commits the input offset. A crash at any point therefore
re-delivers the event against the state from before it, and the same outputs go out again with
the same uuid5 ids (delivery dedupes alerts on alert_id, the sink drops stale versions); a crash
can never leave a state that is ahead of its outputs, which would lose an alert.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol

import structlog
from aiokafka.errors import KafkaError
from faust.types import StreamT
from prometheus_client import CollectorRegistry, Counter
from structlog.contextvars import bound_contextvars

from models.dead_letter import DeadLetter, RejectReason
from models.events import patient_event_adapter
from models.outputs import Alert, Output
from models.state import PatientState
from services.pathway import Detector, Scorer, handle, next_deadline
from services.policy import Policy, load_policy
from streams import topics
from streams.agents.ingest import Inbound
from streams.agents.timers import DeadlineIndex, deadlines
from streams.app import app
from streams.bootstrap import Runtime, get_runtime

log = structlog.get_logger(__name__)

_SEND_BACKOFF_CAP_SECONDS = 5.0


@dataclass(frozen=True)
class Pathway:
    """The clinical collaborators of the reducer: the policy and, for tests, stand-ins."""

    policy: Policy
    detector: Detector | None = None
    scorer: Scorer | None = None


@lru_cache(maxsize=1)
def get_pathway() -> Pathway:
    """The worker's policy ($CORDWATCH_POLICY or the packaged file) with the real detector."""
    return Pathway(policy=load_policy())


@dataclass(frozen=True)
class PathwayMetrics:
    """What the agent did, by closed label sets (never a patient or alert id)."""

    events: Counter
    alerts: Counter
    duplicates: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> PathwayMetrics:
        """Register on `registry`; use `pathway_metrics()` for the cached instance."""
        return cls(
            events=Counter(
                "cordwatch_pathway_events_total",
                "Patient events folded into the patients table, by event type.",
                ("event_type",),
                registry=registry,
            ),
            alerts=Counter(
                "cordwatch_alerts_emitted_total",
                "Alerts sent to cordwatch.alerts (a crash may resend one with the same id).",
                ("alert_type", "priority"),
                registry=registry,
            ),
            duplicates=Counter(
                "cordwatch_pathway_noop_events_total",
                "Events that changed nothing: redelivered event ids and stale TimerDue.",
                ("event_type",),
                registry=registry,
            ),
        )


_metrics: dict[int, PathwayMetrics] = {}


def pathway_metrics(registry: CollectorRegistry) -> PathwayMetrics:
    """The agent's metrics on `registry`, created once per registry."""
    if id(registry) not in _metrics:
        _metrics[id(registry)] = PathwayMetrics.create(registry)
    return _metrics[id(registry)]


class Sink(Protocol):
    """Where outputs go; `emit` returns only once the broker has acknowledged the message."""

    async def emit(self, *, topic: str, key: bytes, value: bytes) -> None: ...


class TopicSink:
    """Faust topics; waits for each acknowledgement, retrying until the broker takes it."""

    def __init__(self) -> None:
        self._topics = {
            topics.ALERTS: topics.alerts,
            topics.EPISODE_CHANGES: topics.episode_changes,
            topics.DEAD_LETTERS: topics.dead_letters,
        }

    async def emit(self, *, topic: str, key: bytes, value: bytes) -> None:
        channel = self._topics[topic]
        attempt = 0
        while True:
            try:
                pending = await channel.send(key=key, value=value)
                await pending
                return
            except KafkaError as exc:
                # Moving on without the acknowledgement could lose an alert; blocking this
                # partition until the broker is back is the at-least-once choice.
                attempt += 1
                log.warning("pathway.send_retry", topic=topic, error=type(exc).__name__)
                await asyncio.sleep(min(_SEND_BACKOFF_CAP_SECONDS, 0.1 * 2**attempt))


def destination(output: Output) -> str:
    """The topic an output goes to."""
    return topics.ALERTS if isinstance(output, Alert) else topics.EPISODE_CHANGES


def encode_state(state: PatientState) -> bytes:
    """The table (and changelog) value: plain JSON, readable with any Kafka tool."""
    return state.model_dump_json(exclude_defaults=True).encode("utf-8")


def decode_state(raw: bytes | None) -> PatientState | None:
    """The stored state, or None for a patient never seen."""
    return PatientState.model_validate_json(raw) if raw else None


async def process(
    msg: Inbound,
    *,
    rt: Runtime,
    pathway: Pathway,
    table: MutableMapping[bytes, bytes],
    sink: Sink,
    index: DeadlineIndex,
) -> None:
    """Fold one patient event into the table and send its outputs; never raises."""
    metrics = pathway_metrics(rt.registry)
    started = time.perf_counter()
    now = rt.clock.now()
    try:
        event = patient_event_adapter.validate_json(msg.value)
        key = event.patient_id.encode("utf-8")
        before = table.get(key)
        state, outputs = handle(
            decode_state(before),
            event,
            now,
            policy=pathway.policy,
            detector=pathway.detector,
            scorer=pathway.scorer,
        )
        after = encode_state(state)
    except Exception as exc:  # poison message or bug: park it, count it, keep consuming
        await _park(msg, exc, rt=rt, sink=sink, now=now)
        return
    event_type = event.event_type
    try:
        for output in outputs:
            value = output.model_dump_json().encode("utf-8")
            await sink.emit(topic=destination(output), key=key, value=value)
            if isinstance(output, Alert):
                metrics.alerts.labels(output.alert_type.value, output.priority.value).inc()
                log.info("pathway.alert", alert_id=output.alert_id, alert_type=output.alert_type)
    except Exception as exc:  # not every output went out: keep the old state, park the event
        await _park(msg, exc, rt=rt, sink=sink, now=now)
        return
    if after != before:
        table[key] = after  # only now: the outputs it records are already acknowledged
        if msg.partition is not None:
            index.note(msg.partition, key, next_deadline(state))
        metrics.events.labels(event_type).inc()
    else:
        metrics.duplicates.labels(event_type).inc()
    rt.metrics.processing_latency.labels(msg.topic).observe(time.perf_counter() - started)


async def _park(msg: Inbound, exc: Exception, *, rt: Runtime, sink: Sink, now: datetime) -> None:
    # Only the exception's type: its message may quote the event (PHI).
    log.error("pathway.failed", error=type(exc).__name__)
    letter = DeadLetter.build(
        reason_code=RejectReason.PROCESSING_ERROR,
        reason=type(exc).__name__,
        topic=msg.topic,
        raw=msg.value,
        key=msg.key,
        received_at=now,
        partition=msg.partition,
        offset=msg.offset,
    )
    await sink.emit(topic=topics.DEAD_LETTERS, key=msg.key or b"", value=letter.to_bytes())
    rt.metrics.dead_letters.labels(msg.topic, RejectReason.PROCESSING_ERROR.value).inc()


# The patients table: key = patient_id bytes, value = PatientState JSON (raw, so the changelog
# is plain JSON). Partitioned like cordwatch.patient-events: one writer per patient.
patients = app.Table(
    "patients",
    key_type=bytes,
    value_type=bytes,
    help="PatientState JSON per patient_id (the pathway agent is its only writer).",
)


@app.agent(topics.patient_events, name="pathway")
async def pathway_agent(stream: StreamT[bytes]) -> None:
    """Single writer per patient: fold each event into the patients table."""
    rt, sink, deps = get_runtime(), TopicSink(), get_pathway()
    async for event in stream.events():
        m = event.message
        with bound_contextvars(topic=m.topic, partition=m.partition, offset=m.offset):
            await process(
                Inbound(m.topic, m.partition, m.offset, m.key, m.value or b""),
                rt=rt,
                pathway=deps,
                table=patients,
                sink=sink,
                index=deadlines,
            )
