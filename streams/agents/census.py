"""The clinical census as metrics: recomputed from this worker's recovered table partitions.

Every CENSUS_INTERVAL_SECONDS, on each pathway worker, the stored states of the partitions it
owns are folded by the pure `services.census` into per-facility gauges (open episodes, timers by
kind and state, unacknowledged critical pages and the oldest one's age). While a rebalance or a
changelog recovery runs the table is incomplete, so the census waits and the gauges keep their
last values; the first tick after recovery recomputes them from the new assignment.
"""

from __future__ import annotations

import time
from datetime import datetime

import structlog
from faust.types import AppT

from services.census import OpenEpisode, census_of
from services.metrics import ClinicalGauges
from streams.agents.deadline_scan import owned_partitions
from streams.bootstrap import Runtime
from streams.patient_store import Digest, Digests, StoredStates, each_digest

log = structlog.get_logger(__name__)

CENSUS_INTERVAL_SECONDS = 15.0


async def recompute(
    table: StoredStates,
    *,
    owned: frozenset[int],
    partitions: int,
    gauges: ClinicalGauges,
    now: datetime,
    digests: Digests | None = None,
) -> None:
    """One census of the owned partitions at `now`, published to the gauges.

    From each patient's digest (decoded only when its stored value changed), so a census holds
    no decoded state and reads 100 000 unchanged patients in a fraction of a second.
    """
    patients: list[tuple[OpenEpisode, ...]] = []

    def count(_partition: int, _key: bytes, digest: Digest) -> None:
        if digest.episodes:
            patients.append(digest.episodes)

    await each_digest(table, digests or Digests(), owned=owned, partitions=partitions, visit=count)
    gauges.publish(census_of(patients, now=now), at=time.time())


def register(app: AppT, rt: Runtime) -> None:
    """The census tick on a pathway worker's `app`; its gauges exist from the first scrape."""
    gauges = ClinicalGauges.create(rt.registry, facility=rt.metrics.facility)
    table = rt.patient_store()

    @app.timer(CENSUS_INTERVAL_SECONDS)
    async def census_tick() -> None:
        """Recompute the census once the table partitions are recovered; never raises."""
        owned = owned_partitions(app)
        if owned is None or rt.deadlines.generation is None:
            return  # the deadline index is rebuilt first: it decides when pages go out
        try:
            await recompute(
                table,
                owned=owned,
                partitions=app.conf.topic_partitions,
                gauges=gauges,
                now=rt.clock.now(),
                digests=rt.digests,
            )
        except Exception as exc:  # a failed census must not stop the worker; the next tick retries
            log.error("census.failed", error=type(exc).__name__)
