"""/ready reports the audit store: unreachable or behind the code's schema is 503 with why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine

from services.config import Role, Settings
from services.store import Store, make_engine, upgrade
from streams import web
from streams.bootstrap import Runtime, build_runtime
from tests.streams.api_client import get


def _runtime_on(engine: Engine, settings: Settings | None = None) -> Runtime:
    return build_runtime(
        settings or Settings(), registry=CollectorRegistry(), store=Store(engine=engine)
    )


async def _readiness(
    monkeypatch: pytest.MonkeyPatch, url: str, settings: Settings | None = None
) -> dict[str, Any]:
    engine = make_engine(url)
    monkeypatch.setattr(web, "get_runtime", lambda: _runtime_on(engine, settings))
    monkeypatch.setattr(web, "_database_probe", None)

    async def reachable(_target: Any) -> bool:
        return True

    monkeypatch.setattr(web, "broker_reachable", reachable)
    from tests.streams.test_web import FakeApp

    try:
        return await web.readiness(FakeApp())  # type: ignore[arg-type]
    finally:
        engine.dispose()


async def test_ready_is_false_with_the_reason_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = await _readiness(
        monkeypatch, "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test?connect_timeout=1"
    )
    assert report["ready"] is False
    assert report["database_ok"] is False
    assert report["database_reason"].startswith("database unavailable")
    assert report["reasons"] == [report["database_reason"]]
    assert "s3cret" not in str(report)
    assert "sink_ok" in report  # the sink's own last write is reported alongside


async def test_ready_names_the_missing_migration(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    behind = await _readiness(monkeypatch, url)
    assert behind["ready"] is False
    assert "run `cordwatch db upgrade`" in behind["database_reason"]
    engine = make_engine(url)
    upgrade(engine=engine)
    engine.dispose()
    current = await _readiness(monkeypatch, url)
    assert (current["ready"], current["database_reason"], current["reasons"]) == (True, None, [])


async def test_ready_page_answers_503_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from streams.app import app

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    monkeypatch.setattr(web, "get_runtime", lambda: _runtime_on(engine))
    monkeypatch.setattr(web, "_database_probe", None)
    async with TestClient(TestServer(app.web.web_app)) as client:
        response = await get(client, "/ready")
    engine.dispose()
    assert response.status == 503
    assert "cordwatch db upgrade" in response.body["database_reason"]


@pytest.mark.parametrize(
    ("fake", "reasons"),
    [
        ({"started": False}, ["worker not started"]),
        ({"rebalancing": True}, ["rebalance in progress"]),
        ({"consumer": "empty"}, ["no partitions assigned"]),
    ],
)
async def test_reasons_name_each_failing_check(
    fake: dict[str, Any], reasons: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.streams.test_web import FakeApp, FakeConsumer

    async def reachable(_target: Any) -> bool:
        return True

    async def database_fine() -> None:
        return None

    monkeypatch.setattr(web, "broker_reachable", reachable)
    monkeypatch.setattr(web, "database_problem", database_fine)
    if fake.get("consumer") == "empty":
        fake = {"consumer": FakeConsumer()}
    report = await web.readiness(FakeApp(**fake))  # type: ignore[arg-type]
    assert report["ready"] is False
    assert report["reasons"] == reasons


async def test_an_alerting_only_worker_stays_ready_while_the_database_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An ingest,pathway worker keeps paging during an audit-store outage (the sink runs apart).
    monkeypatch.setattr(web, "roles", frozenset({Role.INGEST, Role.PATHWAY}))
    # No HTTP API on this worker.
    down = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    report = await _readiness(monkeypatch, down, Settings(api_token=""))
    assert report["database_required"] is False
    assert (report["ready"], report["reasons"]) == (True, [])


def test_the_database_is_required_by_the_sink_and_by_the_http_api() -> None:
    quiet = Settings(api_token="")
    alerting = frozenset({Role.INGEST, Role.PATHWAY})
    assert not web.database_required(worker_roles=alerting, settings=quiet)
    assert web.database_required(worker_roles=frozenset({Role.SINK}), settings=quiet)
    with_api = Settings(api_token="q7Vx2mL9pR4tK8wZ1nB6cY3hJ5dF0sGa")
    assert web.database_required(worker_roles=alerting, settings=with_api)
