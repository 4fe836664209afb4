"""FHIR R4 resources (single, transaction/batch or notification Bundles) to canonical events.

Pure. event_id is the resource id, with ``/_history/<versionId>`` when the sender versions it,
so a resent version is a redelivery (a no-op downstream) and a new version is a new event.
The field choices are listed in README.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from services.gateway.codes import (
    ASSESSMENT_SYSTEM,
    LOINC,
    LOINC_ASSESSMENTS,
    PROCEDURES,
    RADIOTHERAPY,
    SITE_ASSESSMENTS,
)
from services.gateway.consults import consult_service
from services.gateway.draft import Draft
from services.gateway.fhir_read import (
    Document,
    Resource,
    at,
    attachment_text,
    codings,
    load,
    text_of,
)
from services.gateway.profile import SiteProfile
from services.gateway.result import Mapped, Refusal, RefusalError, Refused
from services.gateway.times import fhir_time

FACILITY_TAG_SYSTEM = "urn:cordwatch:facility"
DICOM_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM"
V2_0074_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0074"
V2_0203_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"

_REPORT_STATUS = {
    "registered": "preliminary", "partial": "preliminary", "preliminary": "preliminary",
    "final": "final", "amended": "amended", "corrected": "amended", "appended": "amended",
    "cancelled": "cancelled", "entered-in-error": "cancelled",
}  # fmt: skip
_ADMIN_STATUS = {
    "completed": "completed", "stopped": "completed", "not-done": "not-done",
    "entered-in-error": "entered-in-error",
}  # fmt: skip
_SEX = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
_DX_SYSTEMS = {
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://snomed.info/sct": "SNOMED",
}
# Encounter.hospitalization.dischargeDisposition "exp" = expired (HL7 discharge-disposition).
_EXPIRED = frozenset({"exp"})
_TO_MG = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "µg": 0.001, "ng": 1e-6}
_SECTION_MODALITY = {"CT": "CT", "MR": "MR", "NMR": "MR", "NMS": "NM", "RX": "XR", "US": "US"}
_EXAM_MODALITY = (
    (re.compile(r"\bPET\b", re.I), "PT"),
    (re.compile(r"\b(MRI?|MAGNETIC RESONANCE)\b", re.I), "MR"),
    (re.compile(r"\b(CT|COMPUTED TOMOGRAPHY)\b", re.I), "CT"),
    (re.compile(r"\b(NM|BONE SCAN|SCINTIGRA\w*)\b", re.I), "NM"),
    (re.compile(r"\b(XR|X-RAY|RADIOGRAPH\w*)\b", re.I), "XR"),
)
# Supporting resources: they give context (patient, diagnoses, site), never an event themselves.
_SUPPORTING = frozenset(
    {"Patient", "Condition", "Organization", "Location", "Practitioner", "PractitionerRole",
     "Medication", "SubscriptionStatus", "Parameters", "OperationOutcome", "Provenance"}
)  # fmt: skip
_ASSESSMENT_CODES = {(LOINC, code): name for code, name in LOINC_ASSESSMENTS.items()} | {
    (ASSESSMENT_SYSTEM, code): name for code, name in SITE_ASSESSMENTS.items()
}

FhirResult = Mapped | Refusal


def map_fhir(raw: bytes, *, profile: SiteProfile) -> list[FhirResult]:
    """Map a FHIR JSON resource or Bundle: one event or refusal per clinical resource."""
    try:
        document = load(raw)
    except RefusalError as refusal:
        return [Refusal(refusal.reason, refusal.detail)]
    referenced_encounters = _referenced_encounters(document)
    results: list[FhirResult] = []
    for entry in document.entries:
        if entry.refusal is not None or entry.resource is None:
            assert entry.refusal is not None
            results.append(Refusal(entry.refusal.reason, entry.refusal.detail, entry.where))
            continue
        kind = entry.resource["resourceType"]
        if kind in _SUPPORTING or (
            kind == "Encounter" and _ref_of(entry.resource, entry.full_url) in referenced_encounters
        ):
            continue
        try:
            results.append(_map_resource(entry.resource, entry.full_url, document, profile))
        except RefusalError as refusal:
            results.append(Refusal(refusal.reason, refusal.detail, entry.where))
    if not results and len(document.entries) == 1:
        return [Refusal(Refused.UNSUPPORTED_RESOURCE, "resource type gives no event")]
    return results


def _ref_of(resource: Resource, full_url: str) -> str:
    return f"Encounter/{resource.get('id')}" if resource.get("id") else full_url


def _referenced_encounters(document: Document) -> set[str]:
    found: set[str] = set()
    for entry in document.entries:
        resource = entry.resource or {}
        if resource.get("resourceType") in {None, "Encounter", *_SUPPORTING}:
            continue
        for name in ("encounter", "context"):
            ref = at(resource, name, "reference")
            if isinstance(ref, str):
                found.add(ref)
    return found


def _map_resource(
    resource: Resource, full_url: str, document: Document, profile: SiteProfile
) -> Mapped:
    kind = resource["resourceType"]
    mapper = _MAPPERS.get(kind)
    if mapper is None:
        raise RefusalError(Refused.UNSUPPORTED_RESOURCE, f"{kind} gives no canonical event")
    draft = _common(resource, full_url, document, profile)
    mapper(draft, resource, document, profile)
    return draft.build()


def _common(resource: Resource, full_url: str, document: Document, profile: SiteProfile) -> Draft:
    kind = resource["resourceType"]
    draft = Draft()
    rid, version = resource.get("id"), at(resource, "meta", "versionId")
    if rid:
        event_id = f"{rid}/_history/{version}" if version else str(rid)
        draft.put("event_id", event_id, f"{kind}.id" + (" + meta.versionId" if version else ""))
    else:
        draft.put("event_id", full_url, "Bundle.entry.fullUrl (no id)")
    if "event_id" not in draft.fields:
        raise RefusalError(Refused.MISSING_FIELD, f"{kind} has no id and no fullUrl")
    subject_field = "for" if kind == "Task" else "subject"
    draft.put(
        "patient_id",
        _patient_id(resource.get(subject_field), resource, document, profile),
        f"{kind}.{subject_field} identifier of system {profile.patient_system}",
    )
    draft.put("source", at(resource, "meta", "source"), f"{kind}.meta.source")
    encounter_ref = resource.get("context" if kind == "MedicationAdministration" else "encounter")
    if kind == "Encounter":
        identifier = at(resource, "identifier", 0, "value") or rid
        draft.put("encounter_id", identifier, "Encounter.identifier[0].value, else id")
    else:
        draft.put("encounter_id", _reference_id(encounter_ref), f"{kind}.encounter reference")
    for tag in at(resource, "meta", "tag") or []:
        if tag.get("system") == FACILITY_TAG_SYSTEM and tag.get("code"):
            draft.put("facility", tag["code"], f"{kind}.meta.tag ({FACILITY_TAG_SYSTEM})")
    if "facility" not in draft.fields:
        provider = at(resource, "serviceProvider", "identifier", "value")
        draft.put("facility", provider, "Encounter.serviceProvider.identifier.value")
    if "facility" not in draft.fields:
        draft.put("facility", profile.facility, "site profile (CORDWATCH_GATEWAY_FACILITY)")
    return draft


def _patient_id(subject: Any, resource: Resource, document: Document, profile: SiteProfile) -> str:
    """The identifier of the site's chosen system: on the Reference, or on the Patient it names."""
    wanted = profile.patient_system
    if at(subject, "identifier", "system") == wanted and at(subject, "identifier", "value"):
        return str(subject["identifier"]["value"])
    patient = document.resolve(subject, within=resource)
    for identifier in (patient or {}).get("identifier") or []:
        if identifier.get("system") == wanted and identifier.get("value"):
            return str(identifier["value"])
    raise RefusalError(
        Refused.NO_PATIENT_IDENTIFIER, "the patient has no identifier of the site's system"
    )


