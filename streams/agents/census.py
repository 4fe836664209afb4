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
from collections.abc import Iterator
from datetime import datetime

import structlog
from faust.types import AppT

from models.state import PatientState
from services.census import census
from services.metrics import ClinicalGauges
from streams.agents.deadline_scan import owned_partitions
from streams.bootstrap import Runtime
from streams.patient_store import StoredStates, partition_for

log = structlog.get_logger(__name__)

CENSUS_INTERVAL_SECONDS = 15.0
_SLICE = 500  # states decoded between yields to the event loop (heartbeats, agents)


def owned_states(
    table: StoredStates, *, owned: frozenset[int], partitions: int
) -> Iterator[PatientState]:
    """The stored states of the owned partitions."""
    for key in list(table.keys()):
        if partition_for(key, partitions) in owned:
            raw = table.get(key)
            if raw:
                yield PatientState.model_validate_json(raw)


async def recompute(
    table: StoredStates,
    *,
    owned: frozenset[int],
    partitions: int,
    gauges: ClinicalGauges,
    now: datetime,
) -> None:
    """One census of the owned partitions at `now`, published to the gauges."""
    states: list[PatientState] = []
    for position, state in enumerate(owned_states(table, owned=owned, partitions=partitions)):
        states.append(state)
        if position % _SLICE == _SLICE - 1:
            await asyncio.sleep(0)
    gauges.publish(census(states, now=now), at=time.time())


def register(app: AppT, rt: Runtime) -> None:
    """The census tick on a pathway worker's `app`; its gauges exist from the first scrape."""
    gauges = ClinicalGauges.create(rt.registry, facility=rt.metrics.facility)
    table = rt.patient_store()

    @app.timer(CENSUS_INTERVAL_SECONDS)
    async def census_tick() -> None:
        """Recompute the census once the table partitions are recovered; never raises."""
        owned = owned_partitions(app)
        if owned is None:
            return
        try:
            await recompute(
                table,
                owned=owned,
                partitions=app.conf.topic_partitions,
                gauges=gauges,
                now=rt.clock.now(),
            )
        except Exception as exc:  # a failed census must not stop the worker; the next tick retries
            log.error("census.failed", error=type(exc).__name__)
