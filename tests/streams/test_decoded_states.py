"""The pathway's decoded states: used only for the very table value written, and bounded."""

from __future__ import annotations

from datetime import timedelta

from models.state import PatientState
from streams import pathway_batch, patient_store, topics
from streams.decoded_states import DecodedStates
from tests.streams.test_pathway_agent import (
    DEPS,
    SUSPECTED_AT,
    DictTable,
    RecordingSink,
    dose,
    inbound,
    metrics_of,
    nothing_sent,
    report,
    runtime,
)


def state(patient: str) -> PatientState:
    return PatientState(patient_id=patient)


def test_a_state_is_reused_only_for_the_value_object_it_was_written_as() -> None:
    cache = DecodedStates()
    written = patient_store.encode_state(state("MRN-1"))
    cache.put(b"MRN-1", written, state("MRN-1"))
    assert cache.get(b"MRN-1", written) == state("MRN-1")
    # An equal value put again by a recovery is another object: decoded afresh, never trusted.
    assert cache.get(b"MRN-1", bytes(bytearray(written))) is None
    assert cache.get(b"MRN-2", written) is None


def test_the_oldest_written_state_goes_past_the_capacity() -> None:
    cache = DecodedStates(capacity=2)
    values = {k: patient_store.encode_state(state(k.decode())) for k in (b"A", b"B", b"C")}
    cache.put(b"A", values[b"A"], state("A"))
    cache.put(b"B", values[b"B"], state("B"))
    cache.put(b"A", values[b"A"], state("A"))  # written again: now the newest
    cache.put(b"C", values[b"C"], state("C"))
    assert len(cache) == 2
    assert cache.get(b"B", values[b"B"]) is None
    assert cache.get(b"A", values[b"A"]) is not None
    assert cache.get(b"C", values[b"C"]) is not None


async def _fold_in_turn(
    *values: bytes, decoded: DecodedStates | None, table: DictTable
) -> RecordingSink:
    """Each value in a batch of its own, so each event reads the state the last one wrote."""
    sink = RecordingSink(table)
    rt = runtime(SUSPECTED_AT + timedelta(hours=3))
    for n, value in enumerate(values):
        await pathway_batch.process_batch(
            [inbound(value, offset=10 + n)],
            rt=rt,
            pathway=DEPS,
            table=table,
            outbox=sink,
            index=patient_store.DeadlineIndex(),
            sent=nothing_sent(),
            metrics=metrics_of(rt),
            decoded=decoded,
        )
    return sink


async def test_folding_on_kept_states_sends_and_writes_what_decoding_does() -> None:
    events = (report(), dose(), report(event_id="r-2", at=SUSPECTED_AT + timedelta(hours=1)))
    plain_table, kept_table = DictTable(), DictTable()
    plain = await _fold_in_turn(*events, decoded=None, table=plain_table)
    cache = DecodedStates()
    kept = await _fold_in_turn(*events, decoded=cache, table=kept_table)
    assert [(t, k, v) for t, k, v, _ in kept.sent] == [(t, k, v) for t, k, v, _ in plain.sent]
    assert kept_table.writes == plain_table.writes
    stored = kept_table[b"MRN-7"]
    assert cache.get(b"MRN-7", stored) == patient_store.decode_state(stored)


async def test_a_value_the_agent_did_not_write_is_decoded_not_taken_from_the_cache() -> None:
    table = DictTable()
    cache = DecodedStates()
    await _fold_in_turn(report(), decoded=cache, table=table)
    # A recovery (or another writer) puts a state without the episode under the same key.
    table[b"MRN-7"] = patient_store.encode_state(PatientState(patient_id="MRN-7"))
    sink = await _fold_in_turn(dose(), decoded=cache, table=table)
    # Folded on the table's value: no episode, so the dose meets no timer and pages no one.
    assert sink.on(topics.EPISODE_CHANGES) == []
    assert patient_store.decode_state(table[b"MRN-7"]).episodes == ()
