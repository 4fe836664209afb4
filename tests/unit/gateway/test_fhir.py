"""FHIR R4 resources and Bundles as EHRs send them, each with its expected event."""

from __future__ import annotations

import base64
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.gateway.fhir_map import map_fhir
from services.gateway.profile import SiteProfile
from services.gateway.result import Refusal, Refused
from tests.unit.gateway.conftest import events

MRN = "urn:oid:1.2.3.4.5.6"
SITE = SiteProfile(patient_system=MRN, facility="NORTH")
SUBJECT = {"identifier": {"system": MRN, "value": "MRN5150"}}


def _map(document: dict[str, Any], site: SiteProfile = SITE) -> list[Any]:
    return map_fhir(json.dumps(document).encode(), profile=site)


def _b64(text: str, codec: str = "utf-8") -> str:
    return base64.b64encode(text.encode(codec)).decode()


def test_diagnostic_report_with_html_presented_form_and_a_version() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "id": "dr-77",
        "meta": {"versionId": "3", "source": "ris-east"},
        "identifier": [
            {"system": "urn:placer", "value": "PLC-1"},
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "ACSN"}
                    ]
                },
                "value": "ACC-9001",
            },
        ],
        "status": "corrected",
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}]}
        ],
        "code": {"text": "MRI THORACIC SPINE"},
        "subject": SUBJECT,
        "encounter": {"reference": "Encounter/ENC-3"},
        "effectiveDateTime": "2026-02-01T09:10:00+00:00",
        "issued": "2026-02-01T10:02:30Z",
        "presentedForm": [
            {"contentType": "application/pdf", "data": _b64("%PDF-1.4")},
            {
                "contentType": "text/html; charset=iso-8859-1",
                "data": _b64(
                    "<p>Findings:<br>Lesion at T6 &amp; T7.</p><p>Cord compressed.</p>", "latin-1"
                ),
            },
        ],
        "conclusion": "not used when a text form exists",
    }
    assert events(_map(report)) == [
        {
            "event_id": "dr-77/_history/3",
            "event_type": "imaging_report",
            "occurred_at": "2026-02-01T10:02:30Z",
            "patient_id": "MRN5150",
            "encounter_id": "ENC-3",
            "facility": "NORTH",
            "source": "ris-east",
            "accession": "ACC-9001",
            "status": "amended",
            "modality": "MR",  # v2-0074 RAD says radiology only: the exam name says MRI
            "exam": "MRI THORACIC SPINE",
            "text": "Findings:\nLesion at T6 & T7.\nCord compressed.",
            "performed_at": "2026-02-01T09:10:00Z",
        }
    ]


def test_conclusion_when_no_text_form_and_patient_found_in_the_bundle() -> None:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:5a6e0c1e-0000-4000-8000-000000000001",
             "resource": {"resourceType": "Patient",
                          "identifier": [{"system": "urn:other", "value": "X1"},
                                         {"system": MRN, "value": "MRN5151"}]},
             "request": {"method": "PUT", "url": "Patient?identifier=x"}},
            {"fullUrl": "urn:uuid:5a6e0c1e-0000-4000-8000-000000000002",
             "resource": {"resourceType": "DiagnosticReport", "status": "preliminary",
                          "category": [{"coding": [{
                              "system": "http://dicom.nema.org/resources/ontology/DCM",
                              "code": "CT"}]}],
                          "code": {"text": "CT SPINE"}, "identifier": [{"value": "A-5"}],
                          "subject": {"reference": "urn:uuid:5a6e0c1e-0000-4000-8000-000000000001"},
                          "effectiveDateTime": "2026-02-01", "conclusion": "Lytic lesion at L2."},
             "request": {"method": "POST", "url": "DiagnosticReport"}},
        ],
    }  # fmt: skip
    site = SiteProfile(patient_system=MRN, timezone=ZoneInfo("America/New_York"))
    (event,) = events(_map(bundle, site))
    assert event["patient_id"] == "MRN5151"
    assert event["text"] == "Lytic lesion at L2."
    assert event["event_id"] == "urn:uuid:5a6e0c1e-0000-4000-8000-000000000002"
    assert event["occurred_at"] == "2026-02-01T00:00:00-05:00"  # a date is local midnight
    assert event["modality"] == "CT"
    del bundle["entry"][1]["resource"]["identifier"]
    (refusal,) = _map(bundle, site)
    assert isinstance(refusal, Refusal)
    assert refusal.reason is Refused.MISSING_FIELD
    assert refusal.detail.startswith("accession")


