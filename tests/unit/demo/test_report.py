"""The closing summary's tables: alerts by type, and what would fire if the demo kept running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from streams.demo.report import alert_table, next_to_fire

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy() -> Policy:
    """The packaged policy: warnings at 50% and 75%, one escalation 15 min after a breach."""
    return load_policy(DEFAULT_POLICY_PATH)


def _alert(kind: str, priority: str, *, late: bool = False, **extra: Any) -> dict[str, Any]:
    return {"alert_type": kind, "priority": priority, "detected_late": late, **extra}


def test_alert_table_counts_by_priority_and_late_in_pathway_order() -> None:
    rows = alert_table(
        [
            _alert("breach_retracted", "critical"),
            _alert("mystery", "routine"),
            _alert("timer_warning", "high", late=True),
            _alert("timer_warning", "critical"),
            _alert("mescc_suspected", "critical"),
        ]
    )
    assert rows == [
        "alerts             critical  high routine  total  late",
        "mescc_suspected           1     0       0      1     0",
        "timer_warning             1     1       0      2     1",
        "breach_retracted          1     0       0      1     0",
        "mystery                   0     0       1      1     0",
    ]


def test_nothing_to_fire_when_no_timer_is_pending_or_breached(policy: Policy) -> None:
    met = {
        "status": "met",
        "kind": "steroids",
        "started_at": "2026-11-23T00:00:00+00:00",
        "due_at": "2026-11-24T00:00:00+00:00",
    }
    lines = next_to_fire(
        episodes={"e1": (3, "open")},
        timers=[(met, "e1")],
        alerts=[],
        policy=policy,
        later=0,
        now=NOW,
    )
    assert lines == []


def test_a_pending_timer_lists_its_future_warning_points_and_its_deadline(policy: Policy) -> None:
    started = NOW - timedelta(hours=14)  # 50% point passed, 75% point at 18:00
    snap = {
        "status": "pending",
        "kind": "steroids",
        "started_at": started.isoformat(),
        "due_at": (started + timedelta(hours=24)).isoformat(),
    }
    lines = next_to_fire(
        episodes={"e1": (1, "open")},
        timers=[(snap, "e1")],
        alerts=[],
        policy=policy,
        later=30,
        now=NOW,
    )
    assert lines == [
        "1 timer warning: at 16:00:00 UTC",
        "1 deadline (breach unless care is recorded): at 22:00:00 UTC",
        "30 more story events (care, discharges) over the coming days",
    ]


def test_an_open_unretracted_paged_breach_escalates_after_the_policy_delay(
    policy: Policy,
) -> None:
    snap = {
        "status": "breached",
        "kind": "steroids",
        "started_at": (NOW - timedelta(hours=24)).isoformat(),
        "due_at": NOW.isoformat(),
    }
    page = _alert(
        "timer_breached", "critical", episode_id="e1", timer="steroids", at=NOW.isoformat()
    )
    escalates = next_to_fire(
        episodes={"e1": (2, "open")},
        timers=[(snap, "e1")],
        alerts=[page],
        policy=policy,
        later=0,
        now=NOW,
    )
    assert escalates == [
        "5 escalations (15, 45, 75, 105, 135 min after each unacknowledged critical page): "
        "12:15:00-14:15:00 UTC"
    ]
    retracted = {**snap, "breach_retracted": True}
    for episodes, timer in (({"e1": (2, "open")}, retracted), ({"e1": (4, "closed")}, snap)):
        assert (
            next_to_fire(
                episodes=episodes,
                timers=[(timer, "e1")],
                alerts=[page],
                policy=policy,
                later=0,
                now=NOW,
            )
            == []
        )
    # An escalation whose moment has passed is no longer "next".
    assert next_to_fire(
        episodes={"e1": (2, "open")},
        timers=[(snap, "e1")],
        alerts=[page],
        policy=policy,
        later=0,
        now=NOW + timedelta(minutes=16),
    ) == [
        "4 escalations (15, 45, 75, 105, 135 min after each unacknowledged critical page): "
        "12:45:00-14:15:00 UTC"
    ]
