"""Validate raw Kafka messages against the event contract (DESIGN.md section 2). Pure: no I/O.

``parse`` turns one message into either an accepted canonical event, ready to forward keyed by
patient, or a dead letter with a readable reason and the original bytes. It never raises on bad
input: the ingest agent relies on that to keep consuming whatever a sending system gets wrong.
Reasons name fields and rules but never echo field values, because values are PHI.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from models.dead_letter import DeadLetter, RejectReason
from models.events import INBOUND_TOPIC_EVENT_TYPES, EventBase, inbound_event_adapter
from services.policy import ClinicalTime

# The packaged policy's range (services/policy.yaml, clinical_time) when the caller passes none.
_DEFAULT_RANGE = ClinicalTime(source="services/policy.yaml clinical_time")

# Above any broker's default message.max.bytes (1 MiB), so the broker's limit bites first in a
# normal deployment; this guards the validator's memory against a misconfigured broker.
MAX_MESSAGE_BYTES = 2 * 1024 * 1024

_TIMESTAMP_FIELDS = frozenset({"occurred_at", "performed_at", "motor_deficit_onset", "onset"})
_MAX_ERRORS_IN_REASON = 5


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid event and the bytes to forward to cordwatch.patient-events."""

    event: EventBase
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    """A refused message, wrapped for cordwatch.dead-letters."""

    dead_letter: DeadLetter

    @property
    def reason_code(self) -> RejectReason:
        """The low-cardinality cause, used as the metric label."""
        return self.dead_letter.reason_code


