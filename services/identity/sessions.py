"""Signed, expiring session cookies and the CSRF token bound to each session.

A session is ``base64url(json) "." base64url(HMAC-SHA256)`` under CORDWATCH_SESSION_SECRET, so
any worker behind a load balancer can check it without shared state. It carries the user's name,
role, a random nonce and its issue and expiry times; the role is checked again against the users
file on every request, so removing or demoting a user takes effect at once. The CSRF token is an
HMAC of the nonce (the synchronizer-token pattern without server state, OWASP CSRF Cheat Sheet):
a page from another origin can neither read it nor compute it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

COOKIE_NAME = "cordwatch_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class SessionError(Exception):
    """A cookie that is no valid, current session (the reason names no cookie content)."""


@dataclass(frozen=True, slots=True)
class Session:
    """What a valid session cookie says."""

    name: str
    role: str
    nonce: str
    issued_at: datetime
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, purpose: str, data: bytes) -> bytes:
    return hmac.new(secret, purpose.encode("ascii") + b"\n" + data, hashlib.sha256).digest()


def issue(
    *, secret: bytes, name: str, role: str, now: datetime, ttl: timedelta
) -> tuple[str, Session]:
    """A new session for ``name``: the cookie value and what it says."""
    session = Session(name, role, secrets.token_urlsafe(16), now, now + ttl)
    body = json.dumps(
        {"u": name, "r": role, "n": session.nonce, "iat": int(now.timestamp()),
         "exp": int(session.expires_at.timestamp())},
        separators=(",", ":"),
    ).encode()  # fmt: skip
    return f"{_b64(body)}.{_b64(_mac(secret, 'session', body))}", session


def read(*, secret: bytes, cookie: str, now: datetime) -> Session:
    """The session in ``cookie``; SessionError when it is forged, malformed or expired."""
    body_text, dot, mac_text = cookie.partition(".")
    if not dot:
        raise SessionError("malformed session")
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (ValueError, TypeError):
        raise SessionError("malformed session") from None
    if not hmac.compare_digest(mac, _mac(secret, "session", body)):
        raise SessionError("session signature invalid")
    try:
        doc = json.loads(body)
        session = Session(
            str(doc["u"]), str(doc["r"]), str(doc["n"]),
            datetime.fromtimestamp(int(doc["iat"]), UTC),
            datetime.fromtimestamp(int(doc["exp"]), UTC),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        raise SessionError("malformed session") from None
    if now >= session.expires_at:
        raise SessionError("session expired")
    return session


def csrf_token(*, secret: bytes, session: Session) -> str:
    """The CSRF token of ``session``: pages embed it, every POST sends it back."""
    return _b64(_mac(secret, "csrf", session.nonce.encode("ascii")))


def csrf_valid(*, secret: bytes, session: Session, given: str | None) -> bool:
    """True when ``given`` is this session's CSRF token (constant-time compare)."""
    if not given:
        return False
    expected = csrf_token(secret=secret, session=session).encode("ascii")
    return hmac.compare_digest(given.encode("ascii", "replace"), expected)
