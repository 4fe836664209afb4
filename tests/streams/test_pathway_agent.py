"""The pathway agent and timer service: `process`/`scan` with fakes, and the Faust wiring."""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letter import DeadLetter
from models.events import TimerDue
from models.outputs import Alert
from services.config import Role, Settings
from services.policy import load_policy
from streams import pathway_batch, patient_store, topics
from streams.agents import deadline_scan
from streams.alert_tail import SentAlerts
from streams.bootstrap import Pathway, Runtime, build_runtime
from streams.messages import Inbound
from tests.unit.pathway.helpers import fake_detect

SUSPECTED_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
POLICY = load_policy()
DEPS = Pathway(policy=POLICY, detector=fake_detect)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class DictTable(dict[bytes, bytes]):
    """The patients table as a dict; remembers which partition each state went to."""

    def __init__(self) -> None:
        super().__init__()
        self.partitions: dict[bytes, int | None] = {}
        self.writes: list[tuple[int | None, bytes, bytes]] = []
        self.acknowledgements = 0  # awaited by the agent before it acks its input

    def put(self, partition: int | None, key: bytes, value: bytes) -> None:
        self[key] = value
        self.partitions[key] = partition
        self.writes.append((partition, key, value))

    async def acknowledged(self) -> None:
        self.acknowledgements += 1


class RecordingSink:
    """Records every emit with the table's state at that moment, to check the order of effects."""

    def __init__(self, table: DictTable, *, fail_on: str | None = None) -> None:
        self.table = table
        self.fail_on = fail_on
        self.sent: list[tuple[str, bytes, bytes, bytes | None]] = []

    async def send(self, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
        if any(topic == self.fail_on for topic, _, _ in messages):
            raise RuntimeError("broker refused")
        self.sent += [
            (topic, key or b"", value, self.table.get(key or b"")) for topic, key, value in messages
        ]

    def on(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(value) for t, _, value, _ in self.sent if t == topic]


def nothing_sent() -> SentAlerts:
    async def empty(partition: int) -> set[str]:
        return set()

    return SentAlerts(empty, lambda: 1)


def runtime(now: datetime, **parts: Any) -> Runtime:
    """A Runtime at `now` with the stand-in detector; `parts` are more stand-ins (a table...)."""
    return build_runtime(
        Settings(), clock=Clock(now), registry=CollectorRegistry(), pathway=DEPS, **parts
    )


_metrics: weakref.WeakKeyDictionary[CollectorRegistry, pathway_batch.PathwayMetrics] = (
    weakref.WeakKeyDictionary()
)


def metrics_of(rt: Runtime) -> pathway_batch.PathwayMetrics:
    """The pathway's metrics on the Runtime's registry, made once per registry (as `register`)."""
    if rt.registry not in _metrics:
        _metrics[rt.registry] = pathway_batch.PathwayMetrics.create(rt.registry)
    return _metrics[rt.registry]


def report(patient: str = "MRN-7", event_id: str = "r-1", at: datetime = SUSPECTED_AT) -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "event_type": "imaging_report",
            "occurred_at": at.isoformat(),
            "patient_id": patient,
            "facility": "RLH",
            "accession": "ACC-1",
            "status": "final",
            "modality": "MR",
            "exam": "MRI whole spine",
            "text": "SUSPECT grade=1b levels=T7,T8",
        }
    ).encode()


def inbound(value: bytes, *, partition: int = 2, offset: int = 10) -> Inbound:
    return Inbound(topics.PATIENT_EVENTS, partition, offset, b"MRN-7", value)


async def run(
    *values: bytes, rt: Runtime, table: DictTable, index: patient_store.DeadlineIndex
) -> RecordingSink:
    sink = RecordingSink(table)
    batch = [inbound(value, offset=10 + n) for n, value in enumerate(values)]
    await pathway_batch.process_batch(
        batch,
        rt=rt,
        pathway=DEPS,
        table=table,
        outbox=sink,
        index=index,
        sent=nothing_sent(),
        metrics=metrics_of(rt),
    )
    return sink


