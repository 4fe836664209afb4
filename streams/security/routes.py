"""GET /api/access-log: the access audit over HTTP, for admins (``read_access_log``).

    GET /api/access-log?since=&until=&user=&target=&action=&limit=   newest first, as JSON

The same records as `cordwatch access-log`; reading the log is itself recorded. Registered by
``register(app, context)`` beside the worklist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.access import AccessAction
from models.api import Instant
from services.identity.roles import Permission
from services.store.store import StoreError
from streams.security import guard
from streams.security.guard import Security

_HEADERS = {"Cache-Control": "no-store"}


class AccessLogQuery(BaseModel):
    """The filters; unknown parameters are refused (a misspelt filter must not return all)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    since: Instant | None = None
    until: Instant | None = None
    user: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    target: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    action: AccessAction | None = None
    limit: Annotated[int, Field(ge=1, le=5000)] = 500


def register(app: web.Application, context: Callable[[], Security]) -> None:
    """Add GET /api/access-log to ``app``."""

    async def access_log(request: web.Request) -> web.Response:
        security = context()
        try:
            caller = guard.identify(security, request)
            await guard.authorize(security, caller, Permission.READ_ACCESS_LOG)
        except guard.AuthError as exc:
            headers = {**_HEADERS, **exc.headers}
            return web.json_response({"error": exc.message}, status=exc.status, headers=headers)
        try:
            q = AccessLogQuery.model_validate(dict(request.query.items()))
        except ValidationError as exc:
            names = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
            return web.json_response({"error": f"bad query parameters: {', '.join(names)}"},
                                     status=400, headers=_HEADERS)  # fmt: skip
        if security.access_log is None:
            return web.json_response({"error": "no access log"}, status=503, headers=_HEADERS)
        log = security.access_log
        since: datetime | None = q.since
        try:
            records = await asyncio.to_thread(
                log.query, since=since, until=q.until, user=q.user, target_id=q.target,
                action=q.action, limit=q.limit,
            )  # fmt: skip
            await guard.record(security, caller, AccessAction.READ_ACCESS_LOG,
                               detail={"count": len(records)})  # fmt: skip
        except (StoreError, guard.AuthError):
            return web.json_response({"error": "the access log is unavailable"}, status=503,
                                     headers=_HEADERS)  # fmt: skip
        body = {"records": [r.model_dump(mode="json") for r in records]}
        return web.json_response(body, headers=_HEADERS)

    app.router.add_get("/api/access-log", access_log)
