"""Deliberately broken messages: what misconfigured interface engines really send.

Each defect breaks one rule of DESIGN.md section 2, so the ingest agent must send the message to
cordwatch.dead-letters. The broken copy precedes the good message it was made from, as when an
interface engine errors and then resends.
"""

from __future__ import annotations

import json
import random
from typing import Any

DEFECTS: tuple[str, ...] = (
    "not_json",
    "missing_field",
    "bad_timestamp",
    "wrong_key",
    "wrong_type",
    "unknown_event_type",
    "empty",
)
_BAD_TIMESTAMPS: tuple[str, ...] = (
    "2026-03-01 08:15",  # no seconds, no offset
    "01/03/2026 08:15:00",  # a local date format
    "2026-03-01T08:15:00",  # no offset: ambiguous across a daylight-saving change
    "yesterday",
)
_REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "imaging_report": ("accession", "status", "text", "modality"),
    "medication_administration": ("administration_id", "medication", "status"),
    "consult_requested": ("consult_id", "service"),
    "consult_completed": ("consult_id", "service"),
    "consult_cancelled": ("consult_id", "service"),
    "procedure": ("procedure_id", "procedure", "status"),
}


def corrupt(
    rng: random.Random, value: bytes, *, key: str, other_keys: list[str]
) -> tuple[str, str, bytes]:
    """A broken copy of a valid message: (defect name, message key, message bytes)."""
    event: dict[str, Any] = json.loads(value)
    defect = rng.choice(DEFECTS)
    if defect == "wrong_key" and not any(other != key for other in other_keys):
        defect = "missing_field"
    if defect == "not_json":
        cut = rng.randint(1, max(1, len(value) // 2))
        return defect, key, value[:cut]
    if defect == "empty":
        return defect, key, b""
    if defect == "wrong_key":
        return defect, rng.choice([other for other in other_keys if other != key]), value
    if defect == "missing_field":
        required: tuple[str, ...] = ("event_id", "occurred_at", "patient_id")
        required += _REQUIRED_BY_TYPE.get(str(event.get("event_type")), ())
        event.pop(rng.choice(required))
    elif defect == "bad_timestamp":
        event["occurred_at"] = rng.choice(_BAD_TIMESTAMPS)
    elif defect == "wrong_type":
        if "dose_mg" in event:
            event["dose_mg"] = f"{event['dose_mg']:g} mg"
        else:
            event["patient_id"] = int("".join(c for c in event["patient_id"] if c.isdigit()) or 0)
    elif defect == "unknown_event_type":
        event["event_type"] = rng.choice(("admission", "ImagingReport", "med_admin", "note"))
    return defect, key, json.dumps(event, separators=(",", ":")).encode("utf-8")
