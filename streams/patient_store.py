"""The patient store of a pathway worker: the patients table, its changelog and the deadline index.

The patients table (key = patient_id bytes, value = PatientState JSON, raw so the changelog is
plain JSON) is partitioned like cordwatch.patient-events: one writer per patient, the pathway
agent. The deadline index says when each stored patient next needs the clock; the pathway agent
notes every state it writes and the timer service scans it. Both agents import this module, and
this module imports neither (no cycle inside streams/). The table is declared on the app by the
composition root (`streams.app.create_app`) for a pathway worker only: elsewhere its changelog
would be consumed for nothing.
"""

from __future__ import annotations

import asyncio
import heapq
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aiokafka.partitioner import murmur2
from faust.types import AppT

from models.outputs import TimerStatus
from models.state import Episode, PatientState
from models.state_digest import StateView, read_digest
from services.census import OpenEpisode, summarise
from services.pathway import next_deadline
from streams.changelog_load import LoadedStore, LoadedTable

# Rebuilding decodes every stored state; yield to the event loop this often so consumer
# heartbeats and the agents keep running while 100 000 patients are indexed.
_REBUILD_SLICE = 500
TABLE_NAME = "patients"


def declare_table(
    app: AppT,
    *,
    client_options: Mapping[str, Any] | None = None,
    digests: Digests | None = None,
) -> Any:
    """Declare the patients table on `app` (once, by the composition root).

    Its store loads the changelog in bulk on assignment, or reads it ahead while the worker
    joins a group with no member (`streams.changelog_load`);
    `client_options` are the aiokafka security options of that load, and `digests` (the
    Runtime's) are filled as it loads, so the index rebuild after it decodes nothing again.
    """
    table = LoadedTable(
        app,
        name=TABLE_NAME,
        beacon=app.tables.beacon,
        key_type=bytes,
        value_type=bytes,
        help="PatientState JSON per patient_id (the pathway agent is its only writer).",
    )
    table.client_options = dict(client_options or {})
    partitions = app.conf.topic_partitions
    table.partition_of = lambda key: partition_for(key, partitions)
    table.on_loaded = digests.of if digests is not None else None
    table.read_ahead = True  # alone in its group, the worker reads the changelog while it joins
    return app.tables.add(table)


def table_of(app: AppT) -> Any:
    """The patients table declared on `app` (the pathway, timer and census wiring share it)."""
    return app.tables[TABLE_NAME]


def encode_state(state: PatientState) -> bytes:
    """The table (and changelog) value: plain JSON, readable with any Kafka tool.

    Defaults are left out, except an episode's empty `watches` when it has a breached timer:
    a state stored before watches existed has no such key, and decoding one upgrades its
    breached timers into watches; written without it, a quiet (historic) episode's breach
    would gain an escalation on its next read (replay example f5_backlog_history).
    """
    raw = state.model_dump_json(exclude_defaults=True)
    if not any(_would_gain_watches(episode) for episode in state.episodes):
        return raw.encode("utf-8")
    data = json.loads(raw)
    for stored, episode in zip(data["episodes"], state.episodes, strict=True):
        if not episode.watches:
            stored["watches"] = []
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _would_gain_watches(episode: Episode) -> bool:
    return not episode.watches and any(t.status == TimerStatus.BREACHED for t in episode.timers)


def decode_state(raw: bytes | None) -> PatientState | None:
    """The stored state, or None for a patient never seen."""
    return PatientState.model_validate_json(raw) if raw else None


class StateTable(Protocol):
    """The patients table as the agent uses it: read a state, write one to a known partition."""

    def get(self, key: bytes) -> bytes | None: ...
    def put(self, partition: int | None, key: bytes, value: bytes) -> None: ...


class StoredStates(Protocol):
    """The patients table as the timer service and the census read it."""

    def get(self, key: bytes) -> bytes | None: ...
    def keys(self) -> Iterable[bytes]: ...


