"""Escalation of every critical page by the policy's paging plan (services.pathway.paging): tier 2
after 15 minutes, tier 3 after 30 more, three 30-minute repeats; an acknowledgement of any of its
pages stops it; decided in event time, the same whether the scanner or a later event wakes it."""

from __future__ import annotations

from datetime import datetime

from models.outputs import Alert, AlertType, Output
from models.outputs import TimerKind as K
from models.state import Episode, PatientState
from services.pathway import due_timers, next_deadline

from .helpers import T0, H, M, ack, adt, alerts, med, report, step

CRITICAL = "SUSPECT grade=2 levels=T7,T8"  # high grade: a critical page
HIGH = "SUSPECT grade=1b levels=T7"  # suspected, not critical


def _episode(state: PatientState) -> Episode:
    return state.episodes[0]


def _tick(state: PatientState, at: datetime, n: int) -> tuple[PatientState, list[Output]]:
    """An event that changes nothing clinical, to move the reducer's clock to ``at``."""
    return step(state, report(f"tick-{n}", T0, "NORMAL", accession=f"X{n}"), at)


def _by_scanner(state: PatientState, until: datetime) -> tuple[PatientState, list[Alert]]:
    """Fire every due deadline as the timer service would, in time order, up to ``until``."""
    out: list[Alert] = []
    while (at := next_deadline(state)) is not None and at <= until:
        for due in due_timers(state, at):
            state, more = step(state, due, at)
            out += alerts(more)
    return state, out


def test_a_critical_suspicion_nobody_acknowledges_escalates_through_every_step() -> None:
    state, out = step(None, report("r1", T0, CRITICAL), T0)
    [first] = alerts(out, AlertType.MESCC_SUSPECTED)
    assert first.tier == 1
    assert next_deadline(state) == T0 + 15 * M
    state, pages = _by_scanner(state, T0 + 3 * H)
    ups = [a for a in pages if a.alert_type == AlertType.ESCALATION]
    assert [(a.at - T0, a.tier) for a in ups] == [
        (15 * M, 2),
        (45 * M, 3),
        (75 * M, 3),
        (105 * M, 3),
        (135 * M, 3),
    ]
    # Each names the page before it, so acknowledging any one of them is understood.
    assert [a.escalates_alert_id for a in ups] == [first.alert_id] + [a.alert_id for a in ups[:-1]]
    assert len({a.alert_id for a in ups}) == 5
    assert all(a.timer is None and not a.detected_late for a in ups)
    assert "tier 2" in ups[0].summary
    assert "MRN" not in ups[0].summary
    [watch] = [w for w in _episode(state).watches if w.key == "page:mescc_suspected"]
    assert (watch.stopped, watch.tier, watch.next_due_at) == ("exhausted", 3, None)


def test_a_suspicion_that_is_not_critical_does_not_escalate() -> None:
    state, out = step(None, report("r1", T0, HIGH), T0)
    assert alerts(out, AlertType.MESCC_SUSPECTED)
    assert _episode(state).watches == ()
    assert next_deadline(state) == T0 + 12 * H  # the first warning, not an escalation


def test_acknowledging_the_first_page_or_an_escalation_stops_the_next_step() -> None:
    state, _ = step(None, report("r1", T0, CRITICAL), T0)
    first = _episode(state).watches[0].alert_id
    acked, _ = step(state, ack("k1", T0 + 5 * M, first), T0 + 5 * M)
    assert _episode(acked).watches[0].stopped == "acknowledged"
    assert _episode(acked).watches[0].stopped_at == T0 + 5 * M
    assert next_deadline(acked) == T0 + 12 * H
    _, later = _by_scanner(acked, T0 + 3 * H)
    assert [a for a in later if a.alert_type == AlertType.ESCALATION] == []
    # The tier-2 page acknowledged: tier 3 never goes out; a control that is not acknowledged does.
    up, pages = _by_scanner(state, T0 + 15 * M)
    [tier2] = [a for a in pages if a.alert_type == AlertType.ESCALATION]
    stopped, _ = step(up, ack("k2", T0 + 20 * M, tier2.alert_id), T0 + 20 * M)
    _, after = _by_scanner(stopped, T0 + 50 * M)
    _, control = _by_scanner(up, T0 + 50 * M)
    assert [a.tier for a in after if a.alert_type == AlertType.ESCALATION] == []
    assert [a.tier for a in control if a.alert_type == AlertType.ESCALATION] == [3]


