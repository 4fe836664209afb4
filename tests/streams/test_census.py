"""The census agent's fold: only this worker's partitions, recomputed from the stored states."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from models.outputs import EpisodeStatus
from services.metrics import ClinicalGauges, FacilityLabels
from streams.agents.census import recompute
from streams.patient_store import Digests, decode_state, encode_state, partition_for
from tests.unit.pathway.helpers import T0, H, report, step

PARTITIONS = 4


def _table(patients: int) -> dict[bytes, bytes]:
    table = {}
    for n in range(patients):
        event = report(f"r{n}", T0).model_copy(update={"patient_id": f"MRN-{n}"})
        state, _ = step(None, event, T0)
        table[state.patient_id.encode()] = encode_state(state)
    return table


async def test_recompute_counts_the_owned_partitions_and_follows_a_new_assignment() -> None:
    table = _table(12)
    by_partition: dict[int, int] = {}
    for key in table:
        p = partition_for(key, PARTITIONS)
        by_partition[p] = by_partition.get(p, 0) + 1
    registry = CollectorRegistry()
    gauges = ClinicalGauges.create(registry, facility=FacilityLabels(limit=8))
    value = registry.get_sample_value

    await recompute(
        table, owned=frozenset({0, 1}), partitions=PARTITIONS, gauges=gauges, now=T0 + H
    )
    owned = by_partition.get(0, 0) + by_partition.get(1, 0)
    assert 0 < owned < 12  # the keys spread over the partitions, so ownership matters
    assert value("cordwatch_open_episodes", {"facility": "RLH"}) == owned
    pending = {"facility": "RLH", "kind": "steroids", "state": "pending"}
    assert value("cordwatch_pending_timers", pending) == owned

    # After a rebalance this worker owns every partition: the next census counts them all.
    await recompute(
        table, owned=frozenset(range(PARTITIONS)), partitions=PARTITIONS, gauges=gauges, now=T0 + H
    )
    assert value("cordwatch_open_episodes", {"facility": "RLH"}) == 12
    # And none: every figure drops to 0, the series stay.
    await recompute(table, owned=frozenset(), partitions=PARTITIONS, gauges=gauges, now=T0 + H)
    assert value("cordwatch_open_episodes", {"facility": "RLH"}) == 0


async def test_a_census_decodes_only_the_values_that_changed_since_the_last() -> None:
    table = _table(3)
    digests = Digests()
    registry = CollectorRegistry()
    gauges = ClinicalGauges.create(registry, facility=FacilityLabels(limit=8))
    everything = frozenset(range(PARTITIONS))
    await recompute(
        table, owned=everything, partitions=PARTITIONS, gauges=gauges, now=T0, digests=digests
    )
    first = {key: digests.of(key, raw) for key, raw in table.items()}
    assert len(digests) == 3

    # The same value object: its digest is kept. A new one (the agent wrote) is read again,
    # even when it is equal; a patient whose episode closed drops out of the count.
    changed = next(iter(table))
    closed = decode_state(table[changed])
    assert closed is not None
    episodes = tuple(e.model_copy(update={"status": EpisodeStatus.CLOSED}) for e in closed.episodes)
    table[changed] = encode_state(closed.model_copy(update={"episodes": episodes}))
    await recompute(
        table, owned=everything, partitions=PARTITIONS, gauges=gauges, now=T0, digests=digests
    )
    for key, raw in table.items():
        assert (digests.of(key, raw) is first[key]) == (key != changed)
    assert registry.get_sample_value("cordwatch_open_episodes", {"facility": "RLH"}) == 2

    # Patients no longer owned are forgotten.
    await recompute(
        table, owned=frozenset(), partitions=PARTITIONS, gauges=gauges, now=T0, digests=digests
    )
    assert len(digests) == 0
