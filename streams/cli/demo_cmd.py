"""`cordwatch demo` (what `make run` runs): a hospital feed in, the on-call alerts out, live.

Starts the embedded broker (unless CORDWATCH_KAFKA_BOOTSTRAP is set) and a worker process on the
migrated audit store, publishes examples/events.jsonl (two messages malformed on purpose) and
echoes the worker's ingest log lines, then runs the simulated hospital (services.simulation):
seeded patient stories backdated about a day so that their 24-hour deadlines pass during the
demo. Every other patient's hospital speaks HL7 v2 and FHIR R4, as real ones do: the demo starts an
MLLP listener and sends their admissions, reports, doses and consult orders over it (each waits for
its ACK), and the rest of their record as FHIR to the worker's /fhir; the gateway maps them to the
same events. Every alert on cordwatch.alerts is printed as it fires, patients as pseudonyms only.
After --duration seconds (or Ctrl-C with --forever) it prints what came out, what would fire next,
where the audit store is, and stops broker and worker.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

# load_feed stays importable here: `cordwatch simulate`'s tests load its output through it.
from streams.demo.feed import load_feed
from streams.demo.options import (
    DEFAULT_DURATION_SECONDS,
    DEFAULT_PATIENTS,
    DEFAULT_RATE,
    DEFAULT_SEED,
    DEFAULT_TIMEOUT_SECONDS,
    EXAMPLES,
    DemoOptions,
)

__all__ = ["ORDER", "load_feed", "register", "run"]

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 1


def register(subparsers: Any) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run broker + worker + simulated hospital; show alerts as they fire",
        description=__doc__,
    )
    parser.add_argument("--events", type=Path, default=EXAMPLES, help="JSON-lines feed to publish")
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION_SECONDS,
        help="seconds the simulated hospital runs after the examples (default %(default)s; "
        "0: examples only)",
    )
    parser.add_argument(
        "--forever",
        "--keep-running",
        dest="forever",
        action="store_true",
        help="keep the simulated hospital and the worker running until Ctrl-C",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator seed")
    parser.add_argument(
        "--patients",
        type=int,
        default=DEFAULT_PATIENTS,
        help="simulated patient stories (a third placed so warnings, not deadlines, pass live)",
    )
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="simulator messages per second"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help="seconds to wait for ingest's outputs",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Run the demo; exit 0 when every message came out where it should, 130 on Ctrl-C."""
    from streams.demo.session import run_demo

    if args.duration < 0 or args.rate <= 0 or args.patients < 0:
        print("cordwatch demo: --duration, --patients >= 0 and --rate > 0", file=sys.stderr)
        return 2
    return run_demo(args.events, options=DemoOptions.from_args(args), settings=read_settings())
