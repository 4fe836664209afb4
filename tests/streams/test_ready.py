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


async def reachable(_target: Any) -> bool:
    return True


async def _readiness(url: str, settings: Settings | None = None) -> dict[str, Any]:
    engine = make_engine(url)
    rt = _runtime_on(engine, settings)
    from tests.streams.test_web import FakeApp

    try:
        return await web.readiness(
            FakeApp(),  # type: ignore[arg-type]
            rt=rt,
            database=web.DatabaseProbe(engine),
            reachable=reachable,
        )
    finally:
        engine.dispose()


async def test_ready_is_false_with_the_reason_when_the_database_is_unreachable() -> None:
    report = await _readiness(
        "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test?connect_timeout=1"
    )
    assert report["ready"] is False
    assert report["database_ok"] is False
    assert report["database_reason"].startswith("database unavailable")
    assert report["reasons"] == [report["database_reason"]]
    assert "s3cret" not in str(report)
    assert "sink_ok" in report  # the sink's own last write is reported alongside


async def test_ready_names_the_missing_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    behind = await _readiness(url)
    assert behind["ready"] is False
    assert "run `cordwatch db upgrade`" in behind["database_reason"]
    engine = make_engine(url)
    upgrade(engine=engine)
    engine.dispose()
    current = await _readiness(url)
    assert (current["ready"], current["database_reason"], current["reasons"]) == (True, None, [])


async def test_ready_page_answers_503_with_the_reason(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from streams.app import create_app

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    rt = _runtime_on(engine)
    app = create_app(rt.settings, runtime=rt)
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
async def test_reasons_name_each_failing_check(fake: dict[str, Any], reasons: list[str]) -> None:
    from tests.streams.test_web import FakeApp, FakeConsumer, database_fine, quiet_runtime

    if fake.get("consumer") == "empty":
        fake = {"consumer": FakeConsumer()}
    report = await web.readiness(
        FakeApp(**fake),  # type: ignore[arg-type]
        rt=quiet_runtime(),
        database=database_fine,
        reachable=reachable,
    )
    assert report["ready"] is False
    assert report["reasons"] == reasons


async def test_an_alerting_only_worker_stays_ready_while_the_database_is_down() -> None:
    # An ingest,pathway worker keeps paging during an audit-store outage (the sink runs apart).
    # No HTTP API on this worker.
    alerting = Settings(api_token="", roles=frozenset({Role.INGEST, Role.PATHWAY}))
    down = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    report = await _readiness(down, alerting)
    assert report["database_required"] is False
    assert (report["ready"], report["reasons"]) == (True, [])


def test_the_database_is_required_by_the_sink_and_by_the_http_api() -> None:
    quiet = Settings(api_token="")
    alerting = frozenset({Role.INGEST, Role.PATHWAY})
    assert not web.database_required(worker_roles=alerting, settings=quiet)
    assert web.database_required(worker_roles=frozenset({Role.SINK}), settings=quiet)
    with_api = Settings(api_token="q7Vx2mL9pR4tK8wZ1nB6cY3hJ5dF0sGa")
    assert web.database_required(worker_roles=alerting, settings=with_api)
