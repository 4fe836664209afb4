"""Sign-in throttling: after repeated wrong passwords for a name, refuse that name for a while.

OWASP Authentication Cheat Sheet: limit failed attempts per account. Five failures within 15
minutes refuse the name until fewer than five fall in the last 15 minutes (per name: a guesser
gets at most five tries a quarter of an hour on each account). In memory per worker: a restart
forgets, which only helps a person.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class SignInThrottle:
    """Failed sign-ins per name in the last WINDOW."""

    def __init__(self, *, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self._max, self._window = max_failures, window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, name: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(name, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures

    def locked(self, name: str, *, now: datetime) -> bool:
        """True while ``name`` has had too many recent failures."""
        with self._lock:
            return len(self._recent(name, now)) >= self._max

    def failed(self, name: str, *, now: datetime) -> None:
        """Count one failed sign-in for ``name``."""
        with self._lock:
            self._recent(name, now).append(now)
            if len(self._failures) > 10_000:  # bound memory against a spray of made-up names
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, name: str) -> None:
        """Forget the failures of ``name``."""
        with self._lock:
            self._failures.pop(name, None)