def test_no_identifier_of_the_site_system_is_refused_without_echoing_it() -> None:
    report = {"resourceType": "DiagnosticReport", "id": "r1", "status": "final",
              "code": {"text": "MRI"}, "issued": "2026-02-01T10:00:00Z",
              "subject": {"identifier": {"system": "urn:other", "value": "SECRET-42"}}}  # fmt: skip
    (refusal,) = _map(report)
    assert isinstance(refusal, Refusal)
    assert refusal.reason is Refused.NO_PATIENT_IDENTIFIER
    assert "SECRET-42" not in refusal.detail


def test_one_bad_entry_refuses_that_entry_only() -> None:
    good = {
        "resourceType": "Procedure",
        "id": "p1",
        "status": "in-progress",
        "subject": SUBJECT,
        "code": {"text": "Palliative radiotherapy to T7"},
        "performedPeriod": {"start": "2026-02-02T08:00:00Z"},
        "note": [{"text": "8 Gy x 1"}],
    }
    bad = {"resourceType": "MedicationAdministration", "status": "completed",
           "subject": "SECRET-43"}  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "batch",
              "entry": [{"resource": bad}, {"resource": good}]}  # fmt: skip
    refusal, mapped = _map(bundle)
    assert isinstance(refusal, Refusal)
    assert refusal.reason is Refused.INVALID_RESOURCE
    assert refusal.where == "Bundle.entry[0]"
    assert "SECRET-43" not in refusal.detail
    (event,) = events([mapped])
    assert (event["procedure"], event["status"], event["regimen"]) == (
        "radiotherapy_started", "completed", "8 Gy x 1")  # fmt: skip


def test_subscription_notification_bundle() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "history",
        "entry": [
            {"resource": {"resourceType": "SubscriptionStatus", "status": "active",
                          "type": "event-notification",
                          "subscription": {"reference": "Subscription/s1"}}},
            {"fullUrl": "https://ehr.example/fhir/ServiceRequest/sr1",
             "resource": {"resourceType": "ServiceRequest", "id": "sr1", "status": "active",
                          "intent": "order", "code": {"text": "Referral to spinal surgery"},
                          "identifier": [{"value": "CN-88"}], "subject": SUBJECT,
                          "authoredOn": "2026-02-01T11:00:00+01:00"}},
        ],
    }  # fmt: skip
    (event,) = events(_map(bundle))
    assert (event["event_type"], event["consult_id"], event["service"]) == (
        "consult_requested", "CN-88", "spinal surgery")  # fmt: skip


@pytest.mark.parametrize(
    ("status", "extra", "kind", "at"),
    [
        ("in-progress", {"period": {"start": "2026-02-01T07:00:00Z"},
                         "location": [{"location": {"display": "ED"}}]}, "admit", "07"),
        ("in-progress", {"location": [
            {"location": {"display": "ED"}, "period": {"start": "2026-02-01T07:00:00Z"}},
            {"location": {"display": "Ward 9"}, "period": {"start": "2026-02-01T09:00:00Z"}}]},
         "transfer", "09"),
        ("finished", {"period": {"end": "2026-02-01T10:00:00Z"}}, "discharge", "10"),
        ("finished", {"period": {"end": "2026-02-01T11:00:00Z"}, "hospitalization": {
            "dischargeDisposition": {"coding": [{"code": "exp"}]}}}, "death", "11"),
    ],
)  # fmt: skip
def test_encounter_status_and_period(
    status: str, extra: dict[str, Any], kind: str, at: str
) -> None:
    encounter = {"resourceType": "Encounter", "id": "e1", "status": status,
                 "class": {"code": "IMP"}, "subject": SUBJECT,
                 "identifier": [{"value": "VISIT-1"}], **extra}  # fmt: skip
    (event,) = events(_map(encounter))
    assert (event["event_type"], event["occurred_at"]) == (kind, f"2026-02-01T{at}:00:00Z")
    assert event["encounter_id"] == "VISIT-1"


