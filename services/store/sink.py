"""The sink's core, without Kafka: decode a batch, write it until the database commits it.

The agent (streams/agents/sink.py) acknowledges a batch only after ``write_batch`` returns, so
Kafka offsets are committed only after the database commit: a crash or an outage re-delivers
the batch, and the versioned upserts make the second write a no-op (nothing lost, nothing
written twice). While the database is down the agent stays inside ``write_batch`` (the consumer
stops taking messages, so Faust pauses the partitions) and ``SinkHealth`` says why for /ready.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from models.outputs import Alert, EpisodeChange
from services.store.store import ApplyResult, StoreError, StoreUnavailableError

_record: TypeAdapter[Any] = TypeAdapter(Alert | EpisodeChange)


class BatchStore(Protocol):
    """What the sink needs of the store."""

    async def apply_async(
        self, *, changes: Sequence[EpisodeChange] = (), alerts: Sequence[Alert] = ()
    ) -> ApplyResult: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential retry delays: first, first x factor, ... capped."""

    first: float = 0.5
    factor: float = 2.0
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return min(self.cap, self.first * self.factor ** max(0, attempt - 1))


DEFAULT_BACKOFF = Backoff()


@dataclass
class SinkHealth:
    """Whether the sink is writing, and if not since when and why (no data in the reason)."""

    ok: bool = True
    reason: str | None = None
    since: datetime | None = None
    retries: int = 0
    written: int = 0
    dropped: int = 0

    def failing(self, reason: str, *, now: datetime) -> None:
        """Record a failed attempt; ``since`` keeps the start of the outage."""
        if self.ok:
            self.since = now
        self.ok, self.reason = False, reason
        self.retries += 1

    def committed(self, result: ApplyResult) -> None:
        """Record a committed batch; the sink is healthy again."""
        self.ok, self.reason, self.since = True, None, None
        self.written += result.written
        self.dropped += result.dropped

    def report(self) -> dict[str, Any]:
        """The /ready fragment."""
        return {
            "sink_ok": self.ok,
            "sink_reason": self.reason,
            "sink_failing_since": self.since.isoformat() if self.since else None,
            "sink_retries": self.retries,
        }


@dataclass(frozen=True)
class Decoded:
    """A batch split into what the store takes and what must be parked (index, reason)."""

    changes: list[EpisodeChange] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    rejects: list[tuple[int, str]] = field(default_factory=list)
    # Message position of each change, then of each alert (``write_batch``'s record order).
    positions: list[int] = field(default_factory=list)

    def message_index(self, record: int) -> int:
        """The message position of record number ``record`` (changes first, then alerts)."""
        return self.positions[record]


def decode(values: Sequence[bytes]) -> Decoded:
    """Parse each message as an alert or an episode change; keep the index of the rest."""
    out = Decoded()
    alert_positions: list[int] = []
    for i, raw in enumerate(values):
        try:
            record = _record.validate_json(raw)
        except ValidationError as exc:
            # Field locations only: the values may be PHI.
            where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors()[:3] if e["loc"])
            out.rejects.append((i, f"not an alert or episode change ({where or 'invalid JSON'})"))
            continue
        if isinstance(record, Alert):
            out.alerts.append(record)
            alert_positions.append(i)
        else:
            out.changes.append(record)
            out.positions.append(i)
    out.positions.extend(alert_positions)
    return out


async def write_batch(
    decoded: Decoded,
    *,
    store: BatchStore,
    health: SinkHealth,
    now: Callable[[], datetime],
    backoff: Backoff = DEFAULT_BACKOFF,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[ApplyResult, list[int]]:
    """Write the batch in one transaction, retrying while the database is unavailable.

    Returns the result and the positions (in ``changes`` then ``alerts``) of records the
    database refused on their own (a data error): those are for the dead-letter topic. Never
    returns before every other record is committed.
    """
    try:
        result = await _until_committed(
            store, decoded.changes, decoded.alerts, health=health, now=now, backoff=backoff,
            sleep=sleep,
        )  # fmt: skip
        return result, []
    except StoreError:
        pass
    # One record the database refuses must not block the partition: write one at a time.
    total = ApplyResult(0, 0)
    refused: list[int] = []
    records: list[EpisodeChange | Alert] = [*decoded.changes, *decoded.alerts]
    for i, record in enumerate(records):
        one = ([], [record]) if isinstance(record, Alert) else ([record], [])
        try:
            total += await _until_committed(
                store, one[0], one[1], health=health, now=now, backoff=backoff, sleep=sleep
            )
        except StoreError:
            refused.append(i)
    return total, refused


async def _until_committed(
    store: BatchStore,
    changes: Sequence[EpisodeChange],
    alerts: Sequence[Alert],
    *,
    health: SinkHealth,
    now: Callable[[], datetime],
    backoff: Backoff,
    sleep: Callable[[float], Awaitable[None]],
) -> ApplyResult:
    attempt = 0
    while True:
        try:
            result = await store.apply_async(changes=changes, alerts=alerts)
        except StoreUnavailableError as exc:
            attempt += 1
            health.failing(f"database unavailable: {exc}", now=now())
            await sleep(backoff.delay(attempt))
            continue
        health.committed(result)
        return result