def _patient(resource: Resource, document: Document) -> Resource:
    return document.resolve(resource.get("subject"), within=resource) or {}


def _reference_id(reference: Any) -> str | None:
    if value := at(reference, "identifier", "value"):
        return str(value)
    ref = at(reference, "reference")
    if isinstance(ref, str) and "/" in ref:
        return ref.split("/_history/")[0].rstrip("/").split("/")[-1]
    return None


def _when(
    profile: SiteProfile, resource: Resource, *paths: tuple[str, ...]
) -> tuple[datetime, str] | None:
    for path in paths:
        value = at(resource, *path)
        if value is not None:
            name = f"{resource.get('resourceType', 'Encounter.location[-1]')}.{'.'.join(path)}"
            return fhir_time(value, zone=profile.timezone, where=name), name
    return None


def _put_time(
    draft: Draft, name: str, profile: SiteProfile, resource: Resource, *paths: tuple[str, ...]
) -> None:
    found = _when(profile, resource, *paths)
    if found is None:
        if name == "occurred_at":
            listed = ", ".join(".".join(p) for p in paths)
            raise RefusalError(Refused.MISSING_FIELD, f"no clinical time in {listed}")
        return
    draft.put(name, found[0], found[1])


def _diagnostic_report(
    draft: Draft, resource: Resource, document: Document, profile: SiteProfile
) -> None:
    draft.put("event_type", "imaging_report", "DiagnosticReport")
    for identifier in resource.get("identifier") or []:
        if ("", "ACSN") in _v2_types(identifier) or (V2_0203_SYSTEM, "ACSN") in _v2_types(
            identifier
        ):
            draft.put("accession", identifier.get("value"), "DiagnosticReport.identifier (ACSN)")
    if "accession" not in draft.fields:
        draft.put(
            "accession",
            at(resource, "identifier", 0, "value")
            or _reference_id(at(resource, "basedOn", 0))
            or resource.get("id"),
            "DiagnosticReport.identifier[0], else basedOn, else id",
        )
    status = _REPORT_STATUS.get(str(resource.get("status")))
    if status is None:
        raise RefusalError(Refused.UNSUPPORTED_STATUS, "DiagnosticReport.status is not mapped")
    draft.put("status", status, "DiagnosticReport.status")
    exam = text_of(resource.get("code"))
    draft.put("exam", exam, "DiagnosticReport.code")
    draft.put(*_modality(resource, exam))
    text: str | None = None
    for form in resource.get("presentedForm") or []:
        if (text := attachment_text(form)) is not None:
            draft.fields["text"] = text
            draft.provenance["text"] = f"DiagnosticReport.presentedForm ({form['contentType']})"
            break
    if text is None:
        draft.fields["text"] = str(resource.get("conclusion") or "")
        draft.provenance["text"] = "DiagnosticReport.conclusion (no text presentedForm)"
    _put_time(draft, "occurred_at", profile, resource, ("issued",), ("effectiveDateTime",),
              ("effectivePeriod", "end"))  # fmt: skip
    _put_time(draft, "performed_at", profile, resource, ("effectiveDateTime",),
              ("effectivePeriod", "start"))  # fmt: skip


