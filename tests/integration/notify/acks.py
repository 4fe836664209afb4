"""What the acknowledgement tests share: a migrated store holding their alerts, the ack
service's settings, PagerDuty's signed webhook, `cordwatch ack` as an operator runs it, and
what reached cordwatch.alert-acks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped,unused-ignore]

from models.outputs import Alert
from services.config import Settings
from services.store import make_engine
from services.store.migrations import upgrade
from services.store.store import Store

# The three secrets, 40 characters each (the settings' minimum); test only.
LINK, API, PD = "l" * 40, "a" * 40, "p" * 40
ACKS_TOPIC = "cordwatch.alert-acks"


def stored(tmp_path: Path, alerts: Iterable[Alert]) -> str:
    """A SQLite audit store in ``tmp_path`` at the code's schema, holding ``alerts``; its URL."""
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(db)
    upgrade(engine=engine)
    Store(engine=engine).apply(alerts=list(alerts))
    engine.dispose()
    return db


def ack_settings(*, broker: str, db: str) -> Settings:
    """The ack service's settings: this broker and store, the three secrets, any free port."""
    return Settings(
        kafka_bootstrap=broker,
        database_url=db,
        api_token=API,  # type: ignore[arg-type]
        ack_link_secret=LINK,  # type: ignore[arg-type]
        pagerduty_webhook_secret=PD,  # type: ignore[arg-type]
        notify_web_port=0,
    )


def pagerduty_acknowledged(alert_id: str) -> tuple[bytes, str]:
    """PagerDuty's V3 webhook body acknowledging ``alert_id`` by Dr Pager, and its v1
    signature."""
    body = json.dumps(
        {
            "event": {
                "event_type": "incident.acknowledged",
                "agent": {"summary": "Dr Pager"},
                "data": {"incident_key": alert_id},
            }
        }
    ).encode()
    return body, "v1=" + hmac.new(PD.encode(), body, hashlib.sha256).hexdigest()


async def cordwatch_ack(
    alert_id: str, *, by: str, broker: str, db: str
) -> subprocess.CompletedProcess[str]:
    """`cordwatch ack ALERT --by BY` in a child process, with only this broker and store set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
    env |= {"CORDWATCH_KAFKA_BOOTSTRAP": broker, "CORDWATCH_DATABASE_URL": db}
    cordwatch = str(Path(sys.executable).with_name("cordwatch"))
    return await asyncio.to_thread(
        subprocess.run,
        [cordwatch, "ack", alert_id, "--by", by],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def read_acks(
    broker: str,
    *,
    group: str,
    key_of: Callable[[dict[str, Any]], str | None],
    count: int,
    within: float,
) -> dict[str, tuple[bytes | None, bytes]]:
    """The records on cordwatch.alert-acks by ``key_of(document)`` (None: not this test's),
    read from the earliest offset until ``count`` keys are seen or ``within`` seconds pass; a
    later record under the same key replaces an earlier one."""
    consumer = AIOKafkaConsumer(
        ACKS_TOPIC, bootstrap_servers=broker, group_id=group, auto_offset_reset="earliest"
    )
    await consumer.start()
    seen: dict[str, tuple[bytes | None, bytes]] = {}
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=within)
        while len(seen) < count and datetime.now(UTC) < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for rec in records:
                    key = key_of(json.loads(rec.value))
                    if key is not None:
                        seen[key] = (rec.key, rec.value)
    finally:
        await consumer.stop()
    return seen