class PatientStore(StateTable, StoredStates, Protocol):
    """The patients table of a pathway worker: read, written by the agent, acknowledged."""

    def acknowledged(self) -> Awaitable[None]: ...


def partition_for(key: bytes, partitions: int) -> int:
    """The partition aiokafka's (and Java's) default partitioner gives this key."""
    return int((murmur2(key) & 0x7FFFFFFF) % partitions)


@dataclass
class DeadlineIndex:
    """When each patient next needs the clock, per partition; a heap with lazy deletion."""

    _deadline: dict[int, dict[bytes, float]] = field(default_factory=dict)
    _heap: dict[int, list[tuple[float, bytes]]] = field(default_factory=dict)
    generation: object = None

    def note(self, partition: int, key: bytes, deadline: datetime | float | None) -> None:
        """Record the patient's next deadline (None: nothing due any more)."""
        current = self._deadline.setdefault(partition, {})
        if deadline is None:
            current.pop(key, None)
            return
        at = deadline.timestamp() if isinstance(deadline, datetime) else float(deadline)
        if current.get(key) == at:
            return
        current[key] = at
        heap = self._heap.setdefault(partition, [])
        heapq.heappush(heap, (at, key))
        if len(heap) > 2 * len(current) + 1024:  # superseded entries pile up: compact
            self._heap[partition] = [(t, k) for k, t in current.items()]
            heapq.heapify(self._heap[partition])

    def noted(self, partition: int, key: bytes) -> bool:
        """True when the patient has a deadline in the index."""
        return key in self._deadline.get(partition, {})

    def pop_due(self, partition: int, now: float) -> list[bytes]:
        """Keys whose deadline is at or before `now`; they leave the index until noted again."""
        heap = self._heap.get(partition, [])
        current = self._deadline.get(partition, {})
        due: list[bytes] = []
        while heap and heap[0][0] <= now:
            at, key = heapq.heappop(heap)
            if current.get(key) == at:  # else superseded by a later note
                del current[key]
                due.append(key)
        return due

    def next_at(self, partition: int) -> float | None:
        """The earliest live deadline in a partition."""
        heap = self._heap.get(partition, [])
        current = self._deadline.get(partition, {})
        while heap and current.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def clear(self) -> None:
        """Forget everything (before a rebuild)."""
        self._deadline.clear()
        self._heap.clear()
        self.generation = None

    def __len__(self) -> int:
        return sum(len(d) for d in self._deadline.values())


@dataclass(frozen=True, slots=True)
class Digest:
    """What the deadline index and the census read of one stored value."""

    raw: bytes  # the stored value it was read from: the table's value object is its version
    deadline: datetime | None
    episodes: tuple[OpenEpisode, ...]  # the open episodes, as the census counts them


class Digests:
    """Each stored patient's digest, kept while the table holds the same value object.

    A full decode costs about 64 us; with 100 000 patients the index rebuild after a recovery
    and every census (each 15 s) decoded them all again, and the census held them at once
    (13 KB decoded against 1.8 KB of JSON). Now a value is read once, when first seen, and only
    for what the digest holds (`models.state_digest`, about 17 us), or never: the pathway agent
    notes the digest of each state it writes, which it holds decoded. The agent and the
    changelog recovery each store a new value object, so a changed patient is read again and an
    unchanged one never.
    """

    def __init__(self) -> None:
        self._by_key: dict[bytes, Digest] = {}

    def of(self, key: bytes, raw: bytes) -> Digest:
        """The digest of the value `raw` stored under `key`."""
        known = self._by_key.get(key)
        if known is not None and known.raw is raw:
            return known
        stored = read_digest(raw)
        view: StateView = stored
        if stored.needs_full_decode():  # an old state whose breach the decode makes a watch
            view = PatientState.model_validate_json(raw)
        digest = Digest(raw, next_deadline(view), summarise(view))
        self._by_key[key] = digest
        return digest

    def note(self, key: bytes, raw: bytes, state: PatientState) -> Digest:
        """The digest of `state`, just stored as `raw` by its writer, who holds it decoded."""
        digest = Digest(raw, next_deadline(state), summarise(state))
        self._by_key[key] = digest
        return digest

    def keep_only(self, keys: set[bytes]) -> None:
        """Forget the patients no longer stored in the owned partitions."""
        for key in [k for k in self._by_key if k not in keys]:
            del self._by_key[key]

    def __len__(self) -> int:
        return len(self._by_key)


