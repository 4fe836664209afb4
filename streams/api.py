"""The worker's HTTP API: the audit summary and the episodes, for named users and the service.

    GET /api/audit?since=&until=&facility=&by=month|week|day   `cordwatch audit --format json`
    GET /api/episodes?since=&until=&facility=&status=&limit=&offset=   a page, no patient ids
    GET /api/episodes/{episode_id}   one episode with its timeline (and its patient id)

A caller is a user's bearer token or session cookie, or the service token (streams.security);
the role decides (services.identity.roles): the audit needs ``view_aggregates``, the list
``view_episodes``, the detail ``view_patient``, and every episode read is in the access log,
naming the user, before the data leaves.

Every query runs on a worker thread (the agents share this event loop). Responses are never
cached (``Cache-Control: no-store``): the episode detail is PHI.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from faust import web as faust_web
from faust.types import AppT
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from models.access import AccessAction, AccessOutcome
from models.api import AuditPublic, AuditQuery, EpisodesQuery, ErrorPublic
from services.audit import AuditError, run_audit
from services.audit.browse import episode_detail, episode_page
from services.audit.render import to_json
from services.identity import sessions
from services.identity.authenticator import LocalAuthenticator
from services.identity.roles import Permission
from services.identity.users_file import EMPTY
from services.store.access import AccessLog
from streams.bootstrap import Runtime
from streams.clock import Clock
from streams.security import guard
from streams.security.guard import Security

log = structlog.get_logger(__name__)

# The CLI's defaults: the last 365 days, up to now; the same cap on listed breaches.
DEFAULT_SPAN = timedelta(days=365)
BREACH_LIMIT = 500
_NO_STORE = {"Cache-Control": "no-store"}

Q = TypeVar("Q", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class ApiContext:
    """What the views need: the service token, the store's engine, the clock, and the users."""

    token: SecretStr
    engine: Engine
    clock: Clock
    security: Security | None = None  # None: the service token alone, no named users

    def guard(self) -> Security:
        """The authenticator and access log of these views."""
        if self.security is not None:
            return self.security
        return Security(
            authenticator=LocalAuthenticator(
                users=EMPTY, session_secret=secrets.token_bytes(32),
                service_token=self.token.get_secret_value(), session_ttl=timedelta(hours=12),
            ),
            access_log=AccessLog(engine=self.engine), clock=self.clock, secure_cookies=True,
        )  # fmt: skip


def api_context(rt: Runtime) -> ApiContext:
    """The views' context from the worker's Runtime: its store's engine (one pool), its clock."""
    return ApiContext(
        token=rt.settings.api_token, engine=rt.store.engine, clock=rt.clock, security=rt.guard()
    )