def test_an_unrelated_acknowledgement_stops_nothing() -> None:
    state, _ = step(None, report("r1", T0, CRITICAL), T0)
    state, _ = step(state, ack("k1", T0 + M, "some-other-alert"), T0 + M)
    assert _episode(state).watches[0].stopped is None
    assert next_deadline(state) == T0 + 15 * M


def test_discharge_stops_the_suspicion_escalation() -> None:
    state, _ = step(None, report("r1", T0, CRITICAL), T0)
    state, _ = step(state, adt("d1", T0 + 10 * M), T0 + 10 * M)
    assert _episode(state).watches[0].stopped == "closed"
    _, later = _by_scanner(state, T0 + 3 * H)
    assert [a for a in later if a.alert_type == AlertType.ESCALATION] == []


def test_a_breach_met_late_stops_its_escalation_and_the_suspicion_one_keeps_going() -> None:
    state, _ = step(None, report("r1", T0, CRITICAL), T0)
    state, _ = step(state, ack("k0", T0 + M, _episode(state).watches[0].alert_id), T0 + M)
    due = T0 + 24 * H
    state, pages = _by_scanner(state, due + 15 * M)
    ups = [a for a in pages if a.alert_type == AlertType.ESCALATION]
    steroid_up = [a for a in ups if a.timer == K.STEROIDS]
    assert [a.tier for a in steroid_up] == [2]
    state, _ = step(state, med("m1", due + 20 * M), due + 20 * M)  # given late: met_late
    watches = {w.key: w.stopped for w in _episode(state).watches}
    assert watches["page:steroids"] == "resolved"
    assert watches["page:surgical_evaluation"] is None  # still overdue, still escalating
    _, later = _by_scanner(state, due + 50 * M)
    assert {a.timer for a in later if a.alert_type == AlertType.ESCALATION} == {
        K.SURGICAL_EVALUATION
    }


def test_the_scanner_and_a_late_event_reach_the_same_escalation_pages() -> None:
    # Replayable: the step is decided by event time, whichever wakes the reducer.
    state, _ = step(None, report("r1", T0, CRITICAL), T0)
    _, by_scanner = _by_scanner(state, T0 + 15 * M)
    _, by_event = _tick(state, T0 + 15 * M, 1)
    assert [a.alert_id for a in by_scanner] == [
        a.alert_id for a in alerts(by_event, AlertType.ESCALATION)
    ]
    # A worker that was down for the first two steps pages once, the furthest, marked late.
    _, late = _tick(state, T0 + 50 * M, 2)
    [up] = alerts(late, AlertType.ESCALATION)
    assert (up.tier, up.detected_late) == (3, True)


def test_a_stale_escalation_timer_due_is_a_no_op() -> None:
    state, _ = step(None, report("r1", T0, CRITICAL), T0)
    [due] = [d for d in due_timers(state, T0 + 15 * M) if d.timer == "page:mescc_suspected"]
    state, _ = step(state, ack("k1", T0 + 5 * M, _episode(state).watches[0].alert_id), T0 + 5 * M)
    assert step(state, due, T0 + 15 * M) == (state, [])


def test_a_state_stored_before_watches_keeps_its_breach_escalating() -> None:
    state, _ = step(None, report("r1", T0, HIGH), T0 + 24 * H)
    raw = state.model_dump(mode="json")
    breach = next(t for t in raw["episodes"][0]["timers"] if t["kind"] == "steroids")
    # As an older release stored it: the breach's escalation on the timer, no watches.
    del raw["episodes"][0]["watches"]
    raw["episodes"][0]["timers"] = [breach]
    old = PatientState.model_validate(raw)
    [watch] = _episode(old).watches
    assert (watch.key, watch.alert_id) == ("page:steroids", breach["breach_alert_id"])
    _, out = _tick(old, T0 + 24 * H + 15 * M, 1)
    assert [a.tier for a in alerts(out, AlertType.ESCALATION)] == [2]


def test_an_exhausted_escalation_still_ends_with_an_acknowledgement_or_a_discharge() -> None:
    state, _ = step(None, report("r1", T0, CRITICAL), T0)
    state, _ = _by_scanner(state, T0 + 3 * H)
    assert _episode(state).watches[0].stopped == "exhausted"
    first = _episode(state).watches[0].alert_id
    acked, out = step(state, ack("k9", T0 + 4 * H, first), T0 + 4 * H)
    assert _episode(acked).watches[0].stopped == "acknowledged"
    assert alerts(out) == []
    left, _ = step(state, adt("d9", T0 + 4 * H), T0 + 4 * H)
    assert _episode(left).watches[0].stopped == "closed"
