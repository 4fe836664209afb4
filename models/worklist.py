"""The coordinator's worklist: every open episode with its clocks, evidence, advice and alerts.

Patient-level (the patient id is on each episode): only roles with ``view_patient`` see it, and
every read of it is in the access log. Plain frozen dataclasses, not pydantic: the values come from
our own typed tables, and a page of a thousand episodes builds some 17 000 of them per load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class WorkTimer:
    """One clock: pending or breached clocks count down (or up, overdue) to ``due_at``."""

    timer_id: str
    kind: str
    status: str
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    breached_at: datetime | None

    @property
    def running(self) -> bool:
        """True while the clock has not been met or cancelled (pending, or breached and unmet)."""
        return self.status in ("pending", "breached")


@dataclass(frozen=True, slots=True)
class WorkDelivery:
    """One delivery attempt of an alert (receiver is the routing file's key, not a contact)."""

    receiver: str
    channel: str | None
    tier: int
    outcome: str
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class WorkAlert:
    """An alert of the episode with its deliveries and acknowledgement."""

    alert_id: str
    alert_type: str
    priority: str
    timer: str | None
    at: datetime
    summary: str
    delivery_status: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    deliveries: tuple[WorkDelivery, ...]


@dataclass(frozen=True, slots=True)
class WorkEvidence:
    """A sentence of the newest report that the detector read as evidence, and for what."""

    section: str | None
    sentence: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WorkSilence:
    """A silence holding on the episode (or its patient)."""

    silence_id: str
    scope: str
    reason: str
    author: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class WorkEpisode:
    """One open episode as the worklist shows it."""

    episode_id: str
    patient_id: str
    facility: str | None
    priority: str
    suspected_at: datetime
    escc_grade: str | None
    high_grade: bool
    levels: tuple[str, ...]
    sins_total: int | None
    sins_min: int | None
    sins_max: int | None
    sins_category: str | None
    next_due: datetime | None
    timers: tuple[WorkTimer, ...]
    alerts: tuple[WorkAlert, ...]
    evidence: tuple[WorkEvidence, ...]
    report: str | None  # accession and exam of the newest report, e.g. "ACC-1 (MR whole spine)"
    advice: tuple[str, ...]
    silences: tuple[WorkSilence, ...]


@dataclass(frozen=True, slots=True)
class Worklist:
    """Open episodes, soonest deadline first, as of ``as_of``."""

    as_of: datetime
    episodes: tuple[WorkEpisode, ...]
