"""Shared simulated feeds: generated once per session, since every test only reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.simulation import FeedConfig, SimMessage, generate

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def feed(seed: int = 11, *, start: datetime = START, **options: Any) -> list[SimMessage]:
    """The whole feed of one configuration, as a list."""
    return list(generate(FeedConfig(seed=seed, start=start, **options)))


@pytest.fixture(scope="session")
def big_feed() -> list[SimMessage]:
    """Enough patients for every story kind and report category to appear."""
    return feed(seed=11, patients=250, invalid_fraction=0.04)