class ApiError(Exception):
    """A request the API answers with an error status and a message (no stored data in it)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, dict(headers or {})


async def authorize(
    ctx: ApiContext, request: Any, permission: Permission, *, csrf: str | None = None
) -> guard.Caller:
    """The caller, if their role holds ``permission``; ApiError 401, 403 or 503 otherwise.

    A session caller's POST needs its CSRF token: ``csrf``, else the X-CSRF-Token header.
    """
    security = ctx.guard()
    if csrf is None:
        csrf = request.headers.get(sessions.CSRF_HEADER)
    try:
        caller = guard.identify(security, request)
        await guard.authorize(security, caller, permission, method=request.method, csrf=csrf)
    except guard.AuthError as exc:
        raise ApiError(exc.status, exc.message, exc.headers) from None
    return caller


async def record(
    ctx: ApiContext, caller: guard.Caller, action: AccessAction, **fields: Any
) -> None:
    """An access record, before the data it is about leaves; ApiError 503 when unwritable."""
    try:
        await guard.record(ctx.guard(), caller, action, **fields)
    except guard.AuthError as exc:
        raise ApiError(exc.status, exc.message) from None


def parse_query(model: type[Q], query: Mapping[str, str]) -> Q:
    """Validate query parameters into ``model``; a 400 that names each bad parameter."""
    try:
        return model.model_validate(dict(query))
    except ValidationError as exc:
        # Parameter names and pydantic's wording only; the values are not echoed back.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'query'}: {e['msg']}" for e in exc.errors()
        )
        raise ApiError(400, f"bad query parameters: {problems}") from None


async def read(ctx: ApiContext, work: Callable[[Connection], T]) -> T:
    """Run ``work`` on a connection in a worker thread; a database failure is a 503."""

    def _run() -> T:
        with ctx.engine.connect() as conn:
            return work(conn)

    try:
        return await asyncio.to_thread(_run)
    except SQLAlchemyError as exc:
        log.warning("api.store_unavailable", error=type(exc).__name__)
        raise ApiError(503, f"audit store unavailable: {type(exc).__name__}") from None


async def audit_body(ctx: ApiContext, query: Mapping[str, str]) -> AuditPublic:
    """The audit summary, computed exactly as `cordwatch audit --format json` computes it."""
    q = parse_query(AuditQuery, query)
    now = ctx.clock.now()
    until = q.until or now
    since = q.since or until - DEFAULT_SPAN

    def _audit() -> str:
        report = run_audit(
            engine=ctx.engine, since=since, until=until, by=q.by, as_of=min(now, until),
            facility=q.facility, breach_limit=BREACH_LIMIT,
        )  # fmt: skip
        return to_json(report)

    try:
        text = await asyncio.to_thread(_audit)
    except AuditError as exc:
        raise ApiError(400, str(exc).replace("--", "")) from None
    except SQLAlchemyError as exc:
        log.warning("api.store_unavailable", error=type(exc).__name__)
        raise ApiError(503, f"audit store unavailable: {type(exc).__name__}") from None
    # The CLI's own rendering, parsed into the public shape: the two cannot drift apart.
    return AuditPublic.model_validate_json(text)


async def episodes_body(
    ctx: ApiContext, caller: guard.Caller, query: Mapping[str, str]
) -> BaseModel:
    """A page of episodes with their intervals (recorded: episode-level data)."""
    q = parse_query(EpisodesQuery, query)
    until = q.until or ctx.clock.now()
    since = q.since or until - DEFAULT_SPAN
    if until <= since:
        raise ApiError(400, "bad query parameters: until must be after since")
    page = await read(ctx, lambda conn: episode_page(
        conn, since=since, until=until, facility=q.facility,
        status=q.status.value if q.status else None, limit=q.limit, offset=q.offset,
    ))  # fmt: skip
    await record(ctx, caller, AccessAction.READ_EPISODES, target_kind="episodes",
                 detail={"count": len(page.episodes), "offset": q.offset})  # fmt: skip
    return page


async def episode_body(ctx: ApiContext, caller: guard.Caller, episode_id: str) -> BaseModel:
    """One episode in full, or a 404; either way the attempt names the user in the access log."""
    found = None
    if len(episode_id) <= 64:
        found = await read(ctx, lambda conn: episode_detail(conn, episode_id))
    outcome = AccessOutcome.OK if found is not None else AccessOutcome.NOT_FOUND
    await record(ctx, caller, AccessAction.READ_EPISODE, target_kind="episode",
                 target_id=episode_id, outcome=outcome)  # fmt: skip
    if found is None:
        raise ApiError(404, "no such episode")
    return found


async def respond(
    view: faust_web.View,
    request: faust_web.Request,
    permission: Permission,
    body: Callable[[ApiContext, guard.Caller], Any],
    *,
    ctx: ApiContext,
) -> faust_web.Response:
    """Authorize, build the body, and turn an ApiError into its status and message."""
    try:
        caller = await authorize(ctx, request, permission)
        model: BaseModel = await body(ctx, caller)
    except ApiError as exc:
        return _error(view, exc.status, exc.message, exc.headers)
    except ValidationError as exc:
        # A stored record that no longer fits the public shape: a bug, not the caller's fault.
        # Field locations only; pydantic's own message would quote the stored values (PHI).
        where = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})[:5]
        log.error("api.stored_record_invalid", shape=exc.title, fields=where)
        return _error(view, 500, "a stored record does not fit the API's shape; see the log")
    return view.json(model.model_dump(mode="json"), headers=_NO_STORE)


def _error(
    view: faust_web.View, status: int, message: str, headers: Mapping[str, str] | None = None
) -> faust_web.Response:
    body = ErrorPublic(error=message).model_dump(mode="json")
    return view.json(body, status=status, headers={**_NO_STORE, **(headers or {})})


def _query(request: faust_web.Request) -> dict[str, str]:
    # A repeated parameter is ambiguous; the last one wins, as in most web frameworks.
    return dict(request.query.items())


def register(app: AppT, rt: Runtime) -> None:
    """The /api/* pages on every worker's `app` (answering 503 while no credential is set).

    The context is built per request: its guard re-reads a users file that changed.
    """

    @app.page("/api/audit")
    async def audit(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
        """Audit summary per period, facility and measure, and the breached timers."""
        return await respond(
            self, request, Permission.VIEW_AGGREGATES,
            lambda c, _caller: audit_body(c, _query(request)), ctx=api_context(rt),
        )  # fmt: skip

    @app.page("/api/episodes")
    async def episodes(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
        """Episodes suspected in a range, with their intervals and outcomes (no patient ids)."""
        return await respond(
            self, request, Permission.VIEW_EPISODES,
            lambda c, caller: episodes_body(c, caller, _query(request)), ctx=api_context(rt),
        )  # fmt: skip

    @app.page("/api/episodes/{episode_id}")
    async def episode(
        self: faust_web.View, request: faust_web.Request, episode_id: str
    ) -> faust_web.Response:
        """One episode: timers, alerts with acknowledgements, evidence, scores, care, timeline."""
        return await respond(
            self, request, Permission.VIEW_PATIENT,
            lambda c, caller: episode_body(c, caller, episode_id), ctx=api_context(rt),
        )  # fmt: skip