def _v2_types(identifier: Resource) -> set[tuple[str, str]]:
    return {(s if s == V2_0203_SYSTEM else "", c) for s, c in codings(identifier.get("type"))}


def _modality(resource: Resource, exam: str) -> tuple[str, str, str]:
    for concept in [*(resource.get("category") or []), resource.get("code")]:
        for system, code in codings(concept):
            if system == DICOM_SYSTEM:
                return "modality", code, "DiagnosticReport.category (DICOM modality)"
            if system == V2_0074_SYSTEM and code in _SECTION_MODALITY:
                return "modality", _SECTION_MODALITY[code], "DiagnosticReport.category (v2-0074)"
    for pattern, modality in _EXAM_MODALITY:
        if pattern.search(exam):
            return "modality", modality, "DiagnosticReport.code (exam name)"
    raise RefusalError(Refused.UNKNOWN_MODALITY, "neither category nor code names a modality")


def _encounter(draft: Draft, resource: Resource, document: Document, profile: SiteProfile) -> None:
    status = str(resource.get("status"))
    locations = [loc for loc in resource.get("location") or [] if isinstance(loc, dict)]
    disposition = codings(at(resource, "hospitalization", "dischargeDisposition"))
    if status == "finished":
        died = any(code in _EXPIRED for _, code in disposition)
        draft.put("event_type", "death" if died else "discharge", "Encounter.status = finished")
        _put_time(draft, "occurred_at", profile, resource, ("period", "end"))
    elif status in {"in-progress", "arrived", "triaged", "onleave"}:
        if len(locations) > 1:
            draft.put("event_type", "transfer", "Encounter.location (more than one)")
            _put_time(draft, "occurred_at", profile, locations[-1], ("period", "start"))
        else:
            draft.put("event_type", "admit", f"Encounter.status = {status}")
            _put_time(draft, "occurred_at", profile, resource, ("period", "start"))
    elif status in {"cancelled", "entered-in-error"}:
        draft.put("event_type", "update", f"Encounter.status = {status}")
        _put_time(draft, "occurred_at", profile, resource, ("meta", "lastUpdated"),
                  ("period", "start"))  # fmt: skip
    else:
        raise RefusalError(Refused.UNSUPPORTED_STATUS, "Encounter.status is planned or unknown")
    if locations:
        draft.put("unit", at(locations[-1], "location", "display"), "Encounter.location[-1]")
    patient = _patient(resource, document)
    draft.put("sex", _SEX.get(str(patient.get("gender"))), "Patient.gender")
    born = patient.get("birthDate")
    moment = draft.fields.get("occurred_at")
    if born is not None and isinstance(moment, datetime):
        birth = fhir_time(born, zone=profile.timezone, where="Patient.birthDate")
        years = moment.year - birth.year - ((moment.month, moment.day) < (birth.month, birth.day))
        draft.put("age", years, "Patient.birthDate at the event time")
    draft.put("chief_complaint", text_of(at(resource, "reasonCode", 0)), "Encounter.reasonCode")
    diagnoses = []
    for item in resource.get("diagnosis") or []:
        condition = document.resolve(item.get("condition"), within=resource) or {}
        if dx := _diagnosis(condition, profile):
            diagnoses.append(dx)
    draft.put("diagnoses", diagnoses, "Encounter.diagnosis -> Condition.code, onsetDateTime")