class _RefusalError(Exception):
    def __init__(self, code: RejectReason, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def parse(
    *,
    topic: str,
    key: bytes | None,
    raw: bytes,
    received_at: datetime,
    partition: int | None = None,
    offset: int | None = None,
    clinical_time: ClinicalTime = _DEFAULT_RANGE,
) -> Accepted | Rejected:
    """Validate one inbound message; never raises on bad input."""
    try:
        accepted = _accept(topic=topic, key=key, raw=raw)
        _check_time_range(accepted.event, received_at=received_at, bounds=clinical_time)
        return accepted
    except _RefusalError as refusal:
        return Rejected(
            DeadLetter.build(
                reason_code=refusal.code,
                reason=f"{refusal.code.value}: {refusal.reason}",
                topic=topic,
                raw=raw,
                key=key,
                received_at=received_at,
                partition=partition,
                offset=offset,
            )
        )


def _accept(*, topic: str, key: bytes | None, raw: bytes) -> Accepted:
    allowed_types = INBOUND_TOPIC_EVENT_TYPES.get(topic)
    if allowed_types is None:
        raise _RefusalError(
            RejectReason.UNKNOWN_TOPIC, "topic is not an inbound topic of the contract"
        )
    if len(raw) > MAX_MESSAGE_BYTES:
        raise _RefusalError(
            RejectReason.OVERSIZED,
            f"message is {len(raw)} bytes, over the {MAX_MESSAGE_BYTES}-byte limit",
        )
    if not raw or not raw.strip():
        raise _RefusalError(RejectReason.EMPTY, "message value is empty")
    text = _decode_utf8(raw)
    document = _load_json_object(text)
    _check_event_type(document, allowed_types, topic)
    try:
        event: EventBase = inbound_event_adapter.validate_json(text, strict=True)
    except ValidationError as exc:
        code, reason = _describe(exc.errors(include_input=False, include_url=False))
        raise _RefusalError(code, reason) from None
    if key is not None and key != event.patient_id.encode("utf-8"):
        raise _RefusalError(RejectReason.KEY_MISMATCH, "message key differs from patient_id")
    try:
        value = event.model_dump_json().encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        # Lone surrogates ("\ud800") are legal JSON escapes but cannot be re-encoded as UTF-8.
        raise _RefusalError(
            RejectReason.INVALID_VALUE, "a string holds an unpaired surrogate"
        ) from None
    return Accepted(event=event, key=event.patient_id.encode("utf-8"), value=value)


def _check_time_range(event: EventBase, *, received_at: datetime, bounds: ClinicalTime) -> None:
    """Refuse a clinical time before the earliest sane date or far ahead of arrival (policy)."""
    latest = received_at + timedelta(days=bounds.refuse_ahead_days)
    stamps = [
        (name, value)
        for name in ("occurred_at", "performed_at", "motor_deficit_onset")
        if isinstance(value := getattr(event, name, None), datetime)
    ]
    for name, value in stamps:
        try:
            inside = bounds.earliest <= value <= latest
        except OverflowError:  # 9999-12-31T23:59-05:00 is past datetime.max in UTC
            inside = False
        if not inside:
            raise _RefusalError(
                RejectReason.BAD_TIMESTAMP,
                f"{name}: outside the accepted range (from {bounds.earliest.date()} to "
                f"{bounds.refuse_ahead_days:g} days after arrival)",
            )
    for index, dx in enumerate(getattr(event, "diagnoses", None) or ()):
        if dx.onset is not None and not bounds.earliest.date() <= dx.onset <= latest.date():
            raise _RefusalError(
                RejectReason.BAD_TIMESTAMP,
                f"diagnoses.{index}.onset: outside the accepted range",
            )


def _decode_utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _RefusalError(
            RejectReason.NOT_UTF8, f"message is not valid UTF-8 (byte {exc.start})"
        ) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicate_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, value in pairs:
        if name in document:
            # Two patient_id fields would let one parser see one patient and another a second.
            raise _RefusalError(
                RejectReason.DUPLICATE_FIELD, f"field {name!r} appears more than once"
            )
        document[name] = value
    return document


def _load_json_object(text: str) -> dict[str, Any]:
    try:
        document = json.loads(
            text, object_pairs_hook=_no_duplicate_fields, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise _RefusalError(
            RejectReason.NOT_JSON, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise _RefusalError(RejectReason.NOT_JSON, f"not JSON: {detail}") from None
    if not isinstance(document, dict):
        raise _RefusalError(RejectReason.NOT_OBJECT, "message is JSON but not an object")
    return document


def _check_event_type(document: dict[str, Any], allowed: frozenset[str], topic: str) -> None:
    event_type = document.get("event_type")
    if event_type is None:
        raise _RefusalError(RejectReason.MISSING_EVENT_TYPE, "field 'event_type' is missing")
    if not isinstance(event_type, str):
        raise _RefusalError(RejectReason.WRONG_TYPE, "field 'event_type' must be a string")
    if event_type in allowed:
        return
    if any(event_type in types for types in INBOUND_TOPIC_EVENT_TYPES.values()):
        raise _RefusalError(
            RejectReason.WRONG_TOPIC,
            f"event_type is not carried by {topic}; expected one of {sorted(allowed)}",
        )
    raise _RefusalError(
        RejectReason.UNKNOWN_EVENT_TYPE,
        f"event_type is not in the contract; {topic} carries {sorted(allowed)}",
    )


def _classify(error: ErrorDetails) -> RejectReason:
    kind = error["type"]
    field = next((part for part in reversed(error["loc"]) if isinstance(part, str)), "")
    if kind == "missing":
        return RejectReason.MISSING_FIELD
    if kind == "json_invalid":
        return RejectReason.NOT_JSON
    if field in _TIMESTAMP_FIELDS or kind.startswith(("datetime", "date", "timezone")):
        return RejectReason.BAD_TIMESTAMP
    if kind.endswith("_type") or kind in {"int_from_float", "model_attributes_type"}:
        return RejectReason.WRONG_TYPE
    if kind.endswith("too_long"):
        return RejectReason.TOO_LONG
    return RejectReason.INVALID_VALUE


def _where(error: ErrorDetails) -> str:
    # The first loc element is the union tag (the event type); the rest is the field path.
    path = [str(part) for part in error["loc"][1:]] or [str(part) for part in error["loc"]]
    return ".".join(path) or "message"


def _describe(errors: Iterable[ErrorDetails]) -> tuple[RejectReason, str]:
    listed = list(errors)
    code = _classify(listed[0])
    parts = [f"{_where(error)}: {error['msg']}" for error in listed[:_MAX_ERRORS_IN_REASON]]
    if len(listed) > _MAX_ERRORS_IN_REASON:
        parts.append(f"and {len(listed) - _MAX_ERRORS_IN_REASON} more")
    return code, "; ".join(parts)
