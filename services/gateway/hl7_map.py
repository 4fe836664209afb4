"""HL7 v2 (2.3 to 2.5.1) messages to canonical events. Pure; the field choices are in README.md.

One message gives one event per order group (OBR in ORU^R01, RXA in RAS^O17, PR1 in BAR^P12);
referrals, procedures and assessments are read in hl7_care. The event_id is MSH-10, suffixed
``:n`` when the message holds several, so a resent message is a redelivery of the same events
(a no-op downstream).
"""

from __future__ import annotations

import contextlib
import re

from hl7.containers import Message, Segment

from services.gateway.consults import consult_service
from services.gateway.draft import Draft
from services.gateway.hl7_care import assessment, is_assessment, procedures, referral
from services.gateway.hl7_common import field_time, first_moment, order_groups, patient_draft
from services.gateway.hl7_read import first, get, parse, repetitions, segments
from services.gateway.profile import SiteProfile
from services.gateway.result import Mapped, Outcome, Refusal, RefusalError, Refused

# OBR-25 result status (HL7 table 0123) to the contract's report status.
_RESULT_STATUS = {"P": "preliminary", "F": "final", "C": "amended", "X": "cancelled"}
# OBR-24 diagnostic service section (HL7 table 0074) to DICOM modality codes; DICOM codes
# themselves (sent by most RIS) pass through. "RAD" says only "radiology": read the exam name.
_SECTION_MODALITY = {
    "CT": "CT", "MR": "MR", "MRI": "MR", "NMR": "MR", "NMS": "NM", "NM": "NM", "RX": "XR",
    "XR": "XR", "CR": "XR", "DX": "XR", "XRC": "XR", "PT": "PT", "PET": "PT", "US": "US",
    "VUS": "US", "MG": "MG",
}  # fmt: skip
_RADIOLOGY_SECTIONS = frozenset({*_SECTION_MODALITY, "RAD", "RX", "IMG"})
_EXAM_MODALITY = (
    (re.compile(r"\bPET\b", re.I), "PT"),
    (re.compile(r"\b(MRI?|MAGNETIC RESONANCE)\b", re.I), "MR"),
    (re.compile(r"\b(CT|CAT|COMPUTED TOMOGRAPHY)\b", re.I), "CT"),
    (re.compile(r"\b(NM|BONE SCAN|SCINTIGRA\w*)\b", re.I), "NM"),
    (re.compile(r"\b(XR|X-RAY|RADIOGRAPH\w*)\b", re.I), "XR"),
)
_MODALITY_FORM = re.compile(r"^[A-Za-z][A-Za-z/-]{0,15}$")
# OBX-2 value types that carry report text (TX text, FT formatted text, ST string).
_TEXT_TYPES = frozenset({"TX", "FT", "ST"})
# ADT trigger events: A04 registers an outpatient or ED visit, which opens care like an admit;
# A11 (cancel admit) and A13 (cancel discharge) correct the PAS and change no episode.
_ADT_TRIGGERS = {
    "A01": "admit", "A04": "admit", "A02": "transfer", "A03": "discharge", "A08": "update",
    "A11": "update", "A13": "update",
}  # fmt: skip
# PID-8 administrative sex (HL7 table 0001).
_SEX = {"F": "female", "M": "male", "O": "other", "A": "other", "U": "unknown"}
# DG1-3.3 coding system (HL7 table 0396, and spellings seen from PAS vendors).
_DX_SYSTEMS = {
    "I10": "ICD-10", "ICD10": "ICD-10", "ICD-10": "ICD-10", "I10C": "ICD-10-CM",
    "ICD10CM": "ICD-10-CM", "ICD-10-CM": "ICD-10-CM", "SCT": "SNOMED", "SNM": "SNOMED",
    "SNOMED": "SNOMED", "SNOMEDCT": "SNOMED", "SNOMED-CT": "SNOMED",
}  # fmt: skip
# PV1-36 discharge disposition 20 = expired (NUBC UB-04 patient discharge status code 20).
_EXPIRED_DISPOSITIONS = frozenset({"20"})
# RXA-5.3 coding systems to the URIs FHIR uses for them (HL7 table 0396 names).
_DRUG_SYSTEMS = {
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "SCT": "http://snomed.info/sct",
    "NDC": "http://hl7.org/fhir/sid/ndc",
    "DMD": "https://dmd.nhs.uk",
    "ATC": "http://www.whocc.no/atc",
}
# RXA-7 units (UCUM) to milligrams.
_TO_MG = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "µg": 0.001, "ng": 1e-6}
# RXA-20 completion status (HL7 table 0322): partially administered still gave a dose.
_COMPLETION = {"CP": "completed", "PA": "completed", "": "completed", "RE": "not-done",
               "NA": "not-done"}  # fmt: skip
