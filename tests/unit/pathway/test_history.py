"""Issue 11 finding 5: history is folded, not paged."""

from __future__ import annotations

from datetime import timedelta

from models.outputs import Alert, EpisodeChanged, TimerChanged, TimerStatus
from models.state import PatientState
from services.pathway import handle

from .helpers import POLICY, T0, H, adt, alerts, fake_detect, med, report, step

NOW = T0 + timedelta(days=365)


def _at(state: PatientState | None, event, now, **kw):  # type: ignore[no-untyped-def]
    return handle(state, event, now, policy=POLICY, detector=fake_detect, **kw)


def test_a_year_old_report_arriving_now_is_folded_with_its_true_outcomes_but_pages_nobody() -> None:
    state, out = _at(None, report("r1", T0), NOW)
    assert alerts(out) == []
    [episode] = state.episodes
    assert episode.quiet
    assert {t.status for t in episode.timers} == {TimerStatus.BREACHED}  # the true outcome
    assert any(isinstance(o, EpisodeChanged) for o in out)  # the coordinator's views show it
    assert any(isinstance(o, TimerChanged) for o in out)


def test_the_deadline_of_a_folded_episode_is_never_paged() -> None:
    state, out = _at(None, report("r1", T0), NOW)
    # Later live events (an assessment, a transfer) and the escalation points pass: no page.
    state, later = _at(state, adt("t", NOW + H, "transfer"), NOW + H)
    state, after = _at(state, med("m1", NOW + 2 * H), NOW + 2 * H)
    assert alerts(out) + alerts(later) + alerts(after) == []
    assert {t.status for t in state.episodes[0].timers if t.kind == "steroids"} == {"met_late"}


def test_an_old_dose_arriving_late_meets_the_timer_without_a_retraction_page() -> None:
    # Grade 1b: not critical, so the suspicion page does not escalate meanwhile.
    state, _ = step(None, report("r1", T0, "SUSPECT grade=1b"), T0)
    state, breached = step(state, adt("t", T0 + 25 * H, "transfer"), T0 + 25 * H)
    assert len(alerts(breached)) == 2
    state, escalated = step(state, adt("t2", T0 + 26 * H, "transfer"), T0 + 26 * H)
    assert len(alerts(escalated)) == 2
    state, out = step(state, med("m1", T0 + H), T0 + timedelta(days=9))
    assert {t.status for t in state.episodes[0].timers if t.kind == "steroids"} == {"met"}
    assert alerts(out) == []  # the dose was given 9 days ago: history, folded quietly


def test_recent_events_still_page() -> None:
    _, out = _at(None, report("r1", T0), T0 + timedelta(days=6))
    assert any(isinstance(o, Alert) for o in out)


def test_page_after_silences_a_first_deployment_reading_from_the_earliest_offset() -> None:
    cutover = T0 + 2 * H
    state, out = _at(None, report("r1", T0), T0 + 3 * H, page_after=cutover)
    assert alerts(out) == []
    assert state.episodes[0].quiet
    # After the cutover a new episode pages as usual.
    state, out = _at(state, adt("d", T0 + 4 * H, "discharge"), T0 + 4 * H, page_after=cutover)
    _, out = _at(state, report("r2", T0 + 5 * H, accession="A2"), T0 + 5 * H, page_after=cutover)
    assert len(alerts(out)) == 1


def test_a_live_positive_report_joining_a_quiet_episode_pages_it() -> None:
    state, out = _at(None, report("r1", T0), NOW)  # history: folded quietly
    assert alerts(out) == []
    assert state.episodes[0].quiet
    state, live = _at(state, report("r2", NOW + H), NOW + H)  # today's MRI, still positive
    assert [a.alert_type for a in alerts(live)][:1] == ["mescc_suspected"]
    assert len(state.episodes) == 1
    assert not state.episodes[0].quiet
    _, again = _at(state, report("r3", NOW + 2 * H), NOW + 2 * H)
    assert "mescc_suspected" not in [a.alert_type for a in alerts(again)]  # paged once