def test_an_encounter_referenced_by_a_report_in_the_bundle_is_context_not_an_event() -> None:
    encounter = {
        "resourceType": "Encounter",
        "id": "e2",
        "status": "in-progress",
        "class": {"code": "IMP"},
        "subject": SUBJECT,
        "period": {"start": "2026-02-01T07:00:00Z"},
    }
    report = {"resourceType": "DiagnosticReport", "id": "r2", "status": "final",
              "code": {"text": "CT CHEST"}, "issued": "2026-02-01T10:00:00Z",
              "subject": SUBJECT, "encounter": {"reference": "Encounter/e2"}}  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": encounter}, {"resource": report}]}  # fmt: skip
    assert [e["event_type"] for e in events(_map(bundle))] == ["imaging_report"]


def test_medication_administration_from_a_contained_medication_in_grams() -> None:
    administration = {
        "resourceType": "MedicationAdministration", "id": "ma1", "status": "completed",
        "contained": [{"resourceType": "Medication", "id": "m",
                       "code": {"coding": [{"system": "http://snomed.info/sct",
                                            "code": "372584003", "display": "dexamethasone"}]}}],
        "medicationReference": {"reference": "#m"}, "subject": SUBJECT,
        "effectiveDateTime": "2026-02-01T12:00:00Z",
        "dosage": {"dose": {"value": 0.008, "unit": "g"}, "route": {"text": "IV"}},
    }  # fmt: skip
    (event,) = events(_map(administration))
    assert (event["medication"], event["dose_mg"], event["route"], event["code"]) == (
        "dexamethasone",
        8.0,
        "IV",
        {"system": "http://snomed.info/sct", "code": "372584003"},
    )


def test_task_completes_a_consult() -> None:
    task = {"resourceType": "Task", "id": "t1", "status": "completed", "intent": "order",
            "for": SUBJECT, "code": {"text": "Neurosurgery consult"},
            "basedOn": [{"reference": "ServiceRequest/CN-90"}],
            "executionPeriod": {"end": "2026-02-01T16:00:00Z"}}  # fmt: skip
    (event,) = events(_map(task))
    assert (event["event_type"], event["consult_id"], event["service"]) == (
        "consult_completed", "CN-90", "neurosurgery")  # fmt: skip


def test_observations_by_loinc_code() -> None:
    ecog = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "subject": SUBJECT,
        "code": {"coding": [{"system": "http://loinc.org", "code": "89247-1"}]},
        "valueInteger": 3,
        "effectiveDateTime": "2026-02-01T08:00:00Z",
    }
    kps = {
        "resourceType": "Observation",
        "id": "o2",
        "status": "final",
        "subject": SUBJECT,
        "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]},
        "valueQuantity": {"value": 40},
        "effectiveDateTime": "2026-02-01T08:00:00Z",
    }
    other = {
        "resourceType": "Observation",
        "id": "o3",
        "status": "final",
        "subject": SUBJECT,
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "valueQuantity": {"value": 80},
        "effectiveDateTime": "2026-02-01T08:00:00Z",
    }
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in (ecog, kps, other)]}  # fmt: skip
    first, second, refused = _map(bundle)
    assert events([first])[0]["ecog"] == 3
    assert events([second])[0]["karnofsky"] == 40
    assert isinstance(refused, Refusal)
    assert refused.reason is Refused.UNKNOWN_CODE


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"", Refused.EMPTY), (b"{not json", Refused.NOT_JSON), (b"[1, 2]", Refused.NOT_FHIR),
     (b'{"resourceType": "Spaceship"}', Refused.NOT_FHIR),
     (b'{"resourceType": "Patient", "id": "p"}', Refused.UNSUPPORTED_RESOURCE)],
)  # fmt: skip
def test_documents_that_give_no_event(raw: bytes, reason: Refused) -> None:
    (refusal,) = map_fhir(raw, profile=SITE)
    assert isinstance(refusal, Refusal)
    assert refusal.reason is reason
