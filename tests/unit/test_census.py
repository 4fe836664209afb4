"""The clinical census: open work per facility, from states the real reducer produced."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry

from models.outputs import AlertType, TimerKind
from models.state import PatientState
from services.census import FacilityCensus, TimerState, census
from services.metrics import ClinicalGauges, FacilityLabels
from services.pathway import due_timers
from tests.unit.pathway.helpers import T0, H, ack, adt, alerts, report, step


def _fire_due(state: PatientState, now: datetime) -> tuple[PatientState, list[str]]:
    """What the deadline scan and the pathway do at `now`; the breach alert ids it paged."""
    breaches: list[str] = []
    for due in due_timers(state, now):
        state, outputs = step(state, due, now)
        breaches += [a.alert_id for a in alerts(outputs, AlertType.TIMER_BREACHED)]
    return state, breaches


def _suspected() -> PatientState:
    # ESCC 2 is high grade: the episode (and its breach pages) are critical.
    state, _ = step(None, report("r1", T0), T0)
    return state


def _acked_suspicion() -> PatientState:
    state = _suspected()
    first = state.episodes[0].watches[0].alert_id
    state, _ = step(state, ack("a0", T0 + H, first), T0 + H)
    return state


def test_a_new_episode_has_two_pending_timers_and_its_unacknowledged_page() -> None:
    site = census([_suspected()], now=T0 + H)["RLH"]
    assert site.open_episodes == 1
    assert site.timers == {
        (TimerKind.STEROIDS, TimerState.PENDING): 1,
        (TimerKind.SURGICAL_EVALUATION, TimerState.PENDING): 1,
    }
    # The critical suspected-MESCC page is unacknowledged from the moment it went out.
    assert site.unacknowledged_critical == 1
    assert site.oldest_unacknowledged_critical_s == 3600
    assert census([_acked_suspicion()], now=T0 + H)["RLH"].unacknowledged_critical == 0


def test_a_deadline_the_scan_has_not_fired_is_past_due() -> None:
    site = census([_suspected()], now=T0 + 25 * H)["RLH"]
    assert site.timers[(TimerKind.STEROIDS, TimerState.PAST_DUE)] == 1
    assert site.timers[(TimerKind.SURGICAL_EVALUATION, TimerState.PAST_DUE)] == 1


def test_breach_pages_count_until_acknowledged_with_the_oldest_age() -> None:
    state, paged = _fire_due(_acked_suspicion(), T0 + 25 * H)
    assert len(paged) == 2
    site = census([state], now=T0 + 27 * H)["RLH"]
    assert site.timers[(TimerKind.STEROIDS, TimerState.BREACHED)] == 1
    assert site.unacknowledged_critical == 2
    # Both pages went out at the 24 h deadline (steroids and surgical review share the window).
    assert site.oldest_unacknowledged_critical_s >= 2 * 3600
    state, _ = step(state, ack("a1", T0 + 27 * H, paged[0]), T0 + 27 * H)
    assert census([state], now=T0 + 27 * H)["RLH"].unacknowledged_critical == 1


def test_a_closed_episode_is_not_open_work() -> None:
    state, _ = step(_suspected(), adt("d1", T0 + 2 * H), T0 + 2 * H)
    assert census([state], now=T0 + 3 * H) == {}


def test_gauges_zero_known_sites_and_merge_sites_past_the_cap() -> None:
    registry = CollectorRegistry()
    labels = FacilityLabels(limit=1)
    labels("RLH")
    gauges = ClinicalGauges.create(registry, facility=labels)
    value = registry.get_sample_value
    # From the first scrape: a known site reads 0, not "no data".
    assert value("cordwatch_open_episodes", {"facility": "RLH"}) == 0
    labels_pending = {"facility": "RLH", "kind": "steroids", "state": "past_due"}
    assert value("cordwatch_pending_timers", labels_pending) == 0
    gauges.publish(
        {
            "RLH": FacilityCensus(open_episodes=2),
            "XYZ": FacilityCensus(open_episodes=1, oldest_unacknowledged_critical_s=60.0),
            "QQQ": FacilityCensus(open_episodes=4, oldest_unacknowledged_critical_s=90.0),
        },
        at=1000.0,
    )
    assert value("cordwatch_open_episodes", {"facility": "other"}) == 5
    age = "cordwatch_oldest_unacknowledged_critical_alert_age_seconds"
    assert value(age, {"facility": "other"}) == 90.0
    assert value("cordwatch_census_timestamp_seconds") == 1000.0
    gauges.publish({}, at=1015.0)  # the work was done: every site drops to 0, none disappears
    assert value("cordwatch_open_episodes", {"facility": "RLH"}) == 0
    assert value("cordwatch_open_episodes", {"facility": "other"}) == 0
