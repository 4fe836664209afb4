"""ORU^R01 radiology reports as RIS interfaces send them, each with its expected event."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from services.gateway.hl7_map import map_hl7
from services.gateway.profile import SiteProfile
from services.gateway.result import Refusal, Refused
from tests.unit.gateway.conftest import events, hl7, seg

SITE = SiteProfile(assigning_authority="CWDEMO")
PID = "PID|1||88001^^^OTHERHOSP^PI~MRN4411^^^CWDEMO^MR||TESTPERSON^ALEX||19550312|M"


def test_v23_report_with_every_awkward_feature_maps_to_one_event() -> None:
    # LF line ends, a raw line break inside OBX-5, \F\ \.br\ \X0D\ escapes, a repetition, an
    # empty TX line, a Z-segment and an NTE that is not report text.
    raw = "\n".join(
        [
            "MSH|^~\\&|RADIS|NORTH|CW|NORTH|20260105110627||ORU^R01|RIS-0001|P|2.3",
            PID,
            "PV1|1|I|W7^12^A^NORTH||||||||||||||||ENC0042",
            "ORC|RE|PL77|ACC1001",
            seg(
                "OBR",
                {
                    1: "1",
                    2: "PL77",
                    3: "ACC1001",
                    4: "MRSP^MR WHOLE SPINE",
                    22: "20260105105900",
                    24: "MR",
                    25: "F",
                },
            ),
            "OBX|1|TX|||MR WHOLE SPINE \\F\\ GADOLINIUM||||||F",
            "OBX|2|TX|||There is a lesion at T7\\.br\\extending into the canal.",
            "The cord is compressed at T7.||||||F",
            "OBX|3|TX|||||||||F",
            "OBX|4|TX|||IMPRESSION: cord compression\\X0D\\at T7~Urgent review advised.||||||F",
            "NTE|1||not part of the report",
            "ZDS|1.2.840.99^RADIS^Application^DICOM",
        ]
    ).encode()
    assert events(map_hl7(raw, profile=SITE)) == [
        {
            "event_id": "RIS-0001",
            "event_type": "imaging_report",
            "occurred_at": "2026-01-05T10:59:00Z",
            "patient_id": "MRN4411",
            "encounter_id": "ENC0042",
            "facility": "NORTH",
            "source": "RADIS",
            "accession": "ACC1001",
            "status": "final",
            "modality": "MR",
            "exam": "MR WHOLE SPINE",
            "text": "MR WHOLE SPINE | GADOLINIUM\n"
            "There is a lesion at T7\nextending into the canal.\n"
            "The cord is compressed at T7.\n"
            "\n"
            "IMPRESSION: cord compression\nat T7\nUrgent review advised.",
        }
    ]


def test_msh18_latin1_bytes_and_local_times_in_the_site_zone() -> None:
    raw = hl7(
        "MSH|^~\\&|RIS|CITY|CW|CITY|20260705083000||ORU^R01^ORU_R01|X9|P|2.5.1|||||||8859/1",
        PID,
        seg(
            "OBR",
            {
                1: "1",
                3: "ACC2",
                4: "CT^CT THORAX",
                6: "20260705071500",
                22: "20260705082000",
                24: "CT",
                25: "P",
            },
        ),
        "OBX|1|FT|||Lésion lytique en T9.||||||P",
    ).replace("é".encode(), "é".encode("latin-1"))
    site = SiteProfile(timezone=ZoneInfo("Europe/Paris"), facility="CITY")
    (event,) = events(map_hl7(raw, profile=site))
    assert event["text"] == "Lésion lytique en T9."
    assert event["occurred_at"] == "2026-07-05T08:20:00+02:00"
    assert event["facility"] == "CITY"  # no PV1: the site's configured code
    assert event["status"] == "preliminary"
    assert "performed_at" not in event  # OBR-7 is field 7; this message put it in OBR-6


@pytest.mark.parametrize(
    ("status", "expected"),
    [("P", "preliminary"), ("F", "final"), ("C", "amended"), ("X", "cancelled")],
)
def test_obr25_result_status(status: str, expected: str) -> None:
    raw = hl7(
        "MSH|^~\\&|RIS|N|CW|N|20260105110627+0100||ORU^R01|S1|P|2.4",
        PID,
        seg(
            "OBR",
            {
                1: "1",
                3: "ACC3",
                4: "^MRI LUMBAR SPINE",
                7: "20260105100000+0100",
                24: "NMR",
                25: status,
            },
        ),
    )
    (event,) = events(map_hl7(raw, profile=SITE))
    assert event["status"] == expected
    assert event["modality"] == "MR"  # NMR in HL7 table 0074
    assert event["performed_at"] == "2026-01-05T10:00:00+01:00"
    assert event["occurred_at"] == "2026-01-05T10:00:00+01:00"  # no OBR-22: OBR-7
    assert event["text"] == ""


def test_status_outside_p_f_c_x_is_refused() -> None:
    raw = hl7("MSH|^~\\&|RIS|N|CW|N|20260105110627||ORU^R01|S2|P|2.4", PID,
              seg("OBR", {1: "1", 3: "ACC4", 4: "^MRI", 24: "MR", 25: "I"}))  # fmt: skip
    outcome = map_hl7(raw, profile=SITE)
    assert isinstance(outcome, Refusal)
    assert outcome.reason is Refused.UNSUPPORTED_STATUS


@pytest.mark.parametrize(
    ("section", "exam", "modality"),
    [("RAD", "CT CHEST ABDOMEN PELVIS", "CT"), ("", "PET-CT WHOLE BODY", "PT"),
     ("RX", "SPINE", "XR"), ("PET-CT", "WHOLE BODY", "PET-CT")],
)  # fmt: skip
def test_modality_from_obr24_or_the_exam_name(section: str, exam: str, modality: str) -> None:
    raw = hl7("MSH|^~\\&|RIS|N|CW|N|20260105110627||ORU^R01|M1|P|2.5", PID,
              seg("OBR", {1: "1", 3: "ACC5", 4: f"^{exam}", 24: section, 25: "F"}))  # fmt: skip
    assert events(map_hl7(raw, profile=SITE))[0]["modality"] == modality


def test_no_modality_anywhere_is_refused() -> None:
    raw = hl7("MSH|^~\\&|RIS|N|CW|N|20260105110627||ORU^R01|M2|P|2.5", PID,
              seg("OBR", {1: "1", 3: "ACC6", 4: "^SPINE STUDY", 24: "RAD", 25: "F"}))  # fmt: skip
    outcome = map_hl7(raw, profile=SITE)
    assert isinstance(outcome, Refusal)
    assert outcome.reason is Refused.UNKNOWN_MODALITY


def test_two_order_groups_give_two_events_with_suffixed_ids() -> None:
    raw = hl7(
        "MSH|^~\\&|RIS|N|CW|N|20260105110627||ORU^R01|TWO|P|2.5.1",
        PID,
        seg("OBR", {1: "1", 3: "ACC7", 4: "^MRI CERVICAL SPINE", 24: "MR", 25: "F"}),
        "OBX|1|TX|||Cervical spine normal.||||||F",
        seg("OBR", {1: "2", 3: "ACC8", 4: "^MRI THORACIC SPINE", 24: "MR", 25: "F"}),
        "OBX|1|TX|||Thoracic spine: lesion at T4.||||||F",
    )
    mapped = events(map_hl7(raw, profile=SITE))
    assert [(e["event_id"], e["accession"], e["text"]) for e in mapped] == [
        ("TWO:1", "ACC7", "Cervical spine normal."),
        ("TWO:2", "ACC8", "Thoracic spine: lesion at T4."),
    ]


def test_patient_identifier_follows_the_site_assigning_authority() -> None:
    raw = hl7("MSH|^~\\&|RIS|N|CW|N|20260105110627||ORU^R01|P1|P|2.5", PID,
              seg("OBR", {1: "1", 3: "ACC9", 4: "^MRI", 24: "MR", 25: "F"}))  # fmt: skip
    assert events(map_hl7(raw, profile=SITE))[0]["patient_id"] == "MRN4411"
    # With no authority configured, the repetition typed MR (CX.5) is the MRN.
    typed = SiteProfile(assigning_authority=None)
    assert events(map_hl7(raw, profile=typed))[0]["patient_id"] == "MRN4411"
    other = map_hl7(raw, profile=SiteProfile(assigning_authority="ELSEWHERE"))
    assert isinstance(other, Refusal)
    assert other.reason is Refused.NO_PATIENT_IDENTIFIER
    assert "MRN4411" not in other.detail
    assert "88001" not in other.detail


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", Refused.EMPTY),
        (b"hello world", Refused.NOT_HL7),
        (b"MSH|^~\\&|A|B|C|D|20260101||SIU^S12|1|P|2.5\rPID|1||1^^^CWDEMO^MR",
         Refused.UNSUPPORTED_MESSAGE),
        (b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01||P|2.5\rPID|1||1^^^CWDEMO^MR",
         Refused.MISSING_FIELD),
        (b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5||||||KLINGON", Refused.UNSUPPORTED_CHARSET),
        (b"MSH|^~\\&|A|B|C|D|2026013199||ORU^R01|1|P|2.5\rPID|1||1^^^CWDEMO^MR\r"
         + seg("OBR", {1: "1", 3: "A1", 4: "^MRI", 24: "MR", 25: "F"}).encode(),
         Refused.BAD_TIMESTAMP),
    ],
)  # fmt: skip
def test_refusals_are_named(raw: bytes, reason: Refused) -> None:
    outcome = map_hl7(raw, profile=SITE)
    assert isinstance(outcome, Refusal)
    assert outcome.reason is reason
