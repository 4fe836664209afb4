"""Any arrival order of one patient's events yields the same final episodes and timer outcomes."""

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.events import PatientEvent
from models.state import PatientState

from .helpers import T0, H, M, ack, adt, consult, med, report, step

END = T0 + 200 * H  # every deadline and escalation of the generated events has passed


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


minutes = st.integers(min_value=-60 * 60, max_value=60 * 60)


@st.composite
def patient_events(draw: st.DrawFn) -> list[PatientEvent]:
    events: list[PatientEvent] = []
    # Studies: each has one verdict across its versions (preliminary, then final/amended).
    for n in range(draw(st.integers(1, 3))):
        verdict = draw(st.sampled_from(["SUSPECT grade=2", "SUSPECT", "EXCLUDE", "NORMAL"]))
        start = draw(minutes)
        versions = draw(st.sampled_from([["final"], ["preliminary", "final"], ["amended"]]))
        for k, status in enumerate(versions):
            events.append(
                report(f"r{n}{k}", _at(start + 30 * k), verdict, accession=f"A{n}", status=status)
            )
    # Source records with one to three events each (completed, corrections, cancellations).
    for n in range(draw(st.integers(0, 3))):
        statuses = draw(
            st.lists(
                st.sampled_from(["completed", "not-done", "entered-in-error"]),
                min_size=1,
                max_size=3,
            )
        )
        name = draw(st.sampled_from(["dexamethasone 16mg", "Decadron", "paracetamol"]))
        for k, status in enumerate(statuses):
            at = _at(draw(minutes))
            events.append(med(f"m{n}{k}", at, admin_id=f"ADM{n}", name=name, status=status))
    for n in range(draw(st.integers(0, 2))):
        kinds = draw(
            st.lists(
                st.sampled_from(["consult_requested", "consult_completed", "consult_cancelled"]),
                min_size=1,
                max_size=3,
            )
        )
        service = draw(st.sampled_from(["Neurosurgery", "Radiation oncology"]))
        for k, kind in enumerate(kinds):
            at = _at(draw(minutes))
            events.append(consult(f"c{n}{k}", at, consult_id=f"CON{n}", kind=kind, service=service))
    if draw(st.booleans()):
        events.append(adt("d1", _at(draw(minutes)), draw(st.sampled_from(["discharge", "death"]))))
    return events


def _run(events: list[PatientEvent]) -> PatientState:
    state: PatientState | None = None
    clock = T0 - 100 * H
    for event in events:
        clock = max(clock, event.occurred_at)  # the replay rule: never backwards
        state, _ = step(state, event, clock)
    state, _ = step(state, ack("tick", END, "no-such-alert"), END)
    return state


def _outcome(state: PatientState) -> list[tuple[object, ...]]:
    return [
        (
            e.episode_id,
            e.status,
            e.suspected_at,
            e.closed_at,
            e.close_reason,
            tuple(
                (t.kind, t.status, t.due_at, t.met_at, t.met_by, t.cancel_reason) for t in e.timers
            ),
        )
        for e in state.episodes
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_permutation_gives_the_same_final_outcomes(data: st.DataObject) -> None:
    events = data.draw(patient_events())
    shuffled = data.draw(st.permutations(events))
    assert _outcome(_run(shuffled)) == _outcome(_run(events))


def test_late_arrival_example_matches_in_order_arrival() -> None:
    in_order = [report("r1", T0), med("m1", T0 + 2 * H), consult("c1", T0 + 30 * M)]
    reversed_ = list(reversed(in_order))
    assert _outcome(_run(reversed_)) == _outcome(_run(in_order))
    assert {t.status for t in _run(in_order).episodes[0].timers} == {"met"}
