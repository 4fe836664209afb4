"""The event models keep DESIGN.md section 2's rules on timestamps and extra fields."""

import json

import pytest
from pydantic import ValidationError

from models.events import AdtEvent, inbound_event_adapter

ADMIT = {
    "event_id": "e1",
    "event_type": "admit",
    "occurred_at": "2026-03-01T08:00:00+01:00",
    "patient_id": "MRN1",
}


def _parse(payload: dict) -> object:
    return inbound_event_adapter.validate_json(json.dumps(payload), strict=True)


def test_offset_timestamp_is_accepted_and_kept_aware() -> None:
    event = _parse(ADMIT)
    assert isinstance(event, AdtEvent)
    assert event.occurred_at.utcoffset() is not None
    assert event.occurred_at.isoformat() == "2026-03-01T08:00:00+01:00"


@pytest.mark.parametrize("stamp", ["2026-03-01T08:00:00", "2026-03-01", 1700000000, "yesterday"])
def test_timestamp_without_offset_is_rejected(stamp: object) -> None:
    with pytest.raises(ValidationError):
        _parse({**ADMIT, "occurred_at": stamp})


def test_extra_fields_are_kept_and_ignored() -> None:
    event = _parse({**ADMIT, "ward_colour": "blue"})
    assert event.model_extra == {"ward_colour": "blue"}
