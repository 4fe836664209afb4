"""HL7 v2 referrals (REF/RRI), procedures (BAR PR1) and bedside assessments (ORU OBX) to events.

Pure, like hl7_map (which dispatches here); the field choices are in README.md. These are the
site's choices where HL7 leaves room: the referred-to service is RF1-3 (referral type, a
user-defined table), a consult is completed when the RRI returns results (an OBR group), a
procedure is one PR1 identified by PR1-19, and the bedside findings other than ECOG and
Karnofsky (which have LOINC codes) are OBX codes of the local coding system 99CWA.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hl7.containers import Message, Segment

from services.gateway.codes import (
    HL7_ASSESSMENT_SYSTEM,
    HL7_LOINC,
    LOINC_ASSESSMENTS,
    PROCEDURES,
    RADIOTHERAPY,
    SITE_ASSESSMENTS,
)
from services.gateway.consults import consult_service
from services.gateway.draft import Draft
from services.gateway.hl7_common import field_time, first_moment, patient_draft
from services.gateway.hl7_read import first, get, segments
from services.gateway.profile import SiteProfile
from services.gateway.result import RefusalError, Refused

# RF1-1 referral status (HL7 table 0283): A accepted, P pending, R rejected, E expired.
_ENDED_REFERRAL = frozenset({"R", "E"})
_OPEN_REFERRAL = frozenset({"A", "P", ""})
# OBX-3 (code, coding system) -> the contract's assessment field.
_ASSESSMENT_CODES = {(code, HL7_LOINC): name for code, name in LOINC_ASSESSMENTS.items()} | {
    (code.upper(), HL7_ASSESSMENT_SYSTEM): name for code, name in SITE_ASSESSMENTS.items()
}
_NUMBERS = frozenset({"ecog", "karnofsky", "motor_strength"})
_FLAGS = frozenset({"ambulatory", "sphincter_dysfunction"})
# HL7 table 0136 yes/no indicator.
_YES_NO = {"Y": True, "N": False}
# OBX-11 (HL7 table 0085) of observations that are not results: cannot obtain, deleted, wrong.
_NOT_RESULTS = frozenset({"X", "D", "W"})
# PR1-20 procedure action code (HL7 table 0206): D = delete.
_DELETE = "D"


def referral(message: Message, profile: SiteProfile, kind: str, trigger: str) -> Draft:
    """REF^I12-I14 (the referrer) or RRI^I12-I15 (the consulting service's answer)."""
    rf1 = first(message, "RF1")
    if rf1 is None:
        raise RefusalError(Refused.MISSING_FIELD, "message has no RF1 segment")
    said, where = _referred_service(message, rf1)
    service = consult_service(said)
    if service is None:
        raise RefusalError(
            Refused.UNSUPPORTED_MESSAGE, "RF1-3, RF1-10 and PRD (RT) name no consult service"
        )
    draft = patient_draft(message, profile)
    draft.put("service", service, where)
    consult_id, id_from = get(rf1, 6), "RF1-6.1 (originating referral identifier)"
    if not consult_id:
        consult_id, id_from = get(rf1, 11), "RF1-11.1 (external referral identifier)"
    draft.put("consult_id", consult_id, id_from)
    status = get(rf1, 1).upper()
    msh = message[0]
    results = first(message, "OBR")
    if (kind == "REF" and trigger == "I14") or status in _ENDED_REFERRAL:
        why = f"MSH-9 {kind}^I14" if trigger == "I14" and kind == "REF" else f"RF1-1 = {status}"
        draft.put("event_type", "consult_cancelled", why)
        candidates = [(rf1, 9, "RF1-9"), (msh, 7, "MSH-7")]
    elif kind == "RRI" and status == "A" and results is not None:
        draft.put("event_type", "consult_completed", "RRI with RF1-1 = A and results (OBR)")
        candidates = [(results, 22, "OBR-22"), (results, 7, "OBR-7"), (rf1, 9, "RF1-9"),
                      (msh, 7, "MSH-7")]  # fmt: skip
    elif status in _OPEN_REFERRAL:
        draft.put("event_type", "consult_requested", f"MSH-9 {kind}, RF1-1 = {status or 'empty'}")
        candidates = [(rf1, 7, "RF1-7"), (rf1, 9, "RF1-9"), (msh, 7, "MSH-7")]
    else:
        raise RefusalError(Refused.UNSUPPORTED_STATUS, "RF1-1 is not A, P, R or E")
    moment, source = first_moment(profile, *candidates)
    draft.put("occurred_at", moment, source)
    return draft


def _referred_service(message: Message, rf1: Segment) -> tuple[str, str]:
    if text := get(rf1, 3, comp=2) or get(rf1, 3):
        return text, "RF1-3 (referral type)"
    if text := get(rf1, 10, comp=2) or get(rf1, 10):
        return text, "RF1-10 (referral reason)"
    for prd in segments(message, "PRD"):
        if get(prd, 1).upper() == "RT":  # HL7 table 0286: referred-to provider
            return get(prd, 2), "PRD-2 of the referred-to provider (PRD-1 = RT)"
    return "", ""


def procedures(message: Message, profile: SiteProfile) -> list[Draft]:
    """One procedure event per PR1 of a BAR^P01/P12."""
    return [_procedure(message, pr1, profile) for pr1 in segments(message, "PR1")]


def _procedure(message: Message, pr1: Segment, profile: SiteProfile) -> Draft:
    draft = patient_draft(message, profile)
    draft.put("event_type", "procedure", "PR1")
    named = get(pr1, 3, comp=2)
    words = named or get(pr1, 4) or get(pr1, 3)
    name = next((name for pattern, name in PROCEDURES if pattern.search(words)), None)
    if name is None and RADIOTHERAPY.search(words):
        name = "radiotherapy_started"  # PR1-5 is when the procedure began
    if name is None:
        raise RefusalError(Refused.UNKNOWN_CODE, "PR1-3 is not a treatment we track")
    draft.put("procedure", name, "PR1-3.2 (words)" if named else "PR1-4, else PR1-3.1 (words)")
    draft.put("procedure_id", get(pr1, 19), "PR1-19.1 (procedure identifier)")
    if not get(pr1, 19):
        raise RefusalError(Refused.MISSING_FIELD, "PR1-19 (procedure identifier) is empty")
    if named:
        draft.put("regimen", get(pr1, 4), "PR1-4 (description, beside a named PR1-3)")
    if get(pr1, 20).upper() == _DELETE:
        draft.put("status", "entered-in-error", "PR1-20 = D (delete)")
    else:
        draft.put("status", "completed", "PR1 (a procedure performed)")
    moment, source = first_moment(profile, (pr1, 5, "PR1-5"), (message[0], 7, "MSH-7"))
    draft.put("occurred_at", moment, source)
    return draft


def is_assessment(group: list[Segment]) -> bool:
    """Whether an ORU order group's OBX-3 codes are bedside assessment codes."""
    return any(_code(obx) in _ASSESSMENT_CODES for obx in group if str(obx[0]) == "OBX")


def _code(obx: Segment) -> tuple[str, str]:
    return get(obx, 3).upper(), get(obx, 3, comp=3).upper()


def assessment(message: Message, group: list[Segment], profile: SiteProfile) -> Draft:
    """One assessment event from an ORU order group of assessment OBX."""
    obr = group[0]
    draft = patient_draft(message, profile)
    draft.put("event_type", "assessment", "MSH-9 ORU^R01 with assessment OBX codes")
    timed: Segment | None = None
    for index, obx in enumerate(s for s in group if str(s[0]) == "OBX"):
        name = _ASSESSMENT_CODES.get(_code(obx))
        if name is None or get(obx, 11).upper() in _NOT_RESULTS:
            continue
        timed = timed or obx
        draft.put(name, _value(obx, name, profile), f"OBX-5 of OBX {index + 1} ({get(obx, 3)})")
    if timed is None:
        raise RefusalError(Refused.UNSUPPORTED_STATUS, "every assessment OBX-11 is X, D or W")
    moment, source = first_moment(
        profile, (timed, 14, "OBX-14"), (obr, 7, "OBR-7"), (message[0], 7, "MSH-7")
    )
    draft.put("occurred_at", moment, source)
    return draft


def _value(obx: Segment, name: str, profile: SiteProfile) -> Any:
    value = get(obx, 5)
    if name == "motor_deficit_onset":
        return field_time(obx, 5, "OBX-5", profile)
    if name in _NUMBERS:
        # Not a number: kept as sent, so the contract refuses it naming the field.
        with contextlib.suppress(ValueError):
            number = float(value)
            return int(number) if number.is_integer() else number
        return value
    if name in _FLAGS:
        return _YES_NO.get(value.upper(), value)
    return value
