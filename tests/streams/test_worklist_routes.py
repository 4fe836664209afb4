"""The worklist's routes over HTTP (in process): sign-in, cookie flags, roles, CSRF, the page's
content and order, each action's effect, and the access log naming the user."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.engine import Engine

from models.access import AccessAction, AccessOutcome
from models.tables import SilenceRow
from services.ingest import Accepted, parse
from services.store import make_engine, upgrade
from services.store.access import AccessLog
from tests.streams.people import ROLES, name_of, password_of
from tests.streams.worklist_data import Seeded, deliver, seed
from tests.streams.worklist_server import Sent, worklist_app

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
CSRF = re.compile(r"name=csrf_token value='([^']+)'")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine=eng)
    return eng


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    data = seed(engine, now=NOW, patients=3)
    deliver(engine, data.alerts[0], receiver="mscc-coordinator", at=NOW - timedelta(minutes=20))
    return data


async def sign_in(client: TestClient, role: str, password: str | None = None) -> int:  # type: ignore[type-arg]
    """Sign in as the test user of ``role``; the status of the POST."""
    form = await client.get("/signin")
    token = re.search(r"name=signin_token value='([^']+)'", await form.text())
    assert token is not None
    response = await client.post("/signin", allow_redirects=False, data={
        "name": name_of(role), "password": password or password_of(role),
        "signin_token": token.group(1),
    })  # fmt: skip
    return response.status


@asynccontextmanager
async def signed_in(engine: Engine, role: str) -> AsyncIterator[tuple[TestClient, Sent]]:  # type: ignore[type-arg]
    """A client of the worklist at NOW, signed in as the test user of ``role``, and what the
    worklist sent to the broker."""
    app, sent = worklist_app(engine, now=NOW)
    async with TestClient(TestServer(app)) as client:
        assert await sign_in(client, role) == 303
        yield client, sent


async def page_csrf(client: TestClient) -> str:  # type: ignore[type-arg]
    """The CSRF token embedded in the worklist page."""
    page = await client.get("/worklist")
    assert page.status == 200
    found = CSRF.search(await page.text())
    assert found is not None
    return found.group(1)


async def test_anonymous_callers_are_sent_to_sign_in_or_refused(
    engine: Engine, seeded: Seeded
) -> None:
    app, sent = worklist_app(engine, now=NOW)
    async with TestClient(TestServer(app)) as client:
        page = await client.get("/worklist", allow_redirects=False)
        assert (page.status, page.headers["Location"]) == (303, "/signin")
        for path in ("/worklist/data.json", "/worklist/stamp"):
            assert (await client.get(path, headers={"Accept": "application/json"})).status == 401
        alert = seeded.alerts[0].alert_id
        episode = seeded.alerts[0].episode_id
        for path in (f"/worklist/alerts/{alert}/ack", f"/worklist/episodes/{episode}/silence",
                     f"/worklist/episodes/{episode}/care", "/signout"):  # fmt: skip
            assert (await client.post(path, data={"csrf_token": "x"})).status == 401
    assert sent.acks == []
    assert sent.messages == []


@pytest.mark.parametrize("secure", [True, False])
async def test_the_session_cookie_is_httponly_strict_and_secure_behind_tls(
    engine: Engine, secure: bool
) -> None:
    app, _ = worklist_app(engine, now=NOW, secure_cookies=secure)
    async with TestClient(TestServer(app)) as client:
        form = await client.get("/signin")
        token = re.search(r"name=signin_token value='([^']+)'", await form.text())
        assert token is not None
        # A Secure cookie does not come back over this test's plain HTTP: send it as a proxy would.
        response = await client.post("/signin", allow_redirects=False, data={
            "name": name_of("coordinator"), "password": password_of("coordinator"),
            "signin_token": token.group(1),
        }, headers={"Cookie": f"cordwatch_signin={token.group(1)}"})  # fmt: skip
    assert response.status == 303
    cookie = next(c for c in response.headers.getall("Set-Cookie")
                  if c.startswith("cordwatch_session="))  # fmt: skip
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= flags
    assert "samesite=strict" in cookie.lower()
    assert ("secure" in flags) is secure
    assert "max-age=43200" in cookie.lower()  # CORDWATCH_SESSION_HOURS = 12


async def test_sign_in_needs_its_form_token_and_the_right_password_and_throttles(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = worklist_app(engine, now=NOW)
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as events:
        async with TestClient(TestServer(app)) as client:
            forged = await client.post("/signin", data={
                "name": name_of("coordinator"), "password": password_of("coordinator"),
                "signin_token": "made-up",
            })  # fmt: skip
            assert forged.status == 403
            for _ in range(5):
                assert await sign_in(client, "coordinator", "wrong password!!") == 401
            # Locked now, even with the right password.
            assert await sign_in(client, "coordinator") == 429
            assert await sign_in(client, "clinician") == 303
    logged = caplog.text + repr(events)
    for role in ROLES:
        assert password_of(role) not in logged
    assert "wrong password!!" not in logged
    refused = AccessLog(engine=engine).query(action=AccessAction.SIGN_IN_REFUSED)
    assert len(refused) == 5
    assert {r.user_name for r in refused} == {name_of("coordinator")}
    assert [r.user_name for r in AccessLog(engine=engine).query(action=AccessAction.SIGN_IN)] == [
        name_of("clinician")
    ]


@pytest.mark.parametrize("role", ["auditor", "admin"])
async def test_roles_without_patient_access_are_refused_the_page_and_the_actions(
    engine: Engine, seeded: Seeded, role: str
) -> None:
    alert = seeded.alerts[0]
    async with signed_in(engine, role) as (client, sent):
        page = await client.get("/worklist")
        assert page.status == 403
        text = await page.text()
        assert "MRN-W" not in text
        assert (await client.get("/worklist/data.json")).status == 403
        assert (await client.get("/worklist/stamp")).status == 403
        ack = await client.post(f"/worklist/alerts/{alert.alert_id}/ack",
                                data={"csrf_token": "whatever"})  # fmt: skip
        assert ack.status == 403
    assert sent.acks == []
    denied = AccessLog(engine=engine).query(action=AccessAction.DENIED)
    assert len(denied) == 4
    assert {r.user_name for r in denied} == {name_of(role)}


async def test_the_page_lists_open_episodes_soonest_deadline_first_and_records_the_read(
    engine: Engine, seeded: Seeded
) -> None:
    async with signed_in(engine, "coordinator") as (client, _):
        page = await client.get("/worklist")
        text = await page.text()
        headers = page.headers
    assert page.status == 200
    assert headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    # Oldest suspicion = soonest deadline: W0002 (suspected 2 h 30 before NOW) comes first.
    order = [m.group(1) for m in re.finditer(r"class=patient>(MRN-W\d+)<", text)]
    assert order == ["MRN-W0002", "MRN-W0001", "MRN-W0000"]
    assert "Signed in as <strong>Test Coordinator</strong>" in text
    assert "ESCC 3 (high grade)" in text
    assert "SINS 1&ndash;16" in text
    assert "<mark>Epidural tumour at T9 compresses the spinal cord" in text
    assert "Consider dexamethasone 16 mg" in text
    assert "21 h 30 min left" in text  # W0002's steroids: due 24 h after 09:30
    assert "mscc-coordinator via webhook (tier 1): delivered" in text
    # One button per unacknowledged alert: each critical page and the escalations (issue 13)
    # that went out for it while nobody acknowledged.
    assert text.count(">Acknowledge</button>") == len(seeded.alerts)
    assert sum(a.alert_type == "mescc_suspected" for a in seeded.alerts) == 3
    reads = AccessLog(engine=engine).query(action=AccessAction.READ_WORKLIST)
    assert [(r.user_name, r.role, r.via, r.detail) for r in reads] == [
        (name_of("coordinator"), "coordinator", "session", {"episodes": 3, "reviews": 0})
    ]


async def test_actions_need_the_csrf_token(engine: Engine, seeded: Seeded) -> None:
    alert = seeded.alerts[0]
    async with signed_in(engine, "clinician") as (client, sent):
        token = await page_csrf(client)
        for data in ({}, {"csrf_token": token[:-2] + "xx"}):
            ack = await client.post(f"/worklist/alerts/{alert.alert_id}/ack", data=data)
            assert ack.status == 403
            assert "CSRF" in await ack.text()
        assert sent.acks == []
        ok = await client.post(f"/worklist/alerts/{alert.alert_id}/ack",
                               data={"csrf_token": token}, allow_redirects=False)  # fmt: skip
        assert ok.status == 303
    assert [(a.alert_id, a.acknowledged_by) for a in sent.acks] == [
        (alert.alert_id, "Test Clinician")
    ]


async def test_acknowledge_silence_and_care_each_take_effect_and_are_recorded(
    engine: Engine, seeded: Seeded
) -> None:
    first, second = seeded.alerts[0], seeded.alerts[1]
    async with signed_in(engine, "coordinator") as (client, sent):
        token = await page_csrf(client)
        ack = await client.post(f"/worklist/alerts/{first.alert_id}/ack",
                                data={"csrf_token": token})  # fmt: skip
        assert "Acknowledged: escalation stops." in await ack.text()
        assert "acknowledged by Test Coordinator" in await ack.text()
        quiet = await client.post(f"/worklist/episodes/{second.episode_id}/silence",
                                  data={"csrf_token": token, "hours": "4",
                                        "reason": "family meeting, plan agreed"})  # fmt: skip
        assert "silenced until" in await quiet.text()
        too_long = {"csrf_token": token, "hours": "5000", "reason": "x"}
        bad = await client.post(f"/worklist/episodes/{second.episode_id}/silence", data=too_long)
        assert bad.status == 400
        care = await client.post(f"/worklist/episodes/{first.episode_id}/care", data={
            "csrf_token": token, "what": "steroids:dexamethasone",
            "occurred_at": "2026-12-07T11:15",
        })  # fmt: skip
        assert "Recorded: the pathway" in await care.text()
        future = await client.post(f"/worklist/episodes/{first.episode_id}/care", data={
            "csrf_token": token, "what": "surgical:neurosurgery",
            "occurred_at": "2026-12-07T13:00",
        })  # fmt: skip
        assert future.status == 400
    with engine.connect() as conn:
        silence = conn.execute(select(SilenceRow.__table__)).one()  # type: ignore[attr-defined]
    assert (silence.target, silence.author, silence.reason) == (
        second.episode_id,
        "Test Coordinator",
        "family meeting, plan agreed",
    )
    assert silence.expires_at == NOW + timedelta(hours=4)
    # Care went out as the canonical event the hospital's feed would send, and ingest takes it.
    [(topic, key, value)] = sent.messages
    assert topic == "hospital.medication-administrations"
    assert key == first.patient_id.encode()
    accepted = parse(topic=topic, key=key, raw=value, received_at=NOW)
    assert isinstance(accepted, Accepted)
    assert accepted.event.occurred_at == datetime(2026, 12, 7, 11, 15, tzinfo=UTC)
    actions = [(r.action, r.target_id, r.outcome) for r in AccessLog(engine=engine).query()
               if r.action not in (AccessAction.READ_WORKLIST, AccessAction.SIGN_IN)]  # fmt: skip
    assert sorted(actions) == sorted([
        (AccessAction.ACKNOWLEDGE, first.alert_id, AccessOutcome.OK),
        (AccessAction.SILENCE, second.episode_id, AccessOutcome.OK),
        (AccessAction.RECORD_CARE, first.episode_id, AccessOutcome.OK),
    ])  # fmt: skip
    assert all(r.user_name == name_of("coordinator") for r in AccessLog(engine=engine).query())


async def test_the_export_is_recorded_and_the_stamp_changes_when_an_alert_is_acknowledged(
    engine: Engine, seeded: Seeded
) -> None:
    async with signed_in(engine, "clinician") as (client, _):
        export = await client.get("/worklist/data.json")
        body = await export.json()
        before = (await (await client.get("/worklist/stamp")).json())["stamp"]
        token = await page_csrf(client)
        await client.post(f"/worklist/alerts/{seeded.alerts[2].alert_id}/ack",
                          data={"csrf_token": token})  # fmt: skip
        after = (await (await client.get("/worklist/stamp")).json())["stamp"]
    assert [e["patient_id"] for e in body["episodes"]] == ["MRN-W0002", "MRN-W0001", "MRN-W0000"]
    assert before != after
    assert "MRN" not in before + after
    exports = AccessLog(engine=engine).query(action=AccessAction.EXPORT)
    assert [(r.user_name, r.detail) for r in exports] == [(name_of("clinician"), {"episodes": 3})]


def test_the_worker_serves_the_worklist_beside_its_api() -> None:
    from services.config import Role, Settings
    from streams.app import create_app

    app = create_app(Settings(), roles={Role.SINK})  # the pages are on every worker
    paths = {r.resource.canonical for r in app.web.web_app.router.routes() if r.resource}  # type: ignore[attr-defined]
    assert {"/worklist", "/signin", "/signout", "/worklist/stamp", "/api/episodes"} <= paths
    assert "/api/access-log" in paths
