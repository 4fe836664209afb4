"""`cordwatch schema`: write the event contract as JSON Schema files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 30


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `schema` subcommand."""
    parser = subparsers.add_parser(
        "schema", help="write JSON Schema files of the event contract to models/schemas/"
    )
    parser.add_argument("--out", type=Path, default=None, help="directory (default models/schemas)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Write the schema files and list them."""
    from models.schema_export import SCHEMA_DIR, write_schemas

    for path in write_schemas(args.out or SCHEMA_DIR):
        print(path)
    return 0
