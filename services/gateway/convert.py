"""Whatever an interface sends, as canonical events or refusals: the core of `cordwatch convert`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from services.gateway.fhir_map import map_fhir
from services.gateway.hl7_map import map_hl7
from services.gateway.hl7_read import MLLP_START, split_stream
from services.gateway.profile import SiteProfile
from services.gateway.result import Mapped, Refusal

Format = Literal["auto", "hl7", "fhir"]


@dataclass(frozen=True, slots=True)
class Converted:
    """One result of a message (HL7) or document (FHIR), numbered from 1 in input order."""

    message: int
    result: Mapped | Refusal

    def as_dict(self, *, explain: bool) -> dict[str, Any]:
        """The JSON line: the event itself; with --explain, the event and its sources."""
        if isinstance(self.result, Refusal):
            return {"message": self.message, **self.result.as_dict()}
        event = self.result.event.model_dump(mode="json", exclude_none=True)
        if not explain:
            return event
        return {"message": self.message, "event": event, "from": self.result.provenance}


def detect_format(data: bytes) -> Literal["hl7", "fhir"]:
    """FHIR JSON starts with "{"; anything else is read as HL7 v2."""
    return "fhir" if data.lstrip().startswith(b"{") else "hl7"


def convert(data: bytes, *, profile: SiteProfile, form: Format = "auto") -> Iterator[Converted]:
    """Every message of an HL7 v2 stream, or every JSON document (one, or one per line)."""
    chosen = detect_format(data) if form == "auto" else form
    if chosen == "hl7":
        messages = split_stream(data)
        if not messages and data.strip() and MLLP_START not in data:
            messages = [data]  # not HL7 at all: let the mapper say so
        for number, raw in enumerate(messages, start=1):
            outcome = map_hl7(raw, profile=profile)
            for result in [outcome] if isinstance(outcome, Refusal) else outcome:
                yield Converted(number, result)
        return
    for number, document in enumerate(_documents(data), start=1):
        for item in map_fhir(document, profile=profile):
            yield Converted(number, item)


def _documents(data: bytes) -> list[bytes]:
    """One JSON document, or NDJSON (one resource or Bundle per line)."""
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        lines = [line for line in data.splitlines() if line.strip()]
        if len(lines) > 1:
            return lines
    return [data]
