"""The canonical event contract of DESIGN.md section 2, as frozen pydantic models.

One model per inbound event type, discriminated on ``event_type``. The models are strict about
the contract's rules (offset-carrying timestamps, id lengths, closed enums, the report size cap)
and keep unknown fields without using them, so a sending system that adds a field breaks nothing.
Internal events (``timer_due``, ``alert_acknowledged``) travel on ``cordwatch.patient-events``
beside the canonical ones so that the pathway agent stays the single writer of patient state.
The coordinator's review verdicts (``review_confirmed``, ``review_dismissed``) are canonical
events of Cordwatch's own inbound topic ``cordwatch.reviews``: they pass ingest like any other.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

# RFC 3339 date-time with a mandatory offset ("Z" or "+hh:mm"); a bare local time is ambiguous
# across the daylight-saving change and would silently shift a 24-hour deadline.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)

MAX_REPORT_CHARS = 200_000  # DESIGN.md section 2: text <= 200 000 chars


def _require_rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("timestamp must be an RFC 3339 string with an offset")
    if not _RFC3339.match(value):
        raise ValueError("timestamp must be RFC 3339 with an offset, e.g. 2026-01-31T08:15:00Z")
    # Parsed here (not by pydantic) so strict validation of JSON input accepts the string form.
    return datetime.fromisoformat(value.replace("z", "Z"))


Timestamp = Annotated[AwareDatetime, BeforeValidator(_require_rfc3339)]
EventId = Annotated[str, Field(min_length=1, max_length=128)]
PatientId = Annotated[str, Field(min_length=1, max_length=64)]
SourceRecordId = Annotated[str, Field(min_length=1, max_length=128)]
ShortText = Annotated[str, Field(max_length=256)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=False)


class EventBase(_Frozen):
    """Fields every event carries (DESIGN.md section 2, common fields)."""

    event_id: EventId
    occurred_at: Timestamp
    patient_id: PatientId
    encounter_id: Annotated[str, Field(max_length=128)] | None = None
    facility: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    source: Annotated[str, Field(max_length=128)] | None = None


class Diagnosis(_Frozen):
    """A coded diagnosis on an ADT message; the primary tumour for scoring comes from here."""

    code: Annotated[str, Field(min_length=1, max_length=32)]
    system: Literal["ICD-10", "ICD-10-CM", "SNOMED"]
    display: ShortText | None = None
    onset: date | None = None


class AdtEvent(EventBase):
    """Admission, transfer, discharge, death or demographic update (hospital.adt)."""

    event_type: Literal["admit", "transfer", "discharge", "death", "update"]
    unit: ShortText | None = None
    age: Annotated[int, Field(ge=0, le=130)] | None = None
    sex: ShortText | None = None
    diagnoses: Annotated[list[Diagnosis], Field(max_length=200)] | None = None
    chief_complaint: Annotated[str, Field(max_length=2_000)] | None = None


class ImagingReport(EventBase):
    """A signed (or preliminary) radiology report (hospital.imaging-reports)."""

    event_type: Literal["imaging_report"]
    accession: Annotated[str, Field(min_length=1, max_length=64)]
    status: Literal["preliminary", "final", "amended", "cancelled"]
    # DICOM modality codes (MR, CT, PT, XR, NM, ...) and common RIS spellings such as PET-CT.
    modality: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z][A-Za-z/-]*$")]
    exam: Annotated[str, Field(min_length=1, max_length=256)]
    text: Annotated[str, Field(max_length=MAX_REPORT_CHARS)]
    performed_at: Timestamp | None = None


class MedicationCode(_Frozen):
    """A coded medication (RxNorm, SNOMED, dm+d, ATC...)."""

    system: Annotated[str, Field(min_length=1, max_length=64)]
    code: Annotated[str, Field(min_length=1, max_length=64)]


class MedicationAdministration(EventBase):
    """A drug given, not given, or recorded in error (hospital.medication-administrations)."""

    event_type: Literal["medication_administration"]
    administration_id: SourceRecordId
    medication: Annotated[str, Field(min_length=1, max_length=256)]
    code: MedicationCode | None = None
    dose_mg: Annotated[float, Field(ge=0, le=100_000)] | None = None
    route: ShortText | None = None
    status: Literal["completed", "not-done", "entered-in-error"]


class ConsultEvent(EventBase):
    """A specialty consult requested, completed or cancelled (hospital.consults)."""

    event_type: Literal["consult_requested", "consult_completed", "consult_cancelled"]
    consult_id: SourceRecordId
    service: Annotated[str, Field(min_length=1, max_length=128)]


ProcedureName = Literal[
    "radiotherapy_started",
    "radiotherapy_completed",
    "decompressive_surgery",
    "separation_surgery",
    "stabilisation",
    "vertebroplasty",
    "sbrt",
]


class ProcedureEvent(EventBase):
    """A treatment procedure (hospital.procedures)."""

    event_type: Literal["procedure"]
    procedure_id: SourceRecordId
    procedure: ProcedureName
    regimen: ShortText | None = None
    status: Literal["completed", "entered-in-error"]


class AssessmentEvent(EventBase):
    """A bedside neurological and performance assessment (hospital.assessments)."""

    event_type: Literal["assessment"]
    # Lowest lower-limb MRC grade, 0-5 (Medical Research Council scale).
    motor_strength: Annotated[int, Field(ge=0, le=5)] | None = None
    ambulatory: bool | None = None
    motor_deficit_onset: Timestamp | None = None
    pain: Literal["mechanical", "occasional", "none"] | None = None
    ecog: Annotated[int, Field(ge=0, le=4)] | None = None
    karnofsky: Annotated[int, Field(ge=0, le=100)] | None = None
    sphincter_dysfunction: bool | None = None
    sensory_level: ShortText | None = None


TimerName = Literal["steroids", "surgical_evaluation"]


class TimerDue(EventBase):
    """Internal: a deadline in stored state has passed; the pathway agent decides what it means.

    Sent by the timer service so that only the pathway agent changes patient state. ``version``
    is the timer's version when the scanner saw it; a stale version is a no-op.
    """

    event_type: Literal["timer_due"]
    episode_id: Annotated[str, Field(min_length=1, max_length=64)]
    timer: Annotated[str, Field(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=0)]
    due_at: Timestamp
    detected_late: bool = False


class AlertAcknowledged(EventBase):
    """Internal: a person acknowledged an alert (cordwatch.alert-acks)."""

    event_type: Literal["alert_acknowledged"]
    alert_id: Annotated[str, Field(min_length=1, max_length=64)]
    acknowledged_by: Annotated[str, Field(min_length=1, max_length=128)]


ReviewId = Annotated[str, Field(min_length=1, max_length=64)]
Accession = Annotated[str, Field(min_length=1, max_length=64)]
UserName = Annotated[str, Field(min_length=1, max_length=128)]
# Free text a person types beside a verdict; stored in the audit store, never logged (PHI).
VerdictNote = Annotated[str, Field(max_length=2_000)]
# Why a flagged report or an alert was wrong or needs no action (issue 14); the metric's label.
FeedbackKind = Literal["not_mescc", "already_treated_elsewhere", "duplicate"]


class ReviewConfirmed(EventBase):
    """A coordinator read a report the detector sent for review and confirms suspected MESCC.

    The pathway opens the episode as if the detector had found it: ``suspected_at`` and every
    clock run from the report's clinical time, not from ``occurred_at`` (the verdict's time).
    """

    event_type: Literal["review_confirmed"]
    review_id: ReviewId
    accession: Accession
    confirmed_by: UserName
    note: VerdictNote | None = None


class ReviewDismissed(EventBase):
    """A coordinator read a report the detector sent for review: no episode, the item closes."""

    event_type: Literal["review_dismissed"]
    review_id: ReviewId
    accession: Accession
    dismissed_by: UserName
    reason: FeedbackKind
    note: VerdictNote | None = None


InboundEvent = Annotated[
    AdtEvent
    | ImagingReport
    | MedicationAdministration
    | ConsultEvent
    | ProcedureEvent
    | AssessmentEvent
    | ReviewConfirmed
    | ReviewDismissed,
    Field(discriminator="event_type"),
]

PatientEvent = Annotated[
    AdtEvent
    | ImagingReport
    | MedicationAdministration
    | ConsultEvent
    | ProcedureEvent
    | AssessmentEvent
    | ReviewConfirmed
    | ReviewDismissed
    | TimerDue
    | AlertAcknowledged,
    Field(discriminator="event_type"),
]

inbound_event_adapter: TypeAdapter[InboundEvent] = TypeAdapter(InboundEvent)
patient_event_adapter: TypeAdapter[PatientEvent] = TypeAdapter(PatientEvent)

# Which event types each inbound topic may carry (DESIGN.md section 2, topic table).
INBOUND_TOPIC_EVENT_TYPES: dict[str, frozenset[str]] = {
    "hospital.adt": frozenset({"admit", "transfer", "discharge", "death", "update"}),
    "hospital.imaging-reports": frozenset({"imaging_report"}),
    "hospital.medication-administrations": frozenset({"medication_administration"}),
    "hospital.consults": frozenset({"consult_requested", "consult_completed", "consult_cancelled"}),
    "hospital.procedures": frozenset({"procedure"}),
    "hospital.assessments": frozenset({"assessment"}),
    # Cordwatch's own: the coordinator's verdicts on review items (issue 14).
    "cordwatch.reviews": frozenset({"review_confirmed", "review_dismissed"}),
}

# The topic the coordinator's verdicts are published on (through ingest, like any event).
REVIEWS_TOPIC = "cordwatch.reviews"

# The types of every event model, for schema export and documentation.
EVENT_MODELS: tuple[type[EventBase], ...] = (
    AdtEvent,
    ImagingReport,
    MedicationAdministration,
    ConsultEvent,
    ProcedureEvent,
    AssessmentEvent,
    ReviewConfirmed,
    ReviewDismissed,
    TimerDue,
    AlertAcknowledged,
)