def _diagnosis(condition: Resource, profile: SiteProfile) -> dict[str, Any] | None:
    for coding in at(condition, "code", "coding") or []:
        system = _DX_SYSTEMS.get(str(coding.get("system")))
        if system and coding.get("code"):
            dx: dict[str, Any] = {"code": coding["code"], "system": system}
            if display := coding.get("display") or at(condition, "code", "text"):
                dx["display"] = display
            if (onset := condition.get("onsetDateTime")) is not None:
                dx["onset"] = fhir_time(onset, zone=profile.timezone, where="onset").date()
            return dx
    return None


def _medication_administration(
    draft: Draft, resource: Resource, document: Document, profile: SiteProfile
) -> None:
    draft.put("event_type", "medication_administration", "MedicationAdministration")
    draft.put(
        "administration_id",
        at(resource, "identifier", 0, "value") or resource.get("id"),
        "MedicationAdministration.identifier[0].value, else id",
    )
    status = _ADMIN_STATUS.get(str(resource.get("status")))
    if status is None:
        raise RefusalError(
            Refused.UNSUPPORTED_STATUS, "MedicationAdministration.status is not final"
        )
    draft.put("status", status, "MedicationAdministration.status")
    concept = resource.get("medicationCodeableConcept")
    source = "medicationCodeableConcept"
    if concept is None:
        medication = document.resolve(resource.get("medicationReference"), within=resource)
        concept, source = (medication or {}).get("code"), "medicationReference -> Medication.code"
    draft.put("medication", text_of(concept), f"MedicationAdministration.{source}")
    if pairs := codings(concept):
        system, code = pairs[0]
        if system:
            draft.put("code", {"system": system, "code": code}, f"{source}.coding[0]")
    dose = at(resource, "dosage", "dose")
    unit = str(at(dose, "code") or at(dose, "unit") or "")
    factor = _TO_MG.get(unit.lower())
    if isinstance(at(dose, "value"), int | float) and factor is not None:
        draft.put("dose_mg", round(float(dose["value"]) * factor, 6), "dosage.dose (as mg)")
    route = at(resource, "dosage", "route")
    draft.put("route", text_of(route) if route else None, "dosage.route")
    _put_time(draft, "occurred_at", profile, resource, ("effectiveDateTime",),
              ("effectivePeriod", "start"))  # fmt: skip


