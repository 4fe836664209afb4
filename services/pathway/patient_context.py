"""Fold patient-level facts into the context so the result does not depend on arrival order.

Each fold is commutative: a source record keeps the event that wins a total order (an
``entered-in-error`` is final, otherwise the latest clinical time, then the correcting status,
then the event id), reports and departures are sets keyed by event id, diagnoses a set keyed by
code. Any permutation of the same events therefore yields the same context.
"""

from __future__ import annotations

from datetime import datetime

from models.events import (
    AdtEvent,
    AssessmentEvent,
    ConsultEvent,
    MedicationAdministration,
    ProcedureEvent,
)
from models.outputs import CareKind, TimerKind
from models.state import (
    MAX_ASSESSMENTS,
    MAX_CARE_RECORDS,
    MAX_DIAGNOSES,
    MAX_REPORTS,
    AssessmentFact,
    CareRecord,
    Departure,
    DiagnosisFact,
    PatientContext,
    ReportFact,
)
from services.policy import Policy

CareEvent = MedicationAdministration | ConsultEvent | ProcedureEvent

# Among events of one record at the same clinical time, the correcting status wins.
_STATUS_RANK = {
    "consult_requested": 0,
    "completed": 1,
    "consult_completed": 1,
    "not-done": 2,
    "consult_cancelled": 2,
    "entered-in-error": 3,
}


def _order_key(record: CareRecord) -> tuple[bool, datetime, int, str]:
    # entered-in-error is terminal in HL7/FHIR: nothing that arrives after it revives the record.
    return (
        record.status == "entered-in-error",
        record.occurred_at,
        _STATUS_RANK.get(record.status, 0),
        record.event_id,
    )


def care_record(
    event: CareEvent, *, policy: Policy, reported_at: datetime | None = None
) -> CareRecord:
    """The source record as this one event describes it, with the timer it can meet."""
    counts_for: TimerKind | None = None
    dexamethasone_mg: float | None = None
    status: str
    match event:
        case MedicationAdministration():
            atc = event.code.code if event.code and "ATC" in event.code.system.upper() else None
            can_count = policy.is_corticosteroid(event.medication, route=event.route, atc_code=atc)
            if event.status == "completed" and can_count:
                counts_for = TimerKind.STEROIDS
                dexamethasone_mg = policy.dexamethasone_equivalent_mg(
                    event.medication, event.dose_mg
                )
            kind, record_id, status, detail = (
                CareKind.MEDICATION,
                event.administration_id,
                event.status,
                event.medication,
            )
        case ConsultEvent():
            can_count = policy.is_surgical_service(event.service)
            if event.event_type == "consult_completed" and can_count:
                counts_for = TimerKind.SURGICAL_EVALUATION
            kind, record_id, status, detail = (
                CareKind.CONSULT,
                event.consult_id,
                event.event_type,
                event.service,
            )
        case ProcedureEvent():
            can_count = policy.procedure_meets_evaluation(event.procedure)
            if event.status == "completed" and can_count:
                counts_for = TimerKind.SURGICAL_EVALUATION
            kind, record_id, status, detail = (
                CareKind.PROCEDURE,
                event.procedure_id,
                event.status,
                event.procedure,
            )
    return CareRecord(
        record_id=record_id,
        kind=kind,
        occurred_at=event.occurred_at,
        status=status,
        detail=detail,
        counts_for=counts_for,
        event_id=event.event_id,
        dexamethasone_mg=dexamethasone_mg,
        reported_at=reported_at if reported_at != event.occurred_at else None,
        can_count=can_count,
    )


def care_key(record: CareRecord) -> str:
    """Source record ids are unique per family, not across families."""
    return f"{record.kind.value}:{record.record_id}"


def fold_care(context: PatientContext, record: CareRecord) -> tuple[PatientContext, CareRecord]:
    """Keep the winning event of the record; return the context and the record as it now stands."""
    key = care_key(record)
    if not record.can_count:
        # A record that can never meet a timer (paracetamol, a radiation-oncology consult) is
        # recorded in the audit and not kept (issue 11, finding 1): its version follows the
        # correcting status, which is what a later event of the same record brings.
        return context, record.model_copy(
            update={"version": 1 + _STATUS_RANK.get(record.status, 0)}
        )
    old = context.care.get(key)
    if old is None:
        winner = record
    else:
        winner = record if _order_key(record) > _order_key(old) else old
        winner = winner.model_copy(update={"version": old.version + 1})
    care = {**context.care, key: winner}
    if len(care) > MAX_CARE_RECORDS:
        # Forget the oldest records by clinical time; they are far outside any lookback.
        keep = sorted(care.items(), key=lambda kv: kv[1].occurred_at)[-MAX_CARE_RECORDS:]
        care = dict(keep)
    return context.model_copy(update={"care": care}), winner


def fold_report(context: PatientContext, fact: ReportFact) -> PatientContext:
    """Remember a report version (set semantics on event id)."""
    if any(r.event_id == fact.event_id for r in context.reports):
        return context
    reports = sorted((*context.reports, fact), key=lambda r: (r.occurred_at, r.event_id))
    return context.model_copy(update={"reports": tuple(reports[-MAX_REPORTS:])})


def fold_adt(
    context: PatientContext, event: AdtEvent, *, departures: bool = True
) -> PatientContext:
    """Departures (discharge, death) and coded diagnoses (union by system and code)."""
    update: dict[str, object] = {}
    if (
        departures
        and event.event_type in ("discharge", "death")
        and not any(d.event_id == event.event_id for d in context.departures)
    ):
        departure = Departure(
            event_id=event.event_id, kind=event.event_type, occurred_at=event.occurred_at
        )
        update["departures"] = tuple(
            sorted((*context.departures, departure), key=lambda d: (d.occurred_at, d.event_id))
        )
    if event.diagnoses:
        known = {(d.system, d.code): d for d in context.diagnoses}
        for dx in event.diagnoses:
            known.setdefault(
                (dx.system, dx.code),
                DiagnosisFact(
                    code=dx.code,
                    system=dx.system,
                    display=dx.display,
                    onset=dx.onset.isoformat() if dx.onset else None,
                ),
            )
        update["diagnoses"] = tuple(known[k] for k in sorted(known))[:MAX_DIAGNOSES]
    return context.model_copy(update=update) if update else context


def fold_assessment(context: PatientContext, event: AssessmentEvent) -> PatientContext:
    """Keep the most recent assessments by clinical time."""
    if any(a.event_id == event.event_id for a in context.assessments):
        return context
    fact = AssessmentFact(
        event_id=event.event_id,
        occurred_at=event.occurred_at,
        motor_strength=event.motor_strength,
        ambulatory=event.ambulatory,
        motor_deficit_onset=event.motor_deficit_onset,
        pain=event.pain,
        ecog=event.ecog,
        karnofsky=event.karnofsky,
    )
    facts = sorted((*context.assessments, fact), key=lambda a: (a.occurred_at, a.event_id))
    return context.model_copy(update={"assessments": tuple(facts[-MAX_ASSESSMENTS:])})
