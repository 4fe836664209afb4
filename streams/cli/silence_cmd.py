"""`cordwatch silence`: stop pages for an episode or a patient for a while, with a reason.

``add`` (``--episode ID`` or ``--patient ID``, ``--reason``, ``--by``, ``--for 4h``), ``end
SILENCE_ID --by NAME`` and ``list``. Silenced alerts are still stored (outcome ``silenced``);
each silence keeps its author, reason, times and who ended it, for the audit.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 62
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `silence` subcommand."""
    parser = subparsers.add_parser("silence", help="silence pages for an episode or patient")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="start a silence")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--episode")
    target.add_argument("--patient")
    add.add_argument("--reason", required=True)
    add.add_argument("--by", required=True)
    add.add_argument("--for", dest="duration", type=duration, required=True, help="e.g. 4h, 2d")
    end = sub.add_parser("end", help="end a silence early")
    end.add_argument("silence_id")
    end.add_argument("--by", required=True)
    sub.add_parser("list", help="silences still holding")
    parser.set_defaults(handler=run)


def duration(text: str) -> timedelta:
    """4h, 30m, 2d."""
    m = _DURATION.match(text)
    if m is None:
        raise argparse.ArgumentTypeError("a duration such as 30m, 4h or 2d")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return timedelta(**{unit: float(m.group(1))})


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Add, end or list silences in the audit store."""
    from models.access import AccessAction
    from models.alerting import Silence, SilenceScope
    from services.store import make_engine
    from services.store.deliveries import DeliveryStore
    from streams.cli.access_record import record_cli

    engine = make_engine(read_settings().database_url)
    store = DeliveryStore(engine=engine)
    now = datetime.now(UTC)
    try:
        if args.action == "add":
            scope = SilenceScope.EPISODE if args.episode else SilenceScope.PATIENT
            silence = Silence(
                silence_id=f"sil-{uuid.uuid4().hex[:16]}",
                scope=scope,
                target=args.episode or args.patient,
                reason=args.reason,
                author=args.by,
                created_at=now,
                expires_at=now + args.duration,
            )
            store.add_silence(silence)
            # A patient-scope target is a patient id: the record names the silence instead.
            record_cli(engine, AccessAction.SILENCE, target_kind=scope.value,
                       target_id=args.episode or silence.silence_id,
                       detail={"silence_id": silence.silence_id, "by": args.by})  # fmt: skip
            print(
                f"{silence.silence_id} silences this {scope.value} until "
                f"{silence.expires_at:%Y-%m-%d %H:%MZ}"
            )
            return 0
        if args.action == "end":
            if not store.end_silence(args.silence_id, by=args.by, at=now):
                print(f"cordwatch silence: no open silence {args.silence_id}", file=sys.stderr)
                return 1
            record_cli(engine, AccessAction.END_SILENCE, target_kind="silence",
                       target_id=args.silence_id[:64], detail={"by": args.by})  # fmt: skip
            print(f"{args.silence_id} ended")
            return 0
        holding = store.list_silences(at=now)
        record_cli(engine, AccessAction.READ_SILENCES, detail={"count": len(holding)})
        for s in holding:
            # The target may be a patient id: this is the operator's terminal, not a log.
            until = f"{s.ends_at:%Y-%m-%d %H:%MZ}"
            print(
                f"{s.silence_id}  {s.scope.value:<8} {s.target}  until {until}  by {s.author}: "
                f"{s.reason}"
            )
        return 0
    finally:
        engine.dispose()
