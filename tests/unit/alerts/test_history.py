"""The history rule of a notify group that has never committed (services.alerts.history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.alerts.history import is_history, pages_from
from tests.unit.alerts.conftest import alert

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def test_a_new_group_pages_from_the_window_or_page_after_whichever_is_later() -> None:
    assert pages_from(started=NOW, within=15 * M, page_after=None) == NOW - 15 * M
    assert pages_from(started=NOW, within=15 * M, page_after=NOW - 5 * M) == NOW - 5 * M
    assert pages_from(started=NOW, within=15 * M, page_after=NOW - 60 * M) == NOW - 15 * M


def test_only_a_fresh_partition_skips_alerts_older_than_the_window() -> None:
    since = NOW - 15 * M
    old, young = alert(at=NOW - 2 * 60 * M), alert(at=NOW - M)
    assert is_history(old, fresh=True, since=since, page_after=None)
    assert not is_history(young, fresh=True, since=since, page_after=None)
    # A group resuming from its commit pages what it never delivered, however old.
    assert not is_history(old, fresh=False, since=since, page_after=None)


def test_nothing_before_page_after_is_paged_even_by_an_existing_group() -> None:
    cutoff = NOW - 3 * 60 * M
    ancient = alert(at=cutoff - M)
    assert is_history(ancient, fresh=False, since=NOW, page_after=cutoff)
    assert not is_history(alert(at=cutoff), fresh=False, since=NOW, page_after=cutoff)
