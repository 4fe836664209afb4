"""What every worklist route shares: the response headers, the caller check and store reads.

The sign-in routes (``signin.py``) and the page and action routes (``routes.py``) refuse a
caller the same way and read the store the same way, so both take these from here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from services.identity import sessions
from services.identity.roles import Permission
from services.worklist.page import message_page
from streams.security import guard
from streams.worklist.collaborators import WorklistContext

log = structlog.get_logger(__name__)
Context = Callable[[], WorklistContext]  # called once per request: the collaborators now
# Script and styles only from this origin, no framing, forms only back here (OWASP CSP cheat
# sheet): an injected string could neither run nor send the page elsewhere.
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def html(text: str, status: int = 200) -> web.Response:
    """A page with the worklist's security headers."""
    return web.Response(text=text, status=status, content_type="text/html", headers=HEADERS)


def refusal(exc: guard.AuthError) -> web.Response:
    """The page that tells a caller why the guard refused them."""
    return html(message_page("Not allowed" if exc.status == 403 else "Unavailable", exc.message),
                exc.status)  # fmt: skip


def wants_html(request: web.Request) -> bool:
    """A browser (or anything not asking for JSON) is sent to sign in; a script gets the 401."""
    return "application/json" not in request.headers.get("Accept", "")


async def caller_of(ctx: WorklistContext, request: web.Request, permission: Permission,
                    *, post: bool = False) -> guard.Caller | web.Response:  # fmt: skip
    """The caller, or the response that refuses them (a page GET goes to sign-in). A ``post``
    must carry the session's CSRF token, in the form or in its header."""
    try:
        caller = guard.identify(ctx.security, request)
    except guard.AuthError as exc:
        if exc.status == 401 and not post and wants_html(request):
            raise web.HTTPSeeOther("/signin") from None
        return refusal(exc)
    csrf = None
    if post:
        form = await request.post()
        csrf = str(form.get(sessions.CSRF_FIELD, "")) or request.headers.get(sessions.CSRF_HEADER)
    try:
        await guard.authorize(ctx.security, caller, permission, method=request.method,
                              csrf=csrf)  # fmt: skip
    except guard.AuthError as exc:
        return refusal(exc)
    return caller


async def read_store(ctx: WorklistContext, work: Callable[[Any], Any]) -> Any:
    """``work(conn)`` on a connection of the audit store, off the event loop; a store that cannot
    answer is a 503 (logged by the error's type only: its message may quote patient data)."""

    def run() -> Any:
        with ctx.engine.connect() as conn:
            return work(conn)

    try:
        return await asyncio.to_thread(run)
    except SQLAlchemyError as exc:
        log.warning("worklist.store_unavailable", error=type(exc).__name__)
        raise web.HTTPServiceUnavailable(text="the audit store is unavailable") from None
