"""Referrals (REF/RRI), procedures (BAR^P12 PR1) and assessments (ORU OBX) as sites send them.

Every message here is written for these tests in the shapes referral managers, theatre and
oncology systems and nursing charting send: optional fields left out, v2.3 and v2.5 layouts,
PRD providers, repeated PR1, status flags, escapes, a Z-segment.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from services.gateway.fhir_map import map_fhir
from services.gateway.hl7_map import map_hl7
from services.gateway.profile import SiteProfile
from services.gateway.result import Refusal, Refused
from tests.unit.gateway.conftest import events, hl7, seg

# The SOUTH site's clock: local times without an offset are read in its zone.
SITE = SiteProfile(timezone=ZoneInfo("America/New_York"), assigning_authority="CWDEMO")
PID = "PID|1||MRN7001^^^CWDEMO^MR~99887766^^^NHS^NH||TESTPERSON^SAM||19580620|F"
PV1 = seg("PV1", {1: "1", 2: "I", 3: "ONC7^3^B^SOUTH", 19: "V5001"})


def _msh(kind: str, control: str = "C1", version: str = "2.5.1") -> str:
    return f"MSH|^~\\&|REFMGR|SOUTH|CW|SOUTH|20260105080000-0500||{kind}|{control}|P|{version}"


def _rf1(status: str, *, kind: str = "NSG^Neurosurgery^L", ident: str = "RF-3301") -> str:
    return seg(
        "RF1",
        {1: f"{status}^{'Accepted' if status == 'A' else ''}".rstrip("^"), 2: "U^Urgent",
         3: kind, 5: "I^Inpatient", 6: ident, 7: "20260105091500-0500",
         9: "20260105113000-0500", 10: "MSCC^Suspected cord compression"},
    )  # fmt: skip


PRD_RP = "PRD|RP|CLINICIAN^REFERRING^^^DR|ONC7^^^SOUTH||||C1234^^^GMC"
PRD_RT = "PRD|RT|NEUROSURGERY^^^^^^D||||||NSG^^^LOCAL"


def test_ref_i12_from_a_referral_manager_is_a_consult_request() -> None:
    raw = hl7(
        _msh("REF^I12^REF_I12", "REF1"),
        _rf1("P"),
        PRD_RP,
        PRD_RT,
        PID,
        "DG1|1||C61^Malignant neoplasm of prostate^I10|||W",
        PV1,
        "ZRF|internal routing|ward 7",
    )
    (event,) = events(map_hl7(raw, profile=SITE))
    assert event == {
        "event_id": "REF1",
        "event_type": "consult_requested",
        "occurred_at": "2026-01-05T09:15:00-05:00",  # RF1-7 effective date
        "patient_id": "MRN7001",
        "encounter_id": "V5001",
        "facility": "SOUTH",
        "source": "REFMGR",
        "consult_id": "RF-3301",
        "service": "neurosurgery",
    }


@pytest.mark.parametrize(
    ("kind", "status", "extra", "expected", "at"),
    [
        # The consulting service accepted and has not seen the patient yet: still requested.
        ("RRI^I12^RRI_I12", "A", [], "consult_requested", "2026-01-05T09:15:00-05:00"),
        # Accepted, with the consultation's results: completed at OBR-22.
        ("RRI^I12^RRI_I12", "A",
         [seg("OBR", {1: "1", 2: "RF-3301", 4: "NSGC^Neurosurgical opinion",
                      7: "20260105150000-0500", 22: "20260105161000-0500", 25: "F"}),
          "OBX|1|TX|NSGC||Seen on the ward.\\.br\\Plan: decompression tomorrow.||||||F"],
         "consult_completed", "2026-01-05T16:10:00-05:00"),
        ("RRI^I12^RRI_I12", "R", [], "consult_cancelled", "2026-01-05T11:30:00-05:00"),
        ("RRI^I15^RRI_I12", "E", [], "consult_cancelled", "2026-01-05T11:30:00-05:00"),
        ("REF^I14^REF_I12", "P", [], "consult_cancelled", "2026-01-05T11:30:00-05:00"),
        ("REF^I13^REF_I12", "A", [], "consult_requested", "2026-01-05T09:15:00-05:00"),
    ],
)  # fmt: skip
def test_referral_answers_and_cancellations(
    kind: str, status: str, extra: list[str], expected: str, at: str
) -> None:
    raw = hl7(_msh(kind, "RRI1"), "MSA|AA|REF1", _rf1(status), PRD_RT, PID, *extra, PV1)
    (event,) = events(map_hl7(raw, profile=SITE))
    assert (event["event_type"], event["consult_id"], event["service"]) == (
        expected, "RF-3301", "neurosurgery")  # fmt: skip
    assert event["occurred_at"] == at


def test_a_v23_referral_names_its_service_only_in_the_referred_to_provider() -> None:
    rf1 = seg("RF1", {1: "P", 11: "EXT-77"})  # no RF1-3, no RF1-6: the external id
    prd = "PRD|RT|Spine surgery"
    raw = hl7(_msh("REF^I12", "REF2", "2.3"), rf1, prd, PID)
    (event,) = events(map_hl7(raw, profile=SITE))
    assert (event["consult_id"], event["service"]) == ("EXT-77", "spine surgery")
    assert event["occurred_at"] == "2026-01-05T08:00:00-05:00"  # MSH-7: no RF1 time
    assert "facility" not in event


@pytest.mark.parametrize(
    ("segments", "reason"),
    [
        ([PID], Refused.MISSING_FIELD),  # no RF1
        ([_rf1("P", kind="DERM^Dermatology^L"), PID], Refused.UNSUPPORTED_MESSAGE),
        ([_rf1("P", ident=""), PID], Refused.MISSING_FIELD),
        ([_rf1("Q"), PID], Refused.UNSUPPORTED_STATUS),
    ],
)
def test_referrals_that_give_no_event(segments: list[str], reason: Refused) -> None:
    outcome = map_hl7(hl7(_msh("REF^I12"), *segments), profile=SITE)
    assert isinstance(outcome, Refusal)
    assert outcome.reason is reason
    assert "MRN7001" not in outcome.detail


def _pr1(fields: dict[int, str]) -> str:
    return seg("PR1", {1: "1", **fields})


def test_bar_p12_from_theatre_and_radiotherapy_systems_gives_one_event_per_pr1() -> None:
    raw = hl7(
        _msh("BAR^P12^BAR_P12", "PROC1"),
        "EVN|P12|20260106170000-0500",
        PID,
        PV1,
        _pr1({3: "77373^SBRT spine^C4", 4: "24 Gy / 2", 5: "20260106120000-0500", 19: "RT-556"}),
        _pr1(
            {
                1: "2",
                3: "0QS^Posterior decompression and fixation T7-T8^L",
                5: "20260106154500-0500",
                19: "TH-901",
                20: "A",
            }
        ),
        "ROL|1|AD|SURG^Surgeon|CLINICIAN^OPERATING",
    )
    first, second = events(map_hl7(raw, profile=SITE))
    assert first == {
        "event_id": "PROC1:1",
        "event_type": "procedure",
        "occurred_at": "2026-01-06T12:00:00-05:00",
        "patient_id": "MRN7001",
        "encounter_id": "V5001",
        "facility": "SOUTH",
        "source": "REFMGR",
        "procedure_id": "RT-556",
        "procedure": "sbrt",
        "regimen": "24 Gy / 2",
        "status": "completed",
    }
    # "decompression" comes before "fixation" in the table: the first match names it.
    assert (second["event_id"], second["procedure"], second["procedure_id"]) == (
        "PROC1:2", "decompressive_surgery", "TH-901")  # fmt: skip


@pytest.mark.parametrize(
    ("pr1", "procedure", "status"),
    [
        # v2.3 layout: the words in PR1-4 (description), no regimen then.
        ({2: "C4", 3: "77427", 4: "Radiotherapy started 8 Gy", 5: "20260106", 19: "RT-1"},
         "radiotherapy_started", "completed"),
        ({3: "^Palliative radiotherapy", 5: "20260106", 19: "RT-2"}, "radiotherapy_started",
         "completed"),
        ({3: "^Radiotherapy completed", 5: "20260110", 19: "RT-3"}, "radiotherapy_completed",
         "completed"),
        ({3: "^Vertebroplasty L1", 5: "20260106", 19: "TH-4", 20: "D"}, "vertebroplasty",
         "entered-in-error"),
    ],
)  # fmt: skip
def test_procedure_words_and_the_delete_action(
    pr1: dict[int, str], procedure: str, status: str
) -> None:
    raw = hl7(_msh("BAR^P01", "PROC2", "2.3"), "EVN|P01|20260106", PID, _pr1(pr1))
    (event,) = events(map_hl7(raw, profile=SITE))
    assert (event["procedure"], event["status"]) == (procedure, status)
    assert "regimen" not in event
    # PR1-5 a date alone: midnight in the site's zone.
    assert event["occurred_at"] == f"2026-01-{pr1[5][-2:]}T00:00:00-05:00"


@pytest.mark.parametrize(
    ("pr1", "reason"),
    [
        ({3: "^Central line insertion", 5: "20260106", 19: "X-1"}, Refused.UNKNOWN_CODE),
        ({3: "^SBRT spine", 5: "20260106"}, Refused.MISSING_FIELD),  # no PR1-19
    ],
)
def test_procedures_that_give_no_event(pr1: dict[int, str], reason: Refused) -> None:
    outcome = map_hl7(hl7(_msh("BAR^P12"), PID, _pr1(pr1)), profile=SITE)
    assert isinstance(outcome, Refusal)
    assert outcome.reason is reason


ASSESSMENT_OBR = "OBR|1|||SCA^Spinal cord assessment^99CWA|||20260105103000"


def test_nursing_assessment_as_oru_with_loinc_and_site_codes() -> None:
    raw = hl7(
        _msh("ORU^R01^ORU_R01", "OBS1"),
        PID,
        PV1,
        ASSESSMENT_OBR,
        "OBX|1|NM|89247-1^ECOG performance status^LN||3||||||F|||20260105102000-0500",
        "OBX|2|NM|89243-0^Karnofsky performance status^LN||40|%|||||F",
        "OBX|3|NM|MOTOR-STRENGTH^Lowest lower limb MRC grade^99CWA||3||||||F",
        "OBX|4|ID|ambulatory^Walks unaided^99CWA||N||||||F",
        "OBX|5|ID|sphincter-dysfunction^Bladder or bowel^99CWA||Y||||||F",
        "OBX|6|ST|pain^Pain pattern^99CWA||mechanical||||||F",
        "OBX|7|ST|sensory-level^Sensory level^99CWA||T10 \\T\\ below||||||F",
        "OBX|8|TS|motor-deficit-onset^Weakness began^99CWA||20260104220000-0500||||||F",
        "OBX|9|NM|8867-4^Heart rate^LN||88|/min|||||F",  # not an assessment field: ignored
        "OBX|10|NM|89247-1^ECOG performance status^LN||1||||||W",  # wrong: ignored
    )
    (event,) = events(map_hl7(raw, profile=SITE))
    assert event == {
        "event_id": "OBS1",
        "event_type": "assessment",
        "occurred_at": "2026-01-05T10:20:00-05:00",  # OBX-14 of the first assessment OBX
        "patient_id": "MRN7001",
        "encounter_id": "V5001",
        "facility": "SOUTH",
        "source": "REFMGR",
        "ecog": 3,
        "karnofsky": 40,
        "motor_strength": 3,
        "ambulatory": False,
        "sphincter_dysfunction": True,
        "pain": "mechanical",
        "sensory_level": "T10 & below",
        "motor_deficit_onset": "2026-01-04T22:00:00-05:00",
    }


def test_a_report_and_an_assessment_in_one_oru_are_two_events() -> None:
    raw = hl7(
        _msh("ORU^R01", "MIX1"),
        PID,
        seg(
            "OBR",
            {1: "1", 3: "ACC-1", 4: "^MRI whole spine", 22: "20260105110000", 24: "MR", 25: "F"},
        ),
        "OBX|1|TX|ACC-1||No epidural disease.||||||F",
        ASSESSMENT_OBR.replace("OBR|1", "OBR|2"),
        "OBX|1|NM|89247-1^ECOG^LN||2||||||F",
    )
    report, assessment = events(map_hl7(raw, profile=SITE))
    assert (report["event_type"], report["event_id"]) == ("imaging_report", "MIX1:1")
    assert (assessment["event_type"], assessment["ecog"]) == ("assessment", 2)
    assert assessment["occurred_at"] == "2026-01-05T10:30:00-05:00"  # OBR-7, site time


@pytest.mark.parametrize(
    ("obx", "reason"),
    [
        ("OBX|1|NM|89247-1^ECOG^LN||7||||||F", Refused.INVALID_EVENT),  # ECOG is 0-4
        ("OBX|1|NM|89247-1^ECOG^LN||three||||||F", Refused.INVALID_EVENT),
        ("OBX|1|NM|89247-1^ECOG^LN||2||||||X", Refused.UNSUPPORTED_STATUS),
    ],
)
def test_assessments_that_give_no_event(obx: str, reason: Refused) -> None:
    outcome = map_hl7(hl7(_msh("ORU^R01"), PID, ASSESSMENT_OBR, obx), profile=SITE)
    assert isinstance(outcome, Refusal)
    assert outcome.reason is reason
    assert "ecog" in outcome.detail or "OBX-11" in outcome.detail


SUBJECT = {"identifier": {"system": SITE.patient_system, "value": "MRN7001"}}


@pytest.mark.parametrize("status", ["requested", "accepted", "in-progress", "on-hold"])
def test_a_fhir_task_under_way_is_a_consult_still_requested(status: str) -> None:
    task = {"resourceType": "Task", "id": "t2", "status": status, "intent": "order",
            "for": SUBJECT, "code": {"text": "Spine surgery consult"},
            "basedOn": [{"reference": "ServiceRequest/CN-91"}],
            "authoredOn": "2026-02-01T09:00:00Z",
            "executionPeriod": {"start": "2026-02-01T11:00:00Z"}}  # fmt: skip
    (event,) = events(map_fhir(json.dumps(task).encode(), profile=SITE))
    assert (event["event_type"], event["consult_id"], event["service"]) == (
        "consult_requested", "CN-91", "spine surgery")  # fmt: skip
    assert event["occurred_at"] == "2026-02-01T11:00:00Z"


def test_a_draft_task_is_still_refused() -> None:
    task = {"resourceType": "Task", "id": "t3", "status": "draft", "intent": "order",
            "for": SUBJECT, "code": {"text": "Neurosurgery consult"},
            "basedOn": [{"reference": "ServiceRequest/CN-92"}],
            "authoredOn": "2026-02-01T09:00:00Z"}  # fmt: skip
    (refusal,) = map_fhir(json.dumps(task).encode(), profile=SITE)
    assert isinstance(refusal, Refusal)
    assert refusal.reason is Refused.UNSUPPORTED_STATUS
