"""The notify worker on the real broker with real local receivers, across a SIGKILL mid-flood.

Every critical alert reaches the webhook and PagerDuty exactly once per receiver (their
idempotency and dedup keys absorb the re-read after the kill), while the webhook fails for a while
and then recovers; email, which has no such key, may repeat: bounded by the kill window, counted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from aiokafka import (  # type: ignore[import-untyped,unused-ignore]
    AIOKafkaConsumer,
    AIOKafkaProducer,
    TopicPartition,
)
from aiosmtpd.controller import Controller

from models.outputs import Alert, AlertType, Priority
from services.store import make_engine
from services.store.migrations import upgrade
from tests.integration.notify.servers import (
    Mailbox,
    PagerDutyReceiver,
    WebhookReceiver,
    free_port,
    serve,
)

pytestmark = [pytest.mark.broker, pytest.mark.slow]

SECRET = "n" * 40
ROUTING_KEY = "P" * 32
FLOOD = 60


def routing_file(path: Path, *, webhook: str, only_webhook: bool = False) -> Path:
    data = {
        "version": 1,
        "facilities": {"NORTH": {"timezone": "Europe/London"}},
        "people": {
            "night": {
                "name": "Night Doctor",
                "contacts": [
                    {"webhook": webhook},
                    {"email": "night@north.example"},
                    {"pagerduty": ROUTING_KEY},
                ],
            }
        },
        "routes": [{"name": "all", "match": {}, "tiers": {1: "registrar"}}],
        "rota": {
            "registrar": {
                "NORTH": {
                    "shifts": [{"days": "all", "from": "00:00", "to": "00:00", "people": ["night"]}]
                }
            }
        },
    }
    if only_webhook:
        data["people"]["night"]["contacts"] = [{"webhook": webhook}]  # type: ignore[index]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def alerts(run: str) -> list[Alert]:
    now = datetime.now(UTC)
    return [
        Alert(
            alert_id=f"{run}-{i:03d}",
            alert_type=AlertType.MESCC_SUSPECTED,
            priority=Priority.CRITICAL,
            episode_id=f"ep-{run}-{i}",
            patient_id=f"MRN-{run}-{i}",  # one patient each: no grouping window holds them
            facility="NORTH",
            at=now,
            summary=f"Suspected MESCC T{i % 12 + 1}",
        )
        for i in range(FLOOD)
    ]


def start_notify(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("cordwatch")), "notify"],
        env=env,
        stdout=handle,
        stderr=handle,
    )


async def wait_for(predicate: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def start_group_at_end(broker: str, group: str) -> None:
    """Commit the notify group's offsets at the end of the alerts topic, as a group that has
    already paged what came before would have: the shared test broker holds every earlier test's
    alerts, and a new group reading them all from the earliest offset would page them first."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic("cordwatch.alerts") or set()
        parts = [TopicPartition("cordwatch.alerts", p) for p in sorted(partitions)]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


async def test_flood_with_sigkill_and_a_recovering_receiver(broker: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    hook = WebhookReceiver(secret=SECRET.encode(), fail_next=25)
    pd = PagerDutyReceiver()
    mailbox = Mailbox()
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    smtp_port = free_port()
    smtp = Controller(
        mailbox, hostname="127.0.0.1", port=smtp_port, tls_context=server_ctx, require_starttls=True
    )
    smtp.start()
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(db)
    upgrade(engine=engine)
    try:
        async with serve({"/hook": hook.handle, "/v2/enqueue": pd.handle}) as url:
            env = {
                **os.environ,
                "CORDWATCH_KAFKA_BOOTSTRAP": broker,
                "CORDWATCH_APP_ID": f"cw-notify-{run}",
                "CORDWATCH_ROUTING_FILE": str(
                    routing_file(tmp_path / "r.yaml", webhook=f"{url}/hook")
                ),
                "CORDWATCH_DATABASE_URL": db,
                "CORDWATCH_WEBHOOK_SECRET": SECRET,
                "CORDWATCH_SMTP_HOST": "127.0.0.1",
                "CORDWATCH_SMTP_PORT": str(smtp_port),
                "CORDWATCH_PAGERDUTY_ENDPOINT": f"{url}/v2/enqueue",
                "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": "4",
                "CORDWATCH_NOTIFY_WEB_PORT": "0",
                "SSL_CERT_FILE": str(ca_file),  # the throwaway CA, for STARTTLS
            }
            await start_group_at_end(broker, f"cw-notify-{run}-notify-pages")
            producer = AIOKafkaProducer(bootstrap_servers=broker)
            await producer.start()
            try:
                sent = alerts(run)
                for a in sent:
                    await producer.send_and_wait(
                        "cordwatch.alerts",
                        key=a.patient_id.encode(),
                        value=a.model_dump_json().encode(),
                    )
            finally:
                await producer.stop()
            log = tmp_path / "notify.log"
            first = start_notify(env, log)

            def mine(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
                return [p for p in pages if p["alert_id"].startswith(run)]

            try:
                await wait_for(lambda: len(mine(hook.pages)) >= 15, 90, "the first pages")
            finally:
                first.send_signal(signal.SIGKILL)
                first.wait(10)
            at_kill = len(mine(hook.pages))
            assert at_kill < FLOOD, "the kill came after the flood: nothing was tested"
            second = start_notify(env, log)
            try:
                want = {a.alert_id for a in sent}
                await wait_for(
                    lambda: (
                        {p["alert_id"] for p in mine(hook.pages)} == want
                        and want <= set(pd.incidents)
                        and want <= {_alert_of(m) for m in mailbox.messages}
                        and stored_deliveries(engine, run) == (FLOOD, FLOOD, FLOOD)
                    ),
                    120,
                    "every alert on every channel",
                )
            finally:
                second.send_signal(signal.SIGTERM)
                assert second.wait(20) == 0
    finally:
        smtp.stop()
        engine.dispose()
    per_alert = Counter(p["alert_id"] for p in mine(hook.pages))
    assert set(per_alert.values()) == {1}, "a webhook page was accepted twice"
    assert hook.bad_signatures == 0
    triggers = [e for e in pd.events if e["dedup_key"].startswith(run)]
    assert {e["dedup_key"] for e in triggers} == {a.alert_id for a in sent}
    assert all(state == "triggered" for k, state in pd.incidents.items() if k.startswith(run))
    emails = Counter(_alert_of(m) for m in mailbox.messages)
    duplicates = sum(n - 1 for n in emails.values())
    # Only pages in flight at the kill can repeat by email: bounded, and the count is reported.
    assert duplicates <= 15, f"{duplicates} duplicate emails"
    print(
        f"killed after {at_kill}/{FLOOD} webhook pages; webhook repeats absorbed by the key: "
        f"{hook.repeats}; email duplicates: {duplicates}"
    )
    text = log.read_text(encoding="utf-8")
    assert "Night Doctor" not in text
    assert "night@north.example" not in text
    assert f"MRN-{run}" not in text


def stored_deliveries(engine: Any, run: str) -> tuple[int, int, int]:
    """Alerts stored as delivered per channel (webhook, email, pagerduty) for this run."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "select channel, count(distinct alert_id) from delivery_attempts "
            f"where outcome = 'delivered' and alert_id like '{run}-%' group by channel"
        ).all()
    found = dict(rows)
    return found.get("webhook", 0), found.get("email", 0), found.get("pagerduty", 0)


def _alert_of(message: Any) -> str:
    return str(message["X-Cordwatch-Alert"])
