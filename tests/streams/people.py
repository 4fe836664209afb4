"""Test users, one per role, with passwords and API tokens made here (test only)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy.engine import Engine

from services.config import Settings
from services.identity.credentials import hash_password, token_digest
from services.identity.roles import UserRole
from services.identity.users_file import User, UserDirectory
from streams.security.guard import Security, security_for
from tests.streams.api_client import TOKEN, FixedClock

PASSWORD = "a-long-test-password-%s"  # % role: each person's own
ROLES = ("coordinator", "clinician", "auditor", "admin")
SESSION_SECRET = "s3ss10n-s3cr3t-for-tests-0123456789abcdef"


def token_of(role: str) -> str:
    """The API token of the test user of ``role``."""
    return f"cw_test-{role}-token-{'x' * 24}"


def password_of(role: str) -> str:
    """The password of the test user of ``role``."""
    return PASSWORD % role


def name_of(role: str) -> str:
    """The sign-in name of the test user of ``role``."""
    return f"{role}.one"


@cache
def directory() -> UserDirectory:
    """One user per role (hashed once per test session: Argon2id takes a while on purpose)."""
    return UserDirectory.of(
        User(name_of(r), f"Test {r.title()}", UserRole(r), hash_password(password_of(r)),
             token_digest(token_of(r)))
        for r in ROLES
    )  # fmt: skip


def bearer(role: str) -> dict[str, str]:
    """The Authorization header of ``role`` ("service": the shared token)."""
    return {"Authorization": f"Bearer {TOKEN if role == 'service' else token_of(role)}"}


def security(engine: Engine, now: datetime, *, secure_cookies: bool = False) -> Security:
    """The guard over ``engine``'s access log with the test users and the service token."""
    settings = Settings(api_token=TOKEN, session_secret=SESSION_SECRET,  # type: ignore[arg-type]
                        cookie_secure=secure_cookies)  # fmt: skip
    return security_for(settings, users=directory(), engine=engine, clock=FixedClock(now))
