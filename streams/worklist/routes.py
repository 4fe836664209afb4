"""The worklist's HTTP routes, registered on an aiohttp application by ``register``.

    GET  /signin  POST /signin  POST /signout        signing in and out (``signin.py``)
    GET  /worklist                                   the page (view_patient; recorded)
    GET  /worklist/data.json                         the same data as JSON (an export; recorded)
    GET  /worklist/stamp                             a digest that changes when the page would
    POST /worklist/alerts/{alert_id}/ack             acknowledge (act; CSRF)
    POST /worklist/episodes/{episode_id}/silence     silence pages (act; CSRF)
    POST /worklist/episodes/{episode_id}/care        record care done elsewhere (act; CSRF)
    GET  /worklist/worklist.js  /worklist/worklist.css   static, no data

Forms post, then redirect back (303) with a fixed notice. Each read of the page and each action
is in the access log before its answer; nothing about the patient reaches the application log.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy import select

from models.access import AccessAction, AccessOutcome
from models.alerting import Silence, SilenceScope
from services.alerts.acks import UnknownAlertError
from services.identity import sessions
from services.identity.roles import Permission
from services.review.store import open_reviews
from services.worklist import queries
from services.worklist.care import CareError, care_event
from services.worklist.page import (
    SILENCE_HOURS,
    message_page,
    review_section,
    worklist_page,
)
from streams.security import guard
from streams.worklist.collaborators import WorklistContext
from streams.worklist.http import HEADERS, Context, caller_of, html, read_store, refusal
from streams.worklist.signin import SignIn

log = structlog.get_logger(__name__)
ASSETS = Path(__file__).with_name("assets")
NOTICES = {
    "ack": "Acknowledged: escalation stops.",
    "silenced": "Silenced: pages are stored, not sent, until it ends.",
    "care": "Recorded: the pathway will fold it in within seconds.",
    "confirmed": "Confirmed: the episode opens with its clocks from the report's time.",
    "dismissed": "Dismissed: the verdict is stored as feedback.",
    "feedback": "Thank you: the feedback is stored and counted in the audit.",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def register(app: web.Application, context: Context) -> None:
    """Add the worklist's routes to ``app``; ``context`` is called once per request."""
    pages = _Pages(context)
    app.router.add_get("/", pages.root)
    SignIn(context).register(app)
    app.router.add_get("/worklist", pages.worklist)
    app.router.add_get("/worklist/data.json", pages.data)
    app.router.add_get("/worklist/stamp", pages.stamp)
    app.router.add_post("/worklist/alerts/{alert_id}/ack", pages.ack)
    app.router.add_post("/worklist/episodes/{episode_id}/silence", pages.silence)
    app.router.add_post("/worklist/episodes/{episode_id}/care", pages.care)
    app.router.add_get("/worklist/worklist.js", _asset("worklist.js", "text/javascript"))
    app.router.add_get("/worklist/worklist.css", _asset("worklist.css", "text/css"))
    app.router.add_get("/favicon.ico", _no_icon)


async def _no_icon(_request: web.Request) -> web.Response:
    # Browsers ask for it on every page; a 404 there would be a console error on every load.
    return web.Response(status=204, headers={"Cache-Control": "max-age=86400"})


def _asset(name: str, content_type: str) -> Handler:
    body = (ASSETS / name).read_bytes()

    async def serve(_request: web.Request) -> web.Response:
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return web.Response(body=body, content_type=content_type, headers=headers)

    return serve