async def each_digest(
    table: StoredStates,
    digests: Digests,
    *,
    owned: Iterable[int],
    partitions: int,
    visit: Callable[[int, bytes, Digest], None],
) -> None:
    """Call `visit(partition, key, digest)` for every stored patient of the owned partitions.

    The patients table is read from its store directly, each key's partition as its changelog
    load recorded it: through Faust (a sensor per read) and with murmur2 in Python per key,
    100 000 patients took 1-2 s more.
    """
    wanted = set(owned)
    seen: set[bytes] = set()
    states: StoredStates = table
    loaded: Callable[[bytes], int | None] = _unknown_partition
    if isinstance(table, PatientTable):
        states, loaded = table.stored(), table.loaded_partition
    for position, key in enumerate(list(states.keys())):
        partition = loaded(key)
        if partition is None:
            partition = partition_for(key, partitions)
        if partition in wanted:
            raw = states.get(key)
            if raw:
                seen.add(key)
                visit(partition, key, digests.of(key, raw))
        if position % _REBUILD_SLICE == _REBUILD_SLICE - 1:
            await asyncio.sleep(0)
    digests.keep_only(seen)


def _unknown_partition(_key: bytes) -> int | None:
    return None


async def rebuild(
    index: DeadlineIndex,
    table: StoredStates,
    *,
    owned: Iterable[int],
    partitions: int,
    digests: Digests | None = None,
) -> int:
    """Re-index every stored patient of the owned partitions; return how many have a deadline.

    Cleared first and noted key by key from the value stored now: a state the agent writes
    while this yields is either read here or noted by the agent after this read it.
    """
    index.clear()

    def note(partition: int, key: bytes, digest: Digest) -> None:
        index.note(partition, key, digest.deadline)

    await each_digest(table, digests or Digests(), owned=owned, partitions=partitions, visit=note)
    return len(index)


class PatientTable:
    """The Faust table, written to an explicit partition (a batch has no single current event)."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._unacknowledged: list[asyncio.Future[Any]] = []

    def get(self, key: bytes) -> bytes | None:
        return self.table.get(key)  # type: ignore[no-any-return]

    def keys(self) -> Iterable[bytes]:
        return self.table.keys()  # type: ignore[no-any-return]

    def stored(self) -> StoredStates:
        """The stored values themselves, read without Faust's per-read table sensor."""
        store = self.table.data
        return store.data if isinstance(store, LoadedStore) else store

    def loaded_partition(self, key: bytes) -> int | None:
        """The partition a changelog load found this key in (None: not loaded)."""
        store = self.table.data
        return store.loaded_partition(key) if isinstance(store, LoadedStore) else None

    def put(self, partition: int | None, key: bytes, value: bytes) -> None:
        # What Table.__setitem__ does, with the partition of the event's own message.
        self._unacknowledged.append(self.table.send_changelog(partition, key, value))
        self.table.data[key] = value

    def acknowledged(self) -> Awaitable[None]:
        """Until the broker has acknowledged every changelog record put so far (and none put
        later: the agent folds its next batch on these states while this waits).

        Faust flushes its producer buffer before committing offsets, but that flush gives up
        after 0.1 s per message (faust-streaming 0.15.3 ProducerBuffer.flush_atmost): on a loaded
        machine an input offset was committed before the state it produced reached the
        changelog, and a crash then lost that state and every deadline in it.
        """
        pending, self._unacknowledged = self._unacknowledged, []
        return asyncio.ensure_future(_every(pending))


async def _every(pending: list[asyncio.Future[Any]]) -> None:
    await asyncio.gather(*pending)
