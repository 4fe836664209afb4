"""Signing in to the worklist and out of it: the form, the session cookie, the throttle.

    GET  /signin  POST /signin  POST /signout

The form carries a token that must match a cookie only this site can set (login CSRF). Each
sign-in, refusal of a known name and sign-out is in the access log; an unknown name is not
recorded, since it may be a password typed in the wrong box.
"""

from __future__ import annotations

import asyncio
import secrets

from aiohttp import web

from models.access import AccessAction, AccessOutcome
from services.identity import sessions
from services.identity.principal import Principal, Via
from services.identity.roles import Permission, UserRole
from services.worklist.page import signin_page
from streams.security import guard
from streams.worklist.collaborators import WorklistContext
from streams.worklist.http import Context, caller_of, html

SIGNIN_COOKIE = "cordwatch_signin"


class SignIn:
    """The sign-in routes; ``context`` is called once per request."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def register(self, app: web.Application) -> None:
        app.router.add_get("/signin", self.form)
        app.router.add_post("/signin", self.signin)
        app.router.add_post("/signout", self.signout)

    async def form(self, request: web.Request) -> web.Response:
        return self._page(request, error=None)

    def _page(self, request: web.Request, *, error: str | None, name: str = "",
              status: int = 200) -> web.Response:  # fmt: skip
        ctx = self.context()
        token = secrets.token_urlsafe(24)
        response = html(signin_page(signin_token=token, error=error, name=name), status)
        # Login CSRF: the form's token must match this cookie, which another site cannot set.
        response.set_cookie(
            SIGNIN_COOKIE, token, httponly=True, samesite="Strict",
            secure=ctx.security.secure_cookies, path="/signin", max_age=3600,
        )  # fmt: skip
        return response

    async def signin(self, request: web.Request) -> web.Response:
        ctx = self.context()
        form = await request.post()
        name = str(form.get("name", "")).strip().lower()[:64]
        password = str(form.get("password", ""))
        token = str(form.get("signin_token", ""))
        cookie = request.cookies.get(SIGNIN_COOKIE, "")
        if not token or not secrets.compare_digest(token.encode(), cookie.encode()):
            return self._page(request, error="The form expired: please sign in again.",
                              status=403)  # fmt: skip
        auth, now = ctx.security.authenticator, ctx.security.clock.now()
        if ctx.throttle.locked(name, now=now):
            return self._page(request, error="Too many attempts: wait 15 minutes.", name=name,
                              status=429)  # fmt: skip
        principal = await asyncio.to_thread(auth.check, name=name, password=password)
        known = auth.users.user(name)
        if principal is None:
            ctx.throttle.failed(name, now=now)
            if known is not None:  # an unknown name may be a password typed in the wrong box
                await _record_refused(ctx, request, known.name, known.role.value)
            return self._page(request, error="Name or password not recognised.", name=name,
                              status=401)  # fmt: skip
        ctx.throttle.succeeded(name)
        cookie_value, session = auth.start_session(principal, now=now)
        caller = guard.Caller(principal, session, guard.remote_of(request))
        await guard.record(ctx.security, caller, AccessAction.SIGN_IN, required=False)
        response = web.HTTPSeeOther("/worklist")
        response.set_cookie(
            sessions.COOKIE_NAME, cookie_value, httponly=True, samesite="Strict",
            secure=ctx.security.secure_cookies, path="/",
            max_age=int((session.expires_at - now).total_seconds()),
        )  # fmt: skip
        response.del_cookie(SIGNIN_COOKIE, path="/signin")
        raise response

    async def signout(self, request: web.Request) -> web.Response:
        ctx = self.context()
        caller = await caller_of(ctx, request, Permission.VIEW_AGGREGATES, post=True)
        if isinstance(caller, web.Response):
            return caller
        await guard.record(ctx.security, caller, AccessAction.SIGN_OUT, required=False)
        response = web.HTTPSeeOther("/signin")
        response.del_cookie(sessions.COOKIE_NAME, path="/")
        raise response


async def _record_refused(ctx: WorklistContext, request: web.Request, name: str,
                          role: str) -> None:  # fmt: skip
    caller = guard.Caller(Principal(name, UserRole(role), Via.SESSION, name), None,
                          guard.remote_of(request))  # fmt: skip
    await guard.record(ctx.security, caller, AccessAction.SIGN_IN_REFUSED,
                       outcome=AccessOutcome.REFUSED, required=False)  # fmt: skip
