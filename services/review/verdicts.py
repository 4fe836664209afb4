"""A verdict on a review item as the canonical event the pathway folds (pure: no I/O, no clock)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.events import FeedbackKind, ReviewConfirmed, ReviewDismissed
from models.review import ReviewItemPublic
from services import ids

# Who sent the event, in its ``source`` field (DESIGN.md section 2: the sending system).
SOURCE = "cordwatch-review"


def _envelope(item: ReviewItemPublic, *, verdict: str, now: datetime) -> dict[str, Any]:
    """The fields every verdict on ``item`` carries: one id per item and verdict, so a verdict
    sent twice is one event, and the item's patient, facility and study."""
    return {
        "event_id": ids.verdict_event_id(item.review_id, verdict),
        "occurred_at": now,
        "patient_id": item.patient_id,
        "facility": item.facility,
        "source": SOURCE,
        "review_id": item.review_id,
        "accession": item.accession,
    }


def confirm_event(
    item: ReviewItemPublic, *, by: str, now: datetime, note: str | None = None
) -> ReviewConfirmed:
    """The confirmation of ``item`` by ``by`` at ``now``."""
    return ReviewConfirmed(
        **_envelope(item, verdict="confirmed", now=now),
        event_type="review_confirmed",
        confirmed_by=by,
        note=note,
    )


def dismiss_event(
    item: ReviewItemPublic,
    *,
    by: str,
    now: datetime,
    reason: FeedbackKind,
    note: str | None = None,
) -> ReviewDismissed:
    """The dismissal of ``item`` by ``by`` at ``now``, with its reason."""
    return ReviewDismissed(
        **_envelope(item, verdict="dismissed", now=now),
        event_type="review_dismissed",
        dismissed_by=by,
        reason=reason,
        note=note,
    )
