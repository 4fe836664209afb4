"""The `cordwatch` command: one entry point, one module per subcommand.

Every module ``streams/cli/<name>_cmd.py`` is a subcommand: it exposes ``ORDER`` (its place in
``--help``) and ``register(subparsers)``, which adds its parser and sets ``handler``. Each module
imports its heavy dependencies (Faust, the database) inside its handler, so `cordwatch detect`
starts fast enough to sit in a pipe.

A handler is ``handler(args, settings)``: ``settings()`` is this invocation's `Settings`, read
from the CORDWATCH_* environment on first use and then the same object (a command that needs
none, such as `cordwatch detect`, never reads the environment). The handler passes them down;
nothing below it reads the environment or a cached global. Tests call ``main(argv,
settings=Settings(...))``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from services.config import CONFIG_ERROR_STATUS as CONFIG_ERROR_STATUS  # re-exported
from services.config import ConfigError, Settings, load_settings

# What a handler is given: this invocation's settings, read on first call (`InvocationSettings`).
SettingsSource = Callable[[], Settings]


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


class InvocationSettings:
    """The settings of one `cordwatch` invocation: given, or read from the environment once."""

    def __init__(self, given: Settings | None = None) -> None:
        self._settings = given

    def __call__(self) -> Settings:
        """The settings; ConfigError (one line per problem) when the environment is wrong."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings


def main(argv: Sequence[str] | None = None, *, settings: Settings | None = None) -> int:
    """Run the `cordwatch` command line and return its exit status.

    `settings` replaces the CORDWATCH_* environment (tests, and child processes given theirs).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = args.handler(args, InvocationSettings(settings))
    except ConfigError as exc:
        # One line per problem, each naming its CORDWATCH_* variable; no value, no traceback.
        for problem in exc.problems:
            print(f"cordwatch: configuration: {problem}", file=sys.stderr)
        return CONFIG_ERROR_STATUS
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
