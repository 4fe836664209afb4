"""A verdict on a review item as the canonical event the pathway folds (pure: no I/O, no clock)."""

from __future__ import annotations

from datetime import datetime

from models.events import FeedbackKind, ReviewConfirmed, ReviewDismissed
from models.review import ReviewItemPublic
from services import ids

# Who sent the event, in its ``source`` field (DESIGN.md section 2: the sending system).
SOURCE = "cordwatch-review"


def confirm_event(
    item: ReviewItemPublic, *, by: str, now: datetime, note: str | None = None
) -> ReviewConfirmed:
    """The confirmation of ``item`` by ``by`` at ``now``."""
    return ReviewConfirmed(
        event_id=ids.verdict_event_id(item.review_id, "confirmed"),
        event_type="review_confirmed",
        occurred_at=now,
        patient_id=item.patient_id,
        facility=item.facility,
        source=SOURCE,
        review_id=item.review_id,
        accession=item.accession,
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
        event_id=ids.verdict_event_id(item.review_id, "dismissed"),
        event_type="review_dismissed",
        occurred_at=now,
        patient_id=item.patient_id,
        facility=item.facility,
        source=SOURCE,
        review_id=item.review_id,
        accession=item.accession,
        dismissed_by=by,
        reason=reason,
        note=note,
    )
