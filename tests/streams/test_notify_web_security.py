"""The notify worker's ack and silence API: users' own tokens act as themselves, the wrong role
is refused, and each action is in the access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from models.access import AccessAction
from models.events import AlertAcknowledged
from models.outputs import Alert, AlertType, Priority
from services.alerts import acklink
from services.alerts.acks import Acknowledger, AckStore
from services.config import Settings
from services.store import Store, make_engine, upgrade
from services.store.access import AccessLog
from services.store.deliveries import DeliveryStore
from streams.notify.web import build_app
from tests.streams.api_client import FixedClock
from tests.streams.people import bearer, name_of, security

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


async def test_ack_and_silence_need_a_role_that_acts_and_name_the_user(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine=engine)
    Store(engine=engine).apply(alerts=[Alert(
        alert_id=alert_id, alert_type=AlertType.TIMER_BREACHED, priority=Priority.CRITICAL,
        episode_id="E1", patient_id="MRN-1", facility="NORTH", at=NOW, summary="overdue",
    ) for alert_id in ("A1", "A2")])  # fmt: skip
    published: list[AlertAcknowledged] = []

    async def publish(event: AlertAcknowledged) -> None:
        published.append(event)

    store = AckStore(engine=engine)
    app = build_app(
        settings=Settings(), acknowledger=Acknowledger(store=store, publish=publish,
                                                       clock=FixedClock(NOW)),
        store=store, registry=CollectorRegistry(), link_secret=b"l" * 32, now=lambda: NOW,
        silences=DeliveryStore(engine=engine), security=lambda: security(engine, NOW),
    )  # fmt: skip
    silence = {"scope": "episode", "target": "E1", "reason": "palliative", "by": "Forged",
               "minutes": 60}  # fmt: skip
    async with TestClient(TestServer(app)) as client:
        assert (await client.post("/api/alerts/A1/ack", json={"by": "x"})).status == 401
        assert (await client.post("/api/silences", json=silence)).status == 401
        for role in ("auditor", "admin"):
            ack = await client.post("/api/alerts/A1/ack", json={"by": "x"}, headers=bearer(role))
            assert ack.status == 403
            quiet = await client.post("/api/silences", json=silence, headers=bearer(role))
            assert quiet.status == 403
        # A user's body cannot say someone else acknowledged: the token decides.
        ack = await client.post("/api/alerts/A1/ack", json={"by": "Forged"},
                                headers=bearer("coordinator"))  # fmt: skip
        assert ack.status == 202
        assert (await ack.json())["acknowledged_by"] == "Test Coordinator"
        quiet = await client.post("/api/silences", json=silence, headers=bearer("clinician"))
        assert quiet.status == 201
        silence_id = (await quiet.json())["silence_id"]
        # The service credential relays for a person named in the body.
        end = await client.post(f"/api/silences/{silence_id}/end", json={"by": "Dr Relay"},
                                headers=bearer("service"))  # fmt: skip
        assert end.status == 200
        # The page's one-tap link acts as the person it was sent to, and is recorded so.
        link = acklink.sign(secret=b"l" * 32, alert_id="A2", receiver="dr-oncall", now=NOW,
                            valid=timedelta(hours=1))  # fmt: skip
        assert (await client.post(f"/ack/{link}")).status == 200
    assert [e.acknowledged_by for e in published] == ["Test Coordinator", "dr-oncall"]
    actions = sorted((r.user_name, r.action.value, r.target_id)
                     for r in AccessLog(engine=engine).query())  # fmt: skip
    assert actions == sorted([
        (name_of("auditor"), "denied", None), (name_of("auditor"), "denied", None),
        (name_of("admin"), "denied", None), (name_of("admin"), "denied", None),
        (name_of("coordinator"), AccessAction.ACKNOWLEDGE.value, "A1"),
        (name_of("clinician"), AccessAction.SILENCE.value, silence_id),
        ("service", AccessAction.END_SILENCE.value, silence_id),
        ("dr-oncall", AccessAction.ACKNOWLEDGE.value, "A2"),
    ])  # fmt: skip
    linked = AccessLog(engine=engine).query(user="dr-oncall")
    assert [(r.role, r.via) for r in linked] == [("on_call", "link")]
    with engine.connect() as conn:
        author, ended_by = conn.exec_driver_sql(
            "select author, ended_by from silences where silence_id = ?", (silence_id,)
        ).one()
    assert (author, ended_by) == ("Test Clinician", "Dr Relay")
