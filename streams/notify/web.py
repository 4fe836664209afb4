"""The notify worker's HTTP side: one-tap acknowledgement links, the ack API, PagerDuty's
acknowledgement webhook, and /metrics.

- ``GET /ack/{token}`` shows what would be acknowledged and a button; ``POST /ack/{token}``
  acknowledges, as the person the link was sent to. The token is signed, expiring and names one
  alert (services.alerts.acklink); a GET never acknowledges, so a mail scanner that follows
  links cannot acknowledge for a person.
- ``POST /api/alerts/{alert_id}/ack`` with ``Authorization: Bearer <token>``: a user's own token
  (recorded as that user; ``by`` is ignored) or the service token CORDWATCH_API_TOKEN with
  ``{"by": "<who>"}`` (a machine relaying for a person). Roles with ``act`` only; each action is
  in the access log (streams.security).
- ``POST /pagerduty/webhook``: a V3 webhook subscription's ``incident.acknowledged`` event,
  verified by ``X-PagerDuty-Signature`` (HMAC-SHA256 under CORDWATCH_PAGERDUTY_WEBHOOK_SECRET);
  the incident's key is the alert id (the dedup_key Cordwatch sent).
- ``POST /api/silences`` (``{"scope", "target", "reason", "by", "minutes"}``) and
  ``POST /api/silences/{silence_id}/end`` (``{"by"}``), bearer token as above (``by`` from the
  service only); each stored with its author, reason and times, logged by id only.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from models.access import AccessAction
from models.alerting import Silence, SilenceScope
from services.alerts import acklink
from services.alerts.acks import Acknowledger, AckStore, UnknownAlertError
from services.config import Settings
from services.identity.principal import Principal, Via
from services.identity.roles import Permission, UserRole
from services.store.deliveries import DeliveryStore
from streams.security import guard
from streams.security.guard import Security

log = structlog.get_logger(__name__)
_MAX_BY = 128


def build_app(
    *,
    settings: Settings,
    acknowledger: Acknowledger,
    store: AckStore,
    registry: CollectorRegistry,
    link_secret: bytes,
    now: Any,
    silences: DeliveryStore | None = None,
    security: Callable[[], Security],
) -> web.Application:
    """The aiohttp application; ``now`` is a zero-argument clock returning aware datetimes.

    ``security`` gives the guard as of each request (so a changed users file takes effect).
    """
    app = web.Application()
    pd_secret = settings.pagerduty_webhook_secret.get_secret_value()

    def claim_of(request: web.Request) -> acklink.AckClaim:
        try:
            return acklink.verify(secret=link_secret, token=request.match_info["token"], now=now())
        except acklink.AckLinkError as exc:
            raise web.HTTPForbidden(text=f"{exc}: ask for a new page or use Cordwatch") from None

    async def link_get(request: web.Request) -> web.Response:
        claim = claim_of(request)
        brief = await _brief(store, claim.alert_id)
        done = (
            f"<p>Already acknowledged by {html.escape(brief.acknowledged_by or '')} at "
            f"{brief.acknowledged_at:%Y-%m-%d %H:%MZ}.</p>"
            if brief.acknowledged_at is not None
            else ""
        )
        body = (
            "<!doctype html><meta name=viewport content='width=device-width'>"
            "<title>Acknowledge page</title>"
            f"<h1>{html.escape(brief.priority.upper())} {html.escape(brief.alert_type)}</h1>"
            f"<p>{html.escape(brief.summary)}</p>{done}"
            "<form method=post><button type=submit>Acknowledge</button></form>"
        )
        return web.Response(text=body, content_type="text/html")

    async def link_post(request: web.Request) -> web.Response:
        claim = claim_of(request)
        result = await _ack(acknowledger, claim.alert_id, by=claim.receiver, via="link")
        await audit(_paged(claim.receiver, Via.LINK, request), AccessAction.ACKNOWLEDGE, "alert",
                    claim.alert_id)  # fmt: skip
        body = (
            "<!doctype html><title>Acknowledged</title>"
            f"<p>Acknowledged by {html.escape(result.acknowledged_by)} at "
            f"{result.acknowledged_at:%Y-%m-%d %H:%MZ}. Escalation stops.</p>"
        )
        return web.Response(text=body, content_type="text/html")

    async def authorize(request: web.Request) -> guard.Caller:
        # Bearer callers only here: this port has no sign-in page, so no session and no CSRF.
        try:
            current = security()
            caller = guard.identify(current, request)
            if caller.session is not None:
                raise guard.AuthError(401, "bearer token required")
            await guard.authorize(current, caller, Permission.ACT, method=request.method)
        except guard.AuthError as exc:
            raise _http(exc) from None
        return caller

    async def audit(caller: guard.Caller, action: AccessAction, kind: str, target: str) -> None:
        # The action is done and stored with its author; a log outage must not undo or hide it.
        await guard.record(security(), caller, action, target_kind=kind, target_id=target,
                           required=False)  # fmt: skip

    async def silence_add(request: web.Request) -> web.Response:
        caller = await authorize(request)
        if silences is None:
            raise web.HTTPServiceUnavailable(text="silences need the audit store")
        try:
            doc = await request.json()
            scope = SilenceScope(doc["scope"])
            target, reason = (str(doc[k]).strip() for k in ("target", "reason"))
            by = guard.service_or_user(caller.principal, str(doc.get("by") or "").strip())
            minutes = float(doc["minutes"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(
                text='body: {"scope": "episode"|"patient", "target", "reason", "by", "minutes"}'
            ) from None
        if not (target and reason and 0 < len(by) <= _MAX_BY and 0 < minutes <= 60 * 24 * 30):
            raise web.HTTPBadRequest(text="target, reason, by (1-128) and minutes (up to 30 days)")
        at = now()
        silence = Silence(
            silence_id=f"sil-{uuid.uuid4().hex[:16]}",
            scope=scope,
            target=target,
            reason=reason[:500],
            author=by,
            created_at=at,
            expires_at=at + timedelta(minutes=minutes),
        )
        await asyncio.to_thread(silences.add_silence, silence)
        await audit(caller, AccessAction.SILENCE, "silence", silence.silence_id)
        log.info("silence.added", silence_id=silence.silence_id, scope=scope.value)
        body = {"silence_id": silence.silence_id, "expires_at": silence.expires_at.isoformat()}
        return web.json_response(body, status=201)

    async def silence_end(request: web.Request) -> web.Response:
        caller = await authorize(request)
        if silences is None:
            raise web.HTTPServiceUnavailable(text="silences need the audit store")
        try:
            given = str((await request.json()).get("by") or "").strip()
        except (json.JSONDecodeError, AttributeError, TypeError):
            raise web.HTTPBadRequest(text='body must be {"by": "<who>"}') from None
        by = guard.service_or_user(caller.principal, given)
        if not by:
            raise web.HTTPBadRequest(text='body must be {"by": "<who>"}')
        silence_id = request.match_info["silence_id"]
        ended = await asyncio.to_thread(silences.end_silence, silence_id, by=by[:_MAX_BY], at=now())
        if not ended:
            raise web.HTTPNotFound(text="no open silence with this id")
        await audit(caller, AccessAction.END_SILENCE, "silence", silence_id)
        log.info("silence.ended", silence_id=silence_id)
        return web.json_response({"silence_id": silence_id, "ended": True})

    async def api_ack(request: web.Request) -> web.Response:
        caller = await authorize(request)
        try:
            doc = await request.json() if request.can_read_body else {}
            by = guard.service_or_user(caller.principal, str(doc.get("by") or "").strip())
        except (json.JSONDecodeError, AttributeError, TypeError):
            raise web.HTTPBadRequest(text='body must be {"by": "<who acknowledged>"}') from None
        if not 0 < len(by) <= _MAX_BY:
            raise web.HTTPBadRequest(text=f"by: 1 to {_MAX_BY} characters")
        alert_id = request.match_info["alert_id"]
        result = await _ack(acknowledger, alert_id, by=by, via="api")
        await audit(caller, AccessAction.ACKNOWLEDGE, "alert", alert_id)
        return web.json_response(
            {
                "alert_id": result.alert_id,
                "acknowledged_by": result.acknowledged_by,
                "acknowledged_at": result.acknowledged_at.isoformat(),
                "first": result.first,
            },
            status=202,
        )

    async def pagerduty(request: web.Request) -> web.Response:
        raw = await request.read()
        if not pd_secret or not _pd_signed(pd_secret, raw, request.headers):
            raise web.HTTPUnauthorized(text="signature required")
        try:
            event = json.loads(raw)["event"]
            kind = event["event_type"]
            data = event["data"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise web.HTTPBadRequest(text="not a PagerDuty V3 webhook event") from None
        if kind != "incident.acknowledged":
            return web.json_response({"ignored": kind})
        alert_id = data.get("incident_key") or data.get("dedup_key")
        agent = (event.get("agent") or {}).get("summary") or "PagerDuty user"
        if not alert_id:
            raise web.HTTPBadRequest(text="the incident carries no incident_key")
        result = await _ack(acknowledger, str(alert_id), by=str(agent)[:_MAX_BY], via="pagerduty")
        await audit(_paged(str(agent), Via.PAGERDUTY, request), AccessAction.ACKNOWLEDGE, "alert",
                    str(alert_id))  # fmt: skip
        return web.json_response({"alert_id": result.alert_id, "first": result.first})

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/ack/{token}", link_get)
    app.router.add_post("/ack/{token}", link_post)
    app.router.add_post("/api/alerts/{alert_id}/ack", api_ack)
    app.router.add_post("/pagerduty/webhook", pagerduty)
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/api/silences", silence_add)
    app.router.add_post("/api/silences/{silence_id}/end", silence_end)
    return app


def _paged(name: str, via: Via, request: web.Request) -> guard.Caller:
    """Who acknowledged through a signed link or PagerDuty, as the access log names them."""
    principal = Principal(name[:64], UserRole.ON_CALL, via, name[:128])
    return guard.Caller(principal, None, guard.remote_of(request))


def _http(exc: guard.AuthError) -> web.HTTPException:
    kinds: dict[int, type[web.HTTPException]] = {
        401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 503: web.HTTPServiceUnavailable,
    }  # fmt: skip
    return kinds.get(exc.status, web.HTTPForbidden)(text=exc.message, headers=exc.headers)


async def _brief(store: AckStore, alert_id: str) -> Any:
    brief = await asyncio.to_thread(store.brief, alert_id)
    if brief is None:
        raise web.HTTPNotFound(text="no such alert (yet): try again in a moment")
    return brief


async def _ack(acknowledger: Acknowledger, alert_id: str, *, by: str, via: str) -> Any:
    try:
        return await acknowledger.acknowledge(alert_id, by=by, via=via)
    except UnknownAlertError:
        raise web.HTTPNotFound(text="no such alert (yet): try again in a moment") from None


def _pd_signed(secret: str, body: bytes, headers: Any) -> bool:
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = [s.strip() for s in str(headers.get("X-PagerDuty-Signature", "")).split(",")]
    return any(hmac.compare_digest(expected, g) for g in given)


def utc_now() -> datetime:
    """The web side's clock: link expiry is wall-clock time."""
    from datetime import UTC

    return datetime.now(UTC)
