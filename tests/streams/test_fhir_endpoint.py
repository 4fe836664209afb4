"""POST /fhir and /fhir/{ResourceType} on the worker's own web app."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.engine import Engine

from services.gateway.encode_fhir import encode_fhir
from services.simulation.feed import FeedConfig, generate
from services.store import make_engine
from tests.streams.api_client import AUTH, api_client
from tests.streams.test_pathway_agent import FakeProducer

NOW = datetime(2026, 1, 9, tzinfo=UTC)
EVENTS = [
    m.event
    for m in generate(FeedConfig(seed=8, start=datetime(2026, 1, 5, tzinfo=UTC), patients=3))
    if m.event is not None
]
REPORT = next(e for e in EVENTS if e["event_type"] == "imaging_report")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'unused.db'}")


async def _post(
    client: TestClient,  # type: ignore[type-arg]
    path: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    response = await client.post(path, data=body, headers=headers)
    return response.status, json.loads(await response.text())


async def test_a_resource_is_on_fhir_inbound_before_its_201(engine: Engine) -> None:
    producer = FakeProducer()
    raw = encode_fhir(REPORT)
    assert raw is not None
    async with api_client(engine=engine, now=NOW, producer=producer) as client:
        status, body = await _post(client, "/fhir/DiagnosticReport", raw, AUTH)
    assert status == 201
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["diagnostics"] == "accepted: 1 event(s)"
    assert [value for topic, _, value in producer.sent if topic == "fhir.inbound"] == [raw]


async def test_problems_are_4xx_outcomes_that_store_nothing_and_echo_no_phi(engine: Engine) -> None:
    producer = FakeProducer()
    other = json.loads(encode_fhir(REPORT) or b"{}")
    other["subject"]["identifier"]["system"] = "urn:another-hospital"
    wrong = json.dumps(other).encode()
    async with api_client(engine=engine, now=NOW, producer=producer) as client:
        unauthorised, _ = await _post(client, "/fhir/DiagnosticReport", wrong)
        garbage, g_body = await _post(client, "/fhir", b"{not json", AUTH)
        not_bundle, _ = await _post(client, "/fhir", wrong, AUTH)
        refused, r_body = await _post(client, "/fhir/DiagnosticReport", wrong, AUTH)
    assert (unauthorised, garbage, not_bundle, refused) == (401, 400, 400, 422)
    assert g_body["issue"][0]["code"] == "structure"
    assert r_body["issue"][0]["diagnostics"].startswith("no_patient_identifier: ")
    assert str(REPORT["patient_id"]) not in json.dumps(r_body)
    assert producer.sent == []
