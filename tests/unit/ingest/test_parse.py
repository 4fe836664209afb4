"""services.ingest.parse: every contract rule refuses with a readable reason and keeps the bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.dead_letter import DeadLetter, RejectReason
from models.events import (
    AdtEvent,
    AssessmentEvent,
    ConsultEvent,
    ImagingReport,
    MedicationAdministration,
    ProcedureEvent,
    ReviewConfirmed,
    ReviewDismissed,
    patient_event_adapter,
)
from services.ingest import MAX_MESSAGE_BYTES, Accepted, Rejected, parse

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PATIENT = "MRN-0042"
COMMON = {
    "event_id": "evt-1",
    "occurred_at": "2026-03-01T08:00:00+00:00",
    "patient_id": PATIENT,
    "facility": "NORTH",
}

VALID: dict[str, dict[str, Any]] = {
    "hospital.adt": {
        **COMMON,
        "event_type": "admit",
        "age": 67,
        "diagnoses": [{"code": "C61", "system": "ICD-10", "onset": "2023-05-01"}],
    },
    "hospital.imaging-reports": {
        **COMMON,
        "event_type": "imaging_report",
        "accession": "ACC1",
        "status": "final",
        "modality": "MR",
        "exam": "MRI WHOLE SPINE",
        "text": "Epidural tumour compresses the cord at T9.",
    },
    "hospital.medication-administrations": {
        **COMMON,
        "event_type": "medication_administration",
        "administration_id": "MA1",
        "medication": "dexamethasone",
        "dose_mg": 16,
        "status": "completed",
    },
    "hospital.consults": {
        **COMMON,
        "event_type": "consult_completed",
        "consult_id": "C1",
        "service": "spine surgery",
    },
    "hospital.procedures": {
        **COMMON,
        "event_type": "procedure",
        "procedure_id": "P1",
        "procedure": "radiotherapy_started",
        "regimen": "8 Gy x 1",
        "status": "completed",
    },
    "hospital.assessments": {
        **COMMON,
        "event_type": "assessment",
        "motor_strength": 3,
        "ambulatory": True,
        "pain": "mechanical",
        "ecog": 2,
    },
    "cordwatch.reviews": {
        **COMMON,
        "event_type": "review_confirmed",
        "review_id": "0f6b1c2e-review",
        "accession": "ACC1",
        "confirmed_by": "coordinator-1",
    },
}
EXPECTED_TYPES = {
    "hospital.adt": AdtEvent,
    "hospital.imaging-reports": ImagingReport,
    "hospital.medication-administrations": MedicationAdministration,
    "hospital.consults": ConsultEvent,
    "hospital.procedures": ProcedureEvent,
    "hospital.assessments": AssessmentEvent,
    "cordwatch.reviews": ReviewConfirmed,
}


def _bytes(payload: Any) -> bytes:
    return json.dumps(payload).encode("utf-8")


def _run(topic: str, raw: bytes, key: bytes | None = PATIENT.encode()) -> Accepted | Rejected:
    return parse(topic=topic, key=key, raw=raw, received_at=NOW, partition=3, offset=17)


@pytest.mark.parametrize("topic", sorted(VALID))
def test_valid_event_is_accepted_keyed_by_patient(topic: str) -> None:
    result = _run(topic, _bytes(VALID[topic]))
    assert isinstance(result, Accepted)
    assert isinstance(result.event, EXPECTED_TYPES[topic])
    assert result.key == PATIENT.encode()
    # The forwarded bytes are themselves a valid internal event for the same patient.
    forwarded = patient_event_adapter.validate_json(result.value)
    assert forwarded == result.event


def test_a_dismissal_needs_a_known_reason_and_its_own_topic() -> None:
    dismissal = {
        **COMMON,
        "event_type": "review_dismissed",
        "review_id": "0f6b1c2e-review",
        "accession": "ACC1",
        "dismissed_by": "coordinator-1",
        "reason": "not_mescc",
        "note": "Deposit clear of the canal on the images.",
    }
    accepted = _run("cordwatch.reviews", _bytes(dismissal))
    assert isinstance(accepted, Accepted)
    assert isinstance(accepted.event, ReviewDismissed)
    refused = _run("cordwatch.reviews", _bytes({**dismissal, "reason": "looked fine"}))
    assert isinstance(refused, Rejected)
    assert "reason" in refused.dead_letter.reason
    elsewhere = _run("hospital.adt", _bytes(dismissal))
    assert isinstance(elsewhere, Rejected)


def test_missing_key_is_accepted_and_rekeyed_by_patient_id() -> None:
    result = _run("hospital.consults", _bytes(VALID["hospital.consults"]), key=None)
    assert isinstance(result, Accepted)
    assert result.key == PATIENT.encode()


def _with(topic: str, **changes: Any) -> bytes:
    payload = {**VALID[topic], **changes}
    return _bytes({k: v for k, v in payload.items() if v is not _DROP})


_DROP = object()
ADT = "hospital.adt"
IMG = "hospital.imaging-reports"
MED = "hospital.medication-administrations"
CON = "hospital.consults"
PRO = "hospital.procedures"
ASM = "hospital.assessments"

# (case id, topic, raw bytes, key, expected reason, words the readable reason must contain)
BAD_INPUTS: list[tuple[str, str, bytes, bytes | None, RejectReason, str]] = [
    ("empty", ADT, b"", None, RejectReason.EMPTY, "empty"),
    ("whitespace only", ADT, b"  \n ", None, RejectReason.EMPTY, "empty"),
    ("not utf-8", ADT, b'{"event_id": "\xff\xfe"}', None, RejectReason.NOT_UTF8, "UTF-8"),
    (
        "latin-1 bytes",
        IMG,
        '{"text": "caf\u00e9"}'.encode("latin-1"),
        None,
        RejectReason.NOT_UTF8,
        "UTF-8",
    ),
    (
        "truncated json",
        ADT,
        b'{"event_id": "e1", "event_type": "adm',
        None,
        RejectReason.NOT_JSON,
        "not JSON",
    ),
    ("plain text", ADT, b"ADT^A01 patient admitted", None, RejectReason.NOT_JSON, "not JSON"),
    (
        "NaN constant",
        ASM,
        b'{"event_type": "assessment", "ecog": NaN}',
        None,
        RejectReason.NOT_JSON,
        "NaN",
    ),
    ("deeply nested", ADT, b"[" * 100_000 + b"]" * 100_000, None, RejectReason.NOT_JSON, "nested"),
    ("json array", ADT, b"[1, 2, 3]", None, RejectReason.NOT_OBJECT, "not an object"),
    ("json string", ADT, b'"admit"', None, RejectReason.NOT_OBJECT, "not an object"),
    (
        "duplicate patient_id",
        ADT,
        b'{"patient_id": "A", "patient_id": "B", "event_type": "admit"}',
        None,
        RejectReason.DUPLICATE_FIELD,
        "more than once",
    ),
    (
        "unknown topic",
        "hospital.lab-results",
        _bytes(VALID[ADT]),
        None,
        RejectReason.UNKNOWN_TOPIC,
        "not an inbound topic",
    ),
    (
        "no event_type",
        ADT,
        _with(ADT, event_type=_DROP),
        None,
        RejectReason.MISSING_EVENT_TYPE,
        "event_type",
    ),
    (
        "event_type number",
        ADT,
        _with(ADT, event_type=7),
        None,
        RejectReason.WRONG_TYPE,
        "event_type",
    ),
    (
        "unknown event_type",
        ADT,
        _with(ADT, event_type="lab_result"),
        None,
        RejectReason.UNKNOWN_EVENT_TYPE,
        "not in the contract",
    ),
    (
        "report on adt topic",
        ADT,
        _bytes(VALID[IMG]),
        None,
        RejectReason.WRONG_TOPIC,
        "not carried by hospital.adt",
    ),
    (
        "missing event_id",
        MED,
        _with(MED, event_id=_DROP),
        None,
        RejectReason.MISSING_FIELD,
        "event_id",
    ),
    (
        "missing patient_id",
        CON,
        _with(CON, patient_id=_DROP),
        None,
        RejectReason.MISSING_FIELD,
        "patient_id",
    ),
    ("missing report text", IMG, _with(IMG, text=_DROP), None, RejectReason.MISSING_FIELD, "text"),
    ("empty event_id", MED, _with(MED, event_id=""), None, RejectReason.INVALID_VALUE, "event_id"),
    (
        "event_id too long",
        MED,
        _with(MED, event_id="e" * 129),
        None,
        RejectReason.TOO_LONG,
        "event_id",
    ),
    (
        "patient_id too long",
        ADT,
        _with(ADT, patient_id="P" * 65),
        None,
        RejectReason.TOO_LONG,
        "patient_id",
    ),
    (
        "facility too long",
        ADT,
        _with(ADT, facility="F" * 33),
        None,
        RejectReason.TOO_LONG,
        "facility",
    ),
    (
        "report text over cap",
        IMG,
        _with(IMG, text="x" * 200_001),
        None,
        RejectReason.TOO_LONG,
        "text",
    ),
    (
        "timestamp without offset",
        ADT,
        _with(ADT, occurred_at="2026-03-01T08:00:00"),
        None,
        RejectReason.BAD_TIMESTAMP,
        "offset",
    ),
    (
        "timestamp as epoch",
        ADT,
        _with(ADT, occurred_at=1772352000),
        None,
        RejectReason.BAD_TIMESTAMP,
        "occurred_at",
    ),
    (
        "timestamp date only",
        MED,
        _with(MED, occurred_at="2026-03-01"),
        None,
        RejectReason.BAD_TIMESTAMP,
        "occurred_at",
    ),
    (
        "timestamp impossible date",
        MED,
        _with(MED, occurred_at="2026-02-30T08:00:00Z"),
        None,
        RejectReason.BAD_TIMESTAMP,
        "occurred_at",
    ),
    ("age as string", ADT, _with(ADT, age="67"), None, RejectReason.WRONG_TYPE, "age"),
    ("age negative", ADT, _with(ADT, age=-1), None, RejectReason.INVALID_VALUE, "age"),
    ("dose as string", MED, _with(MED, dose_mg="16 mg"), None, RejectReason.WRONG_TYPE, "dose_mg"),
    (
        "report status unknown",
        IMG,
        _with(IMG, status="signed"),
        None,
        RejectReason.INVALID_VALUE,
        "status",
    ),
    (
        "medication status unknown",
        MED,
        _with(MED, status="given"),
        None,
        RejectReason.INVALID_VALUE,
        "status",
    ),
    (
        "procedure unknown",
        PRO,
        _with(PRO, procedure="chemotherapy"),
        None,
        RejectReason.INVALID_VALUE,
        "procedure",
    ),
    (
        "diagnosis system unknown",
        ADT,
        _with(ADT, diagnoses=[{"code": "C61", "system": "ICD-9"}]),
        None,
        RejectReason.INVALID_VALUE,
        "diagnoses.0.system",
    ),
    (
        "diagnoses not a list",
        ADT,
        _with(ADT, diagnoses="C61"),
        None,
        RejectReason.WRONG_TYPE,
        "diagnoses",
    ),
    (
        "motor strength out of range",
        ASM,
        _with(ASM, motor_strength=6),
        None,
        RejectReason.INVALID_VALUE,
        "motor_strength",
    ),
    (
        "ambulatory as string",
        ASM,
        _with(ASM, ambulatory="yes"),
        None,
        RejectReason.WRONG_TYPE,
        "ambulatory",
    ),
    ("pain unknown", ASM, _with(ASM, pain="severe"), None, RejectReason.INVALID_VALUE, "pain"),
    (
        "modality with digits",
        IMG,
        _with(IMG, modality="M3"),
        None,
        RejectReason.INVALID_VALUE,
        "modality",
    ),
    (
        "key disagrees with patient_id",
        CON,
        _bytes(VALID[CON]),
        b"MRN-9999",
        RejectReason.KEY_MISMATCH,
        "key",
    ),
    (
        "oversized message",
        IMG,
        b" " * (MAX_MESSAGE_BYTES + 1),
        None,
        RejectReason.OVERSIZED,
        "limit",
    ),
]


@pytest.mark.parametrize(
    ("topic", "raw", "key", "reason", "words"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_refused_with_its_reason(
    topic: str, raw: bytes, key: bytes | None, reason: RejectReason, words: str
) -> None:
    result = _run(topic, raw, key=key)
    assert isinstance(result, Rejected)
    letter = result.dead_letter
    assert letter.reason_code is reason
    assert words in letter.reason
    assert letter.reason.startswith(reason.value)
    assert letter.original_bytes() == raw
    assert (letter.topic, letter.partition, letter.offset) == (topic, 3, 17)
    # The dead letter round-trips through its own JSON encoding.
    assert DeadLetter.model_validate_json(letter.to_bytes()) == letter


def test_table_covers_at_least_25_distinct_inputs_and_most_reasons() -> None:
    assert len(BAD_INPUTS) >= 25
    covered = {case[4] for case in BAD_INPUTS}
    assert covered >= set(RejectReason) - {RejectReason.PROCESSING_ERROR}


@pytest.mark.parametrize("topic", sorted(VALID))
def test_reason_never_echoes_field_values(topic: str) -> None:
    secret = "Smith^Jane-MRN-777"
    payload = {**VALID[topic], "patient_id": secret, "occurred_at": secret, "event_id": secret}
    result = _run(topic, _bytes(payload), key=None)
    assert isinstance(result, Rejected)
    assert secret not in result.dead_letter.reason


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=2048), topic=st.sampled_from([*sorted(VALID), "other"]))
def test_arbitrary_bytes_never_crash(raw: bytes, topic: str) -> None:
    result = _run(topic, raw, key=None)
    assert isinstance(result, Accepted | Rejected)
    if isinstance(result, Rejected):
        assert result.dead_letter.original_bytes() == raw


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(topic=st.sampled_from(sorted(VALID)), data=st.data())
def test_mutated_valid_events_never_crash(topic: str, data: st.DataObject) -> None:
    payload = dict(VALID[topic])
    field = data.draw(st.sampled_from([*payload, "extra"]))
    payload[field] = data.draw(json_values)
    result = _run(topic, _bytes(payload), key=None)
    assert isinstance(result, Accepted | Rejected)
    if isinstance(result, Accepted):
        assert result.key == result.event.patient_id.encode()
