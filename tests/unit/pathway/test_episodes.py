"""Episode rules of DESIGN.md section 3: open, update, ruled out, closed, by clinical time."""

from models.outputs import (
    AlertType,
    DetectionRecorded,
    EpisodeChanged,
    EpisodeStatus,
    TimerChanged,
    TimerStatus,
)
from models.outputs import TimerKind as K
from services import ids

from .helpers import PATIENT, T0, H, M, adt, alerts, feed, report, step


def test_first_suspected_report_opens_an_episode_at_its_occurred_at() -> None:
    state, out = step(None, report("r1", T0, status="preliminary"), T0 + 5 * M)
    [episode] = state.episodes
    assert episode.status == EpisodeStatus.OPEN
    assert episode.suspected_at == T0
    assert episode.episode_id == ids.episode_id(PATIENT, 1, key=ids.DEVELOPMENT_ID_KEY)
    assert episode.timer(K.STEROIDS).due_at == T0 + 24 * H
    assert episode.timer(K.SURGICAL_EVALUATION).due_at == T0 + 24 * H
    [alert] = alerts(out, AlertType.MESCC_SUSPECTED)
    assert alert.episode_id == episode.episode_id


def test_report_without_suspicion_opens_nothing() -> None:
    state, out = step(None, report("r1", T0, "NORMAL"), T0)
    assert state.episodes == ()
    assert out == []


def test_later_reports_update_grade_and_levels_and_keep_every_version() -> None:
    state, out = feed(
        [
            (report("r1", T0, "SUSPECT grade=1b levels=T7", status="preliminary"), T0),
            (report("r2", T0 + 2 * H, "SUSPECT grade=3 levels=T7,T8"), T0 + 2 * H),
        ]
    )
    [episode] = state.episodes
    assert (episode.escc_grade, episode.levels, episode.high_grade) == ("3", ("T7", "T8"), True)
    # Every version's detection goes out once, with its evidence, in the episode's changes; the
    # state keeps only the compact view of each (issue 11, finding 1).
    recorded = [o.detection for o in out if isinstance(o, DetectionRecorded)]
    assert [d.event_id for d in recorded] == ["r1", "r2"]
    assert all(d.result["evidence"] for d in recorded)
    assert [r.view.escc_grade for r in state.context.reports if r.view] == ["1b", "3"]
    assert len(alerts(out, AlertType.MESCC_SUSPECTED)) == 1
    versions = [o.version for o in out if isinstance(o, EpisodeChanged)]
    assert versions == [1, 2]


def test_final_report_of_a_later_study_rules_the_episode_out_and_cancels_timers() -> None:
    state, out = feed(
        [
            (report("r1", T0), T0),
            (report("r2", T0 + 6 * H, "EXCLUDE", accession="ACC2"), T0 + 6 * H),
        ]
    )
    [episode] = state.episodes
    assert episode.status == EpisodeStatus.RULED_OUT
    assert episode.closed_at == T0 + 6 * H
    for timer in episode.timers:
        assert (timer.status, timer.cancel_reason) == (TimerStatus.CANCELLED, "ruled_out")
    [closed] = alerts(out, AlertType.EPISODE_CLOSED)
    assert closed.priority == "routine"


def test_an_exclusion_in_a_preliminary_of_another_study_does_not_rule_out() -> None:
    # (An amended negative of the SAME study withdraws the finding: see test_withdrawal.py.)
    state, _ = feed(
        [
            (report("r1", T0, status="preliminary"), T0),
            (report("r3", T0 + 2 * H, "EXCLUDE", accession="ACC2", status="preliminary"), T0),
        ]
    )
    assert state.episodes[0].status == EpisodeStatus.OPEN


def test_discharge_or_death_closes_the_episode() -> None:
    for kind in ("discharge", "death"):
        state, _ = feed([(report("r1", T0), T0), (adt("a1", T0 + 3 * H, kind), T0 + 3 * H)])
        episode = state.episodes[0]
        assert (episode.status, episode.close_reason) == (EpisodeStatus.CLOSED, kind)
        assert {t.cancel_reason for t in episode.timers} == {kind}


