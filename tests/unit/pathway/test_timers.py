"""Timer rules: met, met late, breached, warnings, lookback, late evidence, undo, escalation."""

from datetime import timedelta

from models.outputs import AlertType, TimerChanged, TimerStatus
from models.outputs import TimerKind as K
from services.pathway import due_timers, next_deadline

from .helpers import T0, H, M, ack, adt, alerts, consult, feed, med, procedure, report, step

DUE = T0 + 24 * H


def _steroids(state):
    return state.episodes[0].timer(K.STEROIDS)


def test_completed_dexamethasone_before_the_deadline_meets_the_steroid_timer() -> None:
    state, out = feed([(report("r1", T0), T0), (med("m1", T0 + 2 * H), T0 + 2 * H)])
    timer = _steroids(state)
    assert (timer.status, timer.met_at, timer.met_by) == (TimerStatus.MET, T0 + 2 * H, "ADM1")
    assert state.episodes[0].timer(K.SURGICAL_EVALUATION).status == TimerStatus.PENDING
    assert [o.timer.status for o in out if isinstance(o, TimerChanged)][-1] == TimerStatus.MET


def test_deadline_breaches_and_a_later_dose_is_met_late_without_retraction() -> None:
    state, out = feed(
        [(report("r1", T0), T0), (med("m1", DUE + H), DUE + H)],
    )
    timer = _steroids(state)
    assert timer.status == TimerStatus.MET_LATE
    assert timer.breached_at == DUE
    breaches = alerts(out, AlertType.TIMER_BREACHED)
    assert {a.timer for a in breaches} == {K.STEROIDS, K.SURGICAL_EVALUATION}
    assert alerts(out, AlertType.BREACH_RETRACTED) == []


def test_warnings_fire_once_at_half_and_three_quarters_of_the_window() -> None:
    state, _ = step(None, report("r1", T0), T0)
    pairs = [12 * H, 12 * H + M, 18 * H, 20 * H]
    warnings = []
    for offset in pairs:
        state, more = step(state, report(f"x{offset}", T0, "NORMAL", accession="X"), T0 + offset)
        warnings += alerts(more, AlertType.TIMER_WARNING)
    steroid = sorted(a.warning_fraction for a in warnings if a.timer == K.STEROIDS)
    assert steroid == [0.5, 0.75]
    assert len({a.alert_id for a in warnings}) == 4


def test_opening_late_sends_only_the_furthest_warning() -> None:
    _, out = step(None, report("r1", T0), T0 + 20 * H)
    assert [a.warning_fraction for a in alerts(out, AlertType.TIMER_WARNING)] == [0.75, 0.75]


def test_care_from_within_the_lookback_counts_and_older_care_does_not() -> None:
    state, _ = feed([(med("m1", T0 - 47 * H), T0 - 47 * H), (report("r1", T0), T0)])
    assert _steroids(state).status == TimerStatus.MET
    state, _ = feed([(med("m1", T0 - 49 * H), T0 - 49 * H), (report("r1", T0), T0)])
    assert _steroids(state).status == TimerStatus.PENDING


def test_late_arriving_on_time_dose_meets_the_timer_and_retracts_the_breach() -> None:
    state, out = feed([(report("r1", T0), T0), (med("m1", T0 + 20 * H), DUE + 2 * H)])
    timer = _steroids(state)
    assert (timer.status, timer.breach_retracted) == (TimerStatus.MET, True)
    [breach] = [a for a in alerts(out, AlertType.TIMER_BREACHED) if a.timer == K.STEROIDS]
    [retraction] = alerts(out, AlertType.BREACH_RETRACTED)
    assert retraction.timer == K.STEROIDS
    assert retraction.alert_id != breach.alert_id
    assert "before the" in retraction.summary


def test_entered_in_error_before_the_deadline_reopens_the_timer_as_pending() -> None:
    state, out = feed(
        [
            (report("r1", T0), T0),
            (med("m1", T0 + H), T0 + H),
            (med("m2", T0 + H, status="entered-in-error"), T0 + 3 * H),
        ]
    )
    assert _steroids(state).status == TimerStatus.PENDING
    assert alerts(out, AlertType.TIMER_BREACHED) == []


def test_entered_in_error_after_the_deadline_breaches_and_pages() -> None:
    state, out = feed(
        [
            (report("r1", T0), T0),
            (med("m1", T0 + H), T0 + H),
            (consult("c1", T0 + 2 * H), T0 + 2 * H),
            (med("m2", T0 + H, status="entered-in-error"), DUE + H),
        ]
    )
    assert _steroids(state).status == TimerStatus.BREACHED
    [breach] = alerts(out, AlertType.TIMER_BREACHED)
    assert breach.timer == K.STEROIDS
    assert not breach.detected_late  # new evidence, not an unwatched clock


