"""The simulator's events, encoded as HL7 v2 and as FHIR R4, come back identical."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from models.events import inbound_event_adapter
from services.gateway.encode_fhir import encode_fhir
from services.gateway.encode_hl7 import encode_hl7
from services.gateway.fhir_map import map_fhir
from services.gateway.hl7_map import map_hl7
from services.gateway.profile import SiteProfile
from services.simulation.feed import FeedConfig, generate
from tests.unit.gateway.conftest import events

SITE = SiteProfile()
FEED = FeedConfig(seed=15, start=datetime(2026, 3, 28, 22, 0, tzinfo=UTC), patients=40)


def _canonical(event: dict[str, object]) -> dict[str, object]:
    return inbound_event_adapter.validate_python(event).model_dump(mode="json", exclude_none=True)


def test_every_simulated_event_survives_hl7_and_fhir() -> None:
    seen: Counter[tuple[str, str]] = Counter()
    for message in generate(FEED):
        if message.event is None:
            continue
        want = _canonical(message.event)
        kind = str(message.event["event_type"])
        if (raw := encode_hl7(message.event)) is not None:
            assert events(map_hl7(raw, profile=SITE)) == [want]
            seen["hl7", kind] += 1
        raw = encode_fhir(message.event)
        assert raw is not None, kind
        assert events(map_fhir(raw, profile=SITE)) == [want]
        seen["fhir", kind] += 1
    hl7_kinds = {kind for channel, kind in seen if channel == "hl7"}
    fhir_kinds = {kind for channel, kind in seen if channel == "fhir"}
    # Both carry every kind: procedures as BAR^P12, assessments as ORU^R01 OBX in HL7.
    assert {"admit", "transfer", "discharge", "imaging_report", "medication_administration",
            "consult_requested", "consult_completed", "procedure",
            "assessment"} <= hl7_kinds  # fmt: skip
    assert hl7_kinds == fhir_kinds


def test_a_resent_message_maps_to_the_same_event_id() -> None:
    message = next(m for m in generate(FEED) if m.event and m.event["event_type"] == "admit")
    assert message.event is not None
    raw = encode_hl7(message.event)
    assert raw is not None
    first, again = (events(map_hl7(raw, profile=SITE)) for _ in range(2))
    assert first == again
    assert first[0]["event_id"] == message.event["event_id"]