# Referral messages: REF^I12 patient referral, I13 modify, I14 cancel; RRI^I12-I15 the answers.
_REFERRALS = frozenset(
    {("REF", "I12"), ("REF", "I13"), ("REF", "I14"), ("RRI", "I12"), ("RRI", "I13"),
     ("RRI", "I14"), ("RRI", "I15")}
)  # fmt: skip
# ORC-1 order control (HL7 table 0119) for consult orders.
_CANCEL_CONTROLS = frozenset({"CA", "OC", "CR", "DC", "OD"})


def map_hl7(raw: bytes, *, profile: SiteProfile) -> Outcome:
    """Map one HL7 v2 message; never raises on bad input."""
    try:
        return _map(parse(raw), profile)
    except RefusalError as refusal:
        return Refusal(refusal.reason, refusal.detail)


def _map(message: Message, profile: SiteProfile) -> list[Mapped]:
    msh = message[0]
    kind, trigger = get(msh, 9, comp=1).upper(), get(msh, 9, comp=2).upper()
    control = get(msh, 10)
    if not control:
        raise RefusalError(Refused.MISSING_FIELD, "MSH-10 (message control id) is empty")
    if kind == "ORU" and trigger == "R01":
        drafts = _oru(message, profile)
    elif kind == "ADT" and trigger in _ADT_TRIGGERS:
        drafts = [_adt(message, profile, trigger)]
    elif kind == "RAS" and trigger == "O17":
        drafts = _ras(message, profile)
    elif (kind, trigger) in {("ORM", "O01"), ("OMG", "O19")}:
        drafts = _orders(message, profile)
    elif (kind, trigger) in _REFERRALS:
        drafts = [referral(message, profile, kind, trigger)]
    elif kind == "BAR" and trigger in {"P01", "P12"}:
        drafts = procedures(message, profile)
    else:
        raise RefusalError(
            Refused.UNSUPPORTED_MESSAGE, "MSH-9 is not a message type the gateway maps"
        )
    if not drafts:
        raise RefusalError(Refused.MISSING_FIELD, "message holds no order group to map")
    for index, draft in enumerate(drafts, start=1):
        event_id = control if len(drafts) == 1 else f"{control}:{index}"
        draft.put("event_id", event_id, "MSH-10" if len(drafts) == 1 else f"MSH-10 + ':{index}'")
        draft.put("source", get(msh, 3), "MSH-3.1")
    return [draft.build() for draft in drafts]


def _oru(message: Message, profile: SiteProfile) -> list[Draft]:
    drafts = []
    for group in order_groups(message, "OBR", frozenset({"OBX", "NTE"})):
        obr = group[0]
        if is_assessment(group):
            drafts.append(assessment(message, group, profile))
            continue
        section = get(obr, 24).upper()
        service = consult_service(get(obr, 4, comp=2) or get(obr, 4))
        if section not in _RADIOLOGY_SECTIONS and service is not None:
            drafts.append(_consult_result(message, obr, service, profile))
        else:
            drafts.append(_imaging(message, group, profile))
    return drafts