async def test_report_opens_episode_outputs_go_before_the_state_that_records_them() -> None:
    table = DictTable()
    index = patient_store.DeadlineIndex()
    rt = runtime(SUSPECTED_AT + timedelta(minutes=5))
    sink = await run(report(), rt=rt, table=table, index=index)
    alerts = sink.on(topics.ALERTS)
    assert [a["alert_type"] for a in alerts] == ["mescc_suspected"]
    assert sink.on(topics.EPISODE_CHANGES)
    # Every output was acknowledged while the table still held the state from before the event.
    assert all(before is None for *_, before in sink.sent)
    state = json.loads(table[b"MRN-7"])  # plain JSON in the table and its changelog
    assert state["patient_id"] == "MRN-7"
    assert len(state["episodes"]) == 1
    # The first warning (50% of 24 h) is the patient's next deadline in the index.
    first_warning = (SUSPECTED_AT + timedelta(hours=12)).timestamp()
    assert index.next_at(2) == first_warning
    labels = {"alert_type": "mescc_suspected", "priority": "high"}  # grade 1b
    assert rt.registry.get_sample_value("cordwatch_alerts_emitted_total", labels) == 1


async def test_the_census_digest_of_a_written_state_is_noted_not_decoded_again() -> None:
    table = DictTable()
    index = patient_store.DeadlineIndex()
    digests = patient_store.Digests()
    rt = runtime(SUSPECTED_AT + timedelta(minutes=5))
    await pathway_batch.process_batch(
        [inbound(report()), inbound(dose(), offset=11)],
        rt=rt,
        pathway=DEPS,
        table=table,
        outbox=RecordingSink(table),
        index=index,
        sent=nothing_sent(),
        metrics=metrics_of(rt),
        digests=digests,
    )
    noted = digests.of(b"MRN-7", table[b"MRN-7"])  # the stored object: no decode
    assert noted == patient_store.Digests().of(b"MRN-7", table[b"MRN-7"])
    assert noted.episodes
    assert noted.deadline is not None
    assert index.next_at(2) == noted.deadline.timestamp()


async def test_redelivered_event_sends_nothing_and_writes_nothing() -> None:
    table = DictTable()
    index = patient_store.DeadlineIndex()
    rt = runtime(SUSPECTED_AT + timedelta(minutes=5))
    await run(report(), rt=rt, table=table, index=index)
    stored = table[b"MRN-7"]
    again = await run(report(), rt=rt, table=table, index=index)
    assert again.sent == []
    assert table[b"MRN-7"] == stored
    labels = {"event_type": "imaging_report"}
    assert rt.registry.get_sample_value("cordwatch_pathway_noop_events_total", labels) == 1


async def test_poison_message_is_parked_and_never_raises() -> None:
    table = DictTable()
    rt = runtime(SUSPECTED_AT)
    sink = await run(
        b'{"event_type": "timer_due"}', rt=rt, table=table, index=patient_store.DeadlineIndex()
    )
    [(topic, _, value, _)] = sink.sent
    assert topic == topics.DEAD_LETTERS
    letter = DeadLetter.model_validate_json(value)
    assert (letter.reason_code, letter.partition, letter.offset) == ("processing_error", 2, 10)
    assert letter.original_bytes() == b'{"event_type": "timer_due"}'
    assert table == {}
    labels = {"topic": topics.PATIENT_EVENTS, "reason": "processing_error"}
    assert rt.registry.get_sample_value("cordwatch_dead_letters_total", labels) == 1


