"""An in-process HTTP client on the Faust app's own aiohttp application, with an API context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy.engine import Engine

import streams.worklist.mount  # noqa: F401  (every route before the first server freezes them)
from streams import api
from streams.app import app
from streams.security.context import Security

TOKEN = "k3Jq9vX2mP7rT4wZ8bN1cF6hL0sD5gYa"  # 32 random characters, test only
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FixedClock:
    """A clock stopped at ``at``."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        """The fixed instant."""
        return self.at


@asynccontextmanager
async def api_client(
    monkeypatch: pytest.MonkeyPatch,
    *,
    engine: Engine,
    now: datetime,
    token: str = TOKEN,
    security: Security | None = None,
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The worker's routes (the same views `cordwatch worker` serves) on a loopback port."""
    ctx = api.ApiContext(
        token=SecretStr(token), engine=engine, clock=FixedClock(now), security=security
    )
    monkeypatch.setattr(api, "get_api_context", lambda: ctx)
    async with TestClient(TestServer(app.web.web_app)) as client:
        yield client


class Reply:
    """A response read in full while the client was open."""

    def __init__(self, status: int, headers: dict[str, str], body: Any) -> None:
        self.status, self.headers, self.body = status, headers, body


async def get(client: TestClient, path: str, headers: dict[str, str] | None = None) -> Reply:  # type: ignore[type-arg]
    """GET ``path`` and read the JSON body."""
    response = await client.get(path, headers=headers)
    return Reply(response.status, dict(response.headers), await response.json())
