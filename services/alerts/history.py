"""Which alerts a notify consumer group that has never committed pages (pure).

A new group (a first deployment, or a renamed ``app_id``) starts at the earliest offset of
cordwatch.alerts, which holds every alert ever raised: paging them all would wake the rota with
months of history. Such a group pages only alerts younger than a window at its start, and never
one raised before ``CORDWATCH_PAGE_AFTER``; an existing group resumes from its commit and pages
everything after it, however old, because those alerts were never delivered. Nothing is lost by
the window: a critical alert still unacknowledged is escalated again by the pathway's plan, as a
new alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.outputs import Alert


def pages_from(*, started: datetime, within: timedelta, page_after: datetime | None) -> datetime:
    """The oldest alert time a new group pages: ``within`` before it started, never before
    ``page_after``."""
    since = started - within
    return max(since, page_after) if page_after is not None else since


def is_history(alert: Alert, *, fresh: bool, since: datetime, page_after: datetime | None) -> bool:
    """Whether to skip this alert: before ``page_after`` always; before ``since`` only on a
    partition the group had never committed when it started."""
    if page_after is not None and alert.at < page_after:
        return True
    return fresh and alert.at < since