def _service_request(
    draft: Draft, resource: Resource, document: Document, profile: SiteProfile
) -> None:
    service = consult_service(text_of(resource.get("code")))
    if service is None:
        raise RefusalError(Refused.UNSUPPORTED_RESOURCE, "ServiceRequest orders no consult")
    draft.put("service", service, "ServiceRequest.code")
    draft.put("consult_id", at(resource, "identifier", 0, "value") or resource.get("id"),
              "ServiceRequest.identifier[0].value, else id")  # fmt: skip
    status = str(resource.get("status"))
    kinds = {"draft": "consult_requested", "active": "consult_requested",
             "completed": "consult_completed", "revoked": "consult_cancelled",
             "entered-in-error": "consult_cancelled"}  # fmt: skip
    if status not in kinds:
        raise RefusalError(Refused.UNSUPPORTED_STATUS, "ServiceRequest.status is not mapped")
    draft.put("event_type", kinds[status], f"ServiceRequest.status = {status}")
    if kinds[status] == "consult_requested":
        _put_time(draft, "occurred_at", profile, resource, ("authoredOn",))
    else:
        _put_time(draft, "occurred_at", profile, resource, ("meta", "lastUpdated"),
                  ("authoredOn",))  # fmt: skip


# Task.status (FHIR R4 task-status) of a consult requested and not yet done or ended.
_TASK_UNDER_WAY = frozenset({"requested", "received", "accepted", "ready", "in-progress",
                             "on-hold"})  # fmt: skip


def _task(draft: Draft, resource: Resource, document: Document, profile: SiteProfile) -> None:
    order_ref = at(resource, "basedOn", 0) or resource.get("focus")
    order = document.resolve(order_ref, within=resource) or {}
    service = consult_service(text_of(resource.get("code")) or text_of(order.get("code")))
    if service is None:
        raise RefusalError(Refused.UNSUPPORTED_RESOURCE, "Task is not about a consult")
    draft.put("service", service, "Task.code, else the ServiceRequest's code")
    draft.put("consult_id", at(order, "identifier", 0, "value") or _reference_id(order_ref),
              "Task.basedOn (the ServiceRequest's identifier)")  # fmt: skip
    status = str(resource.get("status"))
    if status == "completed":
        draft.put("event_type", "consult_completed", "Task.status = completed")
    elif status in {"cancelled", "rejected", "failed", "entered-in-error"}:
        draft.put("event_type", "consult_cancelled", f"Task.status = {status}")
    elif status in _TASK_UNDER_WAY:
        # The contract has no "accepted": a consult asked for and not yet done is requested.
        # The completion, later in clinical time, replaces it (DESIGN.md section 3).
        draft.put("event_type", "consult_requested", f"Task.status = {status}")
        _put_time(draft, "occurred_at", profile, resource, ("executionPeriod", "start"),
                  ("authoredOn",), ("lastModified",))  # fmt: skip
        return
    else:
        raise RefusalError(Refused.UNSUPPORTED_STATUS, "Task.status is a draft or not mapped")
    _put_time(draft, "occurred_at", profile, resource, ("executionPeriod", "end"),
              ("lastModified",), ("authoredOn",))  # fmt: skip


