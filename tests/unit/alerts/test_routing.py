"""Route matching and the receivers of each tier."""

from __future__ import annotations

from datetime import datetime

from models.outputs import AlertType, Priority, TimerKind
from models.routing import Channel, RoutingConfig
from services.alerts.routing import reach, receivers, route_for

NIGHT = datetime.fromisoformat("2026-12-22T03:00:00+00:00")


def test_first_matching_route_wins(config: RoutingConfig) -> None:
    critical = route_for(
        config,
        facility="NORTH",
        alert_type=AlertType.TIMER_WARNING,
        priority=Priority.CRITICAL,
        timer=TimerKind.STEROIDS,
    )
    assert critical.name == "critical"
    steroid = route_for(
        config,
        facility="NORTH",
        alert_type=AlertType.TIMER_WARNING,
        priority=Priority.HIGH,
        timer=TimerKind.STEROIDS,
    )
    assert steroid.name == "steroid warnings"
    surgical = route_for(
        config,
        facility="NORTH",
        alert_type=AlertType.TIMER_WARNING,
        priority=Priority.HIGH,
        timer=TimerKind.SURGICAL_EVALUATION,
    )
    assert surgical.name == "rest"


def test_no_facility_routes_as_the_default(config: RoutingConfig) -> None:
    route = route_for(
        config,
        facility=None,
        alert_type=AlertType.MESCC_SUSPECTED,
        priority=Priority.ROUTINE,
        timer=None,
    )
    assert route.name == "rest"


def test_reach_lists_every_tier_with_who_is_on(config: RoutingConfig) -> None:
    route = config.routes[0]
    tiers = reach(config, route, facility="NORTH", at=NIGHT)
    assert [(t.tier, t.role, [p.key for p in t.people]) for t in tiers] == [
        (1, "registrar", ["night"]),
        (2, "consultant", ["boss"]),
        (3, "consultant", ["boss"]),
    ]


def test_receivers_are_each_contact_once_and_tiers_cap_at_the_top(config: RoutingConfig) -> None:
    route = config.routes[0]
    tier1 = receivers(config, route, facility="NORTH", tier=1, at=NIGHT)
    assert [(r.receiver_id, r.contact.channel) for r in tier1] == [
        ("night/email/0", Channel.EMAIL),
        ("night/webhook/1", Channel.WEBHOOK),
    ]
    beyond = receivers(config, route, facility="NORTH", tier=7, at=NIGHT)
    assert [r.receiver_id for r in beyond] == ["boss/email/0"]
    assert beyond[0].tier == 7


def test_fallback_role_and_a_route_without_one(config: RoutingConfig) -> None:
    fallback = receivers(
        config, config.routes[0], facility="NORTH", tier=1, at=NIGHT, fallback=True
    )
    assert [(r.receiver_id, r.fallback) for r in fallback] == [("desk/webhook/0", True)]
    assert (
        receivers(config, config.routes[2], facility="NORTH", tier=1, at=NIGHT, fallback=True) == ()
    )


def test_nobody_on_call_means_no_receivers(config: RoutingConfig) -> None:
    saturday = datetime.fromisoformat("2026-12-26T12:00:00+00:00")
    assert receivers(config, config.routes[2], facility="NORTH", tier=1, at=saturday) == ()


def test_repr_of_a_receiver_shows_no_name_or_contact(config: RoutingConfig) -> None:
    (first, _) = receivers(config, config.routes[0], facility="NORTH", tier=1, at=NIGHT)
    text = repr(first)
    assert "Night Doctor" not in text
    assert "night@north.example" not in text