def test_discharge_arriving_before_the_report_still_closes_the_episode() -> None:
    state, _ = feed([(adt("a1", T0 + 3 * H), T0 + 3 * H), (report("r1", T0), T0 + 4 * H)])
    assert state.episodes[0].status == EpisodeStatus.CLOSED
    assert state.episodes[0].closed_at == T0 + 3 * H


def test_a_report_after_closure_opens_a_second_episode_with_its_own_id() -> None:
    state, _ = feed(
        [
            (report("r1", T0), T0),
            (adt("a1", T0 + 3 * H), T0 + 3 * H),
            (report("r2", T0 + 10 * H, accession="ACC9"), T0 + 10 * H),
        ]
    )
    first, second = state.episodes
    assert first.status == EpisodeStatus.CLOSED
    assert second.status == EpisodeStatus.OPEN
    assert (
        second.episode_id
        == ids.episode_id(PATIENT, 2, key=ids.DEVELOPMENT_ID_KEY)
        != first.episode_id
    )


def test_an_earlier_report_arriving_late_moves_suspicion_and_deadlines_earlier() -> None:
    state, out = feed(
        [
            (report("r2", T0 + 5 * H, accession="ACC2"), T0 + 5 * H),
            (report("r1", T0, status="preliminary"), T0 + 6 * H),
        ]
    )
    [episode] = state.episodes
    assert episode.suspected_at == T0
    assert episode.timer(K.STEROIDS).due_at == T0 + 24 * H
    assert episode.opened_by_accession == "ACC1"
    assert len(alerts(out, AlertType.MESCC_SUSPECTED)) == 1


def test_late_exclusion_splits_a_report_that_came_after_it_into_a_new_episode() -> None:
    state, _ = feed(
        [
            (report("r1", T0), T0),
            (report("r3", T0 + 20 * H, accession="ACC3"), T0 + 20 * H),
            (report("r2", T0 + 10 * H, "EXCLUDE", accession="ACC2"), T0 + 21 * H),
        ]
    )
    first, second = state.episodes
    assert first.status == EpisodeStatus.RULED_OUT
    assert second.suspected_at == T0 + 20 * H


def test_cancelled_report_never_opens_an_episode() -> None:
    state, _ = step(None, report("r1", T0, status="cancelled"), T0)
    assert state.episodes == ()


def test_a_late_preliminary_that_joins_two_episodes_closes_the_second_as_superseded() -> None:
    state, _ = feed(
        [
            (report("r1", T0), T0),
            (report("r3", T0 + 3 * H, "EXCLUDE", accession="ACC2"), T0 + 3 * H),
            (report("r4", T0 + 5 * H, accession="ACC3"), T0 + 5 * H),
        ]
    )
    assert [e.status for e in state.episodes] == [EpisodeStatus.RULED_OUT, EpisodeStatus.OPEN]
    # The ruling-out study had a preliminary that suspected MESCC: not a later study after all.
    second_id = state.episodes[1].episode_id
    state, out = step(
        state, report("r2", T0 + 2 * H, accession="ACC2", status="preliminary"), T0 + 30 * H
    )
    first, second = state.episodes
    assert first.status == EpisodeStatus.OPEN
    assert (second.status, second.close_reason) == (EpisodeStatus.CLOSED, "superseded")
    state_after, _ = step(state, adt("t", T0 + 31 * H, "transfer"), T0 + 31 * H)
    assert [e.episode_id for e in state_after.episodes] == [first.episode_id]  # ghost archived
    [closed] = [
        o.episode for o in out if isinstance(o, EpisodeChanged) and o.episode_id == second_id
    ]
    assert (closed.status, closed.close_reason) == (EpisodeStatus.CLOSED, "superseded")
    last = {o.timer.timer_id: o.timer for o in out if isinstance(o, TimerChanged)}
    assert {
        t.status for t in last.values() if t.timer_id in {x.timer_id for x in second.timers}
    } == {TimerStatus.CANCELLED}
    retracted = alerts(out, AlertType.BREACH_RETRACTED)
    assert {a.episode_id for a in retracted} == {second_id}
