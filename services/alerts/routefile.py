"""Read and validate the routing file: every problem found at once, one clear line each.

``parse_routing`` is pure (a mapping in, a ``RoutingConfig`` or a ``RouteFileError`` out);
``load_routing`` only adds reading the YAML. Messages name the place in the file and the key at
fault, never a person's name or contact, so a start-up failure can go to any log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from itertools import product
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from models.outputs import AlertType, Priority, TimerKind
from models.routing import (
    Channel,
    Contact,
    Leave,
    Override,
    Person,
    RoleRota,
    Route,
    RouteMatch,
    RoutingConfig,
    Shift,
)

DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_TOP_KEYS = {"version", "facilities", "default_facility", "people", "routes", "rota", "leave"}
_MATCH_KEYS = {"facility", "alert_type", "priority", "timer"}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class RouteFileError(ValueError):
    """The routing file cannot be used; ``problems`` lists every reason, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(
            f"routing file: {count} problem{'s' if count != 1 else ''}\n"
            + "\n".join(f"  {p}" for p in self.problems)
        )


def load_routing(path: Path | str) -> RoutingConfig:
    """Read and validate the routing file at ``path``."""
    chosen = Path(path)
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RouteFileError([f"cannot read {chosen}: {type(exc).__name__}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RouteFileError([f"{chosen} is not valid YAML{where}"]) from None
    return parse_routing(data)


def parse_routing(data: object) -> RoutingConfig:
    """Validate a routing mapping (as read from YAML); raise RouteFileError listing all problems."""
    p: list[str] = []
    if not isinstance(data, Mapping):
        raise RouteFileError(["the file must be a mapping with facilities, people, routes, rota"])
    for key in sorted(set(map(str, data)) - _TOP_KEYS):
        p.append(f"{key}: unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")
    if data.get("version") != 1:
        p.append("version: must be 1")
    facilities = _facilities(data.get("facilities"), p)
    default_facility = data.get("default_facility")
    if default_facility is not None and default_facility not in facilities:
        p.append(f"default_facility: {default_facility!r} is not under facilities")
    people = _people(data.get("people"), p)
    rota = _rota(data.get("rota"), facilities, people, p)
    leave = _leave(data.get("leave"), facilities, people, p)
    routes = _routes(data.get("routes"), facilities, p)
    _check_roles(routes, rota, facilities, p)
    if p:
        raise RouteFileError(p)
    return RoutingConfig(
        facilities=facilities,
        people=people,
        routes=routes,
        rota=rota,
        leave=leave,
        default_facility=default_facility,
    )


def _facilities(raw: object, p: list[str]) -> dict[str, ZoneInfo]:
    if not isinstance(raw, Mapping) or not raw:
        p.append("facilities: must map each site code to {timezone: ...}")
        return {}
    found: dict[str, ZoneInfo] = {}
    for code, body in raw.items():
        where = f"facilities.{code}"
        name = body.get("timezone") if isinstance(body, Mapping) else None
        # A facility with a bad zone is still declared: its rota entries raise no second problem.
        found[str(code)] = ZoneInfo("UTC")
        if not isinstance(name, str):
            p.append(f"{where}.timezone: required (an IANA name such as Europe/London)")
            continue
        try:
            found[str(code)] = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            p.append(f"{where}.timezone: {name!r} is not a known IANA time zone")
    return found


def _people(raw: object, p: list[str]) -> dict[str, Person]:
    if not isinstance(raw, Mapping) or not raw:
        p.append("people: must map each person's key to {name, contacts}")
        return {}
    found: dict[str, Person] = {}
    for key, body in raw.items():
        where = f"people.{key}"
        if not _KEY.match(str(key)):
            p.append(f"{where}: a key is letters, digits, '.', '_' or '-' (it is what logs show)")
        if not isinstance(body, Mapping):
            p.append(f"{where}: must be a mapping with name and contacts")
            continue
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            p.append(f"{where}.name: required")
        contacts = _contacts(body.get("contacts"), where, p)
        found[str(key)] = Person(key=str(key), name=str(name or ""), contacts=contacts)
    return found


def _contacts(raw: object, where: str, p: list[str]) -> tuple[Contact, ...]:
    if not isinstance(raw, list) or not raw:
        p.append(f"{where}.contacts: at least one of email, webhook, pagerduty")
        return ()
    found: list[Contact] = []
    for i, item in enumerate(raw):
        at = f"{where}.contacts[{i}]"
        if not isinstance(item, Mapping) or len(item) != 1:
            p.append(f"{at}: one channel per entry, e.g. {{email: someone@hospital.example}}")
            continue
        ((channel, target),) = item.items()
        if channel not in set(Channel):
            p.append(f"{at}: unknown channel {channel!r} (email, webhook or pagerduty)")
            continue
        # The value is a contact: say what is wrong with it, never echo it.
        if not isinstance(target, str) or not target.strip():
            p.append(f"{at}.{channel}: must be a non-empty string")
        elif channel == Channel.EMAIL and not _EMAIL.match(target):
            p.append(f"{at}.email: not an email address")
        elif channel == Channel.WEBHOOK and not target.startswith(("https://", "http://")):
            p.append(f"{at}.webhook: must be an http(s) URL")
        elif channel == Channel.PAGERDUTY and not re.fullmatch(r"[A-Za-z0-9]{20,64}", target):
            p.append(f"{at}.pagerduty: must be an Events API v2 routing key (32 letters/digits)")
        else:
            found.append(Contact(channel=Channel(channel), target=target))
    return tuple(found)


def _rota(
    raw: object, facilities: Mapping[str, ZoneInfo], people: Mapping[str, Person], p: list[str]
) -> dict[tuple[str, str], RoleRota]:
    if not isinstance(raw, Mapping) or not raw:
        p.append("rota: must map each role to its facilities' shifts")
        return {}
    found: dict[tuple[str, str], RoleRota] = {}
    for role, sites in raw.items():
        if not isinstance(sites, Mapping) or not sites:
            p.append(f"rota.{role}: must map facility codes to {{shifts, overrides}}")
            continue
        for site, body in sites.items():
            where = f"rota.{role}.{site}"
            zone = facilities.get(str(site))
            if zone is None:
                p.append(f"{where}: facility {site!r} is not under facilities")
                continue
            if not isinstance(body, Mapping):
                p.append(f"{where}: must be a mapping with shifts (and optional overrides)")
                continue
            shifts = tuple(
                s
                for i, item in enumerate(_list(body.get("shifts"), f"{where}.shifts", p))
                if (s := _shift(item, f"{where}.shifts[{i}]", people, p)) is not None
            )
            overrides = tuple(
                o
                for i, item in enumerate(_list(body.get("overrides", []), f"{where}.overrides", p))
                if (o := _override(item, f"{where}.overrides[{i}]", zone, people, p)) is not None
            )
            found[(str(role), str(site))] = RoleRota(str(role), str(site), shifts, overrides)
    return found


def _list(raw: object, where: str, p: list[str]) -> list[Any]:
    if not isinstance(raw, list):
        p.append(f"{where}: must be a list")
        return []
    return raw


def _shift(item: object, where: str, people: Mapping[str, Person], p: list[str]) -> Shift | None:
    if not isinstance(item, Mapping):
        p.append(f"{where}: must be a mapping with days, from, to, people")
        return None
    days = _days(item.get("days"), f"{where}.days", p)
    start = _hhmm(item.get("from"), f"{where}.from", p)
    end = _hhmm(item.get("to"), f"{where}.to", p)
    who = _who(item.get("people"), f"{where}.people", people, p)
    if days is None or start is None or end is None or who is None:
        return None
    return Shift(days=days, start=start, end=end, people=who)


def _days(raw: object, where: str, p: list[str]) -> frozenset[int] | None:
    if raw == "all":
        return frozenset(range(7))
    if not isinstance(raw, list) or not raw:
        p.append(f"{where}: a list of mon..sun, or all")
        return None
    bad = [d for d in raw if str(d).lower() not in DAYS]
    if bad:
        p.append(f"{where}: unknown day {bad[0]!r} (mon, tue, wed, thu, fri, sat, sun)")
        return None
    return frozenset(DAYS[str(d).lower()] for d in raw)


def _hhmm(raw: object, where: str, p: list[str]) -> time | None:
    if raw == "24:00":
        return time(0, 0)
    # YAML 1.1 reads an unquoted 08:00 as the sexagesimal number 480.
    if isinstance(raw, int) and 0 <= raw < 24 * 60:
        return time(raw // 60, raw % 60)
    m = _HHMM.match(str(raw)) if isinstance(raw, str) else None
    if m is None:
        p.append(f"{where}: a local time as HH:MM (00:00 to 23:59)")
        return None
    return time(int(m.group(1)), int(m.group(2)))


def _who(
    raw: object, where: str, people: Mapping[str, Person], p: list[str]
) -> tuple[str, ...] | None:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        p.append(f"{where}: a list of people's keys")
        return None
    unknown = [str(k) for k in raw if str(k) not in people]
    for key in unknown:
        p.append(f"{where}: {key!r} is not under people")
    return None if unknown else tuple(map(str, raw))


def _moment(raw: object, where: str, zone: ZoneInfo, p: list[str]) -> datetime | None:
    """A date (local midnight) or a date-time; without an offset it is the facility's local time."""
    value: datetime | None = None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time(0, 0))
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            value = None
    if value is None:
        p.append(f"{where}: a date (2026-12-24) or a date and time (2026-12-24T08:00)")
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _span(
    item: Mapping[str, Any], where: str, zone: ZoneInfo, p: list[str]
) -> tuple[datetime, datetime] | None:
    start = _moment(item.get("from"), f"{where}.from", zone, p)
    end = _moment(item.get("to"), f"{where}.to", zone, p)
    if start is None or end is None:
        return None
    if end <= start:
        p.append(f"{where}: to must be after from")
        return None
    return start, end


def _override(
    item: object, where: str, zone: ZoneInfo, people: Mapping[str, Person], p: list[str]
) -> Override | None:
    if not isinstance(item, Mapping):
        p.append(f"{where}: must be a mapping with from, to, people")
        return None
    span = _span(item, where, zone, p)
    who = _who(item.get("people"), f"{where}.people", people, p)
    if span is None or who is None:
        return None
    return Override(start=span[0], end=span[1], people=who, reason=str(item.get("reason", "")))


def _leave(
    raw: object, facilities: Mapping[str, ZoneInfo], people: Mapping[str, Person], p: list[str]
) -> tuple[Leave, ...]:
    if raw is None:
        return ()
    found: list[Leave] = []
    # Leave has no facility: dates without an offset are read in the first facility's zone.
    zone = next(iter(facilities.values()), ZoneInfo("UTC"))
    for i, item in enumerate(_list(raw, "leave", p)):
        where = f"leave[{i}]"
        if not isinstance(item, Mapping):
            p.append(f"{where}: must be a mapping with person, from, to (and optional cover)")
            continue
        person = item.get("person")
        if str(person) not in people:
            p.append(f"{where}.person: {person!r} is not under people")
        cover = item.get("cover")
        if cover is not None and str(cover) not in people:
            p.append(f"{where}.cover: {cover!r} is not under people")
        span = _span(item, where, zone, p)
        if span is not None and str(person) in people:
            found.append(
                Leave(str(person), span[0], span[1], None if cover is None else str(cover))
            )
    return tuple(found)


def _routes(raw: object, facilities: Mapping[str, ZoneInfo], p: list[str]) -> tuple[Route, ...]:
    if not isinstance(raw, list) or not raw:
        p.append("routes: a list of {name, match, tiers}, first match wins")
        return ()
    found: list[Route] = []
    for i, item in enumerate(raw):
        where = f"routes[{i}]"
        if not isinstance(item, Mapping):
            p.append(f"{where}: must be a mapping with name, match, tiers")
            continue
        name = str(item.get("name") or f"route {i + 1}")
        match = _match(item.get("match", {}), f"{where}.match", facilities, p)
        tiers = _tiers(item.get("tiers"), f"{where}.tiers", p)
        fallback = item.get("fallback")
        if match is not None and tiers is not None:
            found.append(Route(name, match, tiers, None if fallback is None else str(fallback)))
    return tuple(found)


def _match(
    raw: object, where: str, facilities: Mapping[str, ZoneInfo], p: list[str]
) -> RouteMatch | None:
    if not isinstance(raw, Mapping):
        p.append(f"{where}: a mapping of facility, alert_type, priority, timer ({{}} matches all)")
        return None
    for key in sorted(set(map(str, raw)) - _MATCH_KEYS):
        p.append(f"{where}.{key}: unknown key (facility, alert_type, priority or timer)")
    ok = True

    def values(key: str, allowed: Sequence[str]) -> frozenset[str] | None:
        nonlocal ok
        got = raw.get(key)
        if got is None:
            return None
        items = [got] if isinstance(got, str) else got
        if not isinstance(items, list) or not items:
            p.append(f"{where}.{key}: a value or a list of values")
            ok = False
            return None
        for v in items:
            if str(v) not in allowed:
                p.append(f"{where}.{key}: unknown value {v!r} (one of {', '.join(allowed)})")
                ok = False
        return frozenset(map(str, items))

    sites = values("facility", sorted(facilities))
    types = values("alert_type", [t.value for t in AlertType])
    prios = values("priority", [t.value for t in Priority])
    timers = values("timer", [*(t.value for t in TimerKind), "none"])
    if not ok:
        return None
    return RouteMatch(
        facilities=sites,
        alert_types=None if types is None else frozenset(AlertType(t) for t in types),
        priorities=None if prios is None else frozenset(Priority(t) for t in prios),
        timers=None
        if timers is None
        else frozenset(None if t == "none" else TimerKind(t) for t in timers),
    )


def _tiers(raw: object, where: str, p: list[str]) -> tuple[str, ...] | None:
    if not isinstance(raw, Mapping) or not raw:
        p.append(f"{where}: map tier numbers 1, 2, 3 ... to roles")
        return None
    try:
        numbers = sorted(int(k) for k in raw)
    except (TypeError, ValueError):
        p.append(f"{where}: tier keys must be numbers 1, 2, 3 ...")
        return None
    if numbers != list(range(1, len(numbers) + 1)):
        p.append(f"{where}: tiers must be numbered 1, 2, 3 ... without gaps (found {numbers})")
        return None
    by_number = {int(k): v for k, v in raw.items()}
    return tuple(str(by_number[n]) for n in numbers)


def _check_roles(
    routes: Sequence[Route],
    rota: Mapping[tuple[str, str], RoleRota],
    facilities: Mapping[str, ZoneInfo],
    p: list[str],
) -> None:
    """Every role a route can page exists in the rota at every facility the route covers, and
    every alert at every facility finds a route: a page with no route reaches nobody."""
    if not routes or not facilities:
        return
    for i, route in enumerate(routes):
        sites = route.match.facilities or frozenset(facilities)
        roles = [(f"tiers.{n}", r) for n, r in enumerate(route.tiers, 1)]
        if route.fallback is not None:
            roles.append(("fallback", route.fallback))
        for (where, role), site in product(roles, sorted(sites)):
            if (role, site) not in rota:
                p.append(f"routes[{i}].{where}: role {role!r} has no rota at facility {site}")
    for site, alert_type, priority in product(sorted(facilities), AlertType, Priority):
        for timer in (None, *TimerKind):
            if not any(route_matches(r.match, site, alert_type, priority, timer) for r in routes):
                label = timer.value if timer is not None else "none"
                p.append(
                    f"routes: nothing matches facility {site}, alert_type {alert_type.value}, "
                    f"priority {priority.value}, timer {label} (add a catch-all route last)"
                )
                return  # one gap is enough to say a catch-all is missing


def route_matches(
    match: RouteMatch,
    facility: str,
    alert_type: AlertType,
    priority: Priority,
    timer: TimerKind | None,
) -> bool:
    """Whether an alert with these attributes fits ``match``."""
    return (
        (match.facilities is None or facility in match.facilities)
        and (match.alert_types is None or alert_type in match.alert_types)
        and (match.priorities is None or priority in match.priorities)
        and (match.timers is None or timer in match.timers)
    )