async def test_failed_output_keeps_the_old_state_so_redelivery_resends_everything() -> None:
    table = DictTable()
    rt = runtime(SUSPECTED_AT + timedelta(minutes=5))
    sink = RecordingSink(table, fail_on=topics.ALERTS)
    index = patient_store.DeadlineIndex()
    await pathway_batch.process_batch(
        [inbound(report())],
        rt=rt,
        pathway=DEPS,
        table=table,
        outbox=sink,
        index=index,
        sent=nothing_sent(),
        metrics=metrics_of(rt),
    )
    assert table == {}  # the state must not get ahead of the alert it would record
    assert len(index) == 0
    assert any(t == topics.DEAD_LETTERS for t, *_ in sink.sent)


async def test_scan_sends_due_timers_and_the_agent_turns_them_into_one_breach() -> None:
    table = DictTable()
    index = patient_store.DeadlineIndex()
    await run(report(), rt=runtime(SUSPECTED_AT), table=table, index=index)
    metrics = deadline_scan.TimerMetrics.create(CollectorRegistry())
    sent: list[tuple[bytes, TimerDue]] = []

    async def send(key: bytes, due: TimerDue) -> None:
        sent.append((key, due))

    # No worker was up for two days: both timers are long overdue when the partition recovers.
    now = SUSPECTED_AT + timedelta(hours=48)
    await patient_store.rebuild(
        index, table, owned=[patient_store.partition_for(b"MRN-7", 4)], partitions=4
    )
    count = await deadline_scan.scan(
        index,
        table,
        owned=[patient_store.partition_for(b"MRN-7", 4)],
        now=now,
        late_after=POLICY.late_after,
        send=send,
        metrics=metrics,
    )
    assert count == len(sent) == 2
    assert {due.timer for _, due in sent} == {"steroids", "surgical_evaluation"}
    assert all(due.detected_late for _, due in sent)
    assert metrics.timer_due_sent.labels("true")._value.get() == 2
    rt = runtime(now)
    breaches: list[dict[str, Any]] = []
    for _, due in sent:
        sink = await run(due.model_dump_json().encode(), rt=rt, table=table, index=index)
        breaches += [a for a in sink.on(topics.ALERTS) if a["alert_type"] == "timer_breached"]
    assert sorted(a["timer"] for a in breaches) == ["steroids", "surgical_evaluation"]
    assert all(a["detected_late"] for a in breaches)
    # The same TimerDue again (a retry, or a duplicate after a crash) is stale: nothing happens.
    for _, due in sent:
        again = await run(due.model_dump_json().encode(), rt=rt, table=table, index=index)
        assert again.sent == []


async def test_scan_skips_patients_not_due_and_partitions_not_owned() -> None:
    table = DictTable()
    index = patient_store.DeadlineIndex()
    await run(report(), rt=runtime(SUSPECTED_AT), table=table, index=index)
    mine = patient_store.partition_for(b"MRN-7", 4)
    assert await patient_store.rebuild(index, table, owned=[mine], partitions=4) == 1
    assert await patient_store.rebuild(index, table, owned=[(mine + 1) % 4], partitions=4) == 0
    await patient_store.rebuild(index, table, owned=[mine], partitions=4)
    sent: list[TimerDue] = []

    async def send(key: bytes, due: TimerDue) -> None:
        sent.append(due)

    metrics = deadline_scan.TimerMetrics.create(CollectorRegistry())
    early = SUSPECTED_AT + timedelta(hours=1)
    args: dict[str, Any] = {"late_after": POLICY.late_after, "send": send, "metrics": metrics}
    assert await deadline_scan.scan(index, table, owned=[mine], now=early, **args) == 0
    assert len(index) == 1  # not due yet: still indexed
    at_warning = SUSPECTED_AT + timedelta(hours=12, seconds=1)
    assert await deadline_scan.scan(index, table, owned=[mine], now=at_warning, **args) == 2
    assert not any(due.detected_late for due in sent)
    # Not yet handled by the agent: re-sent after the retry interval, not on every tick.
    assert await deadline_scan.scan(index, table, owned=[mine], now=at_warning, **args) == 0
    later = at_warning + timedelta(seconds=deadline_scan.RETRY_AFTER_SECONDS)
    assert await deadline_scan.scan(index, table, owned=[mine], now=later, **args) == 2


