"""Signed sessions and CSRF tokens: round trip, expiry, forgery, and the role check per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.identity import sessions
from services.identity.authenticator import Credentials, LocalAuthenticator
from services.identity.credentials import hash_password, token_digest
from services.identity.principal import Via
from services.identity.roles import GRANTS, Permission, UserRole, allows
from services.identity.users_file import User, UserDirectory

SECRET = b"k" * 32
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
TTL = timedelta(hours=12)


def test_a_session_reads_back_until_it_expires() -> None:
    cookie, made = sessions.issue(secret=SECRET, name="a.jones", role="coordinator", now=NOW,
                                  ttl=TTL)  # fmt: skip
    read = sessions.read(secret=SECRET, cookie=cookie, now=NOW + TTL - timedelta(seconds=1))
    assert read == made
    with pytest.raises(sessions.SessionError, match="expired"):
        sessions.read(secret=SECRET, cookie=cookie, now=NOW + TTL)


@pytest.mark.parametrize("mangle", ["secret", "body", "mac", "dotless", "garbage"])
def test_a_forged_or_mangled_cookie_is_refused(mangle: str) -> None:
    cookie, _ = sessions.issue(secret=SECRET, name="a.jones", role="auditor", now=NOW, ttl=TTL)
    body, _, mac = cookie.partition(".")
    forged = {
        "secret": sessions.issue(secret=b"x" * 32, name="a.jones", role="admin", now=NOW,
                                 ttl=TTL)[0],
        "body": sessions.issue(secret=SECRET, name="a.jones", role="admin", now=NOW,
                               ttl=TTL)[0].partition(".")[0] + "." + mac,
        "mac": body + "." + mac[:-2] + "AA",
        "dotless": body + mac,
        "garbage": "%%%.%%%",
    }[mangle]  # fmt: skip
    with pytest.raises(sessions.SessionError):
        sessions.read(secret=SECRET, cookie=forged, now=NOW)


def test_the_csrf_token_is_bound_to_its_session() -> None:
    _, one = sessions.issue(secret=SECRET, name="a", role="coordinator", now=NOW, ttl=TTL)
    _, two = sessions.issue(secret=SECRET, name="a", role="coordinator", now=NOW, ttl=TTL)
    token = sessions.csrf_token(secret=SECRET, session=one)
    assert sessions.csrf_valid(secret=SECRET, session=one, given=token)
    assert not sessions.csrf_valid(secret=SECRET, session=two, given=token)
    assert not sessions.csrf_valid(secret=SECRET, session=one, given=None)
    assert not sessions.csrf_valid(secret=SECRET, session=one, given="")
    assert not sessions.csrf_valid(secret=b"y" * 32, session=one, given=token)


def _auth(users: list[User]) -> LocalAuthenticator:
    return LocalAuthenticator(users=UserDirectory.of(users), session_secret=SECRET,
                              service_token="s" * 32, session_ttl=TTL)  # fmt: skip


def test_a_session_ends_when_the_user_is_removed_or_changes_role() -> None:
    jones = User("a.jones", "Dr Jones", UserRole.COORDINATOR, hash_password("a long password"),
                 None)  # fmt: skip
    auth = _auth([jones])
    principal = auth.check(name="a.jones", password="a long password")
    assert principal is not None
    assert auth.check(name="a.jones", password="a long passworD") is None
    assert auth.check(name="nobody", password="a long password") is None
    cookie, _ = auth.start_session(principal, now=NOW)
    assert auth.authenticate(Credentials(None, cookie), now=NOW) == principal
    demoted = _auth([User("a.jones", "Dr Jones", UserRole.AUDITOR, jones.password_hash, None)])
    assert demoted.authenticate(Credentials(None, cookie), now=NOW) is None
    assert _auth([]).authenticate(Credentials(None, cookie), now=NOW) is None


def test_bearer_tokens_name_the_user_or_the_service_and_win_over_a_cookie() -> None:
    token = "cw_" + "t" * 43
    auditor = User("audit", "Audit", UserRole.AUDITOR, None, token_digest(token))
    auth = _auth([auditor])
    by_token = auth.authenticate(Credentials(token, None), now=NOW)
    assert by_token is not None
    assert (by_token.name, by_token.via) == ("audit", Via.TOKEN)
    service = auth.authenticate(Credentials("s" * 32, None), now=NOW)
    assert service is not None
    assert (service.role, service.via) == (UserRole.SERVICE, Via.SERVICE)
    assert auth.authenticate(Credentials("wrong", "any-cookie"), now=NOW) is None


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        (UserRole.AUDITOR, {Permission.VIEW_AGGREGATES},
         {Permission.VIEW_EPISODES, Permission.VIEW_PATIENT, Permission.ACT}),
        (UserRole.ADMIN, {Permission.READ_ACCESS_LOG, Permission.VIEW_AGGREGATES},
         {Permission.VIEW_PATIENT, Permission.ACT, Permission.REVIEW}),
        (UserRole.COORDINATOR, {Permission.VIEW_PATIENT, Permission.ACT, Permission.REVIEW},
         {Permission.READ_ACCESS_LOG, Permission.SUBMIT_EVENTS}),
        (UserRole.CLINICIAN, {Permission.VIEW_PATIENT, Permission.ACT, Permission.REVIEW},
         {Permission.READ_ACCESS_LOG, Permission.SUBMIT_EVENTS}),
        (UserRole.SERVICE, {Permission.SUBMIT_EVENTS, Permission.VIEW_PATIENT, Permission.ACT},
         {Permission.READ_ACCESS_LOG, Permission.REVIEW}),
    ],
)  # fmt: skip
def test_roles_grant_what_the_issue_says(
    role: UserRole, may: set[Permission], may_not: set[Permission]
) -> None:
    assert all(allows(role, p) for p in may)
    assert not any(allows(role, p) for p in may_not)
    assert set(GRANTS) == set(UserRole)  # every role has a row
