"""The clinical census as metrics: recomputed from this worker's recovered table partitions.

Every CENSUS_INTERVAL_SECONDS, on each pathway worker, the stored states of the partitions it
owns are folded by the pure `services.census` into per-facility gauges (open episodes, timers by
kind and state, unacknowledged critical pages and the oldest one's age). While a rebalance or a
changelog recovery runs the table is incomplete, so the census waits and the gauges keep their
last values; the first tick after recovery recomputes them from the new assignment. Also creates
every worker metric at start, so the first scrape already has each series at zero.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from datetime import datetime

import structlog
from prometheus_client import CollectorRegistry

from models.state import PatientState
from services.census import census
from services.config import Role
from services.metrics import ClinicalGauges
from streams.app import app, for_role, roles
from streams.bootstrap import get_runtime
from streams.patient_store import partition_for

log = structlog.get_logger(__name__)

CENSUS_INTERVAL_SECONDS = 15.0
_SLICE = 500  # states decoded between yields to the event loop (heartbeats, agents)

_gauges: dict[int, ClinicalGauges] = {}


def census_gauges(registry: CollectorRegistry) -> ClinicalGauges:
    """The census gauges on `registry`, created once per registry (known facilities at 0)."""
    if id(registry) not in _gauges:
        facility = get_runtime().metrics.facility
        _gauges[id(registry)] = ClinicalGauges.create(registry, facility=facility)
    return _gauges[id(registry)]


def owned_states(
    table: Mapping[bytes, bytes], *, owned: frozenset[int], partitions: int
) -> Iterator[PatientState]:
    """The stored states of the owned partitions."""
    for key in list(table.keys()):
        if partition_for(key, partitions) in owned:
            raw = table.get(key)
            if raw:
                yield PatientState.model_validate_json(raw)


async def recompute(
    table: Mapping[bytes, bytes],
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


@app.task  # type: ignore[untyped-decorator]  # faust is untyped
async def create_worker_metrics() -> None:
    """At start: every metric this worker's roles export exists before its first event."""
    registry = get_runtime().registry
    if Role.PATHWAY in roles:
        from streams.agents.timers import timer_metrics
        from streams.pathway_batch import pathway_metrics

        pathway_metrics(registry)
        # Until its first tick finds the partitions recovered, the deadline scan waits: so
        # says the gauge from the first scrape, and a heartbeat never stamped is not "stalled".
        timer_metrics(registry).waiting.set(1)
        census_gauges(registry)
    if Role.SINK in roles:
        from streams.agents.sink import sink_metrics

        sink_metrics(registry)


@for_role(Role.PATHWAY, app.timer(CENSUS_INTERVAL_SECONDS))
async def census_tick() -> None:
    """Recompute the census once the table partitions are recovered; never raises."""
    from streams.agents.timers import owned_partitions
    from streams.tables import patients

    owned = owned_partitions()
    if owned is None:
        return
    try:
        await recompute(
            patients,
            owned=owned,
            partitions=app.conf.topic_partitions,
            gauges=census_gauges(get_runtime().registry),
            now=get_runtime().clock.now(),
        )
    except Exception as exc:  # a failed census must not stop the worker; the next tick retries
        log.error("census.failed", error=type(exc).__name__)
