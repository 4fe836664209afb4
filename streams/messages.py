"""What agents read and write: an inbound Kafka message, an outbound one, and the dead letter.

One dead-letter builder for every agent (ingest, pathway, acks, sink), always with the size
guard: a record over CORDWATCH_KAFKA_MAX_MESSAGE_BYTES would fail its send and block the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.dead_letter import DeadLetter, RejectReason

DEAD_LETTERS = "cordwatch.dead-letters"
_HEADROOM_BYTES = 16 * 1024  # record overhead and headers beside the JSON value


@dataclass(frozen=True, slots=True)
class Inbound:
    """One Kafka message as the agent saw it."""

    topic: str
    partition: int | None
    offset: int | None
    key: bytes | None
    value: bytes


Message = tuple[str, bytes | None, bytes]
"""An outbound record: topic, key, value (the key picks the partition)."""


def parkable(letter: DeadLetter, raw: bytes, *, limit: int) -> bytes:
    """The dead letter as one record: without the original copy if that would not fit."""
    data = letter.to_bytes()
    if len(data) <= limit - _HEADROOM_BYTES:
        return data
    # A record over the limit fails the send and would crash the agent, losing the message.
    # The original stays readable on its inbound topic at the partition and offset named here.
    note = f" (original of {len(raw)} bytes not copied: over the record size limit)"
    return letter.model_copy(update={"original": "", "reason": letter.reason + note}).to_bytes()


def dead_letter(
    msg: Inbound, code: RejectReason, reason: str, *, now: datetime, limit: int
) -> Message:
    """A refused message as a dead-letter record carrying its bytes, sized to fit one record."""
    letter = DeadLetter.build(
        reason_code=code,
        reason=reason,
        topic=msg.topic,
        raw=msg.value,
        key=msg.key,
        received_at=now,
        partition=msg.partition,
        offset=msg.offset,
    )
    return (DEAD_LETTERS, msg.key, parkable(letter, msg.value, limit=limit))


def failure_letter(msg: Inbound, exc: Exception, *, now: datetime, limit: int) -> Message:
    """A message whose processing raised, parked as processing_error."""
    # Only the exception's type: its message may quote the event (PHI).
    return dead_letter(msg, RejectReason.PROCESSING_ERROR, type(exc).__name__, now=now, limit=limit)
