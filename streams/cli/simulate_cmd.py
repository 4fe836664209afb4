"""`cordwatch simulate`: a simulated hospital publishing patient stories to the inbound topics.

Cancer admissions, spine imaging reports from varied templates (positives at every ESCC grade,
hard negatives, preliminary/final/amended versions, later MRs ruling MESCC out), steroids given
promptly, late or never, surgical consults, radiotherapy and surgery, bedside assessments,
discharges and deaths, late-charted records and a fraction of broken messages. The stories come
from services.simulation (pure, seeded); this command only paces and publishes them.

--backdate HOURS moves the stories into the past so that 24-hour deadlines fall during a demo;
what would happen after now is left out, or with --follow published when its time comes.
--due-in MINUTES goes further for a short demo: each suspected MESCC is placed so that its
deadlines fall within the next MINUTES.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.config import Settings
    from services.simulation import FeedConfig, SimMessage
    from streams.cli import SettingsSource

ORDER = 40
DEFAULT_PATIENTS = 50
DEFAULT_GAP_MINUTES = 20.0


def register(subparsers: Any) -> None:
    """Add the `simulate` subcommand."""
    parser = subparsers.add_parser(
        "simulate",
        help="publish a simulated hospital feed (patient stories) to the inbound topics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument(
        "--rate", type=float, default=20.0, help="messages per second (0: as fast as possible)"
    )
    size = parser.add_argument_group(
        "how much (default: 50 patients; with --backdate: admissions across the whole window)"
    )
    size.add_argument("--patients", type=int, default=None, help="number of patient stories")
    size.add_argument(
        "--duration", type=float, default=None, help="stop after this many seconds of publishing"
    )
    size.add_argument("--count", type=int, default=None, help="stop after this many messages")
    parser.add_argument(
        "--backdate",
        type=float,
        default=0.0,
        metavar="HOURS",
        help="start the stories this many hours in the past (admissions spread over the window)",
    )
    parser.add_argument(
        "--due-in",
        type=float,
        default=None,
        metavar="MINUTES",
        help="demo mode: place every story so its 24-hour deadlines fall within the next "
        "MINUTES (history up to now is published, the rest dropped unless --follow)",
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="with --backdate or --due-in: publish future events when their time comes",
    )
    parser.add_argument(
        "--start", default=None, help="clinical time of the first admission (RFC 3339)"
    )
    parser.add_argument(
        "--gap-minutes",
        type=float,
        default=None,
        help="mean clinical minutes between admissions (default 20, or the backdate window "
        "divided by --patients)",
    )
    parser.add_argument(
        "--invalid-fraction",
        type=float,
        default=0.02,
        help="share of deliberately invalid messages (default 0.02)",
    )
    parser.add_argument(
        "--bootstrap", default=None, help="Kafka bootstrap (default CORDWATCH_KAFKA_BOOTSTRAP)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="write JSON lines to stdout instead of producing"
    )
    parser.add_argument("--out", type=Path, default=None, help="write JSON lines to this file")
    parser.add_argument(
        "--format",
        choices=("kafka", "replay"),
        default="kafka",
        help="kafka: {topic, key, value|raw} lines (the `cordwatch demo --events` format); "
        "replay: canonical events with received_at (`cordwatch replay` input; invalid ones "
        "are left out)",
    )
    parser.set_defaults(handler=run)


class SimulateUsageError(ValueError):
    """The options contradict each other."""


def build_config(args: argparse.Namespace, *, now: datetime) -> FeedConfig:
    """The feed configuration the options describe, with ``now`` the wall-clock time."""
    from services.simulation import FeedConfig

    if args.backdate < 0:
        raise SimulateUsageError("--backdate must not be negative")
    if args.rate < 0:
        raise SimulateUsageError("--rate must not be negative")
    demo = args.due_in is not None
    if demo and (args.backdate or args.start):
        raise SimulateUsageError("--due-in places stories itself: drop --backdate and --start")
    if demo and args.due_in <= 0:
        raise SimulateUsageError("--due-in must be positive")
    past = bool(args.backdate) or demo
    if args.follow and not past:
        raise SimulateUsageError("--follow needs --backdate or --due-in")
    window = timedelta(hours=args.backdate)
    start = _parse_time(args.start) if args.start else now - window
    patients = args.patients
    unbounded = args.count is not None or args.duration is not None or args.backdate
    if patients is None and (demo or not unbounded):
        patients = DEFAULT_PATIENTS
    gap = args.gap_minutes
    if gap is None:
        gap = window.total_seconds() / 60 / patients if args.backdate and patients else None
    return FeedConfig(
        seed=args.seed,
        start=start,
        patients=patients,
        mean_gap=timedelta(minutes=gap or DEFAULT_GAP_MINUTES),
        horizon=now if past and not args.follow else None,
        invalid_fraction=args.invalid_fraction,
        due_within=timedelta(minutes=args.due_in) if demo else None,
    )


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise SimulateUsageError("--start needs an offset, e.g. 2026-03-01T08:00:00Z")
    return moment


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Generate the feed, then write it out or produce it; print counts per topic."""
    from services.simulation import FeedConfigError, generate

    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 10**6)
    try:
        config = build_config(args, now=datetime.now(UTC))
    except (SimulateUsageError, FeedConfigError) as exc:
        print(f"cordwatch simulate: {exc}", file=sys.stderr)
        return 2
    print(f"cordwatch simulate: seed {args.seed} (repeat with --seed {args.seed})", file=sys.stderr)
    limit = args.count
    writing = args.dry_run or args.out is not None
    if writing and args.duration is not None and args.rate > 0:
        # A file has no wall clock: write what the duration would have published at the rate.
        by_duration = int(args.duration * args.rate)
        limit = by_duration if limit is None else min(limit, by_duration)
    messages: Iterator[SimMessage] = islice(generate(config), limit)
    counts: Counter[str] = Counter()
    if writing:
        if args.out is None:
            write_lines(messages, sys.stdout, fmt=args.format, counts=counts)
        else:
            with args.out.open("w", encoding="utf-8") as handle:
                write_lines(messages, handle, fmt=args.format, counts=counts)
        _print_counts(counts, stream=sys.stderr if args.out is None else sys.stdout)
        return 0
    return _produce_and_report(args, messages, counts, settings=read_settings())


