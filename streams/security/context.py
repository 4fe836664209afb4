"""What every guarded route needs: the authenticator, the access log and the clock.

The users file is read when the worker starts (``check_users_file``: one line per problem) and
again whenever its modification time changes, so adding, demoting or removing a person takes
effect without a restart. A change that leaves the file unreadable or invalid (an editor half-way
through a save) keeps the last valid directory and logs the problem count: nobody is locked out
by a typo, and the next valid save takes effect.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import structlog
from sqlalchemy.engine import Engine

from services.config import Settings
from services.identity.authenticator import LocalAuthenticator
from services.identity.users_file import EMPTY, UserDirectory, UsersFileError, load_users
from services.store.access import AccessLog

log = structlog.get_logger(__name__)


class Clock(Protocol):
    """The current time, timezone-aware UTC."""

    def now(self) -> datetime: ...


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


class UsersCache:
    """The users file, re-read when its modification time changes (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int] | None = None
        self._users = EMPTY
        self._bad: tuple[str, int] | str | None = None  # the failure last logged (once each)

    def get(self, path: Path | None) -> UserDirectory:
        """The directory for ``path`` (empty when None); UsersFileError when it is wrong."""
        if path is None:
            return EMPTY
        with self._lock:
            key: tuple[str, int] | str = "missing"
            try:
                key = (str(path), os.stat(path).st_mtime_ns)
                if key not in (self._key, self._bad):
                    self._users, self._key = load_users(path), key
            except (OSError, UsersFileError) as exc:
                if self._key is None or self._key[0] != str(path):
                    if isinstance(exc, UsersFileError):
                        raise
                    raise UsersFileError(
                        [f"{path}: cannot be read ({type(exc).__name__})"]
                    ) from None
                if key != self._bad:
                    self._bad = key
                    problems = len(exc.problems) if isinstance(exc, UsersFileError) else 1
                    log.error("users_file.reload_failed", problems=problems, kept="last valid")
            return self._users


_users_cache = UsersCache()


def check_users_file(settings: Settings) -> UserDirectory:
    """Load the users file now; UsersFileError (one line per problem) when it is unusable."""
    return _users_cache.get(settings.users_file)


def security_for(
    settings: Settings, *, engine: Engine | None, clock: Clock, users: UserDirectory | None = None
) -> Security:
    """The worker's Security: users from the settings' file unless given (tests pass them)."""
    directory = users if users is not None else _users_cache.get(settings.users_file)
    return Security(
        authenticator=LocalAuthenticator(
            users=directory,
            session_secret=settings.session_key(),
            service_token=settings.api_token.get_secret_value(),
            session_ttl=timedelta(hours=settings.session_hours),
        ),
        access_log=AccessLog(engine=engine) if engine is not None else None,
        clock=clock,
        secure_cookies=settings.secure_cookies,
    )
