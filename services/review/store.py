"""The review queue and feedback in the audit store: reads for the page, verdict and feedback rows.

The pathway owns what a verdict does (the sink projects its ReviewChanged into review_items);
this module owns only the feedback table. A review item takes one verdict: its feedback row's
key is derived from the review id, so the database refuses a second one even when two people
press at once. Callers hold the transaction (``with engine.begin() as conn``); nothing here
commits. Errors name the cause, never the data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Connection

from models.outputs import ReviewStatus
from models.review import FeedbackPublic, ReviewItemPublic
from models.tables import AlertRow, EpisodeRow, FeedbackRow, ReviewItemRow
from services import ids
from services.store.upsert import insert_new

REVIEWS: Table = ReviewItemRow.__table__  # type: ignore[attr-defined]
FEEDBACK: Table = FeedbackRow.__table__  # type: ignore[attr-defined]
ALERTS: Table = AlertRow.__table__  # type: ignore[attr-defined]
EPISODES: Table = EpisodeRow.__table__  # type: ignore[attr-defined]


class ReviewStoreError(Exception):
    """A review or feedback request the store cannot carry out."""


class UnknownReviewError(ReviewStoreError):
    """No review item has this id."""


class AlreadyDecidedError(ReviewStoreError):
    """The review item has its verdict already (or is no longer open)."""


class UnknownAlertError(ReviewStoreError):
    """No alert has this id."""


def _item(row: Any) -> ReviewItemPublic:
    return ReviewItemPublic.model_validate(dict(row._mapping))


def open_reviews(
    conn: Connection, *, facility: str | None = None, limit: int = 200
) -> list[ReviewItemPublic]:
    """Open review items, the oldest report first (the longest-waiting study is read first)."""
    r = REVIEWS.c
    query = select(*_item_columns()).where(r.status == ReviewStatus.OPEN.value)
    if facility is not None:
        query = query.where(r.facility == facility)
    query = query.order_by(r.report_at, r.review_id).limit(limit)
    return [_item(row) for row in conn.execute(query)]


def review_item(conn: Connection, review_id: str) -> ReviewItemPublic | None:
    """One review item, whatever its status."""
    row = conn.execute(
        select(*_item_columns()).where(REVIEWS.c.review_id == review_id)
    ).one_or_none()
    return _item(row) if row is not None else None


def _item_columns() -> list[Any]:
    names = ReviewItemPublic.model_fields
    return [c for c in REVIEWS.columns if c.name in names]


def claim_verdict(
    conn: Connection,
    *,
    review_id: str,
    kind: str,
    by: str,
    note: str | None,
    now: datetime,
) -> tuple[ReviewItemPublic, FeedbackPublic]:
    """Store the item's one verdict as feedback (``kind``: confirmed or a dismissal reason)."""
    item = review_item(conn, review_id)
    if item is None:
        raise UnknownReviewError("no such review item")
    if item.status != ReviewStatus.OPEN.value:
        raise AlreadyDecidedError(f"the review item is {item.status} already")
    values = {
        "feedback_id": ids.verdict_id(review_id),
        "target": "review",
        "alert_id": None,
        "review_id": review_id,
        "episode_id": None,
        "patient_id": item.patient_id,
        "facility": item.facility,
        "kind": kind,
        "note": note,
        "author": by,
        "created_at": now,
        "flagged_at": item.report_at,
    }
    if insert_new(conn, FEEDBACK, [values]) == 0:
        raise AlreadyDecidedError("the review item has a verdict already")
    return item, _feedback(values)


def release_verdict(conn: Connection, *, review_id: str) -> None:
    """Remove a claimed verdict whose event could not be published (the item stays open)."""
    conn.execute(delete(FEEDBACK).where(FEEDBACK.c.feedback_id == ids.verdict_id(review_id)))


def verdict_of(conn: Connection, review_id: str) -> FeedbackPublic | None:
    """The verdict stored for a review item, if any."""
    row = conn.execute(
        select(FEEDBACK).where(FEEDBACK.c.feedback_id == ids.verdict_id(review_id))
    ).one_or_none()
    return _feedback(dict(row._mapping)) if row is not None else None


def add_alert_feedback(
    conn: Connection,
    *,
    alert_id: str,
    kind: str,
    by: str,
    note: str | None,
    now: datetime,
) -> FeedbackPublic:
    """Store one person's feedback on an alert; it counts in the month of what was flagged."""
    alert = conn.execute(
        select(ALERTS.c.episode_id, ALERTS.c.patient_id, ALERTS.c.facility, ALERTS.c.at).where(
            ALERTS.c.alert_id == alert_id
        )
    ).one_or_none()
    if alert is None:
        raise UnknownAlertError("no such alert")
    flagged_at, review_id = _flagged(conn, alert.episode_id, alert.at)
    values = {
        "feedback_id": ids.feedback_id(alert_id, by, now.isoformat()),
        "target": "alert",
        "alert_id": alert_id,
        # A review request's alert names the review item, not an episode.
        "review_id": review_id,
        "episode_id": None if review_id is not None else alert.episode_id,
        "patient_id": alert.patient_id,
        "facility": alert.facility,
        "kind": kind,
        "note": note,
        "author": by,
        "created_at": now,
        "flagged_at": flagged_at,
    }
    insert_new(conn, FEEDBACK, [values])  # the same person at the same instant: one row
    return _feedback(values)


def _flagged(conn: Connection, episode_id: str, alert_at: datetime) -> tuple[datetime, str | None]:
    """When what the alert is about was flagged (suspicion, or the review's report), and the
    review id when the alert is a review request."""
    suspected = conn.execute(
        select(EPISODES.c.suspected_at).where(EPISODES.c.episode_id == episode_id)
    ).scalar_one_or_none()
    if suspected is not None:
        return suspected, None
    report_at = conn.execute(
        select(REVIEWS.c.report_at).where(REVIEWS.c.review_id == episode_id)
    ).scalar_one_or_none()
    if report_at is not None:
        return report_at, episode_id
    return alert_at, None


def _feedback(values: dict[str, Any]) -> FeedbackPublic:
    return FeedbackPublic(
        feedback_id=values["feedback_id"],
        target=values["target"],
        alert_id=values["alert_id"],
        review_id=values["review_id"],
        episode_id=values["episode_id"],
        kind=values["kind"],
        note=values["note"],
        by=values["author"],
        at=values["created_at"],
    )
