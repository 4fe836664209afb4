"""Every API route refuses anonymous callers and the wrong roles, and every episode read is in
the access log naming the user; no credential reaches the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from sqlalchemy.engine import Engine

from models.access import AccessAction, AccessOutcome
from services.store import Store, make_engine, upgrade
from services.store.access import AccessLog
from tests.integration.store.dataset import PENDING, S, episode, timer
from tests.streams.api_client import TOKEN, api_client
from tests.streams.people import ROLES, bearer, name_of, password_of, security, token_of

NOW = datetime(2026, 3, 1, tzinfo=UTC)
AT = datetime(2026, 2, 20, 8, tzinfo=UTC)

# Route, method, and the roles that get through (everyone else with a credential gets 403).
ROUTES = [
    ("GET", "/api/audit", {"coordinator", "clinician", "auditor", "admin", "service"}),
    ("GET", "/api/episodes", {"coordinator", "clinician", "service"}),
    ("GET", "/api/episodes/E1", {"coordinator", "clinician", "service"}),
    ("POST", "/fhir", {"service"}),
    ("POST", "/fhir/Patient", {"service"}),
]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine=eng)
    Store(engine=eng).apply(changes=[
        episode("E1", AT, facility="NORTH", patient_id="MRN-SECRET-1"),
        timer("E1", S, AT, facility="NORTH", status=PENDING),
    ])  # fmt: skip
    return eng


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES)
async def test_each_route_refuses_anonymous_and_wrong_roles(
    method: str, path: str, allowed: set[str], engine: Engine
) -> None:
    guard = security(engine, NOW)
    statuses: dict[str, int] = {}
    async with api_client(engine=engine, now=NOW, security=guard) as client:
        anonymous = await client.request(method, path, data=b"{}")
        assert anonymous.status == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = {"Authorization": "Bearer cw_not-a-token"}
        forged = await client.request(method, path, data=b"{}", headers=wrong)
        assert forged.status == 401
        for role in (*ROLES, "service"):
            response = await client.request(method, path, data=b"{}", headers=bearer(role))
            statuses[role] = response.status
    for role, status in statuses.items():
        if role in allowed:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


async def test_the_worker_guard_follows_its_users_file_without_a_restart(
    engine: Engine, tmp_path: Path
) -> None:
    import os

    from services.identity.credentials import token_digest

    path = tmp_path / "users.yaml"
    entry = "  - {{name: {name}, role: auditor, token_sha256: {digest}}}\n"
    path.write_text(
        "users:\n" + entry.format(name="a.one", digest=token_digest(token_of("auditor")))
    )
    async with api_client(engine=engine, now=NOW, users_file=path) as client:
        before = await client.get("/api/audit", headers=bearer("auditor"))
        path.write_text(
            "users:\n" + entry.format(name="b.two", digest=token_digest("cw_other-" + "y" * 32))
        )
        os.utime(path, ns=(1, 10**18))  # a new modification time, whatever the clock's resolution
        removed = await client.get("/api/audit", headers=bearer("auditor"))
        path.write_text("users: [ {name: b, role")  # half-way through an editor's save
        os.utime(path, ns=(1, 2 * 10**18))
        other = {"Authorization": "Bearer cw_other-" + "y" * 32}
        kept = await client.get("/api/audit", headers=other)
    # The same Runtime throughout: a removed person is refused at once, a broken save keeps the
    # last valid file.
    assert (before.status, removed.status, kept.status) == (200, 401, 200)


async def test_every_episode_read_is_recorded_naming_the_user(engine: Engine) -> None:
    guard = security(engine, NOW)
    async with api_client(engine=engine, now=NOW, security=guard) as client:
        ok = await client.get("/api/episodes/E1", headers=bearer("clinician"))
        assert ok.status == 200
        assert (await ok.json())["patient_id"] == "MRN-SECRET-1"
        missing = await client.get("/api/episodes/NOPE", headers=bearer("coordinator"))
        assert missing.status == 404
        listed = await client.get("/api/episodes?since=2026-02-01", headers=bearer("service"))
        assert listed.status == 200
        denied = await client.get("/api/episodes/E1", headers=bearer("auditor"))
        assert denied.status == 403
    records = {(r.user_name, r.action, r.target_id, r.outcome): r
               for r in AccessLog(engine=engine).query()}  # fmt: skip
    assert set(records) == {
        (name_of("clinician"), AccessAction.READ_EPISODE, "E1", AccessOutcome.OK),
        (name_of("coordinator"), AccessAction.READ_EPISODE, "NOPE", AccessOutcome.NOT_FOUND),
        ("service", AccessAction.READ_EPISODES, None, AccessOutcome.OK),
        (name_of("auditor"), AccessAction.DENIED, None, AccessOutcome.REFUSED),
    }
    read = records[(name_of("clinician"), AccessAction.READ_EPISODE, "E1", AccessOutcome.OK)]
    assert (read.role, read.via, read.remote, read.at) == ("clinician", "token", "127.0.0.1", NOW)
    # The log holds ids, never the patient's identifier.
    assert all("MRN" not in (r.model_dump_json()) for r in records.values())


async def test_a_read_the_access_log_cannot_record_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    # The store answers episode reads but has no access_log table (lost, or never migrated).
    behind = make_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    upgrade(engine=behind)
    with behind.begin() as conn:
        conn.exec_driver_sql("drop table access_log")
    Store(engine=behind).apply(changes=[episode("E1", AT, facility=None)])
    async with api_client(engine=behind, now=NOW,
                          security=security(behind, NOW)) as client:  # fmt: skip
        response = await client.get("/api/episodes/E1", headers=bearer("clinician"))
        body = await response.json()
    assert response.status == 503
    assert "access log" in body["error"]
    assert "MRN" not in str(body)


async def test_no_credential_is_logged_even_at_debug(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    guard = security(engine, NOW)
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as events:
        async with api_client(engine=engine, now=NOW, security=guard) as client:
            for role in ROLES:
                await client.get("/api/episodes/E1", headers=bearer(role))
                almost = {"Authorization": f"Bearer {token_of(role)}x"}
                await client.get("/api/audit", headers=almost)
            await client.get("/api/episodes/E1", headers=bearer("service"))
    logged = caplog.text + repr(events)
    assert events  # the access records were logged, by id
    for secret in (TOKEN, *map(token_of, ROLES), *map(password_of, ROLES), "MRN-SECRET-1"):
        assert secret not in logged


async def test_the_access_log_is_for_admins_only_and_reading_it_is_recorded(
    engine: Engine,
) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from streams.security import routes

    guard = security(engine, NOW)
    app = web.Application()
    routes.register(app, lambda: guard)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/api/access-log")).status == 401
        for role in ("coordinator", "clinician", "auditor", "service"):
            assert (await client.get("/api/access-log", headers=bearer(role))).status == 403
        bad = await client.get("/api/access-log?usr=x", headers=bearer("admin"))
        assert bad.status == 400
        reply = await client.get(f"/api/access-log?user={name_of('auditor')}",
                                 headers=bearer("admin"))  # fmt: skip
        body = await reply.json()
    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "no-store"
    assert [(r["user_name"], r["action"]) for r in body["records"]] == [
        (name_of("auditor"), "denied")
    ]
    reads = AccessLog(engine=engine).query(action=AccessAction.READ_ACCESS_LOG)
    assert [(r.user_name, r.detail) for r in reads] == [(name_of("admin"), {"count": 1})]
