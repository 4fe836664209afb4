"""Rota resolution: local wall clock per facility, overnight shifts, overrides, leave, nobody."""

from __future__ import annotations

from datetime import datetime

import pytest

from models.routing import RoutingConfig
from services.alerts.rota import NaiveTimeError, on_call
from services.alerts.routefile import parse_routing
from tests.unit.alerts.conftest import base


def who(config: RoutingConfig, role: str, facility: str, at: str) -> list[str]:
    return [
        p.key for p in on_call(config, role=role, facility=facility, at=datetime.fromisoformat(at))
    ]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-12-21T08:00:00+00:00", ["day"]),  # Monday 08:00 London: the day shift starts
        ("2026-12-21T07:59:00+00:00", ["night"]),  # Sunday's night shift still runs
        ("2026-12-21T19:59:00+00:00", ["day"]),
        ("2026-12-21T20:00:00+00:00", ["night"]),
        ("2026-12-26T12:00:00+00:00", []),  # Saturday daytime: no weekday shift, nobody
        ("2026-12-26T03:00:00+00:00", ["night"]),  # Friday's overnight shift covers Sat 03:00
    ],
)
def test_shifts_on_the_london_wall_clock(
    config: RoutingConfig, at: str, expected: list[str]
) -> None:
    assert who(config, "registrar", "NORTH", at) == expected


def test_summer_time_moves_the_utc_hour_not_the_local_one(config: RoutingConfig) -> None:
    # 1 July: London is UTC+1, so the 08:00 local day shift starts at 07:00Z.
    assert who(config, "registrar", "NORTH", "2026-07-01T07:00:00+00:00") == ["day"]
    assert who(config, "registrar", "NORTH", "2026-07-01T06:59:00+00:00") == ["night"]


def test_the_same_moment_differs_by_facility_time_zone(config: RoutingConfig) -> None:
    # 15:00Z on a Monday is 15:00 in London (day) and 09:00 in Chicago (day); 03:00Z is Sunday
    # 21:00 in Chicago (night) and Monday 03:00 in London (night).
    assert who(config, "registrar", "WEST", "2026-12-21T15:00:00+00:00") == ["day"]
    assert who(config, "registrar", "WEST", "2026-12-21T13:59:00+00:00") == ["night"]
    assert who(config, "registrar", "NORTH", "2026-12-21T13:59:00+00:00") == ["day"]


def test_an_override_replaces_the_shift_for_its_span_only(config: RoutingConfig) -> None:
    assert who(config, "registrar", "NORTH", "2026-12-24T12:00:00+00:00") == ["cover"]
    assert who(config, "registrar", "NORTH", "2026-12-24T20:00:00+00:00") == ["night"]
    assert who(config, "registrar", "NORTH", "2026-12-23T12:00:00+00:00") == ["day"]


def test_leave_hands_shifts_to_the_cover(config: RoutingConfig) -> None:
    assert who(config, "consultant", "NORTH", "2026-12-30T23:59:00+00:00") == ["boss"]
    assert who(config, "consultant", "NORTH", "2026-12-31T00:00:00+00:00") == ["cover"]
    assert who(config, "consultant", "NORTH", "2027-01-02T00:00:00+00:00") == ["boss"]


def test_leave_without_cover_leaves_nobody_and_cover_chains_end() -> None:
    data = base()
    data["leave"] = [
        {"person": "boss", "from": "2026-12-31", "to": "2027-01-02"},
        {"person": "day", "from": "2026-12-01", "to": "2026-12-02", "cover": "night"},
        {"person": "night", "from": "2026-12-01", "to": "2026-12-02", "cover": "day"},
    ]
    config = parse_routing(data)
    assert who(config, "consultant", "NORTH", "2026-12-31T12:00:00+00:00") == []
    # day and night cover each other and both are away: the loop ends with nobody.
    assert who(config, "registrar", "NORTH", "2026-12-01T12:00:00+00:00") == []


def test_unknown_role_or_facility_is_nobody_and_naive_time_is_refused(
    config: RoutingConfig,
) -> None:
    assert who(config, "porter", "NORTH", "2026-12-21T12:00:00+00:00") == []
    with pytest.raises(NaiveTimeError):
        on_call(config, role="registrar", facility="NORTH", at=datetime(2026, 12, 21, 12))


def test_a_24_hour_shift_and_the_autumn_repeated_hour(config: RoutingConfig) -> None:
    # 25 Oct 2026 01:30 London happens twice; the consultant's 00:00-00:00 shift holds both.
    assert who(config, "consultant", "NORTH", "2026-10-25T00:30:00+00:00") == ["boss"]
    assert who(config, "consultant", "NORTH", "2026-10-25T01:30:00+00:00") == ["boss"]