async def test_a_patient_with_nothing_due_leaves_the_retry_loop() -> None:
    # The agent took the last TimerDue while the scan was still sending: the next retry finds
    # the state advanced, and the patient goes back to its next deadline, not to another retry.
    table = DictTable()
    index = patient_store.DeadlineIndex()
    await run(report(), rt=runtime(SUSPECTED_AT), table=table, index=index)
    mine = patient_store.partition_for(b"MRN-7", 4)
    await patient_store.rebuild(index, table, owned=[mine], partitions=4)
    sent: list[TimerDue] = []

    async def send(key: bytes, due: TimerDue) -> None:
        sent.append(due)

    args: dict[str, Any] = {
        "late_after": POLICY.late_after,
        "send": send,
        "metrics": deadline_scan.TimerMetrics.create(CollectorRegistry()),
    }
    at_warning = SUSPECTED_AT + timedelta(hours=12, seconds=1)
    assert await deadline_scan.scan(index, table, owned=[mine], now=at_warning, **args) == 2
    handled = (
        patient_store.DeadlineIndex()
    )  # the agent's own notes go elsewhere: only the table moves
    for due in sent:
        await run(
            due.model_dump_json().encode(), rt=runtime(at_warning), table=table, index=handled
        )
    retry = at_warning + timedelta(seconds=deadline_scan.RETRY_AFTER_SECONDS)
    assert await deadline_scan.scan(index, table, owned=[mine], now=retry, **args) == 0
    await patient_store.rebuild(
        handled, table, owned=[mine], partitions=4
    )  # what a restart would index
    assert index.next_at(mine) == handled.next_at(mine)  # the next warning, not now + 10 s
    assert index.next_at(mine) > retry.timestamp() + deadline_scan.RETRY_AFTER_SECONDS


def test_index_keeps_only_the_latest_deadline_per_patient() -> None:
    index = patient_store.DeadlineIndex()
    index.note(0, b"a", 100.0)
    index.note(0, b"a", 50.0)
    index.note(0, b"b", 70.0)
    index.note(1, b"c", 10.0)
    assert index.next_at(0) == 50.0
    assert index.pop_due(0, 60.0) == [b"a"]
    assert index.pop_due(0, 200.0) == [b"b"]  # a's superseded 100.0 entry is dropped
    index.note(1, b"c", None)
    assert index.pop_due(1, 200.0) == []
    assert len(index) == 0


def test_index_compacts_superseded_entries() -> None:
    index = patient_store.DeadlineIndex()
    for step in range(5000):
        index.note(0, b"a", float(step))
    assert len(index._heap[0]) < 2000
    assert index.pop_due(0, 1e9) == [b"a"]


def test_partition_for_matches_the_producer_partitioner() -> None:
    from aiokafka.partitioner import DefaultPartitioner

    for key in (b"MRN-1", b"MRN-2", b"x" * 40):
        assert patient_store.partition_for(key, 8) == DefaultPartitioner()(key, list(range(8)), [])


