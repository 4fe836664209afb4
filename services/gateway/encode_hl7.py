"""Canonical events as the HL7 v2.5.1 messages a hospital would send (demo feed, tests, bench).

The inverse of ``hl7_map``: ADT, ORU^R01 reports, RAS^O17, ORM^O01 consult orders, BAR^P12
procedures (one PR1) and ORU^R01 assessments (one OBX per finding, LOINC or the site's 99CWA).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from services.gateway.codes import (
    HL7_ASSESSMENT_SYSTEM,
    HL7_LOINC,
    LOINC_ASSESSMENTS,
    SITE_ASSESSMENTS,
)
from services.gateway.profile import DEMO_ASSIGNING_AUTHORITY
from services.gateway.times import hl7_format

_ADT = {"admit": "A01", "transfer": "A02", "discharge": "A03", "death": "A03", "update": "A08"}
_SEX = {"female": "F", "male": "M", "other": "O", "unknown": "U"}
_DX = {"ICD-10": "I10", "ICD-10-CM": "I10C", "SNOMED": "SCT"}
_DRUG = {
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RXNORM",
    "http://snomed.info/sct": "SCT",
    "http://hl7.org/fhir/sid/ndc": "NDC",
}
_STATUS = {"preliminary": "P", "final": "F", "amended": "C", "cancelled": "X"}
_CONSULT_CONTROL = {"consult_requested": ("NW", ""), "consult_cancelled": ("CA", "CA"),
                    "consult_completed": ("SC", "CM")}  # fmt: skip


def escape(text: str) -> str:
    """HL7 escapes for the default delimiters (v2.5 section 2.7)."""
    return (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
    )


def encode_hl7(event: dict[str, Any], *, authority: str = DEMO_ASSIGNING_AUTHORITY) -> bytes | None:
    """One canonical event (its JSON form) as an HL7 v2.5.1 message, CR-separated, UTF-8."""
    kind = event["event_type"]
    if kind in _ADT:
        segments = _adt(event, authority)
    elif kind == "imaging_report":
        segments = _oru(event, authority)
    elif kind == "medication_administration":
        segments = _ras(event, authority)
    elif kind in _CONSULT_CONTROL:
        segments = _orm(event, authority)
    elif kind == "procedure":
        segments = _bar(event, authority)
    elif kind == "assessment":
        segments = _assessment(event, authority)
    else:
        return None
    return "\r".join(segments).encode("utf-8")


def _ts(value: str | None) -> str:
    return hl7_format(datetime.fromisoformat(value)) if value else ""


def _e(value: Any) -> str:
    return "" if value is None else escape(str(value))


def _msh(event: dict[str, Any], message_type: str) -> str:
    facility = _e(event.get("facility"))
    return (
        f"MSH|^~\\&|{_e(event.get('source'))}|{facility}|CORDWATCH|{facility}|"
        f"{_ts(event['occurred_at'])}||{message_type}|{_e(event['event_id'])}|P|2.5.1|||||"
        "|UNICODE UTF-8"
    )


def _pid(event: dict[str, Any], authority: str, extra: dict[int, str] | None = None) -> str:
    fields = [""] * 31
    fields[1] = "1"
    fields[3] = f"{_e(event['patient_id'])}^^^{authority}^MR"
    fields[5] = "PATIENT^DEMO"
    if event.get("age") is not None:
        fields[7] = _birth_date(event["occurred_at"], int(event["age"])).strftime("%Y%m%d")
    fields[8] = _SEX.get(str(event.get("sex")), "")
    for index, value in (extra or {}).items():
        fields[index] = value
    return "PID|" + "|".join(fields[1:]).rstrip("|")


def _birth_date(occurred_at: str, age: int) -> date:
    """A birth date that makes the patient ``age`` on the event's local date."""
    day = datetime.fromisoformat(occurred_at).date()
    try:
        anniversary = day.replace(year=day.year - age)
    except ValueError:  # 29 February
        anniversary = day.replace(year=day.year - age, day=28)
    return anniversary - timedelta(days=1)


def _pv1(event: dict[str, Any]) -> str:
    fields = [""] * 20
    fields[1], fields[2] = "1", "I"
    fields[3] = f"{_e(event.get('unit'))}^^^{_e(event.get('facility'))}".rstrip("^")
    fields[19] = _e(event.get("encounter_id"))
    return "PV1|" + "|".join(fields[1:]).rstrip("|")


def _adt(event: dict[str, Any], authority: str) -> list[str]:
    trigger = _ADT[event["event_type"]]
    at = _ts(event["occurred_at"])
    died = {29: at, 30: "Y"} if event["event_type"] == "death" else None
    segments = [
        _msh(event, f"ADT^{trigger}^ADT_A01"),
        f"EVN|{trigger}|{at}||||{at}",
        _pid(event, authority, died),
        _pv1(event),
    ]
    if event.get("chief_complaint"):
        segments.append(f"PV2|||^{_e(event['chief_complaint'])}")
    for index, dx in enumerate(event.get("diagnoses") or [], start=1):
        onset = dx["onset"].replace("-", "") if dx.get("onset") else ""
        code = f"{_e(dx['code'])}^{_e(dx.get('display'))}^{_DX[dx['system']]}"
        segments.append(f"DG1|{index}||{code}||{onset}|W")
    return segments


