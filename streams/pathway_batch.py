"""The pathway's batch: fold patient events into states with the pure reducer, then send and store.

Effects are ordered for at-least-once delivery without transactions: a batch's outputs are
acknowledged by the broker before the states that record them are written, and the agent acks
the input events only once the changelog has acknowledged those states (streams/agents/
pathway.py). A crash at any point re-delivers the events against the states from before them,
and the same outputs go out again with the same ids; a state can never be ahead of its outputs,
which would lose an alert.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram

from models.dead_letter import RejectReason
from models.events import patient_event_adapter
from models.outputs import Alert, AlertType, EscalationChanged, Output, Priority
from models.state import PatientState
from services.metrics import patient_event_types, zero
from services.pathway import handle, next_deadline
from services.pathway.intake import intake
from streams import topics
from streams.alert_tail import SentAlerts
from streams.bootstrap import Pathway, Runtime
from streams.decoded_states import DecodedStates
from streams.messages import Inbound, Message, failure_letter
from streams.outbox import Sender
from streams.patient_store import (
    DeadlineIndex,
    Digests,
    StateTable,
    decode_state,
    encode_state,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PathwayMetrics:
    """What the agent did, by closed label sets (never a patient or alert id)."""

    events: Counter
    alerts: Counter
    duplicates: Counter
    resent_alerts_skipped: Counter
    intake: Counter
    acknowledged: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> PathwayMetrics:
        """Register on `registry` (once per worker: `register` of the pathway agent), closed label
        sets at zero from the first scrape."""
        created = cls._create(registry)
        for kind in ("clamped", "id_reused", "historic"):
            created.intake.labels(kind)
        zero(created.alerts, [(t.value, p.value) for t in AlertType for p in Priority])
        zero(created.events, [(t,) for t in patient_event_types()])
        zero(created.duplicates, [(t,) for t in patient_event_types()])
        for kind in (AlertType.MESCC_SUSPECTED, AlertType.TIMER_BREACHED):
            created.acknowledged.labels(kind.value)
        return created

    @classmethod
    def _create(cls, registry: CollectorRegistry) -> PathwayMetrics:
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
            resent_alerts_skipped=Counter(
                "cordwatch_pathway_resent_alerts_skipped_total",
                "Alerts not sent because their id was already on cordwatch.alerts (after a crash).",
                registry=registry,
            ),
            acknowledged=Histogram(
                "cordwatch_escalation_acknowledged_seconds",
                "Time from a critical page to the acknowledgement (any path) that stopped its "
                "escalation, in event time.",
                ("alert_type",),
                # Around the paging plan's steps: 15 min to tier 2, 45 to tier 3, repeats to 135.
                buckets=(60, 300, 600, 900, 1800, 2700, 3600, 8100, 14400, 43200),
                registry=registry,
            ),
            intake=Counter(
                "cordwatch_pathway_intake_total",
                "Events whose clinical time was clamped to arrival (clamped), whose id another "
                "event already used (id_reused), or folded as history without paging (historic).",
                ("kind",),
                registry=registry,
            ),
        )


def destination(output: Output) -> str:
    """The topic an output goes to."""
    return topics.ALERTS if isinstance(output, Alert) else topics.EPISODE_CHANGES


@dataclass
class _Batch:
    """What one batch of events decided: messages to send, then states to write."""

    messages: list[tuple[Message, int | None, str | None]]  # message, partition, alert id
    states: dict[bytes, tuple[int | None, bytes, PatientState]]  # key -> partition, JSON, state
    alerts: list[Alert]
    applied: list[str]  # event types that changed a state
    noops: list[str]  # event types that changed nothing
    intake: list[str] = field(default_factory=list)  # clamped / id_reused / historic
    # (alert type, seconds) of each escalation an acknowledgement stopped.
    acknowledged: list[tuple[str, float]] = field(default_factory=list)


def _fold(
    batch: list[Inbound],
    *,
    now: datetime,
    pathway: Pathway,
    table: StateTable,
    rt: Runtime,
    decoded: DecodedStates | None,
) -> _Batch:
    """Run the reducer over a batch in order; a later event sees the state an earlier one made."""
    out = _Batch([], {}, [], [], [])
    for msg in batch:
        try:
            event = patient_event_adapter.validate_json(msg.value)
            key = event.patient_id.encode("utf-8")
            before: bytes | None
            prior: PatientState | None
            if key in out.states:  # an earlier event of this batch: its state, still decoded
                _, before, prior = out.states[key]
            else:
                before = table.get(key)
                kept = decoded.get(key, before) if decoded is not None and before else None
                prior = kept if kept is not None else decode_state(before)
            page_after = rt.settings.page_after
            seen = intake(prior, event, arrival=now, policy=pathway.policy, page_after=page_after)
            state, outputs = handle(
                prior,
                event,
                now,
                policy=pathway.policy,
                detector=pathway.detector,
                scorer=pathway.scorer,
                page_after=page_after,
                id_key=rt.settings.id_secret(),
            )
            after = encode_state(state)
        except Exception as exc:  # poison message or bug: park it, count it, keep consuming
            out.messages.append((_dead_letter(msg, exc, rt=rt, now=now), None, None))
            continue
        out.messages += [
            (
                (destination(o), key, o.model_dump_json().encode("utf-8")),
                msg.partition,
                o.alert_id if isinstance(o, Alert) else None,
            )
            for o in outputs
        ]
        out.alerts += [o for o in outputs if isinstance(o, Alert)]
        out.acknowledged += [
            (o.escalation.alert_type.value, _seconds(o))
            for o in outputs
            if isinstance(o, EscalationChanged) and o.escalation.stopped == "acknowledged"
        ]
        if not seen.redelivered:
            flags = ("clamped", seen.clamped), ("id_reused", seen.id_reused)
            out.intake += [kind for kind, on in (*flags, ("historic", seen.historic)) if on]
        if after != before:
            out.states[key] = (msg.partition, after, state)
            out.applied.append(event.event_type)
        else:
            out.noops.append(event.event_type)
    return out


def _seconds(change: EscalationChanged) -> float:
    e = change.escalation
    stopped = e.stopped_at or change.at
    return max(0.0, (stopped - e.paged_at).total_seconds())


async def process_batch(
    batch: list[Inbound],
    *,
    rt: Runtime,
    pathway: Pathway,
    table: StateTable,
    outbox: Sender,
    index: DeadlineIndex,
    sent: SentAlerts,
    metrics: PathwayMetrics,
    decoded: DecodedStates | None = None,
    digests: Digests | None = None,
) -> None:
    """Fold events into the table and send their outputs; never raises.

    One broker round trip per batch: every output of the batch is acknowledged, and only then
    are the batch's states written (Faust acks the input offsets after this returns). An alert
    whose id is already on cordwatch.alerts (sent before a crash lost the state that records
    it) is not sent again. `decoded`: the states this agent wrote, kept decoded (a table value
    it still holds is not decoded again); `digests`: the Runtime's, given each state written.
    """
    if not batch:
        return
    started = time.perf_counter()
    now = rt.clock.now()
    folded = _fold(batch, now=now, pathway=pathway, table=table, rt=rt, decoded=decoded)
    try:
        messages = []
        for message, partition, alert_id in folded.messages:
            resent = (
                alert_id is not None
                and partition is not None
                and alert_id in await sent.ids(partition)
            )
            if resent:
                metrics.resent_alerts_skipped.inc()
                continue
            messages.append(message)
        if messages:
            await outbox.send(messages)
    except Exception as exc:  # not every output went out: keep the old states, park the events
        await outbox.send([_dead_letter(msg, exc, rt=rt, now=now) for msg in batch])
        return
    for key, (partition, value, state) in folded.states.items():
        table.put(partition, key, value)  # only now: the outputs it records are acknowledged
        if decoded is not None:
            decoded.put(key, value, state)
        # The census and the index rebuild read this digest instead of decoding the value again.
        deadline = digests.note(key, value, state).deadline if digests else next_deadline(state)
        if partition is not None:
            index.note(partition, key, deadline)
    for alert in folded.alerts:
        metrics.alerts.labels(alert.alert_type.value, alert.priority.value).inc()
        log.info("pathway.alert", alert_id=alert.alert_id, alert_type=alert.alert_type)
    for alert_type, seconds in folded.acknowledged:
        metrics.acknowledged.labels(alert_type).observe(seconds)
    for event_type in folded.applied:
        metrics.events.labels(event_type).inc()
    for event_type in folded.noops:
        metrics.duplicates.labels(event_type).inc()
    for kind in folded.intake:
        metrics.intake.labels(kind).inc()
    if clamped := folded.intake.count("clamped"):  # a sender's clock is ahead of ours
        # One line per batch, not per event: no ids, no times (cordwatch_pathway_intake_total).
        log.warning("pathway.clinical_time_clamped", events=clamped)
    rt.metrics.pathway_latency.observe(time.perf_counter() - started)


def _dead_letter(msg: Inbound, exc: Exception, *, rt: Runtime, now: datetime) -> Message:
    log.error("pathway.failed", error=type(exc).__name__)
    rt.metrics.dead_letters.labels(msg.topic, RejectReason.PROCESSING_ERROR.value).inc()
    return failure_letter(msg, exc, now=now, limit=rt.settings.kafka_max_message_bytes)
