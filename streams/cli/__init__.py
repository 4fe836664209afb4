"""The `cordwatch` command: one entry point, one module per subcommand.

Every module ``streams/cli/<name>_cmd.py`` is a subcommand: it exposes ``ORDER`` (its place in
``--help``) and ``register(subparsers)``, which adds its parser and sets ``handler``. Each module
imports its heavy dependencies (Faust, the database) inside its handler, so `cordwatch detect`
starts fast enough to sit in a pipe.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from services.config import ConfigError

CONFIG_ERROR_STATUS = 78  # EX_CONFIG (sysexits.h): the configuration is wrong, do not retry as is


def _subcommand_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_cmd")]
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="cordwatch",
        description="Cordwatch: MESCC detection and time-to-treatment timers on Kafka streams.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _subcommand_modules():
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `cordwatch` command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.handler(args)
    except ConfigError as exc:
        # One line per problem, each naming its CORDWATCH_* variable; no value, no traceback.
        for problem in exc.problems:
            print(f"cordwatch: configuration: {problem}", file=sys.stderr)
        return CONFIG_ERROR_STATUS
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
