"""What a gateway mapper returns: canonical events with their provenance, or a named refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from models.events import EventBase


class Refused(StrEnum):
    """Closed set of reasons a message or resource is refused; the value is a metric label."""

    EMPTY = "empty"
    OVERSIZED = "oversized"
    NOT_HL7 = "not_hl7"
    UNSUPPORTED_CHARSET = "unsupported_charset"
    UNSUPPORTED_MESSAGE = "unsupported_message"
    NOT_JSON = "not_json"
    NOT_FHIR = "not_fhir"
    INVALID_RESOURCE = "invalid_resource"
    UNSUPPORTED_RESOURCE = "unsupported_resource"
    NO_PATIENT_IDENTIFIER = "no_patient_identifier"
    MISSING_FIELD = "missing_field"
    BAD_TIMESTAMP = "bad_timestamp"
    UNSUPPORTED_STATUS = "unsupported_status"
    UNKNOWN_MODALITY = "unknown_modality"
    UNKNOWN_CODE = "unknown_code"
    INVALID_EVENT = "invalid_event"


# Where each canonical field's value came from: "PID-3.1", "DiagnosticReport.issued", ...
Provenance = dict[str, str]


@dataclass(frozen=True, slots=True)
class Mapped:
    """One canonical event and, per field, the source field it was read from."""

    event: EventBase
    provenance: Provenance = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one message or resource gives no event. ``detail`` names fields, never values (PHI)."""

    reason: Refused
    detail: str
    where: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape `cordwatch convert` prints."""
        out: dict[str, Any] = {"refused": self.reason.value, "detail": self.detail}
        if self.where:
            out["where"] = self.where
        return out


class RefusalError(Exception):
    """Raised inside a mapper and turned into a Refusal at its boundary."""

    def __init__(self, reason: Refused, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


Outcome = list[Mapped] | Refusal
