"""The API's edge: bearer token, disabled API, bad parameters, an unreachable store.

These requests are answered before (or without) a successful query, so a SQLite file is enough;
content on both dialects is in tests/integration/store/test_api_db.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services.config import Settings
from services.store import make_engine, upgrade
from tests.streams.api_client import AUTH, TOKEN, api_client, get

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine=eng)
    return eng


@pytest.mark.parametrize("path", ["/api/audit", "/api/episodes", "/api/episodes/E1"])
async def test_no_token_or_a_wrong_one_is_401_with_a_bearer_challenge(
    path: str, engine: Engine
) -> None:
    async with api_client(engine=engine, now=NOW) as client:
        missing = await get(client, path)
        wrong = await get(client, path, {"Authorization": f"Bearer {TOKEN[:-1]}x"})
        basic = await get(client, path, {"Authorization": f"Basic {TOKEN}"})
        right = await get(client, path, AUTH)
    for response in (missing, wrong, basic):
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "token" in response.body["error"]
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    # The right token gets through to the store (an unknown episode is a 404, not a 401).
    assert right.status == (404 if path.endswith("E1") else 200)
    assert right.headers["Cache-Control"] == "no-store"


async def test_empty_token_disables_the_api_with_503_even_for_a_token(engine: Engine) -> None:
    async with api_client(engine=engine, now=NOW, token="") as client:
        response = await get(client, "/api/audit", {"Authorization": "Bearer "})
        with_any = await get(client, "/api/episodes", AUTH)
    assert response.status == with_any.status == 503
    assert "CORDWATCH_API_TOKEN" in with_any.body["error"]


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/api/audit?by=year", "by"),
        ("/api/audit?since=yesterday", "since"),
        ("/api/audit?since=2026-02-01T00:00:00", "since"),  # no offset
        ("/api/audit?since=2026-02-01&until=2026-01-01", "until must be after since"),
        ("/api/audit?facilty=NORTH", "facilty"),  # misspelt filter is refused, not ignored
        ("/api/episodes?limit=0", "limit"),
        ("/api/episodes?limit=100000", "limit"),
        ("/api/episodes?offset=-1", "offset"),
        ("/api/episodes?status=pending", "status"),
        ("/api/episodes?since=2026-02-01&until=2026-01-01", "until must be after since"),
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(
    path: str, words: str, engine: Engine
) -> None:
    async with api_client(engine=engine, now=NOW) as client:
        response = await get(client, path, AUTH)
    assert response.status == 400
    assert words in response.body["error"]


async def test_unreachable_store_is_503_without_the_url() -> None:
    # Port 1 on loopback: connection refused at once.
    url = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test?connect_timeout=2"
    engine = make_engine(url)
    async with api_client(engine=engine, now=NOW) as client:
        episodes = await get(client, "/api/episodes", AUTH)
        audit = await get(client, "/api/audit", AUTH)
    for response in (episodes, audit):
        assert response.status == 503
        body = response.body
        assert body["error"].startswith("audit store unavailable")
        assert "s3cret" not in body["error"]
        assert "127.0.0.1" not in body["error"]


def test_api_token_refuses_placeholders_and_short_tokens() -> None:
    for weak in ("changeme", "secret", "x" * 31):
        with pytest.raises(ValueError, match="api_token"):
            Settings(api_token=weak)  # type: ignore[arg-type]
    assert Settings(api_token=TOKEN).api_token.get_secret_value() == TOKEN  # type: ignore[arg-type]
    assert Settings().api_token.get_secret_value() == ""  # off unless set
    assert TOKEN not in repr(Settings(api_token=TOKEN))  # type: ignore[arg-type]


def test_worker_context_reads_the_token_and_the_sinks_store(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry

    from streams import api
    from streams.bootstrap import build_runtime

    url = f"sqlite:///{tmp_path / 'ctx.db'}"
    settings = Settings(api_token=TOKEN, database_url=url)  # type: ignore[arg-type]
    rt = build_runtime(settings, registry=CollectorRegistry())
    ctx = api.api_context(rt)
    assert ctx.token.get_secret_value() == TOKEN
    assert ctx.engine is rt.store.engine  # one pool for the sink and the API
    assert str(ctx.engine.url) == url
