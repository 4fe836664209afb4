"""The patients table's store loads its changelog partitions in bulk on assignment.

A real broker; the Faust app around the store is a stand-in giving only what the store reads
(the broker list, the assignor's actives, no producer), so each rebalance is driven by hand.
"""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faust.types import TP

from streams.broker import ensure_topics
from streams.changelog_load import LoadedStore
from streams.patient_store import partition_for

pytestmark = [pytest.mark.broker]
PARTITIONS = 3


class _Assignor:
    def __init__(self) -> None:
        self.actives: set[TP] = set()

    def assigned_actives(self) -> set[TP]:
        return self.actives


def _store(bootstrap: str, topic: str, *, group: str = "") -> tuple[LoadedStore, _Assignor]:
    host, port = bootstrap.rsplit(":", 1)
    assignor = _Assignor()
    app: Any = SimpleNamespace(
        conf=SimpleNamespace(
            broker=[SimpleNamespace(host=host, port=int(port))],
            id=group,
            topic_partitions=PARTITIONS,
            broker_request_timeout=10.0,
        ),
        assignor=assignor,
        _producer=None,
    )
    table: Any = SimpleNamespace(
        name="patients", changelog_topic=SimpleNamespace(get_topic_name=lambda: topic)
    )
    store = LoadedStore("memory://", app, table, table_name="patients")
    store.client_options = {}
    store.partition_of = lambda key: partition_for(key, PARTITIONS)
    return store, assignor


