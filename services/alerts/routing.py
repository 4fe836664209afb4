"""Which route an alert takes and who it reaches at each tier (pure: the moment is passed in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.outputs import AlertType, Priority, TimerKind
from models.routing import Contact, Person, Route, RoutingConfig
from services.alerts.rota import on_call
from services.alerts.routefile import route_matches


class NoRouteError(LookupError):
    """No route matches; a validated routing file always has one, so this is a caller's bug."""


@dataclass(frozen=True)
class Receiver:
    """One contact of one person for one tier; ``receiver_id`` is what logs and ids may use."""

    receiver_id: str
    person: Person
    contact: Contact
    role: str
    tier: int
    fallback: bool = False


@dataclass(frozen=True)
class TierReach:
    """Who one tier of a route reaches at a moment (no one when ``people`` is empty)."""

    tier: int
    role: str
    people: tuple[Person, ...]


def route_for(
    config: RoutingConfig,
    *,
    facility: str | None,
    alert_type: AlertType,
    priority: Priority,
    timer: TimerKind | None,
) -> Route:
    """The first route that matches; alerts without a facility use the default facility."""
    site = facility if facility is not None else (config.default_facility or "")
    for route in config.routes:
        if route_matches(route.match, site, alert_type, priority, timer):
            return route
    raise NoRouteError("no route matches this alert")


def site_of(config: RoutingConfig, facility: str | None) -> str:
    """The facility an alert is routed as."""
    return facility if facility is not None else (config.default_facility or "")


def reach(config: RoutingConfig, route: Route, *, facility: str, at: datetime) -> list[TierReach]:
    """Every tier of ``route`` with the people on call for it at ``at``."""
    return [
        TierReach(n, role, on_call(config, role=role, facility=facility, at=at))
        for n, role in enumerate(route.tiers, 1)
    ]


def top_tier(route: Route) -> int:
    """The highest tier a route names; escalations beyond it page this tier again."""
    return len(route.tiers)


def receivers(
    config: RoutingConfig,
    route: Route,
    *,
    facility: str,
    tier: int,
    at: datetime,
    fallback: bool = False,
) -> tuple[Receiver, ...]:
    """Every contact to page for ``tier`` (or the route's fallback role), each target once."""
    if fallback:
        if route.fallback is None:
            return ()
        role = route.fallback
    else:
        role = route.tiers[min(tier, top_tier(route)) - 1]
    found: list[Receiver] = []
    targets: set[tuple[str, str]] = set()
    for person in on_call(config, role=role, facility=facility, at=at):
        for i, contact in enumerate(person.contacts):
            # A shared PagerDuty service or team webhook is paged once, not once per person.
            if (contact.channel, contact.target) in targets:
                continue
            targets.add((contact.channel, contact.target))
            receiver_id = f"{person.key}/{contact.channel.value}/{i}"
            found.append(Receiver(receiver_id, person, contact, role, tier, fallback))
    return tuple(found)


AUTHOR_ROLE = "silence-author"


def author_receivers(config: RoutingConfig, author: str) -> tuple[Receiver, ...]:
    """The contacts of the person a silence's author names (routing key or name, any case);
    none when the author is not in the routing file."""
    wanted = author.strip().casefold()
    person = next(
        (p for p in config.people.values() if wanted in (p.key.casefold(), p.name.casefold())),
        None,
    )
    if person is None:
        return ()
    return tuple(
        Receiver(f"{person.key}/{c.channel.value}/{i}", person, c, AUTHOR_ROLE, 1)
        for i, c in enumerate(person.contacts)
    )
