"""Shapes a patient story is made of: drafted events and the truth the story was written to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.simulation.report_common import ReportTruth

ADT = "hospital.adt"
IMAGING = "hospital.imaging-reports"
MEDICATIONS = "hospital.medication-administrations"
CONSULTS = "hospital.consults"
PROCEDURES = "hospital.procedures"
ASSESSMENTS = "hospital.assessments"
INBOUND_TOPICS: tuple[str, ...] = (ADT, IMAGING, MEDICATIONS, CONSULTS, PROCEDURES, ASSESSMENTS)


@dataclass(frozen=True, slots=True)
class Draft:
    """One event of a story before ids are assigned: clinical time plus delivery delay."""

    topic: str
    event_type: str
    occurred_at: datetime
    fields: dict[str, Any]
    delay: timedelta  # from occurred_at until the sending system publishes it
    report: ReportTruth | None = None


@dataclass(frozen=True, slots=True)
class StoryTruth:
    """What the story was written to show; the expected outcome under the default 24 h policy.

    ``steroids`` and ``surgical_evaluation`` are "met", "met_late", "breached", "cancelled" or
    None (no episode); they describe the whole story, so a feed cut at a horizon may end first.
    """

    kind: str
    patient_id: str
    suspected_at: datetime | None
    ruled_out: bool
    steroids: str | None
    surgical_evaluation: str | None
    closed_by: str | None  # "discharge", "death" or None


@dataclass(slots=True)
class StoryDrafts:
    """A story under construction: its drafts in any order, and the truth filled in at the end."""

    kind: str
    drafts: list[Draft] = field(default_factory=list)
