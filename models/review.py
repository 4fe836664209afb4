"""The review queue's and the alert feedback's API shapes (issue 14): bodies in, ``...Public`` out.

Patient-level: a review item carries the patient id and the report's evidence sentences, so
every route that returns one is for clinical roles only and is recorded in the access log.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.events import FeedbackKind, VerdictNote
from models.outputs import ReviewCue

# What a verdict on a review item is stored as in the feedback table; alert feedback uses the
# FeedbackKind values alone. "confirmed": a person read the report and confirmed suspected MESCC.
CONFIRMED = "confirmed"
FEEDBACK_KINDS: tuple[str, ...] = ("not_mescc", "already_treated_elsewhere", "duplicate")
VERDICT_KINDS: tuple[str, ...] = (CONFIRMED, *FEEDBACK_KINDS)


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConfirmBody(_Body):
    """POST /api/review/{review_id}/confirm (the body may be empty)."""

    note: VerdictNote | None = None


class DismissBody(_Body):
    """POST /api/review/{review_id}/dismiss."""

    reason: FeedbackKind
    note: VerdictNote | None = None


class FeedbackBody(_Body):
    """POST /api/alerts/{alert_id}/feedback."""

    kind: FeedbackKind
    note: VerdictNote | None = None


class ReviewQuery(_Body):
    """GET /api/review query parameters."""

    facility: str | None = Field(default=None, min_length=1, max_length=32)
    limit: int = Field(default=200, ge=1, le=1000)


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReviewItemPublic(_Public):
    """One review item as stored (a projection of the pathway's ReviewChanged)."""

    review_id: str
    patient_id: str
    facility: str | None
    accession: str
    report_event_id: str
    report_status: str
    modality: str
    exam: str
    report_at: AwareDatetime
    requested_at: AwareDatetime
    status: str
    sentence: str | None
    cues: list[ReviewCue]
    decided_at: AwareDatetime | None
    decided_by: str | None
    reason: str | None
    note: str | None
    # The episode a confirmation opened (or the study joined); None while open or dismissed.
    episode_id: str | None


class ReviewQueuePublic(_Public):
    """GET /api/review: the open items, oldest report first."""

    items: list[ReviewItemPublic]


class VerdictPublic(_Public):
    """A verdict accepted: its event is on cordwatch.reviews; the pathway applies it shortly."""

    review_id: str
    verdict: Literal["confirmed", "dismissed"]
    reason: str | None
    event_id: str
    by: str
    at: AwareDatetime


class FeedbackPublic(_Public):
    """One stored feedback row."""

    feedback_id: str
    target: Literal["alert", "review"]
    alert_id: str | None
    review_id: str | None
    episode_id: str | None
    kind: str
    note: str | None
    by: str
    at: AwareDatetime