def _procedure(draft: Draft, resource: Resource, document: Document, profile: SiteProfile) -> None:
    draft.put("event_type", "procedure", "Procedure")
    draft.put("procedure_id", at(resource, "identifier", 0, "value") or resource.get("id"),
              "Procedure.identifier[0].value, else id")  # fmt: skip
    words = text_of(resource.get("code"))
    status = str(resource.get("status"))
    name = next((name for pattern, name in PROCEDURES if pattern.search(words)), None)
    if name is None and RADIOTHERAPY.search(words):
        name = "radiotherapy_started" if status == "in-progress" else "radiotherapy_completed"
    if name is None:
        raise RefusalError(Refused.UNKNOWN_CODE, "Procedure.code is not a treatment we track")
    draft.put("procedure", name, "Procedure.code (words)")
    if status in {"completed", "in-progress"} and (status == "completed" or "radio" in name):
        draft.put("status", "completed", f"Procedure.status = {status}")
    elif status == "entered-in-error":
        draft.put("status", "entered-in-error", "Procedure.status")
    else:
        raise RefusalError(Refused.UNSUPPORTED_STATUS, "Procedure.status is not mapped")
    draft.put("regimen", at(resource, "note", 0, "text"), "Procedure.note[0].text")
    end_first = name == "radiotherapy_completed"
    periods = [("performedPeriod", "end"), ("performedPeriod", "start")]
    _put_time(draft, "occurred_at", profile, resource, ("performedDateTime",),
              *(periods if end_first else periods[::-1]))  # fmt: skip


def _observation(
    draft: Draft, resource: Resource, document: Document, profile: SiteProfile
) -> None:
    draft.put("event_type", "assessment", "Observation")
    if str(resource.get("status")) not in {"final", "amended", "corrected", "preliminary"}:
        raise RefusalError(Refused.UNSUPPORTED_STATUS, "Observation.status is not a result")
    parts = [("Observation", resource)] + [
        (f"Observation.component[{i}]", c) for i, c in enumerate(resource.get("component") or [])
    ]
    for where, part in parts:
        for pair in codings(part.get("code")):
            name = _ASSESSMENT_CODES.get(pair)
            if name is not None:
                draft.put(name, _observation_value(part, name, profile), f"{where} {pair[1]}")
    if not any(name in draft.fields for name in _ASSESSMENT_CODES.values()):
        raise RefusalError(Refused.UNKNOWN_CODE, "Observation.code is not an assessment we read")
    _put_time(draft, "occurred_at", profile, resource, ("effectiveDateTime",),
              ("effectivePeriod", "start"), ("issued",))  # fmt: skip


def _observation_value(part: Resource, name: str, profile: SiteProfile) -> Any:
    if name == "motor_deficit_onset" and part.get("valueDateTime") is not None:
        return fhir_time(part["valueDateTime"], zone=profile.timezone, where=name)
    for key in ("valueInteger", "valueBoolean", "valueString"):
        if key in part:
            return part[key]
    if isinstance(at(part, "valueQuantity", "value"), int | float):
        return int(part["valueQuantity"]["value"])
    if "valueCodeableConcept" in part:
        return text_of(part["valueCodeableConcept"]) or None
    return None


_MAPPERS = {
    "DiagnosticReport": _diagnostic_report,
    "Encounter": _encounter,
    "MedicationAdministration": _medication_administration,
    "ServiceRequest": _service_request,
    "Task": _task,
    "Procedure": _procedure,
    "Observation": _observation,
}