class _Pages:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def root(self, _request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/worklist")

    # --- reads -----------------------------------------------------------------------------

    async def worklist(self, request: web.Request) -> web.Response:
        ctx = self.context()
        caller = await caller_of(ctx, request, Permission.VIEW_PATIENT)
        if isinstance(caller, web.Response):
            return caller
        now = ctx.security.clock.now()
        wl, reviews, stamp = await read_store(ctx, lambda conn: (
            queries.worklist(conn, now=now), open_reviews(conn), queries.stamp(conn, now=now)
        ))  # fmt: skip
        try:
            await guard.record(
                ctx.security, caller, AccessAction.READ_WORKLIST, target_kind="worklist",
                detail={"episodes": len(wl.episodes), "reviews": len(reviews)},
            )  # fmt: skip
        except guard.AuthError as exc:
            return refusal(exc)
        csrf = (sessions.csrf_token(secret=ctx.security.authenticator.session_secret,
                                    session=caller.session) if caller.session else "")  # fmt: skip
        notice = NOTICES.get(request.query.get("done", ""))
        return html(worklist_page(
            wl, user=caller.principal.display, role=caller.principal.role.value, csrf=csrf,
            stamp=stamp, notice=notice, zone=ctx.zone.key, review=review_section(reviews, csrf),
        ))  # fmt: skip

    async def data(self, request: web.Request) -> web.Response:
        ctx = self.context()
        caller = await caller_of(ctx, request, Permission.VIEW_PATIENT)
        if isinstance(caller, web.Response):
            return caller
        now = ctx.security.clock.now()
        wl = await read_store(ctx, lambda conn: queries.worklist(conn, now=now))
        try:
            await guard.record(ctx.security, caller, AccessAction.EXPORT, target_kind="worklist",
                               detail={"episodes": len(wl.episodes)})  # fmt: skip
        except guard.AuthError as exc:
            return web.json_response({"error": exc.message}, status=exc.status, headers=HEADERS)
        body = json.dumps(dataclasses.asdict(wl), default=_iso, separators=(",", ":"))
        return web.Response(text=body, content_type="application/json", headers=HEADERS)

    async def stamp(self, request: web.Request) -> web.Response:
        ctx = self.context()
        try:
            caller = guard.identify(ctx.security, request)
            await guard.authorize(ctx.security, caller, Permission.VIEW_PATIENT)
        except guard.AuthError as exc:
            return web.json_response({"error": exc.message}, status=exc.status, headers=HEADERS)
        now = ctx.security.clock.now()
        value = await read_store(ctx, lambda conn: queries.stamp(conn, now=now))
        return web.json_response({"stamp": value}, headers=HEADERS)

    # --- actions ---------------------------------------------------------------------------

    async def ack(self, request: web.Request) -> web.Response:
        ctx = self.context()
        caller = await caller_of(ctx, request, Permission.ACT, post=True)
        if isinstance(caller, web.Response):
            return caller
        alert_id = request.match_info["alert_id"][:64]
        try:
            await ctx.acknowledger.acknowledge(alert_id, by=caller.principal.display,
                                               via="worklist")  # fmt: skip
        except UnknownAlertError:
            await guard.record(
                ctx.security, caller, AccessAction.ACKNOWLEDGE, target_kind="alert",
                target_id=alert_id, outcome=AccessOutcome.NOT_FOUND, required=False,
            )  # fmt: skip
            return html(message_page("No such alert", "It may not be stored yet."), 404)
        await guard.record(ctx.security, caller, AccessAction.ACKNOWLEDGE, target_kind="alert",
                           target_id=alert_id, required=False)  # fmt: skip
        episode = await read_store(ctx, lambda conn: _episode_of_alert(conn, alert_id))
        raise web.HTTPSeeOther(f"/worklist?done=ack#ep-{episode or ''}")

    async def silence(self, request: web.Request) -> web.Response:
        acting = await self._episode_action(request)
        if isinstance(acting, web.Response):
            return acting
        ctx, caller, episode_id = acting
        form = await request.post()
        reason = str(form.get("reason", "")).strip()
        try:
            hours = int(str(form.get("hours", "")))
        except ValueError:
            hours = 0
        if hours not in SILENCE_HOURS or not 0 < len(reason) <= 500:
            return html(message_page("Not silenced", "Choose a duration and give a reason."),
                         400)  # fmt: skip
        if await self._patient_of(ctx, episode_id) is None:
            return html(message_page("No such episode", "It is not open any more."), 404)
        now = ctx.security.clock.now()
        silence = Silence(
            silence_id=f"sil-{uuid.uuid4().hex[:16]}", scope=SilenceScope.EPISODE,
            target=episode_id, reason=reason, author=caller.principal.display, created_at=now,
            expires_at=now + timedelta(hours=hours),
        )  # fmt: skip
        await asyncio.to_thread(ctx.silences.add_silence, silence)
        back = await self._episode_done(
            ctx, caller, AccessAction.SILENCE, episode_id, notice="silenced",
            detail={"silence_id": silence.silence_id, "hours": hours},
        )  # fmt: skip
        log.info("silence.added", silence_id=silence.silence_id, scope="episode", via="worklist")
        raise back

    async def care(self, request: web.Request) -> web.Response:
        acting = await self._episode_action(request)
        if isinstance(acting, web.Response):
            return acting
        ctx, caller, episode_id = acting
        form = await request.post()
        found = await self._patient_of(ctx, episode_id)
        if found is None:
            return html(message_page("No such episode", "It is not open any more."), 404)
        patient_id, facility = found
        now = ctx.security.clock.now()
        try:
            at = datetime.fromisoformat(str(form.get("occurred_at", "")))
            at = at.replace(tzinfo=ctx.zone) if at.tzinfo is None else at
            record = care_event(what=str(form.get("what", "")), occurred_at=at,
                                patient_id=patient_id, facility=facility, now=now)  # fmt: skip
        except (CareError, ValueError) as exc:
            text = str(exc) if isinstance(exc, CareError) else "occurred_at: a date and time"
            return html(message_page("Not recorded", text), 400)
        value = record.event.model_dump_json(exclude_none=True).encode()
        await ctx.send([(record.topic, record.patient_id.encode("utf-8"), value)])
        back = await self._episode_done(
            ctx, caller, AccessAction.RECORD_CARE, episode_id, notice="care",
            detail={"topic": record.topic, "event_id": record.event.event_id},
        )  # fmt: skip
        log.info("worklist.care_recorded", event_id=record.event.event_id, topic=record.topic)
        raise back

    async def _episode_action(
        self, request: web.Request
    ) -> tuple[WorklistContext, guard.Caller, str] | web.Response:
        """An action on one episode: the caller may act (CSRF checked) and the episode id from
        the path; or the response that refuses the caller."""
        ctx = self.context()
        caller = await caller_of(ctx, request, Permission.ACT, post=True)
        if isinstance(caller, web.Response):
            return caller
        return ctx, caller, request.match_info["episode_id"][:64]

    async def _episode_done(
        self,
        ctx: WorklistContext,
        caller: guard.Caller,
        action: AccessAction,
        episode_id: str,
        *,
        notice: str,
        detail: dict[str, Any],
    ) -> web.HTTPSeeOther:
        """Record the done action (quietly: it has taken effect) and the redirect back to the
        episode on the page, with ``notice``."""
        await guard.record(ctx.security, caller, action, target_kind="episode",
                           target_id=episode_id, detail=detail, required=False)  # fmt: skip
        return web.HTTPSeeOther(f"/worklist?done={notice}#ep-{episode_id}")

    async def _patient_of(
        self, ctx: WorklistContext, episode_id: str
    ) -> tuple[str, str | None] | None:
        def find(conn: Any) -> tuple[str, str | None] | None:
            e = queries.EPISODES.c
            row = conn.execute(select(e.patient_id, e.facility).where(
                e.episode_id == episode_id, e.status == queries.OPEN)).first()  # fmt: skip
            return None if row is None else (str(row[0]), row[1])

        found: tuple[str, str | None] | None = await read_store(ctx, find)
        return found


def _episode_of_alert(conn: Any, alert_id: str) -> str | None:
    a = queries.ALERTS.c
    row = conn.execute(select(a.episode_id).where(a.alert_id == alert_id)).first()
    return None if row is None else str(row[0])


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
