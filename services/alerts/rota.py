"""Who holds a role at a facility at a moment: shifts by local time, then overrides, then leave.

Pure: the moment is passed in (aware, any zone) and read on the facility's wall clock through
zoneinfo, so a 08:00 shift starts at 08:00 local on both sides of a daylight-saving change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.routing import Person, RoleRota, RoutingConfig, Shift


class NaiveTimeError(ValueError):
    """Rota questions need an aware moment: a naive one has no facility time."""


def on_call(config: RoutingConfig, *, role: str, facility: str, at: datetime) -> tuple[Person, ...]:
    """The people holding ``role`` at ``facility`` at ``at``; empty when nobody is on call."""
    if at.tzinfo is None:
        raise NaiveTimeError("rota lookups need an aware datetime")
    rota = config.rota.get((role, facility))
    if rota is None:
        return ()
    keys = _scheduled(rota, config, at)
    present: list[str] = []
    for key in keys:
        taken = _after_leave(config, key, at)
        if taken is not None and taken not in present:
            present.append(taken)
    return tuple(config.people[k] for k in present)


def _scheduled(rota: RoleRota, config: RoutingConfig, at: datetime) -> tuple[str, ...]:
    # An override replaces the shifts wholesale for its span: a swap or a named cover.
    active = [o for o in rota.overrides if o.start <= at < o.end]
    if active:
        return tuple(k for o in active for k in o.people)
    local = at.astimezone(config.facilities[rota.facility])
    return tuple(k for s in rota.shifts if _covers(s, local) for k in s.people)


def _covers(shift: Shift, local: datetime) -> bool:
    t, day = local.time(), local.weekday()
    if not shift.overnight:
        return day in shift.days and shift.start <= t < shift.end
    # An overnight shift belongs to the day it starts on: Friday 20:00-08:00 covers Saturday 03:00.
    yesterday = (local - timedelta(days=1)).weekday()
    return (day in shift.days and t >= shift.start) or (yesterday in shift.days and t < shift.end)


def _after_leave(config: RoutingConfig, key: str, at: datetime) -> str | None:
    """Follow leave to a cover that is present; None when the chain ends with nobody."""
    seen = {key}
    current = key
    while True:
        away = next(
            (lv for lv in config.leave if lv.person == current and lv.start <= at < lv.end), None
        )
        if away is None:
            return current
        if away.cover is None or away.cover in seen:
            return None
        seen.add(away.cover)
        current = away.cover
