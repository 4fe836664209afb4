"""Authenticate, authorise and record: the three steps every guarded route takes, in that order.

``Security`` is what the three steps need (the authenticator, the access log, the clock); a
worker builds it per request from its Runtime, so a changed users file takes effect at once.
Framework-neutral: it takes the request's header values, so the Faust pages (worker), the
notify worker's aiohttp app and the worklist share it. A refusal is ``AuthError`` with the
status (401 nobody, 403 wrong role or no CSRF token, 503 off or log unwritable) and a message
that names no credential. A patient-level read is recorded before its data is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.engine import Engine

from models.access import AccessAction, AccessOutcome, AccessRecord
from services.config import Settings
from services.identity import sessions
from services.identity.authenticator import Credentials, LocalAuthenticator
from services.identity.principal import Principal, Via
from services.identity.roles import Permission
from services.identity.users_file import UserDirectory
from services.store.access import AccessLog, new_access_id
from services.store.store import StoreError
from streams.clock import Clock

log = structlog.get_logger(__name__)
CHALLENGE = 'Bearer realm="cordwatch"'
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Security:
    """The guard's collaborators; ``access_log`` None only where no store exists (tests)."""

    authenticator: LocalAuthenticator
    access_log: AccessLog | None
    clock: Clock
    secure_cookies: bool

    @property
    def enabled(self) -> bool:
        """False when no credential of any kind is configured: the API answers 503."""
        auth = self.authenticator
        return bool(auth.service_token or auth.users.by_name)


def security_for(
    settings: Settings, *, users: UserDirectory, engine: Engine | None, clock: Clock
) -> Security:
    """The guard over ``users`` (a worker's: ``Runtime.guard()``) with the settings' secrets."""
    return Security(
        authenticator=LocalAuthenticator(
            users=users,
            session_secret=settings.session_key(),
            service_token=settings.api_token.get_secret_value(),
            session_ttl=timedelta(hours=settings.session_hours),
        ),
        access_log=AccessLog(engine=engine) if engine is not None else None,
        clock=clock,
        secure_cookies=settings.secure_cookies,
    )


class AuthError(Exception):
    """A refused request: status, message (no credential in it) and response headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, dict(headers or {})


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of one request, with its session (cookie callers) and address."""

    principal: Principal
    session: sessions.Session | None
    remote: str | None


def credentials_of(request: Any) -> Credentials:
    """The bearer token and session cookie an aiohttp request carries."""
    header = request.headers.get("Authorization")
    bearer: str | None = None
    if header is not None:
        scheme, _, given = header.partition(" ")
        # A malformed or non-bearer header is a wrong credential, never a fall-back to the cookie.
        bearer = given.strip() if scheme.lower() == "bearer" else ""
    return Credentials(bearer=bearer, session_cookie=request.cookies.get(sessions.COOKIE_NAME))


def remote_of(request: Any) -> str | None:
    """The client's address as the socket saw it (a proxy's own address behind one)."""
    remote = getattr(request, "remote", None)
    return str(remote)[:64] if remote else None


def identify(security: Security, request: Any) -> Caller:
    """The caller of ``request``; AuthError 401 (or 503 when no credential is configured)."""
    if not security.enabled:
        raise AuthError(
            503, "the HTTP API is disabled: set CORDWATCH_API_TOKEN or CORDWATCH_USERS_FILE"
        )
    creds = credentials_of(request)
    now = security.clock.now()
    auth = security.authenticator
    if creds.bearer is not None:
        principal = auth.authenticate(creds, now=now) if creds.bearer else None
        if principal is None:
            error = "bearer token required" if not creds.bearer else "invalid bearer token"
            challenge = CHALLENGE if not creds.bearer else f'{CHALLENGE}, error="invalid_token"'
            raise AuthError(401, error, {"WWW-Authenticate": challenge})
        return Caller(principal, None, remote_of(request))
    if creds.session_cookie:
        principal, session = auth.session_principal(creds.session_cookie, now=now)
        if principal is not None:
            return Caller(principal, session, remote_of(request))
    raise AuthError(401, "bearer token required (or sign in)", {"WWW-Authenticate": CHALLENGE})


async def authorize(
    security: Security, caller: Caller, permission: Permission, *, method: str = "GET",
    csrf: str | None = None,
) -> None:  # fmt: skip
    """AuthError 403 unless the role holds ``permission`` and, for a cookie's POST, the CSRF token
    matches; a known user's refusal is itself recorded."""
    if not caller.principal.may(permission):
        await record(security, caller, AccessAction.DENIED, outcome=AccessOutcome.REFUSED,
                     detail={"needs": permission.value}, required=False)  # fmt: skip
        raise AuthError(403, f"your role ({caller.principal.role.value}) may not do this")
    if caller.session is not None and method.upper() not in _SAFE_METHODS:
        secret = security.authenticator.session_secret
        if not sessions.csrf_valid(secret=secret, session=caller.session, given=csrf):
            raise AuthError(403, "CSRF token missing or wrong: reload the page and try again")


async def record(
    security: Security,
    caller: Caller,
    action: AccessAction,
    *,
    target_kind: str | None = None,
    target_id: str | None = None,
    outcome: AccessOutcome = AccessOutcome.OK,
    detail: dict[str, Any] | None = None,
    required: bool = True,
) -> None:
    """Append one access record; AuthError 503 when ``required`` and it cannot be stored."""
    if security.access_log is None:
        if required:
            raise AuthError(503, "the access log is not configured: refusing patient data")
        return
    p = caller.principal
    entry = AccessRecord(
        access_id=new_access_id(), at=security.clock.now(), user_name=p.name, role=p.role.value,
        via=p.via.value, action=action, target_kind=target_kind,
        target_id=target_id[:64] if target_id else None, remote=caller.remote, outcome=outcome,
        detail=detail,
    )  # fmt: skip
    try:
        await asyncio.to_thread(security.access_log.record, entry)
    except StoreError as exc:
        log.error("access.not_recorded", action=action.value, error=str(exc))
        if required:
            raise AuthError(503, "the access log is unavailable: refusing patient data") from None
        return
    # Ids and the action only: who it was is in the store, and the target is never a patient id.
    log.info("access.recorded", access_id=entry.access_id, action=action.value,
             via=p.via.value)  # fmt: skip


def service_or_user(principal: Principal, given_by: str | None) -> str:
    """Whom an action is recorded as: a person is who signed in, whatever a body claims; only the
    service credential (a machine relaying for someone) may name the person in ``by``."""
    if principal.via is Via.SERVICE and given_by:
        return given_by
    return principal.display