def _imaging(message: Message, group: list[Segment], profile: SiteProfile) -> Draft:
    obr, observations = group[0], [s for s in group[1:] if str(s[0]) == "OBX"]
    draft = patient_draft(message, profile)
    draft.put("event_type", "imaging_report", "MSH-9 ORU^R01")
    for field, name in ((3, "OBR-3.1 (filler order number)"), (2, "OBR-2.1 (placer order number)"),
                        (18, "OBR-18 (placer field 1)")):  # fmt: skip
        if value := get(obr, field):
            draft.put("accession", value, name)
            break
    status_code, status_from = get(obr, 25).upper(), "OBR-25"
    if not status_code and observations:
        status_code, status_from = get(observations[0], 11).upper(), "OBX-11"
    status = _RESULT_STATUS.get(status_code)
    if status is None:
        raise RefusalError(
            Refused.UNSUPPORTED_STATUS, f"{status_from} is not P, F, C or X (result status)"
        )
    draft.put("status", status, status_from)
    exam = get(obr, 4, comp=2) or get(obr, 4)
    draft.put("exam", exam, "OBR-4.2" if get(obr, 4, comp=2) else "OBR-4.1")
    draft.put(*_modality(get(obr, 24), exam))
    text = "\n".join(_observation_text(message, observations))
    draft.fields["text"] = text
    draft.provenance["text"] = "OBX-5 of TX/FT/ST lines, in order"
    signed, signed_from = first_moment(
        profile, (obr, 22, "OBR-22"), (obr, 7, "OBR-7"), (message[0], 7, "MSH-7")
    )
    draft.put("occurred_at", signed, signed_from)
    draft.put("performed_at", field_time(obr, 7, "OBR-7", profile), "OBR-7")
    return draft


def _modality(section: str, exam: str) -> tuple[str, str, str]:
    code = section.upper()
    if code in _SECTION_MODALITY:
        return "modality", _SECTION_MODALITY[code], "OBR-24 (HL7 table 0074)"
    if code not in {"", "RAD", "IMG"} and _MODALITY_FORM.match(section):
        return "modality", section, "OBR-24"
    for pattern, modality in _EXAM_MODALITY:
        if pattern.search(exam):
            return "modality", modality, "OBR-4 (exam name; OBR-24 names no modality)"
    raise RefusalError(Refused.UNKNOWN_MODALITY, "neither OBR-24 nor OBR-4 names a modality")


def _observation_text(message: Message, observations: list[Segment]) -> list[str]:
    lines: list[str] = []
    for obx in observations:
        if get(obx, 2).upper() not in _TEXT_TYPES:
            continue
        count = repetitions(obx, 5)
        if count == 0:
            lines.append("")  # an empty TX line is a blank line of the report
            continue
        for rep in range(count):
            # str() rejoins components, so an unescaped "^" in report text is kept as sent.
            raw = str(obx[5][rep]) if count > 1 else str(obx[5])
            text = message.unescape(raw)
            lines.append(text.replace("\r\n", "\n").replace("\r", "\n"))
    return lines


def _consult_result(message: Message, obr: Segment, service: str, profile: SiteProfile) -> Draft:
    draft = patient_draft(message, profile)
    status = get(obr, 25).upper()
    if status in {"F", "C"}:
        draft.put("event_type", "consult_completed", "OBR-25 (F or C)")
    elif status == "X":
        draft.put("event_type", "consult_cancelled", "OBR-25 (X)")
    else:
        raise RefusalError(
            Refused.UNSUPPORTED_STATUS, "OBR-25 of a consult result is not F, C or X"
        )
    orc = first(message, "ORC")
    consult_id, where = get(obr, 2), "OBR-2.1 (placer order number)"
    if not consult_id and orc is not None:
        consult_id, where = get(orc, 2), "ORC-2.1 (placer order number)"
    draft.put("consult_id", consult_id, where)
    draft.put("service", service, "OBR-4 (service, 'consult' removed)")
    moment, source = first_moment(
        profile, (obr, 22, "OBR-22"), (obr, 7, "OBR-7"), (message[0], 7, "MSH-7")
    )
    draft.put("occurred_at", moment, source)
    return draft


