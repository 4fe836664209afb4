"""How a request's caller is recognised, behind one protocol so single sign-on can plug in.

``Authenticator`` turns what a request carries (``Credentials``) into a ``Principal`` or None.
``LocalAuthenticator`` knows three kinds: the session cookie of the sign-in page, a user's own
bearer token from the users file, and the shared service token. A hospital's OpenID Connect
provider would be a second ``SignIn`` implementation (authorisation-code flow: redirect, then a
callback that verifies the ID token and maps a claim to a role) which ends, like the password
form, in ``issue`` of the same session cookie, so nothing after sign-in changes. It is not built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.identity import sessions
from services.identity.credentials import same, verify_password
from services.identity.principal import SERVICE_NAME, Principal, Via
from services.identity.roles import UserRole
from services.identity.users_file import User, UserDirectory


@dataclass(frozen=True, slots=True)
class Credentials:
    """What one request presents: a bearer token and/or the session cookie (either may be None)."""

    bearer: str | None
    session_cookie: str | None


class Authenticator(Protocol):
    """Recognise a request's caller; None when it proves nobody."""

    def authenticate(self, credentials: Credentials, *, now: datetime) -> Principal | None:
        """The caller, or None."""
        ...


class SignIn(Protocol):
    """Check a person's proof of identity at sign-in (a password form; later, OIDC)."""

    def check(self, *, name: str, password: str) -> Principal | None:
        """The person, or None when the proof fails."""
        ...


@dataclass(frozen=True)
class LocalAuthenticator:
    """The users file, the signed session cookie and the service token."""

    users: UserDirectory
    session_secret: bytes
    service_token: str  # empty: no service credential
    session_ttl: timedelta

    def authenticate(self, credentials: Credentials, *, now: datetime) -> Principal | None:
        """A bearer token wins over a cookie: a script never rides on a browser's session."""
        if credentials.bearer is not None:
            return self._bearer(credentials.bearer)
        if credentials.session_cookie:
            return self.session_principal(credentials.session_cookie, now=now)[0]
        return None

    def _bearer(self, token: str) -> Principal | None:
        if self.service_token and same(token, self.service_token):
            return Principal(SERVICE_NAME, UserRole.SERVICE, Via.SERVICE, SERVICE_NAME)
        user = self.users.bearer(token)
        return None if user is None else _principal(user, Via.TOKEN)

    def session_principal(
        self, cookie: str, *, now: datetime
    ) -> tuple[Principal | None, sessions.Session | None]:
        """The user of a session cookie, if it is valid and the user still holds that role."""
        try:
            session = sessions.read(secret=self.session_secret, cookie=cookie, now=now)
        except sessions.SessionError:
            return None, None
        user = self.users.user(session.name)
        if user is None or user.role.value != session.role:
            return None, None
        return _principal(user, Via.SESSION), session

    def check(self, *, name: str, password: str) -> Principal | None:
        """Password sign-in against the users file (the ``SignIn`` of this deployment)."""
        user = self.users.user(name)
        stored = user.password_hash if user is not None else None
        if not verify_password(stored, password) or user is None:
            return None
        return _principal(user, Via.SESSION)

    def start_session(self, principal: Principal, *, now: datetime) -> tuple[str, sessions.Session]:
        """The cookie value of a new session for a signed-in person."""
        return sessions.issue(
            secret=self.session_secret, name=principal.name, role=principal.role.value,
            now=now, ttl=self.session_ttl,
        )  # fmt: skip


def _principal(user: User, via: Via) -> Principal:
    return Principal(user.name, user.role, via, user.display)
