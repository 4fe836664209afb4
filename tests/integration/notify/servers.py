"""Real receivers on loopback for the channel tests: an aiohttp webhook, PagerDuty, aiosmtpd."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import trustme
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.alerts.channels.webhook import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)


@dataclass
class WebhookReceiver:
    """Verifies every signature, drops repeated idempotency keys, can fail on purpose."""

    secret: bytes
    fail_next: int = 0
    fail_status: int = 503
    pages: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    repeats: int = 0
    bad_signatures: int = 0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify_signature(
            self.secret,
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            body=body,
            header=request.headers.get(SIGNATURE_HEADER, ""),
        ):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=self.fail_status)
        key = request.headers[IDEMPOTENCY_HEADER]
        if key in self.keys:
            self.repeats += 1
            return web.Response(status=200, text="already have it")
        self.keys.add(key)
        self.pages.append(json.loads(body))
        return web.Response(status=202)


@dataclass
class PagerDutyReceiver:
    """The Events API v2 request/response shape: 202 with dedup_key, 400 for an invalid event."""

    fail_next: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    incidents: dict[str, str] = field(default_factory=dict)  # dedup_key -> state
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"status": "throttle", "message": "Rate limited"}, status=429)
        try:
            event = await request.json()
        except json.JSONDecodeError:
            return web.json_response({"status": "invalid event", "message": "bad JSON"}, status=400)
        errors = []
        if len(str(event.get("routing_key", ""))) != 32:
            errors.append("'routing_key' must be 32 characters")
        action = event.get("event_action")
        if action not in ("trigger", "acknowledge", "resolve"):
            errors.append("'event_action' is invalid")
        if action == "trigger":
            payload = event.get("payload") or {}
            for name in ("summary", "source", "severity"):
                if not payload.get(name):
                    errors.append(f"'payload.{name}' is missing or blank")
            if payload.get("severity") not in ("critical", "error", "warning", "info"):
                errors.append("'payload.severity' is invalid")
        elif not event.get("dedup_key"):
            errors.append("'dedup_key' is required for acknowledge and resolve")
        if errors:
            body = {
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": errors,
            }
            return web.json_response(body, status=400)
        self.events.append(event)
        key = event["dedup_key"]
        state = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}
        if action == "trigger" and self.incidents.get(key) in ("triggered", "acknowledged"):
            pass  # PagerDuty folds a repeated trigger into the open incident
        else:
            self.incidents[key] = state[action]
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": key}, status=202
        )


@asynccontextmanager
async def serve(routes: dict[str, Any]) -> AsyncIterator[str]:
    """An aiohttp server on a free loopback port; yields its base URL."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@dataclass
class Mailbox:
    """What the SMTP server received; ``refuse`` makes it answer with that reply instead."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    tls_seen: list[bool] = field(default_factory=list)
    refuse: str | None = None

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.refuse is not None:
            return self.refuse
        raw = envelope.original_content or b""
        self.messages.append(message_from_bytes(raw))
        self.recipients.append(list(envelope.rcpt_tos))
        self.tls_seen.append(session.ssl is not None)
        return "250 OK queued"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(mailbox: Mailbox) -> Iterator[tuple[int, ssl.SSLContext]]:
    """aiosmtpd on loopback that requires STARTTLS with a throwaway CA's certificate; yields the
    port and a client context that trusts that CA only."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, tls_context=server_ctx, require_starttls=True
    )
    controller.start()
    try:
        yield port, client_ctx
    finally:
        controller.stop()
