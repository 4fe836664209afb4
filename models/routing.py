"""Who is paged: the routing file (routes, rota, people) as frozen shapes (see services.alerts).

A route matches alerts on facility, alert type, priority and timer and names a role per escalation
tier; the rota says which people hold each role at each facility by local time of day and week,
with dated overrides (swaps) and leave. People's names and contacts live only here and in the
delivery adapters: they never enter a log, a metric or an error message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.outputs import AlertType, Priority, TimerKind


class Channel(StrEnum):
    """How a page reaches a receiver."""

    WEBHOOK = "webhook"
    EMAIL = "email"
    PAGERDUTY = "pagerduty"


@dataclass(frozen=True)
class Contact:
    """One way to reach a person: an email address, a webhook URL or a PagerDuty routing key."""

    channel: Channel
    target: str = field(repr=False)  # personal data: never printed by repr, never logged


@dataclass(frozen=True)
class Person:
    """Someone on the rota; ``key`` is the routing file's label, the only thing logs may name."""

    key: str
    name: str = field(repr=False)
    contacts: tuple[Contact, ...] = field(repr=False)


@dataclass(frozen=True)
class Shift:
    """Local wall-clock hours on some weekdays (0 = Monday).

    ``end <= start`` runs past midnight into the next day; ``end == start`` is a 24-hour shift.
    """

    days: frozenset[int]
    start: time
    end: time
    people: tuple[str, ...]

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class Override:
    """For [start, end) these people hold the role instead of the shifts' (a swap or a cover)."""

    start: datetime
    end: datetime
    people: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class Leave:
    """``person`` is away for [start, end); ``cover`` takes their shifts, or nobody does."""

    person: str
    start: datetime
    end: datetime
    cover: str | None = None


@dataclass(frozen=True)
class RoleRota:
    """One role at one facility."""

    role: str
    facility: str
    shifts: tuple[Shift, ...]
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class RouteMatch:
    """Each field: None matches anything; otherwise the alert's value must be in the set."""

    facilities: frozenset[str] | None = None
    alert_types: frozenset[AlertType] | None = None
    priorities: frozenset[Priority] | None = None
    # The "none" timer (alerts without one) is spelt None inside the set.
    timers: frozenset[TimerKind | None] | None = None


@dataclass(frozen=True)
class Route:
    """The first route whose match fits an alert decides its roles, tier by tier."""

    name: str
    match: RouteMatch
    tiers: tuple[str, ...]  # tiers[0] is tier 1's role
    fallback: str | None = None  # a role paged when a tier's receiver cannot be reached in time


@dataclass(frozen=True)
class RoutingConfig:
    """The whole validated routing file."""

    facilities: dict[str, ZoneInfo]
    people: dict[str, Person]
    routes: tuple[Route, ...]
    rota: dict[tuple[str, str], RoleRota]  # (role, facility)
    leave: tuple[Leave, ...] = ()
    default_facility: str | None = None  # alerts without a facility are routed as this one
