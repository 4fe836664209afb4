"""What an arriving event is before it is folded: redelivery, reused id, skewed clock, history.

Pure. A redelivery is the same event id with the same content (DESIGN.md section 2); the same id
with other content (two sending systems both numbering from 1) is another event and is folded
under a key that tells the two apart. Clinical time is clamped to arrival for every deadline and
an event older than the policy's history age at arrival pages nobody (DESIGN.md section 3).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from models.events import AlertAcknowledged, PatientEvent, TimerDue
from models.state import PatientState
from services.policy import Policy

# 12 hex digits (48 bits) each: among the 256 remembered events a false "redelivery" needs a
# collision of both the id and the content fingerprints.
_FP_CHARS = 12


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_FP_CHARS]


@dataclass(frozen=True, slots=True)
class Intake:
    """How one event enters the reducer (also what the shell counts in its metrics)."""

    seen_key: str  # what ``recent_event_ids`` remembers: id and content fingerprints, no id text
    fact_id: str  # the key the event's facts are folded under
    redelivered: bool  # same id, same content: a no-op
    id_reused: bool  # same id, other content: another event
    reported_at: datetime
    clinical_at: datetime  # the time deadlines use
    clamped: bool  # reported more than the tolerance after arrival
    historic: bool  # older than the history age at arrival, or before page_after: no pages


def intake(
    state: PatientState | None,
    event: PatientEvent,
    *,
    arrival: datetime,
    policy: Policy,
    page_after: datetime | None = None,
) -> Intake:
    """Classify one event against the patient's state; never raises on an accepted event."""
    id_fp = _fingerprint(event.event_id)
    seen_key = id_fp + _fingerprint(event.model_dump_json())
    recent = state.recent_event_ids if state is not None else ()
    # A bare event id: remembered by a state written before contract version 2.
    redelivered = seen_key in recent or event.event_id in recent
    # One substring search in C instead of 256 startswith calls: this runs on every event.
    joined = " " + " ".join(k for k in recent if len(k) == 2 * _FP_CHARS)
    id_reused = not redelivered and f" {id_fp}" in joined
    reported = event.occurred_at
    internal = isinstance(event, TimerDue | AlertAcknowledged)
    clinical = reported if internal else policy.deadline_time(reported, arrival=arrival)
    historic = not internal and (
        _older(arrival, clinical, policy) or (page_after is not None and clinical < page_after)
    )
    return Intake(
        seen_key=seen_key,
        fact_id=f"{event.event_id}~{seen_key[_FP_CHARS:]}" if id_reused else event.event_id,
        redelivered=redelivered,
        id_reused=id_reused,
        reported_at=reported,
        clinical_at=clinical,
        clamped=clinical < reported,
        historic=historic,
    )


def _older(arrival: datetime, clinical: datetime, policy: Policy) -> bool:
    try:
        return arrival - clinical > policy.history_age
    except OverflowError:  # a clinical time near datetime.min: certainly history
        return True
