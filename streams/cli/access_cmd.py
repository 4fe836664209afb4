"""`cordwatch access-log`: who read which episode or acted on it, when and from where (admins).

Reads the audit store directly (CORDWATCH_DATABASE_URL), so it is for whoever holds the
database's credentials: the hospital's administrators. Newest first; ``--format json`` gives
one JSON object per line for a SIEM. Targets are episode, alert and silence ids, never patient
ids; look an episode up with `cordwatch audit` or the API to see whose it is.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 52


def _instant(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a date (2026-12-07) or an instant with offset") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("an instant needs an offset (Z or +00:00)")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `access-log` subcommand."""
    parser = subparsers.add_parser("access-log", help="who saw or did what (admins)")
    parser.add_argument("--since", type=_instant)
    parser.add_argument("--until", type=_instant)
    parser.add_argument("--user", help="sign-in name (or 'service')")
    parser.add_argument("--target", help="an episode, alert or silence id")
    parser.add_argument("--action", help="e.g. read_episode, acknowledge, silence")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--database-url", help="default: CORDWATCH_DATABASE_URL")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Print the matching access records."""
    from models.access import AccessAction
    from services.store import StoreError, make_engine
    from services.store.access import AccessLog

    url = args.database_url or read_settings().database_url
    try:
        action = AccessAction(args.action) if args.action else None
    except ValueError:
        names = ", ".join(a.value for a in AccessAction)
        print(f"cordwatch access-log: --action: one of {names}", file=sys.stderr)
        return 2
    engine = make_engine(url)
    try:
        records = AccessLog(engine=engine).query(
            since=args.since, until=args.until, user=args.user, target_id=args.target,
            action=action, limit=args.limit,
        )  # fmt: skip
    except StoreError as exc:
        print(f"cordwatch access-log: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if args.format == "json":
        for r in records:
            print(r.model_dump_json())
        return 0
    print(f"{'at (UTC)':<20} {'user':<16} {'role':<12} {'via':<8} {'action':<16} "
          f"{'target':<34} {'from':<16} outcome")  # fmt: skip
    for r in records:
        target = f"{r.target_kind or ''}:{r.target_id or ''}".strip(":")
        where = r.remote or ""
        print(f"{r.at:%Y-%m-%d %H:%M:%S} {r.user_name:<16} {r.role:<12} {r.via:<8} "
              f"{r.action.value:<16} {target:<34} {where:<16} {r.outcome.value}")  # fmt: skip
    return 0
