"""A site's interface choices, passed into the pure mappers (built from Settings by the shell)."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# FHIR identifier system of the simulated demo hospital's MRNs; a real site sets its own.
DEMO_MRN_SYSTEM = "urn:oid:2.16.840.1.113883.3.9999.1"
# The demo hospital's HL7 assigning authority for MRNs (PID-3.4).
DEMO_ASSIGNING_AUTHORITY = "CWDEMO"


@dataclass(frozen=True, slots=True)
class SiteProfile:
    """How this site identifies patients and tells time.

    ``assigning_authority``: the PID-3 repetition whose CX.4 (namespace id) equals it is the
    patient identifier; None takes the first repetition typed MR (CX.5), else the first.
    ``patient_system``: the FHIR identifier system whose value is the patient identifier;
    a resource whose patient carries no identifier of that system is refused.
    ``timezone``: local times (HL7 TS without offset, FHIR dates) are read in it.
    """

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    assigning_authority: str | None = DEMO_ASSIGNING_AUTHORITY
    patient_system: str = DEMO_MRN_SYSTEM
    facility: str | None = None  # site code used when a message names no facility

    @classmethod
    def from_settings(
        cls, *, timezone: str, assigning_authority: str, patient_system: str, facility: str
    ) -> SiteProfile:
        """The profile from the CORDWATCH_* gateway settings (empty strings mean unset)."""
        return cls(
            timezone=ZoneInfo(timezone),
            assigning_authority=assigning_authority or None,
            patient_system=patient_system,
            facility=facility or None,
        )
