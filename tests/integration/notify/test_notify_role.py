"""CORDWATCH_ROLES=notify: a worker that only pages, in its own consumer group."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped,unused-ignore]

from models.outputs import Alert, AlertType, Priority
from services.config import Role, Settings
from services.store import make_engine
from services.store.migrations import upgrade
from streams.notify.loop import group_id
from tests.conftest import TEST_PARTITIONS
from tests.integration.notify.servers import WebhookReceiver, free_port, serve
from tests.integration.notify.test_notify_broker import routing_file, wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]
SECRET = "r" * 40


def test_notify_is_opt_in_and_has_its_own_group() -> None:
    assert Role.NOTIFY not in Settings().roles
    settings = Settings(roles="notify,pathway")  # type: ignore[arg-type]
    assert Role.NOTIFY in settings.roles
    assert group_id(settings) != settings.faust_app_id


async def test_a_notify_worker_pages_an_alert(broker: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    hook = WebhookReceiver(secret=SECRET.encode())
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(db)
    upgrade(engine=engine)
    engine.dispose()
    async with serve({"/hook": hook.handle}) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
        # Only the webhook: this worker also pages every alert earlier tests left on the shared
        # topic, and must not try the real PagerDuty or wait on an unconfigured SMTP relay.
        env |= {
            "CORDWATCH_ROLES": "notify",
            "CORDWATCH_KAFKA_BOOTSTRAP": broker,
            "CORDWATCH_APP_ID": f"cw-role-{run}",
            "CORDWATCH_ROUTING_FILE": str(
                routing_file(tmp_path / "r.yaml", webhook=f"{url}/hook", only_webhook=True)
            ),
            "CORDWATCH_DATABASE_URL": db,
            "CORDWATCH_WEBHOOK_SECRET": SECRET,
            "CORDWATCH_WEB_PORT": str(free_port()),
            "CORDWATCH_DATA_DIR": str(tmp_path / "var"),
            "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": "4",
            "CORDWATCH_NOTIFY_WEB_PORT": str(free_port()),
            "CORDWATCH_PARTITIONS": str(TEST_PARTITIONS),
        }
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for by polling
            [str(Path(sys.executable).with_name("cordwatch")), "worker"],
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            alert = Alert(
                alert_id=f"{run}-role",
                alert_type=AlertType.TIMER_BREACHED,
                priority=Priority.CRITICAL,
                episode_id=f"ep-{run}",
                patient_id=f"MRN-{run}",
                facility="NORTH",
                at=datetime.now(UTC),
                summary="OVERDUE: steroids not recorded",
            )
            producer = AIOKafkaProducer(bootstrap_servers=broker)
            await producer.start()
            try:
                await producer.send_and_wait(
                    "cordwatch.alerts",
                    key=alert.patient_id.encode(),
                    value=alert.model_dump_json().encode(),
                )
            finally:
                await producer.stop()
            # A worker's start on 2 shared cores with a loaded broker can take a minute or more.
            await wait_for(
                lambda: any(p["alert_id"] == alert.alert_id for p in hook.pages), 240, "the page"
            )
        finally:
            worker.terminate()
            worker.wait(30)
    assert f"MRN-{run}" not in (tmp_path / "worker.log").read_text(encoding="utf-8")
