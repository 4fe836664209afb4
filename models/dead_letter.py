"""The dead-letter record of DESIGN.md section 2: why a message was refused, and its exact bytes.

Nothing is lost: ``original`` holds the message value byte for byte (base64) so an integration
engineer can fix the sender or replay the message once the cause is known.
"""

from __future__ import annotations

import base64
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class RejectReason(StrEnum):
    """Closed set of refusal causes; the value is the `reason` metric label (low cardinality)."""

    EMPTY = "empty"
    OVERSIZED = "oversized"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    DUPLICATE_FIELD = "duplicate_field"
    UNKNOWN_TOPIC = "unknown_topic"
    MISSING_EVENT_TYPE = "missing_event_type"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    WRONG_TOPIC = "wrong_topic"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    BAD_TIMESTAMP = "bad_timestamp"
    TOO_LONG = "too_long"
    INVALID_VALUE = "invalid_value"
    KEY_MISMATCH = "key_mismatch"
    PROCESSING_ERROR = "processing_error"


class DeadLetter(BaseModel):
    """A refused message: readable reason, where it came from, and the original bytes."""

    model_config = ConfigDict(frozen=True)

    reason_code: RejectReason
    reason: str = Field(description="Readable cause; never contains field values (PHI).")
    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = Field(default=None, description="Message key, base64")
    received_at: AwareDatetime
    original: str = Field(description="Message value, base64 of the exact bytes received")

    @classmethod
    def build(
        cls,
        *,
        reason_code: RejectReason,
        reason: str,
        topic: str,
        raw: bytes,
        key: bytes | None,
        received_at: datetime,
        partition: int | None = None,
        offset: int | None = None,
    ) -> DeadLetter:
        """Wrap a refused message, encoding its key and value as base64."""
        return cls(
            reason_code=reason_code,
            reason=reason,
            topic=topic,
            partition=partition,
            offset=offset,
            key=None if key is None else base64.b64encode(key).decode("ascii"),
            received_at=received_at,
            original=base64.b64encode(raw).decode("ascii"),
        )

    def original_bytes(self) -> bytes:
        """The message value exactly as it was received."""
        return base64.b64decode(self.original)

    def to_bytes(self) -> bytes:
        """JSON encoding for the cordwatch.dead-letters topic."""
        return self.model_dump_json().encode("utf-8")
