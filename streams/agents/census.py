"""The clinical census as metrics: recomputed from this worker's recovered table partitions.

Every CENSUS_INTERVAL_SECONDS, on each pathway worker, the stored states of the partitions it
owns are folded by the pure `services.census` into per-facility gauges (open episodes, timers by
kind and state, unacknowledged critical pages and the oldest one's age). While a rebalance or a
changelog recovery runs the table is incomplete, so the census waits and the gauges keep their
last values; the first tick after recovery recomputes them from the new assignment.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import structlog
from faust.types import AppT

from services.census import OpenEpisode, census_of, summarise
from services.metrics import ClinicalGauges
from streams.agents.deadline_scan import owned_partitions
from streams.bootstrap import Runtime
from streams.patient_store import StoredStates, decode_view, partition_for

log = structlog.get_logger(__name__)

CENSUS_INTERVAL_SECONDS = 15.0
_SLICE = 500  # patients read between yields to the event loop (heartbeats, agents)


class Summaries:
    """Each stored patient's census summary, kept while the table holds the same value.

    A census every 15 s decoded all 100 000 stored states again (a third of a core, and the
    decoded states held at once); now only a value the table does not hold from the last census
    is read, and only as its view. The table's value object itself is the version: the agent and
    the changelog recovery each put a new one.
    """

    def __init__(self) -> None:
        self._by_key: dict[bytes, tuple[bytes, tuple[OpenEpisode, ...]]] = {}

    def of(self, key: bytes, raw: bytes) -> tuple[OpenEpisode, ...]:
        """The summary of the value `raw` stored under `key`."""
        known = self._by_key.get(key)
        if known is not None and known[0] is raw:
            return known[1]
        summary = summarise(decode_view(raw))
        self._by_key[key] = (raw, summary)
        return summary

    def keep_only(self, keys: set[bytes]) -> None:
        """Forget the patients not stored in the owned partitions any more."""
        for key in [k for k in self._by_key if k not in keys]:
            del self._by_key[key]


async def owned_summaries(
    table: StoredStates, summaries: Summaries, *, owned: frozenset[int], partitions: int
) -> list[tuple[OpenEpisode, ...]]:
    """The census summaries of the stored patients of the owned partitions."""
    out: list[tuple[OpenEpisode, ...]] = []
    seen: set[bytes] = set()
    for position, (key, raw) in enumerate(list(table.items())):
        if raw and partition_for(key, partitions) in owned:
            seen.add(key)
            out.append(summaries.of(key, raw))
        if position % _SLICE == _SLICE - 1:
            await asyncio.sleep(0)
    summaries.keep_only(seen)
    return out


async def recompute(
    table: StoredStates,
    *,
    owned: frozenset[int],
    partitions: int,
    gauges: ClinicalGauges,
    now: datetime,
    summaries: Summaries | None = None,
) -> None:
    """One census of the owned partitions at `now`, published to the gauges."""
    patients = await owned_summaries(
        table, summaries or Summaries(), owned=owned, partitions=partitions
    )
    gauges.publish(census_of(patients, now=now), at=time.time())


def register(app: AppT, rt: Runtime) -> None:
    """The census tick on a pathway worker's `app`; its gauges exist from the first scrape."""
    gauges = ClinicalGauges.create(rt.registry, facility=rt.metrics.facility)
    table = rt.patient_store()
    summaries = Summaries()

    @app.timer(CENSUS_INTERVAL_SECONDS)
    async def census_tick() -> None:
        """Recompute the census once the table partitions are recovered; never raises."""
        owned = owned_partitions(app)
        # After a recovery the deadline index is rebuilt first: it decides when pages go out,
        # the census only what the dashboard shows, and both read every stored patient.
        if owned is None or rt.deadlines.generation is None:
            return
        try:
            await recompute(
                table,
                owned=owned,
                partitions=app.conf.topic_partitions,
                gauges=gauges,
                now=rt.clock.now(),
                summaries=summaries,
            )
        except Exception as exc:  # a failed census must not stop the worker; the next tick retries
            log.error("census.failed", error=type(exc).__name__)