def test_a_breach_first_noticed_long_after_the_deadline_is_marked_detected_late() -> None:
    state, _ = step(None, report("r1", T0), T0)
    _, out = step(state, med("m1", T0, admin_id="X", name="saline"), DUE + 10 * M)
    breaches = alerts(out, AlertType.TIMER_BREACHED)
    assert len(breaches) == 2
    assert all(a.detected_late for a in breaches)
    _, out = step(state, med("m1", T0, admin_id="X", name="saline"), DUE + M // 2)
    assert not any(a.detected_late for a in alerts(out, AlertType.TIMER_BREACHED))


def test_not_done_and_a_cancelled_consult_undo_what_they_recorded() -> None:
    state, _ = feed(
        [
            (report("r1", T0), T0),
            (med("m1", T0 + H), T0 + H),
            (med("m2", T0 + 2 * H, status="not-done"), T0 + 2 * H),
            (consult("c1", T0 + H), T0 + H),
            (consult("c2", T0 + 2 * H, kind="consult_cancelled"), T0 + 2 * H),
        ]
    )
    assert _steroids(state).status == TimerStatus.PENDING
    assert state.episodes[0].timer(K.SURGICAL_EVALUATION).status == TimerStatus.PENDING


def test_entered_in_error_wins_even_when_it_arrives_first() -> None:
    state, _ = feed(
        [
            (report("r1", T0), T0),
            (med("m2", T0 + H, status="entered-in-error"), T0 + 2 * H),
            (med("m1", T0 + H), T0 + 3 * H),
        ]
    )
    assert _steroids(state).status == TimerStatus.PENDING


def test_only_surgical_spine_services_and_completed_consults_meet_surgical_evaluation() -> None:
    state, _ = feed(
        [
            (report("r1", T0), T0),
            (consult("c1", T0 + H, consult_id="A", service="Radiation Oncology"), T0 + H),
            (consult("c2", T0 + H, consult_id="B", kind="consult_requested"), T0 + H),
        ]
    )
    assert state.episodes[0].timer(K.SURGICAL_EVALUATION).status == TimerStatus.PENDING
    state, _ = step(state, consult("c3", T0 + 2 * H, service="Orthopedic Spine"), T0 + 2 * H)
    timer = state.episodes[0].timer(K.SURGICAL_EVALUATION)
    assert (timer.status, timer.met_by) == (TimerStatus.MET, "CON1")


def test_decompressive_surgery_meets_surgical_evaluation_but_radiotherapy_does_not() -> None:
    state, _ = feed([(report("r1", T0), T0), (procedure("p1", T0 + H, name="sbrt"), T0 + H)])
    assert state.episodes[0].timer(K.SURGICAL_EVALUATION).status == TimerStatus.PENDING
    state, _ = feed([(report("r1", T0), T0), (procedure("p1", T0 + H), T0 + H)])
    assert state.episodes[0].timer(K.SURGICAL_EVALUATION).status == TimerStatus.MET


def test_non_steroid_and_topical_steroid_do_not_count() -> None:
    state, _ = feed(
        [
            (report("r1", T0), T0),
            (med("m1", T0 + H, admin_id="A", name="Ondansetron 4 mg"), T0 + H),
            (med("m2", T0 + H, admin_id="B", name="Hydrocortisone 1% cream"), T0 + H),
        ]
    )
    assert _steroids(state).status == TimerStatus.PENDING
    state, _ = step(state, med("m3", T0 + 2 * H, admin_id="C", name="DEXAMETHAZONE"), T0 + 2 * H)
    assert _steroids(state).status == TimerStatus.MET


# Grade 1b: a high (not critical) suspicion, so only the breaches escalate in these tests.
NOT_CRITICAL = "SUSPECT grade=1b levels=T7,T8"


def test_unacknowledged_breach_escalates_by_the_paging_plan() -> None:
    state, out = step(None, report("r1", T0, NOT_CRITICAL), T0)
    state, out = step(state, report("x", T0, "NORMAL", accession="X"), DUE)
    breach = next(a for a in alerts(out, AlertType.TIMER_BREACHED) if a.timer == K.STEROIDS)
    state, out = step(state, report("y", T0, "NORMAL", accession="Y"), DUE + 14 * M)
    assert alerts(out, AlertType.ESCALATION) == []
    state, out = step(state, report("z", T0, "NORMAL", accession="Z"), DUE + 15 * M)
    escalations = [a for a in alerts(out, AlertType.ESCALATION) if a.timer == K.STEROIDS]
    assert [(a.tier, a.escalates_alert_id) for a in escalations] == [(2, breach.alert_id)]
    state, out = step(state, report("w", T0, "NORMAL", accession="W"), DUE + 45 * M)
    [tier3] = [a for a in alerts(out, AlertType.ESCALATION) if a.timer == K.STEROIDS]
    assert (tier3.tier, tier3.escalates_alert_id) == (3, escalations[0].alert_id)
    assert "tier 3" in tier3.summary


def test_acknowledged_breach_does_not_escalate() -> None:
    state, out = step(None, report("r1", T0, NOT_CRITICAL), DUE)
    for alert in alerts(out, AlertType.TIMER_BREACHED):
        state, _ = step(state, ack(f"ack-{alert.timer}", DUE, alert.alert_id), DUE + M)
    assert next_deadline(state) is None
    assert {w.stopped for w in state.episodes[0].watches} == {"acknowledged"}
    _, out = step(state, report("z", T0, "NORMAL", accession="Z"), DUE + H)
    assert alerts(out, AlertType.ESCALATION) == []


def test_timer_due_with_a_stale_version_is_a_no_op() -> None:
    state, _ = step(None, report("r1", T0), T0)
    [due] = [d for d in due_timers(state, T0 + 12 * H) if d.timer == K.STEROIDS]
    state, _ = step(state, med("m1", T0 + H), T0 + H)  # changes the timer: new version
    again, out = step(state, due, T0 + 12 * H)
    assert (again, out) == (state, [])


def test_timer_due_marked_detected_late_propagates_into_the_alert() -> None:
    state, _ = step(None, report("r1", T0), T0)
    dues = due_timers(state, DUE + 3 * H)
    assert all(d.detected_late for d in dues)
    out = []
    for due in dues:
        state, more = step(state, due, DUE + 3 * H)
        out += more
    breaches = alerts(out, AlertType.TIMER_BREACHED)
    assert len(breaches) == 2
    assert all(a.detected_late for a in breaches)


def test_due_timers_lists_the_next_warning_point_only_when_it_has_passed() -> None:
    state, _ = step(None, report("r1", T0, NOT_CRITICAL), T0)
    assert next_deadline(state) == T0 + 12 * H
    assert due_timers(state, T0 + 12 * H - timedelta(seconds=1)) == []
    dues = due_timers(state, T0 + 12 * H)
    assert [d.due_at for d in dues] == [T0 + 12 * H, T0 + 12 * H]
    assert not any(d.detected_late for d in dues)


def test_discharge_before_the_deadline_arriving_after_the_breach_retracts_it() -> None:
    state, out = feed([(report("r1", T0), T0), (adt("a1", T0 + 5 * H), DUE + H)])
    assert _steroids(state).status == TimerStatus.CANCELLED
    assert len(alerts(out, AlertType.BREACH_RETRACTED)) == 2


def test_timer_due_for_an_unknown_episode_is_a_no_op() -> None:
    state, _ = step(None, report("r1", T0, NOT_CRITICAL), T0)
    [due, _] = due_timers(state, T0 + 12 * H)
    ghost = due.model_copy(update={"episode_id": "no-such-episode"})
    assert step(state, ghost, T0 + 12 * H) == (state, [])


def test_antiemetic_dose_before_suspicion_does_not_meet_the_steroid_timer() -> None:
    # 8 mg dexamethasone with chemotherapy the day before the MRI is not MESCC treatment.
    state, _ = feed(
        [
            (med("m1", T0 - 20 * H, name="Dexamethasone", dose_mg=8), T0 - 20 * H),
            (report("r1", T0), T0),
        ]
    )
    assert _steroids(state).status == TimerStatus.PENDING


def test_pre_suspicion_dose_without_a_dose_does_not_count_but_a_loading_dose_does() -> None:
    state, _ = feed(
        [
            (med("m1", T0 - 2 * H, name="Dexamethasone", dose_mg=None), T0 - 2 * H),
            (report("r1", T0), T0),
        ]
    )
    assert _steroids(state).status == TimerStatus.PENDING
    # 125 mg methylprednisolone is 23.4 mg dexamethasone (BNF equivalence): a loading dose.
    state, _ = feed(
        [
            (med("m1", T0 - 2 * H, name="Solu-Medrol", dose_mg=125), T0 - 2 * H),
            (report("r1", T0), T0),
        ]
    )
    assert _steroids(state).met_by == "ADM1"


def test_any_systemic_steroid_dose_after_suspicion_meets_the_timer() -> None:
    state, _ = feed(
        [(report("r1", T0), T0), (med("m1", T0 + H, name="Dexamethasone", dose_mg=4), T0 + H)]
    )
    assert (_steroids(state).status, _steroids(state).met_at) == (TimerStatus.MET, T0 + H)
