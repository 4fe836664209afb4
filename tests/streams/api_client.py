"""An in-process HTTP client on a worker app's own aiohttp application, on a test Runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine

from services.config import Settings
from services.store import Store
from streams.app import create_app
from streams.bootstrap import build_runtime
from streams.outbox import Producer
from streams.security.guard import Security

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
    *,
    engine: Engine,
    now: datetime,
    token: str = TOKEN,
    security: Security | None = None,
    users_file: Path | None = None,
    producer: Producer | None = None,
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The worker's routes (the same views `cordwatch worker` serves) on a loopback port.

    The app is built by `create_app` on a Runtime with this store, a clock stopped at `now` and,
    when given, `security` (named users, fixed) or a `users_file` (the worker's own guard, which
    re-reads it), and `producer` in place of the broker.
    """

    async def source() -> Producer:
        assert producer is not None, "this test sends nothing"
        return producer

    settings = Settings(api_token=token, users_file=users_file)  # type: ignore[arg-type]
    rt = build_runtime(
        settings,
        clock=FixedClock(now),
        registry=CollectorRegistry(),
        store=Store(engine=engine),
        security=security,
        producer=source,
    )
    app = create_app(settings, runtime=rt)
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
