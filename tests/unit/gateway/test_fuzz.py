"""Mutated HL7 v2 and FHIR never raise: every input gives events or a named refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.gateway.encode_fhir import encode_fhir
from services.gateway.encode_hl7 import encode_hl7
from services.gateway.fhir_map import map_fhir
from services.gateway.hl7_map import map_hl7
from services.gateway.profile import SiteProfile
from services.gateway.result import Mapped, Refusal, Refused
from services.simulation.feed import FeedConfig, generate

SITE = SiteProfile()
_EVENTS = [
    m.event
    for m in generate(FeedConfig(seed=3, start=datetime(2026, 1, 5, tzinfo=UTC), patients=8))
    if m.event is not None
]
# Referrals are not in the encoder's output (it sends consults as ORM): written here.
_REFERRALS = [
    b"MSH|^~\\&|REFMGR|SOUTH|CW|SOUTH|20260105080000-0500||REF^I12^REF_I12|R1|P|2.5.1\r"
    b"RF1|P|U|NSG^Neurosurgery^L||I|RF-1|20260105091500-0500\rPRD|RT|NEUROSURGERY\r"
    b"PID|1||MRN7001^^^CWDEMO^MR||TESTPERSON^SAM",
    b"MSH|^~\\&|NSG|SOUTH|CW|SOUTH|20260105160000-0500||RRI^I12^RRI_I12|R2|P|2.5.1\r"
    b"MSA|AA|R1\rRF1|A|U|NSG^Neurosurgery^L||I|RF-1|||20260105150000-0500\r"
    b"PID|1||MRN7001^^^CWDEMO^MR\rOBR|1|RF-1||NSGC^Opinion||||||||||||||||||||F\r"
    b"OBX|1|TX|NSGC||Seen.||||||F",
]
HL7_SAMPLES = [raw for e in _EVENTS if (raw := encode_hl7(e)) is not None] + _REFERRALS
_TASK_UNDER_WAY = json.dumps(
    {"resourceType": "Task", "id": "t1", "status": "in-progress", "intent": "order",
     "for": {"identifier": {"system": SITE.patient_system, "value": "MRN7001"}},
     "code": {"text": "Neurosurgery consult"}, "basedOn": [{"reference": "ServiceRequest/C1"}],
     "executionPeriod": {"start": "2026-02-01T11:00:00Z"}}
).encode()  # fmt: skip
FHIR_SAMPLES = [raw for e in _EVENTS if (raw := encode_fhir(e)) is not None] + [_TASK_UNDER_WAY]
_DELIMS = st.sampled_from([b"|", b"^", b"~", b"\\", b"&", b"\r", b"\n", b"\x0b", b"\x1c", b"\xff"])


@st.composite
def mutated_bytes(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "insert":
            data[at:at] = draw(_DELIMS | st.binary(max_size=6))
        else:
            data = data[:at]
    return bytes(data)


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    return st.recursive(
        scalars | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                     max_size=3),
        max_leaves=6,
    )  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_fhir(draw: st.DrawFn) -> bytes:
    document = json.loads(draw(st.sampled_from(FHIR_SAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(_json_values())
    return json.dumps(document).encode()


def _check(result: Mapped | Refusal) -> None:
    assert isinstance(result, Mapped | Refusal)
    if isinstance(result, Refusal):
        assert isinstance(result.reason, Refused)
        assert result.detail


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_bytes(HL7_SAMPLES))
def test_mutated_hl7_gives_events_or_a_refusal(raw: bytes) -> None:
    outcome = map_hl7(raw, profile=SITE)
    for result in [outcome] if isinstance(outcome, Refusal) else outcome:
        _check(result)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_bytes(FHIR_SAMPLES) | mutated_fhir())
def test_mutated_fhir_gives_events_or_a_refusal(raw: bytes) -> None:
    for result in map_fhir(raw, profile=SITE):
        _check(result)
