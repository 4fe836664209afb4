"""What every HL7 v2 mapper reads: the patient and visit, clinical times, order groups."""

from __future__ import annotations

from datetime import datetime

from hl7.containers import Message, Segment

from services.gateway.draft import Draft
from services.gateway.hl7_read import first, get, repetitions
from services.gateway.profile import SiteProfile
from services.gateway.result import RefusalError, Refused
from services.gateway.times import hl7_time


def patient_draft(message: Message, profile: SiteProfile) -> Draft:
    """A draft with patient_id (PID-3), encounter_id and facility (PV1) filled in."""
    draft = Draft()
    pid = first(message, "PID")
    if pid is None:
        raise RefusalError(Refused.NO_PATIENT_IDENTIFIER, "message has no PID segment")
    rep = _patient_repetition(pid, profile)
    draft.put("patient_id", get(pid, 3, rep=rep), f"PID-3.1 (repetition {rep})")
    pv1 = first(message, "PV1")
    if pv1 is not None:
        draft.put("encounter_id", get(pv1, 19), "PV1-19.1")
        draft.put("facility", get(pv1, 3, comp=4), "PV1-3.4 (assigned location facility)")
    if "facility" not in draft.fields:
        draft.put("facility", profile.facility, "site profile (CORDWATCH_GATEWAY_FACILITY)")
    return draft


def _patient_repetition(pid: Segment, profile: SiteProfile) -> int:
    """Which PID-3 repetition is the MRN: the site's assigning authority, else type MR."""
    count = repetitions(pid, 3)
    candidates = [r for r in range(1, count + 1) if get(pid, 3, rep=r)]
    if profile.assigning_authority is not None:
        wanted = profile.assigning_authority.upper()
        for rep in candidates:
            if get(pid, 3, rep=rep, comp=4).upper() == wanted:
                return rep
        raise RefusalError(
            Refused.NO_PATIENT_IDENTIFIER,
            "PID-3 has no identifier of the site's assigning authority (CX.4)",
        )
    for rep in candidates:
        if get(pid, 3, rep=rep, comp=5).upper() == "MR":
            return rep
    if candidates:
        return candidates[0]
    raise RefusalError(Refused.NO_PATIENT_IDENTIFIER, "PID-3 is empty")


def field_time(segment: Segment, field: int, name: str, profile: SiteProfile) -> datetime | None:
    """A TS field as an aware time (local times in the site zone); None when empty."""
    value = get(segment, field)
    return hl7_time(value, zone=profile.timezone, where=name) if value else None


def first_moment(
    profile: SiteProfile, *candidates: tuple[Segment | None, int, str]
) -> tuple[datetime, str]:
    """The first candidate field that holds a time, and its name; refused when none does."""
    for segment, field, name in candidates:
        if segment is not None and (at := field_time(segment, field, name, profile)) is not None:
            return at, name
    names = ", ".join(name for _, _, name in candidates)
    raise RefusalError(Refused.MISSING_FIELD, f"no clinical time in {names}")


def order_groups(message: Message, head: str, members: frozenset[str]) -> list[list[Segment]]:
    """Order groups: each ``head`` segment with the ``members`` that follow it."""
    groups: list[list[Segment]] = []
    for segment in message:
        name = str(segment[0])
        if name == head:
            groups.append([segment])
        elif groups and name in members:
            groups[-1].append(segment)
    return groups
