"""`cordwatch audit`: time-to-treatment figures per period and facility: table, CSV, JSON, HTML."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 50
FORMATS = ("table", "csv", "json", "html")


def _instant(text: str) -> datetime:
    """A date (midnight UTC) or an RFC 3339 timestamp with offset."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or timestamp: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("a timestamp needs an offset, e.g. 2026-01-31T08:00Z")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `audit` subcommand."""
    parser = subparsers.add_parser(
        "audit", help="time from suspicion to steroids, surgical opinion, radiotherapy, surgery"
    )
    parser.add_argument(
        "--since", type=_instant, help="first suspicion time included (default: 365 days ago)"
    )
    parser.add_argument("--until", type=_instant, help="end, exclusive (default: now)")
    parser.add_argument("--facility", help="one facility code (default: all)")
    parser.add_argument("--by", choices=("month", "week", "day"), default="month")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--output", "-o", help="write to this file (default: standard output)")
    parser.add_argument(
        "--episodes",
        action="store_true",
        help="list each episode's intervals instead of the summary (table, csv or json)",
    )
    parser.add_argument(
        "--breach-limit", type=int, default=500, help="breached timers listed (default 500)"
    )
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: CORDWATCH_DATABASE_URL setting)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Query the store, render the report, write it; exit 2 on a schema or database problem."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.audit import AuditError, run_audit
    from services.audit.html import to_html
    from services.audit.render import to_csv, to_json, to_table
    from services.store import SchemaError, check_schema, make_engine
    from streams.cli.db_cmd import database_url, safe_url

    now = datetime.now(UTC)
    until = args.until or now
    since = args.since or until - timedelta(days=365)
    url = database_url(args, read_settings)
    engine = make_engine(url)
    if args.episodes and args.format == "html":
        print("cordwatch audit: --episodes prints table, csv or json", file=sys.stderr)
        return 2
    try:
        check_schema(engine=engine)
        if args.episodes:
            return _episodes(engine, since=since, until=until, args=args)
        report = run_audit(
            engine=engine, since=since, until=until, by=args.by, as_of=min(now, until),
            facility=args.facility, breach_limit=args.breach_limit,
        )  # fmt: skip
    except (SchemaError, AuditError) as exc:
        print(f"cordwatch audit: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"cordwatch audit: cannot read {safe_url(url)}: {type(exc).__name__}", file=sys.stderr
        )
        return 2
    finally:
        engine.dispose()
    render = {"table": to_table, "csv": to_csv, "json": to_json, "html": to_html}[args.format]
    _write(render(report), args.output)
    return 0


def _episodes(engine: Any, *, since: datetime, until: datetime, args: argparse.Namespace) -> int:
    from services.audit.episodes import episode_intervals
    from services.audit.render import episodes_text

    with engine.connect() as conn:
        rows = episode_intervals(conn, since=since, until=until, facility=args.facility)
    _write(episodes_text(rows, args.format), args.output)
    return 0


def _write(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
