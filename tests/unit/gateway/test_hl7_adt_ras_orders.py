"""ADT, RAS^O17 and consult orders as PAS, eMAR and order systems send them."""

from __future__ import annotations

import pytest

from services.gateway.hl7_map import map_hl7
from services.gateway.hl7_read import split_stream
from services.gateway.profile import SiteProfile
from services.gateway.result import Refusal, Refused
from tests.unit.gateway.conftest import events, hl7, seg

SITE = SiteProfile(assigning_authority="CWDEMO")
PID = "PID|1||MRN7001^^^CWDEMO^MR||TESTPERSON^SAM||19580620|F"
PV1 = seg("PV1", {1: "1", 2: "I", 3: "ONC7^3^B^SOUTH", 19: "V5001", 44: "20260105074500-0500"})


def _msh(kind: str, control: str = "C1", version: str = "2.5.1") -> str:
    return f"MSH|^~\\&|PAS|SOUTH|CW|SOUTH|20260105080000-0500||{kind}|{control}|P|{version}"


def test_a01_with_diagnoses_age_sex_and_admit_reason() -> None:
    raw = hl7(
        _msh("ADT^A01^ADT_A01"),
        "EVN|A01|20260105080000-0500",
        PID,
        PV1,
        "PV2|||^new back pain and leg weakness",
        "DG1|1||C50.9^Breast cancer^I10||20190620|F",
        "DG1|2||94222008^Secondary malignant neoplasm of bone^SCT||",
        "DG1|3||12345^Something local^LOCALCODES",
        "ZPI|1|site extension",
    )
    assert events(map_hl7(raw, profile=SITE)) == [
        {
            "event_id": "C1",
            "event_type": "admit",
            # No EVN-6: the admit time of PV1-44 before the recorded time of EVN-2.
            "occurred_at": "2026-01-05T07:45:00-05:00",
            "patient_id": "MRN7001",
            "encounter_id": "V5001",
            "facility": "SOUTH",
            "source": "PAS",
            "unit": "ONC7",
            "age": 67,
            "sex": "female",
            "chief_complaint": "new back pain and leg weakness",
            "diagnoses": [
                {
                    "code": "C50.9",
                    "system": "ICD-10",
                    "display": "Breast cancer",
                    "onset": "2019-06-20",
                },
                {
                    "code": "94222008",
                    "system": "SNOMED",
                    "display": "Secondary malignant neoplasm of bone",
                },
            ],
        }
    ]


@pytest.mark.parametrize(
    ("trigger", "extra_pid", "expected"),
    [
        ("A04", "", "admit"),
        ("A02", "", "transfer"),
        ("A03", "", "discharge"),
        ("A03", "|20260105120000-0500|Y", "death"),
        ("A08", "", "update"),
        ("A11", "", "update"),
        ("A13", "", "update"),
    ],
)
def test_adt_triggers(trigger: str, extra_pid: str, expected: str) -> None:
    pid = seg("PID", {1: "1", 3: "MRN7001^^^CWDEMO^MR"})
    if extra_pid:
        pid = seg("PID", {1: "1", 3: "MRN7001^^^CWDEMO^MR", 29: "20260105120000-0500", 30: "Y"})
    raw = hl7(_msh(f"ADT^{trigger}", version="2.3"), f"EVN|{trigger}|20260105090000-0500", pid)
    (event,) = events(map_hl7(raw, profile=SITE))
    assert event["event_type"] == expected
    # A death is dated by PID-29; everything else here by EVN-2 (no EVN-6, no PV1).
    hour = "12" if expected == "death" else "09"
    assert event["occurred_at"] == f"2026-01-05T{hour}:00:00-05:00"


