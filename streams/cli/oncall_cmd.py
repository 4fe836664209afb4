"""`cordwatch oncall`: who each alert type reaches at each tier, at a facility and a moment.

It prints to the terminal of the person asking (names and channels, never contact addresses) and
logs nothing. A routing file with problems prints every problem and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from models.outputs import AlertType, Priority, TimerKind
from models.routing import RoutingConfig
from services.alerts.routefile import RouteFileError, load_routing
from services.alerts.routing import reach, route_for

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 60
# Alert types that never carry a timer; the others are routed per timer kind.
_TIMERLESS = frozenset(
    {
        AlertType.MESCC_SUSPECTED,
        AlertType.EPISODE_CLOSED,
        AlertType.FINDING_WITHDRAWN,
        AlertType.REVIEW_REQUESTED,
    }
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `oncall` subcommand."""
    parser = subparsers.add_parser(
        "oncall", help="print who each alert type reaches at each tier at a facility and time"
    )
    parser.add_argument("--facility", required=True, help="site code, e.g. NORTH")
    parser.add_argument(
        "--at",
        type=_moment,
        default=None,
        help="RFC 3339 moment, e.g. 2026-12-24T03:00Z (default: now)",
    )
    parser.add_argument(
        "--routing", default=None, help="routing file (default: CORDWATCH_ROUTING_FILE)"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(handler=run)


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("not an RFC 3339 time such as 2026-12-24T03:00Z") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give an offset (Z or +01:00): the rota is time-zoned")
    return value


@dataclass(frozen=True)
class Row:
    """One alert shape's route and, per tier, the people on call."""

    alert_type: str
    priority: str
    timer: str
    route: str
    tiers: tuple[tuple[int, str, tuple[tuple[str, tuple[str, ...]], ...]], ...]


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Print the on-call table; 2 when the routing file or the facility is unusable."""
    path = args.routing or read_settings().routing_file
    if not path:
        print("cordwatch oncall: give --routing or set CORDWATCH_ROUTING_FILE", file=sys.stderr)
        return 2
    try:
        config = load_routing(path)
    except RouteFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.facility not in config.facilities:
        known = ", ".join(sorted(config.facilities))
        print(
            f"cordwatch oncall: unknown facility {args.facility!r} (known: {known})",
            file=sys.stderr,
        )
        return 2
    at = args.at or datetime.now(UTC)
    rows = table(config, facility=args.facility, at=at)
    if args.format == "json":
        json.dump(_as_json(rows, facility=args.facility, at=at), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(rows, config=config, facility=args.facility, at=at, out=sys.stdout)
    return 0


def table(config: RoutingConfig, *, facility: str, at: datetime) -> list[Row]:
    """One row per alert type and priority (and per timer where the routes differ by timer)."""
    rows: list[Row] = []
    for alert_type in AlertType:
        timers: tuple[TimerKind | None, ...] = (
            (None,) if alert_type in _TIMERLESS else tuple(TimerKind)
        )
        for priority in Priority:
            shapes = [
                (
                    timer,
                    route_for(
                        config,
                        facility=facility,
                        alert_type=alert_type,
                        priority=priority,
                        timer=timer,
                    ),
                )
                for timer in timers
            ]
            same = len({r.name for _, r in shapes}) == 1
            for timer, route in shapes[:1] if same else shapes:
                label = "-" if alert_type in _TIMERLESS else ("any" if same else str(timer))
                tiers = tuple(
                    (
                        t.tier,
                        t.role,
                        tuple(
                            (p.name, tuple(c.channel.value for c in p.contacts)) for p in t.people
                        ),
                    )
                    for t in reach(config, route, facility=facility, at=at)
                )
                rows.append(Row(alert_type.value, priority.value, label, route.name, tiers))
    return rows


def _print(
    rows: list[Row], *, config: RoutingConfig, facility: str, at: datetime, out: TextIO
) -> None:
    zone = config.facilities[facility]
    local = at.astimezone(zone)
    out.write(
        f"on call at {facility} at {at.astimezone(UTC):%Y-%m-%d %H:%MZ} "
        f"({local:%a %Y-%m-%d %H:%M} {zone.key})\n"
    )
    out.write(
        f"{'alert type':<17} {'priority':<9} {'timer':<20} {'route':<18} tier  role -> on call\n"
    )
    for row in rows:
        lead = f"{row.alert_type:<17} {row.priority:<9} {row.timer:<20} {row.route:<18}"
        for i, (tier, role, people) in enumerate(row.tiers):
            who = "; ".join(f"{name} ({', '.join(ch)})" for name, ch in people) or "NOBODY ON CALL"
            prefix = lead if i == 0 else " " * len(lead)
            out.write(f"{prefix} {tier:<4}  {role} -> {who}\n")


def _as_json(rows: list[Row], *, facility: str, at: datetime) -> dict[str, object]:
    return {
        "facility": facility,
        "at": at.astimezone(UTC).isoformat(),
        "routes": [
            {
                "alert_type": r.alert_type,
                "priority": r.priority,
                "timer": r.timer,
                "route": r.route,
                "tiers": [
                    {
                        "tier": tier,
                        "role": role,
                        "on_call": [{"name": n, "channels": list(ch)} for n, ch in people],
                    }
                    for tier, role, people in r.tiers
                ],
            }
            for r in rows
        ],
    }
