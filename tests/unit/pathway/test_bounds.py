"""Issue 11 finding 1 (a long stay), finding 3 (no accepted event makes handle raise) and the
state's bounds, driven by hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.events import PatientEvent
from models.outputs import AlertType, EpisodeStatus, TimerStatus
from models.state import (
    MAX_ASSESSMENTS,
    MAX_CARE_RECORDS,
    MAX_DIAGNOSES,
    MAX_EPISODES,
    MAX_RECENT_EVENT_IDS,
    MAX_REPORTS,
    MAX_UNMATCHED_REPORTS,
    PatientState,
)
from services.pathway import handle

from .helpers import (
    POLICY,
    T0,
    H,
    M,
    adt,
    alerts,
    assessment,
    consult,
    fake_detect,
    med,
    report,
    step,
)


def test_a_positive_mri_then_100_negative_radiographs_keeps_the_episode_open() -> None:
    state, out = step(None, report("mr", T0), T0)
    outputs = []
    for n in range(100):
        at = T0 + (n + 1) * 10 * M
        state, out = step(state, report(f"x{n}", at, "NORMAL", accession=f"XR{n}"), at)
        outputs.append(len(out))
    [episode] = state.episodes
    assert episode.status == EpisodeStatus.OPEN
    assert {t.status for t in episode.timers} == {TimerStatus.PENDING}
    assert max(outputs) <= 3  # the radiograph's detection, no re-emission of the episode
    assert len(state.context.reports) <= 1 + MAX_UNMATCHED_REPORTS


@pytest.mark.parametrize("every", [12 * H, 1 * H], ids=["twice-a-day", "hourly"])
def test_many_report_discharge_cycles_page_every_new_episode_once(every: timedelta) -> None:
    state: PatientState | None = None
    suspected = 0
    largest = 0
    for n in range(60):
        at = T0 + n * every
        state, out = step(state, report(f"r{n}", at, accession=f"MR{n}"), at)
        suspected += len(alerts(out, AlertType.MESCC_SUSPECTED))
        largest = max(largest, len(out))
        state, out = step(state, adt(f"d{n}", at + every / 6, "discharge"), at + every / 6)
        largest = max(largest, len(out))
    assert state is not None
    assert suspected == 60
    assert largest <= 12  # one episode's outputs, never every episode of the history
    # Twice a day: archived by age (nine days of closures stay live); hourly: by the count.
    assert len(state.episodes) <= MAX_EPISODES
    assert state.horizon is not None
    ordinals = [e.ordinal for e in state.episodes]
    assert ordinals == sorted(set(ordinals))
    assert ordinals[-1] == 60


def _six_closed_stays() -> PatientState | None:
    """Six stays twelve hours apart, each a positive report and a discharge two hours later."""
    state: PatientState | None = None
    for n in range(6):
        at = T0 + n * 12 * H
        state, _ = step(state, report(f"r{n}", at, accession=f"MR{n}"), at)
        state, _ = step(state, adt(f"d{n}", at + 2 * H, "discharge"), at + 2 * H)
    return state


def test_closed_episodes_stay_live_until_their_closure_is_history() -> None:
    state = _six_closed_stays()
    assert state is not None
    # Six closed stays within three days: a late event may still move any of them.
    assert state.horizon is None
    assert len(state.episodes) == 6
    late = report("late", T0 + H, "NORMAL", accession="MR0", status="amended")
    moved, _ = step(state, late, T0 + 80 * H)
    assert moved.episodes[0].close_reason == "withdrawn"


def test_archived_history_cannot_be_moved_by_a_late_report() -> None:
    state = _six_closed_stays()
    # Any event once the first four closures (2 h to 38 h) are older than history age + lookback.
    later = T0 + 40 * H + POLICY.history_age + POLICY.lookback_window
    state, _ = step(state, adt("t1", later, "transfer"), later)
    assert state.horizon == T0 + 38 * H
    assert len(state.episodes) == 2
    before = state.episodes
    late = report("late", T0 + H, "NORMAL", accession="MR0", status="amended")
    state, out = step(state, late, later + H)
    assert state.episodes == before
    assert not alerts(out)


ANY_TIME = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2027, 3, 1), timezones=st.just(UTC)
)
TEXTS = st.sampled_from(
    ["SUSPECT grade=2", "SUSPECT grade=3 levels=T1,T2,T3,T4,T5,L1 retro", "EXCLUDE", "NORMAL", ""]
)


@st.composite
def accepted_event(draw: st.DrawFn, n: int) -> PatientEvent:
    at = draw(ANY_TIME)
    kind = draw(st.sampled_from(["report", "med", "consult", "adt", "assessment"]))
    eid = draw(st.sampled_from([f"e{n}", "1", "shared"]))  # ids reused across systems
    match kind:
        case "report":
            status = draw(st.sampled_from(["preliminary", "final", "amended", "cancelled"]))
            text = draw(TEXTS) + " " + "x" * draw(st.sampled_from([0, 10, 5000]))
            return report(eid, at, text, accession=f"A{draw(st.integers(0, 3))}", status=status)
        case "med":
            status = draw(st.sampled_from(["completed", "not-done", "entered-in-error"]))
            return med(eid, at, admin_id=f"ADM{draw(st.integers(0, 3))}", status=status)
        case "consult":
            return consult(eid, at, consult_id=f"C{draw(st.integers(0, 2))}")
        case "adt":
            codes = [
                {"code": f"C{draw(st.integers(10, 99))}", "system": "ICD-10",
                 "onset": draw(st.dates(min_value=datetime(1900, 1, 2).date())).isoformat()}
                for _ in range(draw(st.integers(0, 3)))
            ]  # fmt: skip
            kind = draw(st.sampled_from(["admit", "transfer", "discharge", "death"]))
            return adt(eid, at, kind, diagnoses=codes or None)
        case _:
            onset = draw(ANY_TIME).isoformat()
            return assessment(eid, at, pain="mechanical", motor_deficit_onset=onset, ecog=2)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_accepted_event_of_any_date_or_size_makes_handle_raise(data: st.DataObject) -> None:
    state: PatientState | None = None
    clock = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(data.draw(st.integers(1, 40))):
        event = data.draw(accepted_event(n))
        # Arrival: what ingest accepts is from 1900 to 366 days after arrival.
        arrival = max(clock, event.occurred_at - timedelta(days=data.draw(st.integers(0, 366))))
        clock = arrival + timedelta(minutes=data.draw(st.integers(0, 600)))
        state, _ = handle(
            state, event, clock, policy=POLICY, detector=fake_detect, received_at=arrival
        )
        assert len(state.context.reports) <= MAX_REPORTS
        assert len(state.context.care) <= MAX_CARE_RECORDS
        assert len(state.context.assessments) <= MAX_ASSESSMENTS
        assert len(state.context.diagnoses) <= MAX_DIAGNOSES
        assert len(state.episodes) <= MAX_EPISODES
        assert len(state.recent_event_ids) <= MAX_RECENT_EVENT_IDS
        # Clinical time is never after arrival (beyond the tolerance): no deadline a year away.
        for episode in state.episodes:
            assert episode.suspected_at <= clock + POLICY.future_tolerance
