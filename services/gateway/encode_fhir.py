"""Canonical events as the FHIR R4 resources a hospital would send (demo feed, tests, bench).

The inverse of ``fhir_map``: an admission is a transaction Bundle (Patient, Conditions,
Encounter); every other event is one resource. Ids are the events' ids, so a resend is a no-op.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from services.gateway.codes import ASSESSMENT_SYSTEM, ECOG_LOINC, KARNOFSKY_LOINC, LOINC
from services.gateway.encode_hl7 import _birth_date
from services.gateway.fhir_map import DICOM_SYSTEM, FACILITY_TAG_SYSTEM, V2_0203_SYSTEM
from services.gateway.profile import DEMO_MRN_SYSTEM

_DX = {
    "ICD-10": "http://hl7.org/fhir/sid/icd-10",
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "SNOMED": "http://snomed.info/sct",
}
_ASSESSMENT = {
    "ecog": (LOINC, ECOG_LOINC, "valueInteger"),
    "karnofsky": (LOINC, KARNOFSKY_LOINC, "valueInteger"),
    "motor_strength": (ASSESSMENT_SYSTEM, "motor-strength", "valueInteger"),
    "ambulatory": (ASSESSMENT_SYSTEM, "ambulatory", "valueBoolean"),
    "motor_deficit_onset": (ASSESSMENT_SYSTEM, "motor-deficit-onset", "valueDateTime"),
    "pain": (ASSESSMENT_SYSTEM, "pain", "valueString"),
    "sphincter_dysfunction": (ASSESSMENT_SYSTEM, "sphincter-dysfunction", "valueBoolean"),
    "sensory_level": (ASSESSMENT_SYSTEM, "sensory-level", "valueString"),
}
_NAMESPACE = uuid.UUID("0d7f3c1e-5a6b-4c2d-9e8f-7a6b5c4d3e2f")


def encode_fhir(event: dict[str, Any], *, system: str = DEMO_MRN_SYSTEM) -> bytes | None:
    """One canonical event (its JSON form) as FHIR R4 JSON; None for a type FHIR does not carry."""
    kind = event["event_type"]
    builder = _BUILDERS.get(kind)
    if builder is None:
        return None
    resource = builder(event, system)
    return json.dumps(resource, ensure_ascii=False).encode("utf-8")


def _base(
    event: dict[str, Any], kind: str, system: str, subject: str = "subject"
) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if event.get("source"):
        meta["source"] = event["source"]
    if event.get("facility"):
        meta["tag"] = [{"system": FACILITY_TAG_SYSTEM, "code": event["facility"]}]
    resource: dict[str, Any] = {"resourceType": kind, "id": event["event_id"]}
    if meta:
        resource["meta"] = meta
    resource[subject] = {"identifier": {"system": system, "value": event["patient_id"]}}
    return resource


def _encounter_ref(event: dict[str, Any], resource: dict[str, Any], name: str) -> None:
    if event.get("encounter_id"):
        resource[name] = {"identifier": {"value": event["encounter_id"]}}


def _report(event: dict[str, Any], system: str) -> dict[str, Any]:
    r = _base(event, "DiagnosticReport", system)
    r["identifier"] = [
        {
            "type": {"coding": [{"system": V2_0203_SYSTEM, "code": "ACSN"}]},
            "value": event["accession"],
        }
    ]
    r["status"] = event["status"]
    r["category"] = [{"coding": [{"system": DICOM_SYSTEM, "code": event["modality"]}]}]
    r["code"] = {"text": event["exam"]}
    _encounter_ref(event, r, "encounter")
    if event.get("performed_at"):
        r["effectiveDateTime"] = event["performed_at"]
    r["issued"] = event["occurred_at"]
    if event["text"]:
        data = base64.b64encode(event["text"].encode("utf-8")).decode("ascii")
        r["presentedForm"] = [{"contentType": "text/plain; charset=utf-8", "data": data}]
    return r


def _encounter(event: dict[str, Any], system: str) -> dict[str, Any]:
    r = _base(event, "Encounter", system)
    kind = event["event_type"]
    if event.get("encounter_id"):
        r["identifier"] = [{"value": event["encounter_id"]}]
    r["class"] = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"}
    unit = {"location": {"display": event["unit"]}} if event.get("unit") else None
    if kind == "admit":
        r["status"] = "in-progress"
        r["period"] = {"start": event["occurred_at"]}
        if unit:
            r["location"] = [unit]
    elif kind == "transfer":
        r["status"] = "in-progress"
        moved = unit or {"location": {"reference": "Location/unknown"}}
        r["location"] = [
            {"location": {"reference": "Location/previous"}, "status": "completed"},
            {**moved, "status": "active", "period": {"start": event["occurred_at"]}},
        ]
    else:
        r["status"] = "finished"
        r["period"] = {"end": event["occurred_at"]}
        if unit:
            r["location"] = [unit]
        if kind == "death":
            code = {"system": "http://terminology.hl7.org/CodeSystem/discharge-disposition",
                    "code": "exp"}  # fmt: skip
            r["hospitalization"] = {"dischargeDisposition": {"coding": [code]}}
    if event.get("chief_complaint"):
        r["reasonCode"] = [{"text": event["chief_complaint"]}]
    if kind != "admit" or not (event.get("age") is not None or event.get("sex") or
                                event.get("diagnoses")):  # fmt: skip
        return r
    return _admission_bundle(event, r, system)


def _admission_bundle(
    event: dict[str, Any], encounter: dict[str, Any], system: str
) -> dict[str, Any]:
    patient_url = f"urn:uuid:{uuid.uuid5(_NAMESPACE, event['event_id'] + ':patient')}"
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": system, "value": event["patient_id"]}],
    }
    if event.get("sex"):
        patient["gender"] = event["sex"]
    if event.get("age") is not None:
        patient["birthDate"] = _birth_date(event["occurred_at"], int(event["age"])).isoformat()
    encounter["subject"]["reference"] = patient_url
    entries = [_entry(patient_url, patient)]
    for index, dx in enumerate(event.get("diagnoses") or []):
        url = f"urn:uuid:{uuid.uuid5(_NAMESPACE, event['event_id'] + f':dx{index}')}"
        coding = {"system": _DX[dx["system"]], "code": dx["code"]}
        if dx.get("display"):
            coding["display"] = dx["display"]
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "code": {"coding": [coding]},
            "subject": {"reference": patient_url},
        }
        if dx.get("onset"):
            condition["onsetDateTime"] = dx["onset"]
        entries.append(_entry(url, condition))
        encounter.setdefault("diagnosis", []).append({"condition": {"reference": url}})
    entries.append(_entry(f"urn:uuid:{encounter['id']}", encounter))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    kind = resource["resourceType"]
    return {"fullUrl": url, "resource": resource, "request": {"method": "POST", "url": kind}}


def _administration(event: dict[str, Any], system: str) -> dict[str, Any]:
    r = _base(event, "MedicationAdministration", system)
    r["identifier"] = [{"value": event["administration_id"]}]
    r["status"] = event["status"]
    concept: dict[str, Any] = {"text": event["medication"]}
    if event.get("code"):
        concept["coding"] = [{"system": event["code"]["system"], "code": event["code"]["code"]}]
    r["medicationCodeableConcept"] = concept
    _encounter_ref(event, r, "context")
    r["effectiveDateTime"] = event["occurred_at"]
    dosage: dict[str, Any] = {}
    if event.get("route"):
        dosage["route"] = {"text": event["route"]}
    if event.get("dose_mg") is not None:
        dosage["dose"] = {"value": event["dose_mg"], "unit": "mg",
                          "system": "http://unitsofmeasure.org", "code": "mg"}  # fmt: skip
    if dosage:
        r["dosage"] = dosage
    return r


def _consult(event: dict[str, Any], system: str) -> dict[str, Any]:
    kind = event["event_type"]
    code = {"text": f"{event['service']} consult"}
    if kind == "consult_completed":
        task = _base(event, "Task", system, subject="for")
        task.update(status="completed", intent="order", code=code)
        task["basedOn"] = [{"identifier": {"value": event["consult_id"]}}]
        task["executionPeriod"] = {"end": event["occurred_at"]}
        _encounter_ref(event, task, "encounter")
        return task
    r = _base(event, "ServiceRequest", system)
    r["identifier"] = [{"value": event["consult_id"]}]
    r["status"] = "active" if kind == "consult_requested" else "revoked"
    r["intent"] = "order"
    r["code"] = code
    r["authoredOn"] = event["occurred_at"]
    if kind == "consult_cancelled":
        r["meta"] = {**r.get("meta", {}), "lastUpdated": event["occurred_at"]}
    _encounter_ref(event, r, "encounter")
    return r


def _procedure(event: dict[str, Any], system: str) -> dict[str, Any]:
    r = _base(event, "Procedure", system)
    r["identifier"] = [{"value": event["procedure_id"]}]
    r["status"] = event["status"]
    r["code"] = {"text": event["procedure"].replace("_", " ")}
    _encounter_ref(event, r, "encounter")
    r["performedDateTime"] = event["occurred_at"]
    if event.get("regimen"):
        r["note"] = [{"text": event["regimen"]}]
    return r


def _assessment(event: dict[str, Any], system: str) -> dict[str, Any]:
    r = _base(event, "Observation", system)
    r["status"] = "final"
    r["code"] = {"coding": [{"system": ASSESSMENT_SYSTEM, "code": "spinal-cord-assessment"}]}
    _encounter_ref(event, r, "encounter")
    r["effectiveDateTime"] = event["occurred_at"]
    components = []
    for name, (code_system, code, value_key) in _ASSESSMENT.items():
        if event.get(name) is not None:
            components.append(
                {
                    "code": {"coding": [{"system": code_system, "code": code}]},
                    value_key: event[name],
                }
            )
    r["component"] = components
    return r


_BUILDERS = {
    "imaging_report": _report,
    "admit": _encounter,
    "transfer": _encounter,
    "discharge": _encounter,
    "death": _encounter,
    "medication_administration": _administration,
    "consult_requested": _consult,
    "consult_completed": _consult,
    "consult_cancelled": _consult,
    "procedure": _procedure,
    "assessment": _assessment,
}