def write_lines(
    messages: Iterable[SimMessage], handle: IO[str], *, fmt: str, counts: Counter[str]
) -> None:
    """Write one JSON line per message in ``fmt`` ("kafka" or "replay"), counting per topic."""
    for message in messages:
        line = message.kafka_line() if fmt == "kafka" else message.replay_line()
        if line is None:
            continue
        handle.write(line + "\n")
        counts[message.topic] += 1
        if not message.valid:
            counts["(invalid)"] += 1


def _produce_and_report(
    args: argparse.Namespace,
    messages: Iterator[SimMessage],
    counts: Counter[str],
    *,
    settings: Settings,
) -> int:
    from aiokafka.errors import KafkaError

    from streams.broker import BrokerError, client_options
    from streams.simulated_feed import produce

    bootstrap = args.bootstrap or settings.kafka_bootstrap
    if not bootstrap:
        print(
            "cordwatch simulate: no Kafka bootstrap; pass --bootstrap or set "
            "CORDWATCH_KAFKA_BOOTSTRAP (`cordwatch broker` starts one), or use --dry-run",
            file=sys.stderr,
        )
        return 2
    status = 0
    try:
        asyncio.run(
            produce(
                messages,
                bootstrap=bootstrap,
                options=client_options(settings),
                partitions=settings.partitions,
                rate=args.rate,
                duration=args.duration,
                follow=args.follow,
                counts=counts,
            )
        )
    except KeyboardInterrupt:
        print("cordwatch simulate: interrupted", file=sys.stderr)
        status = 130
    except (KafkaError, BrokerError, OSError) as exc:
        print(f"cordwatch simulate: Kafka error: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    _print_counts(counts, stream=sys.stdout)
    return status


def _print_counts(counts: Counter[str], *, stream: IO[str]) -> None:
    topics = {name: n for name, n in counts.items() if name != "(invalid)"}
    for name in sorted(topics):
        print(f"{name}\t{topics[name]}", file=stream)
    print(f"total\t{sum(topics.values())}\t(invalid {counts['(invalid)']})", file=stream)
