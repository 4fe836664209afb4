"""Escalation plans, silences, inhibition and grouping."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.alerting import OpenEpisode, Silence, SilenceExpired, SilenceScope
from models.outputs import AlertType, Priority, TimerKind
from models.routing import RoutingConfig
from services.alerts.escalation import plan_from
from services.alerts.grouping import Groups
from services.alerts.inhibition import inhibitor_of, split_inhibited
from services.alerts.routing import author_receivers
from services.alerts.silences import expiry_notices, notice_alert, silencing
from services.policy import Paging, load_policy
from tests.unit.alerts.conftest import alert

T0 = datetime.fromisoformat("2026-12-24T03:00:00+00:00")
MIN = timedelta(minutes=1)


def test_the_packaged_plan_is_15_then_30_then_three_30_minute_repeats() -> None:
    plan = plan_from(load_policy().paging)
    assert [(s.tier, s.after // MIN, s.repeat) for s in plan.steps] == [
        (2, 15, False),
        (3, 45, False),
        (3, 75, True),
        (3, 105, True),
        (3, 135, True),
    ]
    assert [plan.tier_of(n) for n in range(0, 8)] == [1, 2, 3, 3, 3, 3, 3, 3]


def test_due_steps_and_next_time_in_event_time() -> None:
    plan = plan_from(load_policy().paging)
    assert plan.due(first_page_at=T0, sent=0, now=T0 + 14 * MIN) == ()
    assert [s.number for s in plan.due(first_page_at=T0, sent=0, now=T0 + 50 * MIN)] == [1, 2]
    assert [s.number for s in plan.due(first_page_at=T0, sent=2, now=T0 + 50 * MIN)] == []
    assert plan.next_at(first_page_at=T0, sent=2) == T0 + 75 * MIN
    assert plan.next_at(first_page_at=T0, sent=5) is None


def test_a_route_with_two_tiers_caps_the_plan() -> None:
    plan = plan_from(Paging(source="test", tier_delays_minutes=(10,), repeat_times=1), top_tier=2)
    assert [(s.tier, s.after // MIN) for s in plan.steps] == [(2, 10), (2, 40)]
    capped = plan_from(Paging(source="test"), top_tier=1)
    assert {s.tier for s in capped.steps} == {1}


def silence(
    scope: SilenceScope, target: str, *, hours: float = 2, ended: float | None = None
) -> Silence:
    return Silence(
        silence_id=f"s-{target}",
        scope=scope,
        target=target,
        reason="goals of care changed",
        author="dr.who",
        created_at=T0,
        expires_at=T0 + timedelta(hours=hours),
        ended_at=None if ended is None else T0 + timedelta(hours=ended),
    )


def test_silences_cover_their_episode_or_patient_until_they_end() -> None:
    page = alert(at=T0 + MIN)
    by_episode = silence(SilenceScope.EPISODE, "ep-1")
    by_patient = silence(SilenceScope.PATIENT, "MRN-1", hours=3)
    other = silence(SilenceScope.EPISODE, "ep-2")
    assert silencing(page, [other], at=page.at) is None
    assert silencing(page, [by_episode, other], at=page.at) == by_episode
    assert silencing(page, [by_episode, by_patient], at=page.at) == by_patient  # ends last
    assert silencing(page, [by_episode], at=T0 + timedelta(hours=2)) is None  # expired
    assert silencing(page, [by_episode], at=T0 - MIN) is None  # not yet made
    ended = silence(SilenceScope.EPISODE, "ep-1", ended=0.5)
    assert silencing(page, [ended], at=T0 + timedelta(hours=1)) is None


def test_an_expiry_while_a_timer_is_open_raises_one_notice() -> None:
    open_timers = {"ep-1": (TimerKind.STEROIDS,), "ep-9": ()}
    s1 = silence(SilenceScope.EPISODE, "ep-1")
    s2 = silence(SilenceScope.PATIENT, "MRN-1")
    s3 = silence(SilenceScope.EPISODE, "ep-9")  # no open timer: nothing to say
    ended = silence(SilenceScope.EPISODE, "ep-1", ended=1)  # ended by hand: no notice
    notices = expiry_notices(
        [s1, s2, s3, ended],
        open_timers=open_timers,
        episodes_of={"MRN-1": ("ep-1", "ep-9")},
        since=T0 + timedelta(hours=1),
        now=T0 + timedelta(hours=2),
    )
    assert [(n.silence_id, n.episode_id, n.timers) for n in notices] == [
        ("s-ep-1", "ep-1", (TimerKind.STEROIDS,)),
        ("s-MRN-1", "ep-1", (TimerKind.STEROIDS,)),
    ]
    later = expiry_notices(
        [s1],
        open_timers=open_timers,
        episodes_of={},
        since=T0 + timedelta(hours=2),
        now=T0 + timedelta(hours=3),
    )
    assert later == []  # said once, in the window where it expired


def test_a_breach_inhibits_only_that_timers_warnings() -> None:
    breach = alert(AlertType.TIMER_BREACHED, timer=TimerKind.STEROIDS)
    warning = alert(AlertType.TIMER_WARNING, timer=TimerKind.STEROIDS, at=T0 - MIN)
    other_timer = alert(AlertType.TIMER_WARNING, timer=TimerKind.SURGICAL_EVALUATION)
    other_episode = alert(AlertType.TIMER_WARNING, timer=TimerKind.STEROIDS, episode_id="ep-2")
    assert inhibitor_of(warning, [breach]) == breach
    assert inhibitor_of(other_timer, [breach]) is None
    assert inhibitor_of(other_episode, [breach]) is None
    assert inhibitor_of(breach, [warning]) is None
    kept, dropped = split_inhibited([warning, breach, other_timer])
    assert kept == [breach, other_timer]
    assert dropped == [warning]


def test_grouping_sends_the_first_at_once_and_the_rest_as_one_message() -> None:
    groups = Groups(window=timedelta(seconds=5))
    first = alert(AlertType.MESCC_SUSPECTED, alert_id="a1")
    warn = alert(
        AlertType.TIMER_WARNING, timer=TimerKind.STEROIDS, alert_id="a2", priority=Priority.HIGH
    )
    breach = alert(AlertType.TIMER_BREACHED, timer=TimerKind.STEROIDS, alert_id="a3")
    closed = alert(AlertType.EPISODE_CLOSED, alert_id="a4", priority=Priority.ROUTINE)
    groups, now = groups.offer("MRN-1", first, now=T0)
    assert [m.alerts for m in now] == [(first,)]
    groups, now = groups.offer("MRN-1", warn, now=T0 + timedelta(seconds=1))
    assert now == []
    groups, now = groups.offer("MRN-1", breach, now=T0 + timedelta(seconds=2))
    groups, other = groups.offer("MRN-2", closed, now=T0 + timedelta(seconds=2))
    assert [m.key for m in other] == ["MRN-2"]  # another patient is not held
    assert groups.next_flush() == T0 + timedelta(seconds=5)
    groups, ready = groups.flush(now=T0 + timedelta(seconds=4))
    assert ready == []
    groups, ready = groups.flush(now=T0 + timedelta(seconds=5))
    assert len(ready) == 1
    assert ready[0].alerts == (breach,)  # the breach inhibited the held warning
    assert ready[0].inhibited == (warn,)
    assert ready[0].lead == breach
    assert groups.next_flush() is None


def test_an_alert_after_the_window_opens_a_new_group_and_releases_the_old() -> None:
    groups = Groups(window=timedelta(seconds=5))
    a1, a2, a3 = (alert(alert_id=f"a{i}") for i in (1, 2, 3))
    groups, _ = groups.offer("MRN-1", a1, now=T0)
    groups, _ = groups.offer("MRN-1", a2, now=T0 + timedelta(seconds=1))
    groups, out = groups.offer("MRN-1", a3, now=T0 + timedelta(seconds=9))
    assert [m.alerts for m in out] == [(a2,), (a3,)]


def test_a_zero_window_never_holds() -> None:
    groups = Groups(window=timedelta())
    groups, out1 = groups.offer("k", alert(alert_id="a1"), now=T0)
    groups, out2 = groups.offer("k", alert(alert_id="a2"), now=T0)
    assert len(out1) == len(out2) == 1


def test_a_notice_goes_out_the_lead_time_before_a_silence_ends() -> None:
    s1 = silence(SilenceScope.EPISODE, "ep-1")  # expires T0 + 2 h
    ended = silence(SilenceScope.EPISODE, "ep-2", ended=0.5)
    kw = {"open_timers": {"ep-1": (TimerKind.STEROIDS,), "ep-2": (TimerKind.STEROIDS,)},
          "episodes_of": {}, "lead": timedelta(minutes=30)}  # fmt: skip
    early = expiry_notices([s1, ended], since=T0, now=T0 + timedelta(minutes=80), **kw)
    assert early == []  # 40 minutes to go: not yet
    due = expiry_notices(
        [s1, ended], since=T0 + timedelta(minutes=80), now=T0 + timedelta(minutes=95), **kw
    )
    assert [(n.silence_id, n.at) for n in due] == [("s-ep-1", T0 + timedelta(hours=2))]


def test_the_notice_names_no_patient_and_keeps_the_reason_out() -> None:
    notice = SilenceExpired("s-1", "ep-1", (TimerKind.STEROIDS,), T0 + timedelta(hours=2))
    episode = OpenEpisode("ep-1", "MRN-1", "NORTH", "critical", (TimerKind.STEROIDS,))
    page = notice_alert(notice, episode, now=T0)
    again = notice_alert(notice, episode, now=T0 + MIN)
    assert page.alert_id == again.alert_id  # one delivery, however often a scan sees it
    assert page.alert_type == AlertType.SILENCE_EXPIRING
    assert "steroids still open" in page.summary
    assert "MRN" not in page.summary
    assert "goals of care" not in page.summary


def test_the_silences_author_is_told_when_the_routing_file_names_them(
    config: RoutingConfig,
) -> None:
    assert {r.contact.target for r in author_receivers(config, "boss")} == {"boss@north.example"}
    assert {r.person.key for r in author_receivers(config, "consultant")} == {"boss"}  # by name
    assert author_receivers(config, "Dr Somebody Else") == ()
