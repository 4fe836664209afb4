"""The pathway's pipeline: batch N+1 folds while batch N is acknowledged, within at-least-once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import timedelta

from streams import patient_store, topics
from streams.messages import Message
from streams.pathway_pipeline import Pipeline
from tests.streams.test_pathway_agent import (
    DEPS,
    SUSPECTED_AT,
    DictTable,
    dose,
    inbound,
    metrics_of,
    nothing_sent,
    report,
    runtime,
)


class GatedOutbox:
    """An outbox whose sends are acknowledged only when the test says so (one gate per send)."""

    def __init__(self, table: DictTable, *, refuse: int | None = None) -> None:
        self.table = table
        self.refuse = refuse  # the number of the send the broker refuses, never acknowledges
        self.gates: list[asyncio.Event] = []
        self.sent: list[tuple[int, Message, bytes | None]] = []  # send no, record, table then

    async def send(self, messages: Sequence[Message]) -> None:
        number = len(self.gates)
        gate = asyncio.Event()
        self.gates.append(gate)
        self.sent += [(number, m, self.table.get(m[1] or b"")) for m in messages]
        if number == self.refuse:
            raise RuntimeError("broker refused")
        await gate.wait()

    def release(self, number: int) -> None:
        self.gates[number].set()

    def topics_of(self, number: int) -> list[str]:
        return [m[0] for n, m, _ in self.sent if n == number]


class AckedTable(DictTable):
    """A patients table whose changelog acknowledgement the test releases."""

    def __init__(self) -> None:
        super().__init__()
        self.changelog = asyncio.Event()

    async def acknowledged(self) -> None:
        await self.changelog.wait()
        self.acknowledgements += 1


def pipeline(table: DictTable, outbox: GatedOutbox) -> Pipeline:
    rt = runtime(SUSPECTED_AT + timedelta(hours=3))
    return Pipeline(
        rt=rt,
        pathway=DEPS,
        table=table,  # type: ignore[arg-type]
        outbox=outbox,
        index=patient_store.DeadlineIndex(),
        sent=nothing_sent(),
        metrics=metrics_of(rt),
    )


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_next_batch_folds_on_the_pending_states_and_acks_wait_for_the_changelog() -> None:
    table = AckedTable()
    outbox = GatedOutbox(table)
    pipe = pipeline(table, outbox)
    acked: list[str] = []

    def ack(name: str):  # type: ignore[no-untyped-def]
        async def done() -> None:
            acked.append(name)

        return done

    await pipe.submit([inbound(report())], ack("report"))
    await settle()
    assert b"MRN-7" not in table  # its outputs are not acknowledged yet
    submitting = asyncio.ensure_future(pipe.submit([inbound(dose())], ack("dose")))
    await settle()
    assert not submitting.done()  # folded, but its outputs wait for the report's
    assert len(outbox.gates) == 1
    outbox.release(0)
    await asyncio.wait_for(submitting, 1)
    await settle()
    # The report's state is written once its outputs are acknowledged; the dose's outputs went
    # out after that, and the dose was folded on the report's state (its timer is met below).
    assert topics.ALERTS in outbox.topics_of(0)
    assert topics.EPISODE_CHANGES in outbox.topics_of(1)
    assert all(before is None for n, _, before in outbox.sent if n == 0)
    timers = {
        t["kind"]: t.get("status", "pending")
        for t in json.loads(table[b"MRN-7"])["episodes"][0]["timers"]
    }
    assert timers["steroids"] == "pending"  # the dose's state waits for its outputs
    assert acked == []  # the changelog has not acknowledged the report's state
    outbox.release(1)
    await settle()
    timers = {
        t["kind"]: t.get("status", "pending")
        for t in json.loads(table[b"MRN-7"])["episodes"][0]["timers"]
    }
    assert timers["steroids"] == "met"
    assert acked == []
    table.changelog.set()
    await asyncio.wait_for(pipe.drain(), 1)
    assert acked == ["report", "dose"]  # in order, each after its states were acknowledged


async def test_a_parked_batch_makes_the_next_fold_again_without_its_states() -> None:
    table = AckedTable()
    table.changelog.set()
    outbox = GatedOutbox(table, refuse=0)  # the report's outputs are refused
    pipe = pipeline(table, outbox)
    acked: list[str] = []

    def ack(name: str):  # type: ignore[no-untyped-def]
        async def done() -> None:
            acked.append(name)

        return done

    await pipe.submit([inbound(report())], ack("report"))
    submitting = asyncio.ensure_future(pipe.submit([inbound(dose())], ack("dose")))
    await settle()
    assert outbox.topics_of(1) == [topics.DEAD_LETTERS]  # the report is parked
    outbox.release(1)
    await asyncio.wait_for(submitting, 1)
    await settle()
    # The dose was folded again against the table: no episode, so nothing to meet or alert.
    assert len(outbox.gates) == 2
    await asyncio.wait_for(pipe.drain(), 1)
    state = json.loads(table[b"MRN-7"])
    assert state.get("episodes", []) == []
    assert acked == ["report", "dose"]  # the parked report is acked: it is on the dead letters


def test_decoded_states_answer_only_for_the_value_they_saw_written() -> None:
    table = DictTable()
    decoded = patient_store.DecodedStates(limit=2)
    state = patient_store.decode_state(b'{"patient_id": "MRN-7"}')
    assert state is not None
    raw = patient_store.encode_state(state)
    table.put(0, b"MRN-7", raw)
    decoded.put(b"MRN-7", raw, state)
    assert decoded.get(b"MRN-7", table[b"MRN-7"]) is state
    table[b"MRN-7"] = bytes(bytearray(raw))  # the same bytes, put again (a recovery): decode
    assert decoded.get(b"MRN-7", table[b"MRN-7"]) is None
    decoded.put(b"A", raw, state)
    decoded.put(b"B", raw, state)  # over the limit: the oldest goes
    assert decoded.get(b"MRN-7", raw) is None
    assert decoded.get(b"B", raw) is state


async def test_a_stored_batch_is_read_back_from_the_table_not_from_the_pipeline() -> None:
    # Once a batch is stored the table is the truth: after a rebalance it may hold a state
    # recovered from the changelog that another worker wrote since.
    table = AckedTable()
    table.changelog.set()
    outbox = GatedOutbox(table)
    pipe = pipeline(table, outbox)

    async def done() -> None:
        return None

    await pipe.submit([inbound(report())], done)
    await settle()
    outbox.release(0)
    await settle()
    assert json.loads(table[b"MRN-7"])["episodes"]
    table[b"MRN-7"] = b'{"patient_id": "MRN-7"}'  # recovered: no episode any more
    await pipe.submit([inbound(dose())], done)
    for gate in outbox.gates:
        gate.set()
    await asyncio.wait_for(pipe.drain(), 1)
    assert json.loads(table[b"MRN-7"]).get("episodes", []) == []