def _adt(message: Message, profile: SiteProfile, trigger: str) -> Draft:
    draft = patient_draft(message, profile)
    pid, pv1, pv2, evn = (first(message, n) for n in ("PID", "PV1", "PV2", "EVN"))
    assert pid is not None  # _common refused a message without PID
    event_type = _ADT_TRIGGERS[trigger]
    died = get(pid, 30).upper() == "Y" or (
        pv1 is not None and get(pv1, 36) in _EXPIRED_DISPOSITIONS
    )
    if trigger == "A03" and died:
        draft.put("event_type", "death", "MSH-9 ADT^A03 with PID-30 = Y or PV1-36 = 20")
    else:
        draft.put("event_type", event_type, f"MSH-9 ADT^{trigger}")
    visit_time = {"admit": (pv1, 44, "PV1-44"), "discharge": (pv1, 45, "PV1-45")}.get(
        event_type, (None, 0, "")
    )
    candidates = [(evn, 6, "EVN-6")]
    if draft.fields["event_type"] == "death":
        candidates.append((pid, 29, "PID-29"))
    candidates += [visit_time, (evn, 2, "EVN-2"), (message[0], 7, "MSH-7")]
    moment, source = first_moment(profile, *[c for c in candidates if c[0] is not None])
    draft.put("occurred_at", moment, source)
    if pv1 is not None:
        draft.put("unit", get(pv1, 3), "PV1-3.1 (point of care)")
    if born := field_time(pid, 7, "PID-7", profile):
        years = moment.year - born.year - ((moment.month, moment.day) < (born.month, born.day))
        draft.put("age", years, "PID-7 (birth date) at the event time")
    draft.put("sex", _SEX.get(get(pid, 8).upper()), "PID-8")
    if pv2 is not None:
        draft.put("chief_complaint", get(pv2, 3, comp=2) or get(pv2, 3), "PV2-3 (admit reason)")
    diagnoses = [dx for dg1 in segments(message, "DG1") if (dx := _diagnosis(dg1, profile))]
    draft.put("diagnoses", diagnoses, "DG1-3 (code^text^system), DG1-5 (onset)")
    return draft


def _diagnosis(dg1: Segment, profile: SiteProfile) -> dict[str, object] | None:
    code = get(dg1, 3)
    # HL7 2.3 senders put the coding method in DG1-2 and the code alone in DG1-3.
    system = _DX_SYSTEMS.get((get(dg1, 3, comp=3) or get(dg1, 2)).upper().replace(" ", ""))
    if not code or system is None:
        return None
    dx: dict[str, object] = {"code": code, "system": system}
    if display := get(dg1, 3, comp=2) or get(dg1, 4):
        dx["display"] = display
    if onset := field_time(dg1, 5, "DG1-5", profile):
        dx["onset"] = onset.date()
    return dx


def _ras(message: Message, profile: SiteProfile) -> list[Draft]:
    drafts = []
    orc: Segment | None = None
    group: list[Segment] | None = None
    for segment in [*message, None]:
        name = "" if segment is None else str(segment[0])
        if group is not None and name not in {"RXR", "OBX", "NTE"}:
            drafts.append(_administration(message, group, orc, profile))
            group = None
        if name == "ORC":
            orc = segment
        elif name == "RXA" and segment is not None:
            group = [segment]
        elif group is not None and segment is not None:
            group.append(segment)
    return drafts