class FakeProducer:
    """The app producer as the outbox uses it: records sends, acknowledges at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []

    async def send(self, topic: str, key: bytes, value: bytes, *_: Any) -> asyncio.Future[None]:
        self.sent.append((topic, key, value))
        acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acked.set_result(None)
        return acked

    def on(self, topic: str) -> list[tuple[bytes, bytes]]:
        return [(key, value) for t, key, value in self.sent if t == topic]

    async def source(self) -> FakeProducer:
        """Where an outbox gets its producer (the Runtime's `producer`)."""
        return self


def worker_app(rt: Runtime, *roles: Role) -> Any:
    """A worker app of `roles` on `rt`, ready for `agent.test_context()` (STYLE.md, Tests)."""
    from streams.app import create_app

    app = create_app(rt.settings, roles=roles, runtime=rt)
    app.finalize()
    app.conf.store = "memory://"
    app.flow_control.resume()
    return app


async def test_agent_wiring_reads_and_writes_the_table() -> None:
    producer, table = FakeProducer(), DictTable()

    async def no_alerts_yet(partition: int) -> set[str]:
        return set()

    rt = runtime(
        datetime.now(UTC), producer=producer.source, patients=table, read_tail=no_alerts_yet
    )
    app = worker_app(rt, Role.PATHWAY)
    async with app.agents["pathway"].test_context() as agent:
        # The agent runs on the wall clock: a report from a minute ago has nothing overdue.
        recent = report("MRN-W", at=datetime.now(UTC) - timedelta(minutes=1))
        await agent.put(recent, key=b"MRN-W")
        await agent.put(recent, key=b"MRN-W")  # redelivered
    alerts = producer.on(topics.ALERTS)
    assert len(alerts) == 1
    key, value = alerts[0]
    assert Alert.model_validate_json(value).alert_type == "mescc_suspected"
    assert key == b"MRN-W"
    assert producer.on(topics.EPISODE_CHANGES)  # the episode, its timers, detection, scores
    assert all(key == b"MRN-W" for _, key, _ in producer.sent)
    [(_, key, value)] = table.writes  # one state written, for the first delivery only
    assert key == b"MRN-W"
    assert json.loads(value)["patient_id"] == "MRN-W"
    assert table.acknowledgements >= 1  # awaited before the input offsets may commit
    assert len(rt.deadlines) == 1


def dose(patient: str = "MRN-7", at: datetime = SUSPECTED_AT + timedelta(hours=2)) -> bytes:
    return json.dumps(
        {
            "event_id": "m-1",
            "event_type": "medication_administration",
            "occurred_at": at.isoformat(),
            "patient_id": patient,
            "administration_id": "ADM-1",
            "medication": "dexamethasone",
            "status": "completed",
        }
    ).encode()


async def test_a_batch_folds_in_order_and_writes_only_after_every_output() -> None:
    table = DictTable()
    index = patient_store.DeadlineIndex()
    rt = runtime(SUSPECTED_AT + timedelta(hours=3))
    sink = await run(report(), b"not json", dose(), rt=rt, table=table, index=index)
    # The dose saw the episode the report opened in the same batch: the steroid timer is met.
    state = json.loads(table[b"MRN-7"])
    timers_by_kind = {t["kind"]: t for t in state["episodes"][0]["timers"]}
    assert timers_by_kind["steroids"]["status"] == "met"
    assert table.partitions[b"MRN-7"] == 2
    # The poison message in the middle was parked; the events around it were not held up.
    assert len(sink.on(topics.DEAD_LETTERS)) == 1
    assert [a["alert_type"] for a in sink.on(topics.ALERTS)] == ["mescc_suspected"]
    assert all(before is None for *_, before in sink.sent)  # nothing written before the sends


async def test_alert_already_on_the_topic_is_not_sent_again_but_the_state_is_written() -> None:
    # A crash after the alert was acknowledged but before the state write reached the changelog:
    # the redelivered report finds no state and decides the same alert, with the same id.
    first = DictTable()
    rt = runtime(SUSPECTED_AT + timedelta(minutes=5))
    before_crash = await run(report(), rt=rt, table=first, index=patient_store.DeadlineIndex())
    [alert] = before_crash.on(topics.ALERTS)
    reads: list[int] = []

    async def tail(partition: int) -> set[str]:
        reads.append(partition)
        return {alert["alert_id"]}

    generation = [1]
    sent = SentAlerts(tail, lambda: generation[0])
    table = DictTable()
    sink = RecordingSink(table)
    args: dict[str, Any] = {"rt": rt, "pathway": DEPS, "table": table, "outbox": sink}
    args["metrics"] = metrics_of(rt)
    await pathway_batch.process_batch(
        [inbound(report())], index=patient_store.DeadlineIndex(), sent=sent, **args
    )
    assert sink.on(topics.ALERTS) == []
    assert sink.on(topics.EPISODE_CHANGES)  # versioned snapshots: the sink drops stale ones
    assert table[b"MRN-7"] == first[b"MRN-7"]
    assert rt.registry.get_sample_value("cordwatch_pathway_resent_alerts_skipped_total") == 1
    # Read once per partition and assignment; a rebalance reads the tail again.
    await sent.ids(2)
    generation[0] = 2
    await sent.ids(2)
    assert reads == [2, 2]


async def test_unreadable_alert_tail_sends_rather_than_loses() -> None:
    async def broken(partition: int) -> set[str]:
        raise OSError("broker away")

    table = DictTable()
    sink = RecordingSink(table)
    rt = runtime(SUSPECTED_AT + timedelta(minutes=5))
    await pathway_batch.process_batch(
        [inbound(report())],
        rt=rt,
        pathway=DEPS,
        table=table,
        outbox=sink,
        index=patient_store.DeadlineIndex(),
        sent=SentAlerts(broken, lambda: 1),
        metrics=metrics_of(rt),
    )
    assert [a["alert_type"] for a in sink.on(topics.ALERTS)] == ["mescc_suspected"]


class AckSink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    async def send(self, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
        self.sent += messages


def acknowledgement(alert_id: str, patient: str = "MRN-7") -> bytes:
    return json.dumps(
        {
            "event_id": f"ack-{alert_id}",
            "event_type": "alert_acknowledged",
            "occurred_at": (SUSPECTED_AT + timedelta(hours=25)).isoformat(),
            "patient_id": patient,
            "alert_id": alert_id,
            "acknowledged_by": "on-call spinal registrar",
        }
    ).encode()


async def test_acknowledgement_reaches_the_pathway_and_stops_the_escalation() -> None:
    from streams.agents import acks

    table = DictTable()
    index = patient_store.DeadlineIndex()
    await run(report(), rt=runtime(SUSPECTED_AT), table=table, index=index)
    breached_at = SUSPECTED_AT + timedelta(hours=24, seconds=1)
    breach = await run(
        json.dumps(
            {
                "event_id": "x",
                "event_type": "assessment",
                "patient_id": "MRN-7",
                "occurred_at": breached_at.isoformat(),
            }
        ).encode(),
        rt=runtime(breached_at),
        table=table,
        index=index,
    )
    [steroids] = [a for a in breach.on(topics.ALERTS) if a["timer"] == "steroids"]
    assert steroids["alert_type"] == "timer_breached"
    # The acknowledgement arrives on cordwatch.alert-acks under some other key.
    sink = AckSink()
    raw = acknowledgement(steroids["alert_id"])
    rt = runtime(breached_at)
    batch = [Inbound(topics.ALERT_ACKS, 0, 5, b"whatever", raw)]
    await acks.process_batch(batch, rt=rt, outbox=sink)
    assert sink.sent == [(topics.PATIENT_EVENTS, b"MRN-7", raw)]
    await run(raw, rt=rt, table=table, index=index)
    # 15 minutes later only the unacknowledged surgical breach escalates.
    later = await run(
        json.dumps(
            {
                "event_id": "y",
                "event_type": "assessment",
                "patient_id": "MRN-7",
                "occurred_at": breached_at.isoformat(),
            }
        ).encode(),
        rt=runtime(breached_at + timedelta(minutes=16)),
        table=table,
        index=index,
    )
    escalations = [a for a in later.on(topics.ALERTS) if a["alert_type"] == "escalation"]
    assert [a["timer"] for a in escalations] == ["surgical_evaluation"]


async def test_malformed_acknowledgement_is_parked() -> None:
    from streams.agents import acks

    sink = AckSink()
    rt = runtime(SUSPECTED_AT)
    bad = b'{"event_type": "alert_acknowledged", "patient_id": "MRN-7"}'
    batch = [Inbound(topics.ALERT_ACKS, 1, 9, b"MRN-7", bad)]
    await acks.process_batch(batch, rt=rt, outbox=sink)
    [(topic, key, value)] = sink.sent
    letter = DeadLetter.model_validate_json(value)
    assert (topic, key, letter.reason_code) == (topics.DEAD_LETTERS, b"MRN-7", "invalid_value")
    assert letter.original_bytes() == bad
    labels = {"topic": topics.ALERT_ACKS, "reason": "invalid_value"}
    assert rt.registry.get_sample_value("cordwatch_dead_letters_total", labels) == 1


def test_worker_consumers_get_the_configured_fetch_wait() -> None:
    # Faust hard-codes a 1500 ms fetch wait; on Tansu every multi-partition fetch lasts that long.
    from types import SimpleNamespace

    from streams.app import limit_fetch_wait

    class ConsumerThread:  # Faust's AIOKafkaConsumerThread, as far as the adjustment goes
        def _create_worker_consumer(self, transport: object) -> SimpleNamespace:
            return SimpleNamespace(_fetch_max_wait_ms=1500)

    limit_fetch_wait(40, consumer_thread=ConsumerThread)
    limit_fetch_wait(25, consumer_thread=ConsumerThread)  # a second app: wraps Faust's, not itself
    consumer = ConsumerThread()._create_worker_consumer(object())
    assert consumer._fetch_max_wait_ms == 25


def fake_app(
    *, rebalancing: bool = False, recovered: bool = True, partitions: tuple[int, ...] = (0, 1, 2, 3)
) -> Any:
    from types import SimpleNamespace

    from faust.types import TP

    completed = asyncio.Event()
    if recovered:
        completed.set()
    assignment = {TP(topics.PATIENT_EVENTS, p) for p in partitions}
    assignment |= {TP("cordwatch-patients-changelog", p) for p in range(4)}
    return SimpleNamespace(
        started=True,
        rebalancing=rebalancing,
        in_recovery=not recovered,
        tables=SimpleNamespace(
            recovery=SimpleNamespace(completed=completed, in_recovery=not recovered)
        ),
        consumer=SimpleNamespace(assignment=lambda: assignment),
        consumer_generation_id=7,
        conf=SimpleNamespace(topic_partitions=4),
    )


async def test_timer_service_waits_for_recovery_then_fires_what_passed_meanwhile() -> None:
    table = DictTable()
    await run(report(), rt=runtime(SUSPECTED_AT), table=table, index=patient_store.DeadlineIndex())
    # Both deadlines passed while the worker was down.
    rt = runtime(SUSPECTED_AT + timedelta(hours=30), patients=table)
    sent: list[TimerDue] = []

    async def send(key: bytes, due: TimerDue) -> None:
        sent.append(due)

    mine = patient_store.partition_for(b"MRN-7", 4)
    metrics = deadline_scan.TimerMetrics.create(rt.registry)
    for waiting in (fake_app(rebalancing=True), fake_app(recovered=False)):
        await deadline_scan.scan_once(waiting, rt, send=send, metrics=metrics)
        assert sent == []
        assert metrics.waiting._value.get() == 1
        assert (
            rt.registry.get_sample_value("cordwatch_timer_service_heartbeat_timestamp_seconds") == 0
        )
    # A worker that owns other partitions never fires this patient's deadlines.
    others = tuple(p for p in range(4) if p != mine)
    await deadline_scan.scan_once(fake_app(partitions=others), rt, send=send, metrics=metrics)
    assert sent == []
    await deadline_scan.scan_once(fake_app(partitions=(mine,)), rt, send=send, metrics=metrics)
    assert {d.timer for d in sent} == {"steroids", "surgical_evaluation"}
    assert all(d.detected_late for d in sent)
    assert metrics.waiting._value.get() == 0
    heartbeat = rt.registry.get_sample_value("cordwatch_timer_service_heartbeat_timestamp_seconds")
    assert heartbeat is not None
    assert heartbeat > 0


class _ChangelogTable:
    """The two things PatientTable uses of a Faust table; each changelog send returns a
    future the test resolves, as the broker's acknowledgement would."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.sends: list[asyncio.Future[None]] = []

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def send_changelog(self, partition: int | None, key: bytes, value: bytes) -> Any:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sends.append(future)
        return future


async def test_states_count_as_stored_only_once_the_changelog_acknowledges_them() -> None:
    # Faust's pre-commit flush gives up after 0.1 s a message, so the agent must wait for the
    # changelog itself before it lets an input offset be committed (a SIGKILL lost a state).
    raw = _ChangelogTable()
    table = patient_store.PatientTable(raw)
    table.put(0, b"p1", b"s1")
    table.put(1, b"p2", b"s2")
    assert raw.get(b"p1") == b"s1"  # readable at once by the next event
    waiting = asyncio.ensure_future(table.acknowledged())
    await asyncio.sleep(0.01)
    raw.sends[0].set_result(None)
    await asyncio.sleep(0.01)
    assert not waiting.done()  # one record still unacknowledged
    raw.sends[1].set_result(None)
    await asyncio.wait_for(waiting, 1)
    failing = _ChangelogTable()
    table = patient_store.PatientTable(failing)
    table.put(0, b"p1", b"s1")
    failing.sends[0].set_exception(RuntimeError("broker refused"))
    with pytest.raises(RuntimeError):  # the batch stays unacknowledged and is redelivered
        await table.acknowledged()


async def test_a_fast_sender_clock_and_a_reused_id_are_counted() -> None:
    table = DictTable()
    index = patient_store.DeadlineIndex()
    rt = runtime(SUSPECTED_AT)
    await run(report(at=SUSPECTED_AT + timedelta(hours=3)), rt=rt, table=table, index=index)
    state = json.loads(table[b"MRN-7"])
    assert state["episodes"][0]["suspected_at"].startswith(SUSPECTED_AT.isoformat()[:19])
    other = json.loads(report())
    other.update(text="NORMAL", accession="ACC-2")  # another system, the same event id
    await run(json.dumps(other).encode(), rt=rt, table=table, index=index)
    sample = rt.registry.get_sample_value
    assert sample("cordwatch_pathway_intake_total", {"kind": "clamped"}) == 1
    assert sample("cordwatch_pathway_intake_total", {"kind": "id_reused"}) == 1
    assert sample("cordwatch_pathway_intake_total", {"kind": "historic"}) == 0


async def test_an_acknowledgement_that_stops_an_escalation_is_timed() -> None:
    from services.alerts.acks import ack_event

    table = DictTable()
    index = patient_store.DeadlineIndex()
    critical = report().replace(b"grade=1b", b"grade=2")  # high grade: the page escalates
    await run(critical, rt=runtime(SUSPECTED_AT), table=table, index=index)
    first = json.loads(table[b"MRN-7"])["episodes"][0]["watches"][0]["alert_id"]
    acked_at = SUSPECTED_AT + timedelta(minutes=20)
    ack = ack_event(alert_id=first, patient_id="MRN-7", by="Dr A", at=acked_at, via="worklist")
    rt = runtime(acked_at)
    await run(ack.model_dump_json().encode(), rt=rt, table=table, index=index)
    name = "cordwatch_escalation_acknowledged_seconds"
    labels = {"alert_type": "mescc_suspected"}
    assert rt.registry.get_sample_value(f"{name}_count", labels) == 1
    assert rt.registry.get_sample_value(f"{name}_sum", labels) == 20 * 60
    # A redelivery of the same acknowledgement changes nothing and times nothing again.
    await run(ack.model_dump_json().encode(), rt=rt, table=table, index=index)
    assert rt.registry.get_sample_value(f"{name}_count", labels) == 1
