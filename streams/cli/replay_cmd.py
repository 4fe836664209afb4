"""`cordwatch replay`: run canonical events through the pathway reducer on a simulated clock."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 30


def register(subparsers: Any) -> None:
    """Add the `replay` subcommand."""
    parser = subparsers.add_parser(
        "replay",
        help="replay canonical events (JSONL) through the pathway with a simulated clock",
        description=(
            "Feed canonical events (DESIGN.md section 2, one JSON object a line, file order = "
            "arrival order) through the same reducer the worker runs. A line may carry "
            "received_at to model a late arrival; the clock moves to received_at (or "
            "occurred_at) and never backwards, firing due timers on the way. Prints every "
            "output as a JSON line, or with --summary one line per episode."
        ),
    )
    parser.add_argument("events", help="JSONL file of canonical events, or - for stdin")
    parser.add_argument(
        "--until",
        metavar="TIME",
        help="RFC 3339 time: after the last event, fire every deadline up to this time",
    )
    parser.add_argument(
        "--summary", action="store_true", help="print one JSON line per episode instead"
    )
    parser.add_argument(
        "--page-after",
        metavar="TIME",
        help="RFC 3339 time: page nothing about clinical times before it "
        "(default: $CORDWATCH_PAGE_AFTER)",
    )
    parser.add_argument(
        "--policy",
        metavar="PATH",
        help="policy YAML (default: $CORDWATCH_POLICY, else the packaged policy)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Replay the file; exit 2 on an unreadable line or policy."""
    import json

    from pydantic import TypeAdapter, ValidationError

    from models.events import Timestamp
    from services.pathway.replay import ReplayError, read_lines, replay
    from services.policy import PolicyError, load_policy

    settings = read_settings()  # CORDWATCH_POLICY, _PAGE_AFTER, _ID_KEY: as the worker reads them
    try:
        policy = load_policy(args.policy or settings.policy)
        until = TypeAdapter(Timestamp).validate_python(args.until) if args.until else None
        after = settings.page_after
        if args.page_after:
            after = TypeAdapter(Timestamp).validate_python(args.page_after)
        # The worker's ids, when CORDWATCH_ID_KEY is set; else the development key.
        key = settings.id_secret()
    except PolicyError as exc:  # one line per problem
        for problem in exc.problems:
            print(f"cordwatch replay: {problem}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"cordwatch replay: {exc}", file=sys.stderr)
        return 2
    try:
        if args.events == "-":
            driver, outputs = replay(
                read_lines(sys.stdin), policy=policy, until=until, page_after=after, id_key=key
            )
        else:
            with open(args.events, encoding="utf-8") as handle:
                driver, outputs = replay(
                    read_lines(handle), policy=policy, until=until, page_after=after, id_key=key
                )
    except (ReplayError, OSError) as exc:
        print(f"cordwatch replay: {exc}", file=sys.stderr)
        return 2
    if driver.refused:
        shown = ", ".join(str(n) for n in driver.refused[:10])
        print(
            f"cordwatch replay: refused {len(driver.refused)} line(s) as ingest would "
            f"(bad_timestamp: outside the accepted time range): line {shown}",
            file=sys.stderr,
        )
    out = sys.stdout
    if args.summary:
        for line in driver.summaries():
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    else:
        for output in outputs:
            out.write(output.model_dump_json() + "\n")
    return 0