def _administration(
    message: Message, group: list[Segment], orc: Segment | None, profile: SiteProfile
) -> Draft:
    rxa = group[0]
    draft = patient_draft(message, profile)
    draft.put("event_type", "medication_administration", "MSH-9 RAS^O17")
    order_id, where = "", ""
    if orc is not None:
        order_id, where = get(orc, 3), "ORC-3.1 (filler order number)"
        if not order_id:
            order_id, where = get(orc, 2), "ORC-2.1 (placer order number)"
    sub_id = get(rxa, 2)
    if order_id and sub_id:
        draft.put("administration_id", f"{order_id}-{sub_id}", f"{where} + '-' + RXA-2")
    else:
        draft.put("administration_id", order_id, where)
    moment, source = first_moment(profile, (rxa, 3, "RXA-3"), (message[0], 7, "MSH-7"))
    draft.put("occurred_at", moment, source)
    code, name, system = get(rxa, 5), get(rxa, 5, comp=2), get(rxa, 5, comp=3).upper()
    draft.put("medication", name or code, "RXA-5.2" if name else "RXA-5.1")
    if name and code and system:
        uri = _DRUG_SYSTEMS.get(system, system)
        draft.put("code", {"system": uri, "code": code}, "RXA-5.1 and RXA-5.3")
    amount, unit = get(rxa, 6), get(rxa, 7)
    factor = _TO_MG.get(unit.lower()) if unit else None
    if amount and factor is not None:
        # A dose that is not a number is left out; the administration still counts.
        with contextlib.suppress(ValueError):
            draft.put("dose_mg", round(float(amount) * factor, 6), f"RXA-6 in RXA-7 ({unit}) as mg")
    rxr = next((s for s in group[1:] if str(s[0]) == "RXR"), None)
    if rxr is not None:
        draft.put("route", get(rxr, 1), "RXR-1.1")
    if get(rxa, 21).upper() == "D":
        draft.put("status", "entered-in-error", "RXA-21 = D (delete)")
    else:
        status = _COMPLETION.get(get(rxa, 20).upper())
        if status is None:
            raise RefusalError(Refused.UNSUPPORTED_STATUS, "RXA-20 is not CP, PA, RE or NA")
        draft.put("status", status, "RXA-20 (completion status)")
    return draft


def _orders(message: Message, profile: SiteProfile) -> list[Draft]:
    drafts = []
    orc: Segment | None = None
    for segment in message:
        name = str(segment[0])
        if name == "ORC":
            orc = segment
        elif name == "OBR" and orc is not None:
            drafts.append(_consult_order(message, orc, segment, profile))
    return drafts


def _consult_order(message: Message, orc: Segment, obr: Segment, profile: SiteProfile) -> Draft:
    service = consult_service(get(obr, 4, comp=2) or get(obr, 4))
    if service is None:
        raise RefusalError(Refused.UNSUPPORTED_MESSAGE, "OBR-4 orders no consult service")
    draft = patient_draft(message, profile)
    control, status = get(orc, 1).upper(), get(orc, 5).upper()
    if control == "NW":
        draft.put("event_type", "consult_requested", "ORC-1 = NW")
    elif control in _CANCEL_CONTROLS:
        draft.put("event_type", "consult_cancelled", f"ORC-1 = {control}")
    elif status == "CM":
        draft.put("event_type", "consult_completed", "ORC-5 = CM")
    elif status == "CA":
        draft.put("event_type", "consult_cancelled", "ORC-5 = CA")
    else:
        raise RefusalError(
            Refused.UNSUPPORTED_STATUS, "ORC-1/ORC-5 neither request, complete nor cancel"
        )
    consult_id, where = get(orc, 2), "ORC-2.1 (placer order number)"
    if not consult_id:
        consult_id, where = get(obr, 2), "OBR-2.1 (placer order number)"
    draft.put("consult_id", consult_id, where)
    draft.put("service", service, "OBR-4 (service, 'consult' removed)")
    moment, source = first_moment(profile, (orc, 9, "ORC-9"), (message[0], 7, "MSH-7"))
    draft.put("occurred_at", moment, source)
    return draft