def test_ras_doses_in_grams_and_micrograms_are_milligrams() -> None:
    raw = hl7(
        _msh("RAS^O17^RAS_O17", "EMAR-9"),
        PID,
        PV1,
        "ORC|RE|P100|F100",
        seg(
            "RXA",
            {
                1: "0",
                2: "1",
                3: "20260105093000-0500",
                5: "3264^dexamethasone^RXNORM",
                6: "0.016",
                7: "g",
                20: "CP",
                21: "A",
            },
        ),
        "RXR|IV",
        "ORC|RE|P101|F101",
        seg(
            "RXA",
            {1: "0", 2: "1", 3: "20260105093500-0500", 5: "^fentanyl", 6: "50", 7: "ug", 20: "RE"},
        ),
        "ORC|RE|P100|F100",
        seg(
            "RXA",
            {
                1: "0",
                2: "1",
                3: "20260105093000-0500",
                5: "3264^dexamethasone^RXNORM",
                6: "16",
                7: "mg",
                20: "CP",
                21: "D",
            },
        ),
    )
    mapped = events(map_hl7(raw, profile=SITE))
    assert [(e["event_id"], e["administration_id"], e["medication"], e.get("dose_mg"),
             e["status"], e.get("route")) for e in mapped] == [
        ("EMAR-9:1", "F100-1", "dexamethasone", 16.0, "completed", "IV"),
        ("EMAR-9:2", "F101-1", "fentanyl", 0.05, "not-done", None),
        ("EMAR-9:3", "F100-1", "dexamethasone", 16.0, "entered-in-error", None),
    ]  # fmt: skip
    assert mapped[0]["code"] == {
        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
        "code": "3264",
    }
    assert "code" not in mapped[1]


def test_ras_unknown_completion_status_is_refused() -> None:
    raw = hl7(_msh("RAS^O17"), PID, "ORC|RE|P1|F1",
              seg("RXA", {3: "20260105093000", 5: "^dexamethasone", 20: "ZZ"}))  # fmt: skip
    outcome = map_hl7(raw, profile=SITE)
    assert isinstance(outcome, Refusal)
    assert outcome.reason is Refused.UNSUPPORTED_STATUS


@pytest.mark.parametrize(
    ("orc", "expected"),
    [
        (seg("ORC", {1: "NW", 2: "CN55", 9: "20260105100000-0500"}), "consult_requested"),
        (seg("ORC", {1: "CA", 2: "CN55", 9: "20260105100000-0500"}), "consult_cancelled"),
        (seg("ORC", {1: "SC", 2: "CN55", 5: "CM", 9: "20260105100000-0500"}), "consult_completed"),
    ],
)
def test_consult_orders(orc: str, expected: str) -> None:
    raw = hl7(_msh("ORM^O01", "ORD1"), PID, PV1, orc, "OBR|1|CN55||NSG^Neurosurgery Consult")
    (event,) = events(map_hl7(raw, profile=SITE))
    assert event["event_type"] == expected
    assert (event["consult_id"], event["service"]) == ("CN55", "neurosurgery")
    assert event["occurred_at"] == "2026-01-05T10:00:00-05:00"


def test_consult_result_as_oru() -> None:
    raw = hl7(
        _msh("ORU^R01", "RES1"),
        PID,
        "ORC|RE|CN56",
        seg(
            "OBR",
            {
                1: "1",
                2: "CN56",
                4: "SPS^Spine surgery consultation",
                22: "20260105153000-0500",
                25: "F",
            },
        ),
        "OBX|1|TX|||Seen; plan decompression.||||||F",
    )
    (event,) = events(map_hl7(raw, profile=SITE))
    assert event["event_type"] == "consult_completed"
    assert (event["consult_id"], event["service"]) == ("CN56", "spine surgery")


def test_an_order_that_is_not_a_consult_is_refused() -> None:
    raw = hl7(_msh("OMG^O19"), PID, "ORC|NW|L1", "OBR|1|L1||CBC^Full blood count")
    outcome = map_hl7(raw, profile=SITE)
    assert isinstance(outcome, Refusal)
    assert outcome.reason is Refused.UNSUPPORTED_MESSAGE


def test_a_stream_splits_into_messages_in_every_framing() -> None:
    one = hl7(_msh("ADT^A08", "S1"), "EVN|A08|20260105090000", PID)
    two = hl7(_msh("ADT^A08", "S2"), "EVN|A08|20260105090000", PID)
    framed = b"\x0b" + one + b"\x1c\r" + b"\x0b" + two + b"\x1c\r"
    blank = one.replace(b"\r", b"\r\n") + b"\r\n\r\n" + two.replace(b"\r", b"\r\n")
    for stream in (framed, blank, one + b"\r" + two):
        ids = [events(map_hl7(m, profile=SITE))[0]["event_id"] for m in split_stream(stream)]
        assert ids == ["S1", "S2"]
