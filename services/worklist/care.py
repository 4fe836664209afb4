"""Care done elsewhere, recorded from the worklist, as the canonical event a hospital feed sends.

The worklist never changes a timer itself (one writer per patient, DESIGN.md §1): it publishes a
``medication_administration`` to hospital.medication-administrations or a ``consult_completed``
to hospital.consults, which ingest validates and the pathway folds like any other, by event time.
The source record id is new per recording, so a second recording is a second record; the person
who recorded it is in ``source`` and in the access log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.events import ConsultEvent, MedicationAdministration

# What the form offers, as DESIGN.md §3 names what meets each timer: the corticosteroids the
# steroids timer counts and the surgical spine services whose completed consult meets the review.
STEROIDS = ("dexamethasone", "methylprednisolone", "prednisolone", "hydrocortisone")
SURGICAL_SERVICES = ("spine surgery", "neurosurgery", "orthopaedic spine")

MEDICATION_TOPIC = "hospital.medication-administrations"
CONSULT_TOPIC = "hospital.consults"
SOURCE = "cordwatch-worklist"
# How far back a person may record care: the policy's steroid lookback is 48 h before suspicion
# (services/policy.yaml); a week covers a transfer with its notes a few days behind.
MAX_AGE = timedelta(days=7)


class CareError(ValueError):
    """A care recording the worklist refuses (the message names the field, no patient data)."""


@dataclass(frozen=True)
class CareRecord:
    """The topic, key and event to publish."""

    topic: str
    patient_id: str
    event: MedicationAdministration | ConsultEvent


def care_event(
    *, what: str, occurred_at: datetime, patient_id: str, facility: str | None, now: datetime,
) -> CareRecord:  # fmt: skip
    """The canonical event for ``what`` ("steroids:<drug>" or "surgical:<service>")."""
    kind, _, detail = what.partition(":")
    if occurred_at.tzinfo is None:
        raise CareError("occurred_at: needs a time zone")
    if occurred_at > now:
        raise CareError("occurred_at: in the future")
    if occurred_at < now - MAX_AGE:
        raise CareError("occurred_at: more than 7 days ago; ask the ward to send the record")
    record_id = f"cw-{uuid.uuid4().hex[:24]}"
    event_id = f"worklist-{record_id}"
    if kind == "steroids" and detail in STEROIDS:
        drug = MedicationAdministration(
            event_type="medication_administration", event_id=event_id, occurred_at=occurred_at,
            patient_id=patient_id, facility=facility, source=SOURCE,
            administration_id=record_id, medication=detail, status="completed",
        )  # fmt: skip
        return CareRecord(MEDICATION_TOPIC, patient_id, drug)
    if kind == "surgical" and detail in SURGICAL_SERVICES:
        consult = ConsultEvent(
            event_type="consult_completed", event_id=event_id, occurred_at=occurred_at,
            patient_id=patient_id, facility=facility, source=SOURCE, consult_id=record_id,
            service=detail,
        )  # fmt: skip
        return CareRecord(CONSULT_TOPIC, patient_id, consult)
    raise CareError("what: steroids:<drug> or surgical:<service> from the form's list")
