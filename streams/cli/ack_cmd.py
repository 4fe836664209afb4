"""`cordwatch ack ALERT_ID --by NAME`: acknowledge a page from a terminal.

The acknowledgement goes to cordwatch.alert-acks (the pathway stops the escalation) and is
stored on the alert row, exactly as a one-tap link or the API does. Needs
CORDWATCH_KAFKA_BOOTSTRAP and the audit store (CORDWATCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 61


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `ack` subcommand."""
    parser = subparsers.add_parser("ack", help="acknowledge an alert (stops its escalation)")
    parser.add_argument("alert_id")
    parser.add_argument("--by", required=True, help="who acknowledges (stored, never logged)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Acknowledge; 1 when the alert is unknown, 2 when the broker is not configured."""
    import asyncio

    from prometheus_client import CollectorRegistry

    from models.access import AccessAction
    from services.alerts.acks import Acknowledger, AckStore, UnknownAlertError
    from services.store import make_engine
    from streams.cli.access_record import record_cli
    from streams.clock import SystemClock
    from streams.notify.publish import AckPublisher, own_outbox

    settings = read_settings()
    if not settings.kafka_bootstrap:
        print("cordwatch ack: set CORDWATCH_KAFKA_BOOTSTRAP", file=sys.stderr)
        return 2
    by = args.by.strip()
    if not 0 < len(by) <= 128:
        print("cordwatch ack: --by is 1 to 128 characters", file=sys.stderr)
        return 2

    async def main() -> int:
        engine = make_engine(settings.database_url)
        try:
            async with own_outbox(settings, registry=CollectorRegistry()) as outbox:
                acker = Acknowledger(
                    store=AckStore(engine=engine), publish=AckPublisher(outbox).send,
                    clock=SystemClock(),
                )  # fmt: skip
                result = await acker.acknowledge(args.alert_id, by=by, via="cli")
            record_cli(engine, AccessAction.ACKNOWLEDGE, target_kind="alert",
                       target_id=args.alert_id[:64], detail={"by": by})  # fmt: skip
        except UnknownAlertError:
            print(f"cordwatch ack: no stored alert {args.alert_id}", file=sys.stderr)
            return 1
        finally:
            engine.dispose()
        state = "acknowledged" if result.first else "already acknowledged"
        print(
            f"{result.alert_id} {state} by {result.acknowledged_by} at "
            f"{result.acknowledged_at:%Y-%m-%d %H:%M:%SZ}"
        )
        return 0

    return asyncio.run(main())
