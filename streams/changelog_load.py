"""The patients table restored from its changelog in bulk, on assignment, before Faust's recovery.

Faust restores a table one changelog message at a time (an event object, a queue hand-off and a
buffer per message): 100 000 patients took 33-36 s on a 2-core machine. Here the store of the
patients table reads its newly assigned changelog partitions itself, with a plain aiokafka
consumer in large fetches (no consumer group), when Faust hands it the assignment
(`Store.on_rebalance`), and reports the last offset it applied as the persisted offset, as a
RocksDB store does. Faust's recovery then starts from there: it still reads whatever reached the
changelog after this load (usually nothing) and decides when recovery is over, so its
guarantees stand: the agents start only on a complete table.

A partition held across a rebalance is read on from the offset loaded last (the agent's own
writes since, the same values); a partition newly assigned is cleared and read from the start,
so nothing another worker wrote meanwhile is missed and no state of an earlier assignment
outlives it. If the load fails, Faust's own recovery reads the partitions from where it began.

Joining the consumer group takes seconds (Tansu holds a JoinGroup for half the session timeout,
Apache Kafka delays a new group's first rebalance by group.initial.rebalance.delay.ms), and the
load could only start after it. So a worker that finds its group without members, which will be
assigned every partition, reads them all ahead while it waits (`read_ahead`): what it read is a
prefix of each changelog partition, read before any agent ran, and the load on assignment goes
on from there. A partition the assignment does not give this worker (another one joined at the
same time) is dropped again. A worker joining a group that has members reads nothing ahead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import faust
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faust.stores.memory import Store as MemoryStore
from faust.types import TP, StoreT

log = structlog.get_logger(__name__)

# Large fetches: a patient's state is 2-5 KB, and a fetch per 1 000 records is what made
# the per-message restore slow. Bounded so a load of 4 partitions holds at most 64 MiB raw.
FETCH_BYTES_PER_PARTITION = 16 * 1024 * 1024
_POLL_MS = 500


class LoadedStore(MemoryStore[bytes, bytes]):
    """Faust's memory store, with its active changelog partitions loaded in bulk on assignment."""

    client_options: Mapping[str, Any]
    partition_of: Callable[[bytes], int]  # the partition a key belongs to
    # Called with (key, value) for each value a load leaves stored: the deadline index and the
    # census digest it here, while the consumer's next fetch is under way.
    on_loaded: Callable[[bytes, bytes], object] | None = None
    read_ahead: bool = False  # read every partition while the worker joins its group alone

    def __post_init__(self) -> None:
        super().__post_init__()
        # Last changelog offset applied, per active partition of the current assignment.
        self._loaded: dict[TP, int] = {}
        # The read-ahead under way or done, until an assignment takes what it read: the last
        # offset read per partition ({} when it read nothing).
        self._ahead: asyncio.Future[None] | None = None
        self._ahead_read: dict[TP, int] = {}

    async def on_start(self) -> None:
        """Start reading ahead (if enabled): the store starts as the worker begins to join."""
        await super().on_start()
        if self.read_ahead and self._ahead is None:
            self._ahead = self.add_future(self._read_all_ahead())

    def loaded_partition(self, key: bytes) -> int | None:
        """The partition a load found this key in (None: not loaded, e.g. written since)."""
        return self._key_partition.get(key)

    def persisted_offset(self, tp: TP) -> int | None:
        """What Faust's recovery starts after: the last offset loaded here (None: not loaded)."""
        return self._loaded.get(tp)

    async def on_rebalance(
        self,
        assigned: set[TP],
        revoked: set[TP],
        newly_assigned: set[TP],
        generation_id: int = 0,
    ) -> None:
        """Load the active changelog partitions of the new assignment before Faust recovers."""
        topic = self.table.changelog_topic.get_topic_name()
        actives = {tp for tp in self.app.assignor.assigned_actives() if tp.topic == topic}
        ahead = await self._take_read_ahead()
        held = {tp: offset for tp, offset in self._loaded.items() if tp in actives}
        fresh = {tp for tp in actives if tp not in held or tp in newly_assigned}
        for tp in fresh:
            held.pop(tp, None)
        # Read ahead before any agent ran: a prefix of the changelog, read on from its end.
        held.update({tp: offset for tp, offset in ahead.items() if tp in fresh})
        fresh -= set(ahead)
        self._loaded = {}
        unassigned = {tp.partition for tp in ahead if tp not in actives}
        self._forget({tp.partition for tp in fresh} | unassigned)
        if not actives:
            return
        starts = {**{tp: offset + 1 for tp, offset in held.items()}, **dict.fromkeys(fresh, 0)}
        started = time.monotonic()
        try:
            await self._flush_producer()
            loaded, records = await self._load(starts)
        except Exception as exc:  # Faust's own recovery reads these partitions instead
            log.warning("patients.changelog_load_failed", error=type(exc).__name__)
            # A cleared partition from its start (-1), a held one from its last load: Faust
            # keeps an offset of its own otherwise, and would skip what was cleared.
            self._loaded = {tp: start - 1 for tp, start in starts.items()}
            return
        self._loaded = loaded
        log.info(
            "patients.changelog_loaded",
            partitions=sorted(tp.partition for tp in loaded),
            records=records,
            read_ahead=sorted(tp.partition for tp in ahead if tp in loaded),
            stored=len(self.data),
            seconds=round(time.monotonic() - started, 3),
        )

    async def _take_read_ahead(self) -> dict[TP, int]:
        """What the read-ahead loaded (waiting for it to end), once; {} when nothing was read."""
        running, self._ahead = self._ahead, None
        if running is None:
            return {}
        await running
        read, self._ahead_read = self._ahead_read, {}
        return read

    async def _read_all_ahead(self) -> None:
        """Every changelog partition from its start, if this worker joins a group with no member.

        Leaves the last offset read per partition in `_ahead_read`; on any failure it keeps
        nothing (the load on assignment then reads from the start, as without a read-ahead).
        """
        topic = self.table.changelog_topic.get_topic_name()
        every = {TP(topic, partition) for partition in range(self.app.conf.topic_partitions)}
        started = time.monotonic()
        try:
            if not await self._group_is_empty():
                return
            loaded, records = await self._load(dict.fromkeys(every, 0))
        except Exception as exc:
            log.warning("patients.changelog_read_ahead_failed", error=type(exc).__name__)
            self._forget({tp.partition for tp in every})
            return
        self._ahead_read = loaded
        log.info(
            "patients.changelog_read_ahead",
            records=records,
            stored=len(self.data),
            seconds=round(time.monotonic() - started, 3),
        )

    async def _group_is_empty(self) -> bool:
        """True when the worker's consumer group has no member (then it gets every partition)."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap(),
            request_timeout_ms=int(self.app.conf.broker_request_timeout * 1000),
            **self.client_options,
        )
        await admin.start()
        try:
            (described,) = await admin.describe_consumer_groups([self.app.conf.id])
        finally:
            await admin.close()
        groups = described.groups  # (error_code, group, state, protocol_type, protocol, members)
        return all(group[0] == 0 and not group[5] for group in groups)

    def _bootstrap(self) -> list[str]:
        return [f"{url.host}:{url.port or 9092}" for url in self.app.conf.broker]

    def _forget(self, partitions: set[int]) -> None:
        """Drop every stored key of these partitions (their changelog is read from the start)."""
        if not partitions or not self.data:
            return
        for key in list(self.data):
            known = self._key_partition.get(key)  # set by a load; not by the agent's writes
            of = known if known is not None else self.partition_of(key)
            if of in partitions:
                del self.data[key]
                self._key_partition.pop(key, None)

    async def _flush_producer(self) -> None:
        # What Faust's recovery does first: changelog records still buffered reach the broker,
        # so the load reads the agent's last writes rather than older values.
        producer = getattr(self.app, "_producer", None)  # None: no producer started yet
        if producer is not None:
            await asyncio.wait_for(producer.flush(), timeout=self.app.conf.broker_request_timeout)

    async def _load(self, starts: dict[TP, int]) -> tuple[dict[TP, int], int]:
        """Read each partition from its start offset to its end; the last offset applied each."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap(),
            group_id=None,
            enable_auto_commit=False,
            max_partition_fetch_bytes=FETCH_BYTES_PER_PARTITION,
            fetch_max_bytes=FETCH_BYTES_PER_PARTITION * max(1, len(starts)),
            **self.client_options,
        )
        await consumer.start()
        try:
            tps = {TopicPartition(tp.topic, tp.partition): tp for tp in starts}
            consumer.assign(list(tps))
            ends = await consumer.end_offsets(list(tps))
            pending = set()
            for ktp, tp in tps.items():
                if ends[ktp] > starts[tp]:
                    consumer.seek(ktp, starts[tp])
                    pending.add(ktp)
            records = 0
            while pending:
                batches = await consumer.getmany(*pending, timeout_ms=_POLL_MS)
                for ktp, messages in batches.items():
                    records += self._apply(ktp.partition, messages, end=ends[ktp])
                    self._digest(messages)
                for ktp in list(pending):
                    if await consumer.position(ktp) >= ends[ktp]:
                        pending.discard(ktp)
                await asyncio.sleep(0)  # heartbeats and the web page between fetches
            return {tp: ends[ktp] - 1 for ktp, tp in tps.items()}, records
        finally:
            await consumer.stop()

    def _digest(self, messages: list[Any]) -> None:
        if self.on_loaded is None:
            return
        latest: dict[bytes, bytes | None] = {m.key: m.value for m in messages}  # the last value
        for key, value in latest.items():
            stored: object = self.data.get(key)
            if value is None or stored is not value:
                continue  # deleted, or not what the load stored (a record past its end)
            try:
                self.on_loaded(key, value)
            except Exception as exc:  # the index rebuild reads it again, and reports it
                log.warning("patients.loaded_value_unreadable", error=type(exc).__name__)

    def _apply(self, partition: int, messages: list[Any], *, end: int) -> int:
        data, where = self.data, self._key_partition
        applied = 0
        for message in messages:
            if message.offset >= end:  # written after the load began: Faust's recovery reads it
                break
            if message.value is None:  # a tombstone
                data.pop(message.key, None)
                where.pop(message.key, None)
            else:
                data[message.key] = message.value
                where[message.key] = partition
            applied += 1
        return applied


class LoadedTable(faust.Table[bytes, bytes]):
    """A Faust table whose store is a LoadedStore (the patients table)."""

    client_options: Mapping[str, Any] = {}
    partition_of: Callable[[bytes], int]
    on_loaded: Callable[[bytes, bytes], object] | None = None
    read_ahead: bool = False

    def _new_store(self) -> StoreT[bytes, bytes]:
        store = LoadedStore(
            self._store or self.app.conf.store,
            self.app,
            self,
            table_name=self.name,
            key_type=self.key_type,
            key_serializer=self.key_serializer,
            value_serializer=self.value_serializer,
            value_type=self.value_type,
            options=self.options,
        )
        store.client_options = self.client_options
        store.partition_of = self.partition_of
        store.on_loaded = self.on_loaded
        store.read_ahead = self.read_ahead
        return store
