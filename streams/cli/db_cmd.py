"""`cordwatch db upgrade|check|current`: apply and inspect the audit store's schema migrations."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 60


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `db` subcommand and its actions."""
    parser = subparsers.add_parser("db", help="audit store schema: upgrade, check, current")
    parser.add_argument(
        "action",
        choices=("upgrade", "check", "current"),
        help="upgrade: apply migrations; check: exit 2 unless at the code's revision; "
        "current: print the database's revision",
    )
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: CORDWATCH_DATABASE_URL setting)"
    )
    parser.set_defaults(handler=run)


def database_url(args: argparse.Namespace, read_settings: SettingsSource) -> str:
    """The URL from the flag, else from settings (read only then)."""
    if args.database_url:
        return str(args.database_url)
    return read_settings().database_url


def safe_url(url: str) -> str:
    """The URL with its password masked, fit for a terminal or a log."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Run one schema action; exit 2 when the check fails or the database is unreachable."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.store import (
        SchemaError,
        check_schema,
        current_revision,
        head_revision,
        make_engine,
        upgrade,
    )

    url = database_url(args, read_settings)
    engine = make_engine(url)
    try:
        if args.action == "upgrade":
            before = current_revision(engine=engine)
            after = upgrade(engine=engine)
            print(f"{safe_url(url)}: schema {before or 'empty'} -> {after}")
        elif args.action == "check":
            print(f"{safe_url(url)}: schema at {check_schema(engine=engine)} (up to date)")
        else:
            current = current_revision(engine=engine)
            print(f"{safe_url(url)}: database {current or 'empty'}, code {head_revision()}")
    except SchemaError as exc:
        print(f"cordwatch db {args.action}: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"cordwatch db {args.action}: cannot use {safe_url(url)}: {type(exc).__name__}",
            file=sys.stderr,
        )
        return 2
    finally:
        engine.dispose()
    return 0