def _oru(event: dict[str, Any], authority: str) -> list[str]:
    accession = _e(event["accession"])
    obr = [""] * 26
    obr[1], obr[3], obr[4] = "1", accession, f"^{_e(event['exam'])}"
    obr[7] = _ts(event.get("performed_at"))
    obr[22], obr[24], obr[25] = (
        _ts(event["occurred_at"]),
        _e(event["modality"]),
        _STATUS[event["status"]],
    )
    segments = [
        _msh(event, "ORU^R01^ORU_R01"),
        _pid(event, authority),
        _pv1(event),
        f"ORC|RE||{accession}",
        "OBR|" + "|".join(obr[1:]),
    ]
    for index, line in enumerate(str(event["text"]).split("\n"), start=1):
        segments.append(f"OBX|{index}|TX|{accession}&RPT||{escape(line)}||||||F")
    return segments


def _ras(event: dict[str, Any], authority: str) -> list[str]:
    order, _, sub = str(event["administration_id"]).rpartition("-")
    if not (order and sub.isdigit()):
        order, sub = str(event["administration_id"]), ""
    code = event.get("code") or {}
    system = _DRUG.get(code.get("system", ""), code.get("system", ""))
    drug = f"{_e(code.get('code'))}^{_e(event['medication'])}^{_e(system)}".rstrip("^")
    if not code:
        drug = f"^{_e(event['medication'])}"
    dose = "" if event.get("dose_mg") is None else repr(float(event["dose_mg"]))
    status = event["status"]
    completion = {"completed": "CP", "not-done": "NA", "entered-in-error": "CP"}[status]
    action = "D" if status == "entered-in-error" else "A"
    at = _ts(event["occurred_at"])
    rxa = ["0", sub, at, at, drug, dose, "mg" if dose else ""] + [""] * 12 + [completion, action]
    segments = [
        _msh(event, "RAS^O17^RAS_O17"),
        _pid(event, authority),
        _pv1(event),
        f"ORC|RE||{_e(order)}",
        "RXA|" + "|".join(rxa),
    ]
    if event.get("route"):
        segments.append(f"RXR|{_e(event['route'])}")
    return segments


def _orm(event: dict[str, Any], authority: str) -> list[str]:
    control, status = _CONSULT_CONTROL[event["event_type"]]
    consult = _e(event["consult_id"])
    at = _ts(event["occurred_at"])
    return [
        _msh(event, "ORM^O01^ORM_O01"),
        _pid(event, authority),
        _pv1(event),
        f"ORC|{control}|{consult}|||{status}||||{at}",
        f"OBR|1|{consult}||CONSULT^{_e(event['service'])} consult",
    ]


def _bar(event: dict[str, Any], authority: str) -> list[str]:
    at = _ts(event["occurred_at"])
    pr1 = [""] * 21
    pr1[1], pr1[3] = "1", f"^{_e(str(event['procedure']).replace('_', ' '))}"
    pr1[4], pr1[5] = _e(event.get("regimen")), at
    pr1[19] = _e(event["procedure_id"])
    pr1[20] = "D" if event["status"] == "entered-in-error" else "A"
    return [
        _msh(event, "BAR^P12^BAR_P12"),
        f"EVN|P12|{at}",
        _pid(event, authority),
        _pv1(event),
        "PR1|" + "|".join(pr1[1:]),
    ]


# The contract's assessment fields as OBX-3 (code^text^system) and OBX-2 value types.
_OBSERVED = {name: (code, HL7_LOINC) for code, name in LOINC_ASSESSMENTS.items()} | {
    name: (code, HL7_ASSESSMENT_SYSTEM) for code, name in SITE_ASSESSMENTS.items()
}
_VALUE_TYPES = {"ecog": "NM", "karnofsky": "NM", "motor_strength": "NM", "ambulatory": "ID",
                "sphincter_dysfunction": "ID", "motor_deficit_onset": "TS"}  # fmt: skip


def _assessment(event: dict[str, Any], authority: str) -> list[str]:
    at = _ts(event["occurred_at"])
    segments = [
        _msh(event, "ORU^R01^ORU_R01"),
        _pid(event, authority),
        _pv1(event),
        f"OBR|1|||SCA^Spinal cord assessment^{HL7_ASSESSMENT_SYSTEM}|||{at}",
    ]
    for name, (code, system) in _OBSERVED.items():
        value = event.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            shown = "Y" if value else "N"
        elif name == "motor_deficit_onset":
            shown = _ts(value)
        else:
            shown = _e(value)
        kind = _VALUE_TYPES.get(name, "ST")
        index = len(segments) - 3
        segments.append(f"OBX|{index}|{kind}|{code}^{name}^{system}||{shown}||||||F|||{at}")
    return segments
