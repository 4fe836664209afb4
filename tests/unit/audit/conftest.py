"""Session fixture: a headless Chromium, installed from Debian's package when missing (as root)."""

from __future__ import annotations

import pytest

from tests.unit.audit.browser import CHROMIUM, ensure_chromium


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the chromium binary; installs it on a fresh CI machine, else skips with why."""
    reason = ensure_chromium()
    if reason:
        pytest.skip(reason)
    return str(CHROMIUM)
