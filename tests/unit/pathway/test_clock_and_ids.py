"""Issue 11, findings 2, 3 and 6: a sender's clock, impossible timestamps, colliding event ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from models.outputs import AlertType, EpisodeChanged, TimerKind
from services.ingest import Accepted, Rejected, parse
from services.pathway import handle
from services.pathway.intake import intake

from .helpers import POLICY, T0, H, M, adt, alerts, fake_detect, med, report, step

ARRIVAL = T0


def test_a_report_dated_a_year_ahead_is_clocked_at_arrival() -> None:
    ahead = report("r1", T0 + timedelta(days=365))
    state, out = handle(None, ahead, ARRIVAL, policy=POLICY, detector=fake_detect)
    episode = state.episodes[0]
    assert episode.suspected_at == ARRIVAL
    assert {t.due_at for t in episode.timers} == {ARRIVAL + 24 * H}
    fact = state.context.reports[0]
    assert (fact.occurred_at, fact.reported_at) == (ARRIVAL, T0 + timedelta(days=365))
    assert [o.episode.suspected_at for o in out if isinstance(o, EpisodeChanged)] == [ARRIVAL]


def test_a_clock_three_hours_fast_does_not_move_the_deadlines() -> None:
    state, _ = step(None, report("r1", T0 + 3 * H), ARRIVAL)
    assert state.episodes[0].timer(TimerKind.STEROIDS).due_at == ARRIVAL + 24 * H  # type: ignore[union-attr]
    # The breach pages at the real deadline, not three hours later.
    state, out = step(state, adt("tick", T0 + 24 * H, "transfer"), T0 + 24 * H)
    assert len(alerts(out, AlertType.TIMER_BREACHED)) == 2


def test_within_the_tolerance_the_reported_time_stands() -> None:
    state, _ = step(None, report("r1", T0 + 4 * M), ARRIVAL)
    assert state.episodes[0].suspected_at == T0 + 4 * M
    assert state.context.reports[0].reported_at is None


def test_a_clamped_dose_cannot_be_recorded_in_the_future() -> None:
    state, _ = step(None, report("r1", T0), T0)
    state, _ = step(state, med("m1", T0 + 30 * H), T0 + H)  # sender clock a day fast
    timer = state.episodes[0].timer(TimerKind.STEROIDS)
    assert timer is not None
    assert timer.met_at == T0 + H
    record = state.context.care["medication:ADM1"]
    assert record.reported_at == T0 + 30 * H


def test_intake_counts_the_clamp() -> None:
    seen = intake(None, report("r1", T0 + H), arrival=T0, policy=POLICY)
    assert (seen.clamped, seen.clinical_at, seen.reported_at) == (True, T0, T0 + H)
    assert not intake(None, report("r1", T0), arrival=T0, policy=POLICY).clamped


def _raw(occurred_at: str, **extra: object) -> bytes:
    body = {"event_id": "e1", "event_type": "admit", "patient_id": "P1", "occurred_at": occurred_at}
    return json.dumps({**body, **extra}).encode()


def test_ingest_refuses_timestamps_outside_the_sane_range() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    for stamp in ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59-05:00", "0001-01-02T00:00:00Z"):
        result = parse(topic="hospital.adt", key=None, raw=_raw(stamp), received_at=now)
        assert isinstance(result, Rejected), stamp
        assert result.reason_code == "bad_timestamp", stamp
    dx = [{"code": "C61", "system": "ICD-10", "onset": "0001-01-01"}]
    onset = _raw("2026-03-01T00:00:00Z", diagnoses=dx)
    refused = parse(topic="hospital.adt", key=None, raw=onset, received_at=now)
    assert isinstance(refused, Rejected)
    assert refused.reason_code == "bad_timestamp"
    # A skewed clock is not a broken field: a day ahead is accepted and clamped downstream.
    ahead = parse(topic="hospital.adt", key=None, raw=_raw("2026-03-03T00:00:00Z"), received_at=now)
    assert isinstance(ahead, Accepted)


def test_an_ancient_report_does_not_poison_the_patient() -> None:
    ancient = report("r0", datetime(1, 1, 2, tzinfo=UTC))
    state, _ = step(None, ancient, T0)
    state, _ = step(state, report("r1", T0), T0)
    state, _out = step(state, med("m1", T0 + H), T0 + H)
    # The care event is folded, not dead-lettered: the steroid timer records it.
    assert [t.met_at for e in state.episodes for t in e.timers if t.kind == "steroids"] == [T0 + H]
    assert state.episodes[0].suspected_at == POLICY.clinical_time.earliest


def test_the_same_id_from_another_system_is_another_event() -> None:
    state, _ = step(None, adt("1", T0 - H, "admit"), T0 - H)
    state, out = step(state, report("1", T0), T0)
    assert len(state.episodes) == 1
    assert len(alerts(out, AlertType.MESCC_SUSPECTED)) == 1
    assert intake(state, report("1", T0), arrival=T0, policy=POLICY).redelivered


def test_a_redelivery_is_the_same_id_and_the_same_content() -> None:
    state, _ = step(None, report("r1", T0), T0)
    again, out = step(state, report("r1", T0), T0 + M)
    assert (again, out) == (state, [])
    seen = intake(state, report("r1", T0, "NORMAL"), arrival=T0, policy=POLICY)
    assert (seen.redelivered, seen.id_reused) == (False, True)
    assert seen.fact_id != "r1"


def test_remembered_events_carry_no_event_id_text() -> None:
    state, _ = step(None, report("MRN-0042-report", T0), T0)
    assert all("MRN" not in key for key in state.recent_event_ids)
