"""A small routing file the alerts tests share (written here, not the deploy example)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from models.outputs import Alert, AlertType, Priority, TimerKind
from models.routing import RoutingConfig
from services.alerts.routefile import parse_routing

BASE: dict[str, Any] = {
    "version": 1,
    "facilities": {"NORTH": {"timezone": "Europe/London"}, "WEST": {"timezone": "America/Chicago"}},
    "default_facility": "NORTH",
    "people": {
        "day": {"name": "Day Doctor", "contacts": [{"email": "day@north.example"}]},
        "night": {
            "name": "Night Doctor",
            "contacts": [
                {"email": "night@north.example"},
                {"webhook": "https://engine.example/pages"},
            ],
        },
        "boss": {"name": "Consultant", "contacts": [{"email": "boss@north.example"}]},
        "cover": {"name": "Cover Doctor", "contacts": [{"email": "cover@north.example"}]},
        "desk": {"name": "Switchboard", "contacts": [{"webhook": "https://engine.example/pages"}]},
    },
    "routes": [
        {
            "name": "critical",
            "match": {"priority": "critical"},
            "tiers": {1: "registrar", 2: "consultant", 3: "consultant"},
            "fallback": "desk",
        },
        {
            "name": "steroid warnings",
            "match": {"alert_type": "timer_warning", "timer": "steroids"},
            "tiers": {1: "consultant"},
        },
        {"name": "rest", "match": {}, "tiers": {1: "registrar"}},
    ],
    "rota": {
        "registrar": {
            site: {
                "shifts": [
                    {
                        "days": ["mon", "tue", "wed", "thu", "fri"],
                        "from": "08:00",
                        "to": "20:00",
                        "people": ["day"],
                    },
                    {"days": "all", "from": "20:00", "to": "08:00", "people": ["night"]},
                ],
                "overrides": [
                    {
                        "from": "2026-12-24T08:00",
                        "to": "2026-12-24T20:00",
                        "people": ["cover"],
                        "reason": "swap",
                    },
                ],
            }
            for site in ("NORTH", "WEST")
        },
        "consultant": {
            site: {"shifts": [{"days": "all", "from": "00:00", "to": "00:00", "people": ["boss"]}]}
            for site in ("NORTH", "WEST")
        },
        "desk": {
            site: {"shifts": [{"days": "all", "from": "00:00", "to": "00:00", "people": ["desk"]}]}
            for site in ("NORTH", "WEST")
        },
    },
    "leave": [{"person": "boss", "from": "2026-12-31", "to": "2027-01-02", "cover": "cover"}],
}


def base() -> dict[str, Any]:
    """A fresh deep copy of the shared routing mapping, to edit per test."""
    return copy.deepcopy(BASE)


@pytest.fixture
def config() -> RoutingConfig:
    return parse_routing(base())


def alert(
    alert_type: AlertType = AlertType.MESCC_SUSPECTED,
    *,
    priority: Priority = Priority.CRITICAL,
    timer: TimerKind | None = None,
    episode_id: str = "ep-1",
    patient_id: str = "MRN-1",
    at: datetime | None = None,
    alert_id: str | None = None,
) -> Alert:
    """An alert with only what paging reads filled in."""
    when = at or datetime.fromisoformat("2026-12-24T03:00:00+00:00")
    return Alert(
        alert_id=alert_id or f"{alert_type.value}-{timer}-{episode_id}-{when:%H%M%S}",
        alert_type=alert_type,
        priority=priority,
        episode_id=episode_id,
        patient_id=patient_id,
        facility="NORTH",
        timer=timer,
        at=when,
        summary="Suspected MESCC T7",
    )