async def _write(bootstrap: str, topic: str, records: list[tuple[bytes, bytes | None]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(
                topic, key=key, value=value, partition=partition_for(key, PARTITIONS)
            )
    finally:
        await producer.stop()


def _keys_in(partition: int, count: int) -> list[bytes]:
    keys = (f"MRN-{n}".encode() for n in range(10_000))
    return [k for k in keys if partition_for(k, PARTITIONS) == partition][:count]


async def test_a_store_loads_its_partitions_then_reads_on_and_reloads_a_new_one(
    broker: str,
) -> None:
    topic = f"test-load-{uuid.uuid4().hex[:8]}-changelog"
    await ensure_topics(broker, [topic], partitions=PARTITIONS, replication=1)
    a, b, gone = _keys_in(0, 3)
    (c,) = _keys_in(1, 1)
    (elsewhere,) = _keys_in(2, 1)
    await _write(
        broker,
        topic,
        [
            (a, b"a1"),
            (b, b"b1"),
            (a, b"a2"),
            (gone, b"g1"),
            (gone, None),
            (c, b"c1"),
            (elsewhere, b"e1"),
        ],
    )
    store, assignor = _store(broker, topic)
    digested: dict[bytes, bytes] = {}
    store.on_loaded = digested.__setitem__
    p0, p1, p2 = (TP(topic, p) for p in range(PARTITIONS))

    # First assignment: partitions 0 and 1, each its latest value, the tombstone applied.
    assignor.actives = {p0, p1}
    await store.on_rebalance({p0, p1}, set(), {p0, p1})
    assert dict(store.data) == {a: b"a2", b: b"b1", c: b"c1"}
    assert digested == dict(store.data)  # each stored value handed on, and only those
    # What Faust's recovery starts after: the last offset, so it has nothing left to read.
    assert (store.persisted_offset(p0), store.persisted_offset(p1)) == (4, 0)
    assert store.persisted_offset(p2) is None

    # Partition 0 held across a rebalance: read on from there (the agent wrote a3 meanwhile).
    await _write(broker, topic, [(a, b"a3")])
    store.data[a] = b"a3"
    kept = store.data[b]
    assignor.actives = {p0}
    await store.on_rebalance({p0}, {p1}, set())
    assert store.data[a] == b"a3"
    assert store.data[b] is kept
    assert store.persisted_offset(p0) == 5
    assert store.persisted_offset(p1) is None

    # Partition 1 newly assigned again after another worker wrote it: cleared and read from
    # the start, so a value left from the earlier assignment does not survive.
    await _write(broker, topic, [(c, b"c2")])
    (stale,) = [k for k in _keys_in(1, 2) if k != c]
    store.data[stale] = b"from an earlier assignment, never on the changelog"
    assignor.actives = {p0, p1}
    await store.on_rebalance({p0, p1}, set(), {p1})
    assert store.data[c] == b"c2"
    assert stale not in store.data
    assert store.persisted_offset(p1) == 1

    # No active partition of this table: nothing is loaded, nothing claimed.
    assignor.actives = set()
    await store.on_rebalance(set(), {p0, p1}, set())
    assert store.persisted_offset(p0) is None


async def test_a_failed_load_leaves_the_partitions_to_fausts_recovery(broker: str) -> None:
    topic = f"test-load-{uuid.uuid4().hex[:8]}-changelog"
    store, assignor = _store("127.0.0.1:1", topic)  # nothing listens there
    assignor.actives = {TP(topic, 0)}
    await store.on_rebalance({TP(topic, 0)}, set(), {TP(topic, 0)})
    # Read from the start by Faust (the offset before the first), not from an offset of its own.
    assert store.persisted_offset(TP(topic, 0)) == -1


async def test_a_worker_alone_in_its_group_reads_the_changelog_ahead_and_goes_on_from_there(
    broker: str,
) -> None:
    topic = f"test-ahead-{uuid.uuid4().hex[:8]}-changelog"
    await ensure_topics(broker, [topic], partitions=PARTITIONS, replication=1)
    (a,) = _keys_in(0, 1)
    (c,) = _keys_in(1, 1)
    (elsewhere,) = _keys_in(2, 1)
    await _write(broker, topic, [(a, b"a1"), (c, b"c1"), (elsewhere, b"e1")])
    store, assignor = _store(broker, topic, group=f"nobody-{uuid.uuid4().hex[:8]}")
    store.read_ahead = True
    digested: dict[bytes, bytes] = {}
    store.on_loaded = digested.__setitem__
    await store.on_start()  # the worker starts joining its group: the read-ahead begins
    p0, p1, p2 = (TP(topic, p) for p in range(PARTITIONS))
    for _ in range(100):
        if len(store.data) == 3:
            break
        await asyncio.sleep(0.05)
    assert dict(store.data) == {a: b"a1", c: b"c1", elsewhere: b"e1"}

    # Written after the read-ahead, before the assignment: the load reads on from its end.
    await _write(broker, topic, [(a, b"a2")])
    kept = store.data[c]
    assignor.actives = {p0, p1}  # another worker joined too and got partition 2
    await store.on_rebalance({p0, p1}, set(), {p0, p1})
    assert dict(store.data) == {a: b"a2", c: b"c1"}
    assert store.data[c] is kept  # not read again
    assert digested[a] == b"a2"
    assert (store.persisted_offset(p0), store.persisted_offset(p1)) == (1, 0)
    assert store.persisted_offset(p2) is None

    # Only once: a later assignment of a partition anew reads it from the start.
    assignor.actives = {p0, p1, p2}
    await store.on_rebalance({p0, p1, p2}, set(), {p2})
    assert store.data[elsewhere] == b"e1"
    assert store.persisted_offset(p2) == 0


async def test_a_worker_joining_a_group_with_members_reads_nothing_ahead(broker: str) -> None:
    topic = f"test-ahead-{uuid.uuid4().hex[:8]}-changelog"
    await ensure_topics(broker, [topic], partitions=PARTITIONS, replication=1)
    (a,) = _keys_in(0, 1)
    await _write(broker, topic, [(a, b"a1")])
    group = f"busy-{uuid.uuid4().hex[:8]}"
    member = AIOKafkaConsumer(topic, bootstrap_servers=broker, group_id=group)
    await member.start()
    try:
        for _ in range(200):
            if member.assignment():
                break
            await asyncio.sleep(0.05)
        store, assignor = _store(broker, topic, group=group)
        store.read_ahead = True
        await store.on_start()
        await asyncio.sleep(0.5)
        assert not store.data
        p0 = TP(topic, 0)
        assignor.actives = {p0}
        await store.on_rebalance({p0}, set(), {p0})  # the load on assignment, from the start
        assert dict(store.data) == {a: b"a1"}
    finally:
        await member.stop()
