"""The worker's users: the users file, re-read whenever its modification time changes.

Read when the worker starts (`cordwatch worker` calls ``current()`` first: one line per problem)
and again on the first request after each change, so adding, demoting or removing a person takes
effect without a restart. A change that leaves the file unreadable or invalid (an editor half-way
through a save) keeps the last valid directory and logs the problem count: nobody is locked out
by a typo, and the next valid save takes effect. One ``UsersFile`` per worker, owned by its
Runtime (`streams.bootstrap`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import structlog

from services.identity.users_file import EMPTY, UserDirectory, UsersFileError, load_users

log = structlog.get_logger(__name__)


class UsersFile:
    """The directory in the users file at ``path`` (None: nobody), current on every call."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        # Requests run on the event loop and on worker threads: one reader at a time.
        self._lock = threading.Lock()
        self._mtime: int | None = None  # of the directory held; None: none loaded yet
        self._users = EMPTY
        self._bad: int | str | None = None  # the failure last logged (once each)

    def current(self) -> UserDirectory:
        """The directory as the file now says; UsersFileError when none was ever valid."""
        if self.path is None:
            return EMPTY
        with self._lock:
            seen: int | str = "missing"
            try:
                seen = os.stat(self.path).st_mtime_ns
                if seen not in (self._mtime, self._bad):
                    self._users, self._mtime = load_users(self.path), seen
            except (OSError, UsersFileError) as exc:
                if self._mtime is None:  # at start there is nothing to keep: the worker refuses
                    if isinstance(exc, UsersFileError):
                        raise
                    raise UsersFileError(
                        [f"{self.path}: cannot be read ({type(exc).__name__})"]
                    ) from None
                if seen != self._bad:
                    self._bad = seen
                    problems = len(exc.problems) if isinstance(exc, UsersFileError) else 1
                    log.error("users_file.reload_failed", problems=problems, kept="last valid")
            return self._users
