"""Deterministic ids: uuid5 of their inputs, so a replay or a restarted worker reproduces them.

Delivery dedupes alerts on ``alert_id`` and the sink upserts on entity ids; both only work if the
same input sequence always yields the same ids (DESIGN.md section 3, last rule).
"""

from __future__ import annotations

import hashlib
import uuid
from functools import lru_cache

# Fixed namespace for every Cordwatch id; changing it would re-send every alert after a replay.
CORDWATCH_NAMESPACE = uuid.UUID("5f1d3c1e-6a39-4c59-9a43-2f3b0c8e7d21")
_NAMESPACE_BYTES = CORDWATCH_NAMESPACE.bytes


def _id(*parts: object) -> str:
    # "\x1f" (unit separator) cannot appear in the ids we join, so ("a|b","c") != ("a","b|c").
    return uuid5_text("\x1f".join(str(p) for p in parts))


@lru_cache(maxsize=8192)  # a report's reduction derives the same episode and timer ids often
def uuid5_text(name: str) -> str:
    """``str(uuid.uuid5(CORDWATCH_NAMESPACE, name))`` without building UUID objects (RFC 4122
    section 4.3: SHA-1 of namespace + name, version 5, RFC variant); a pathway event derives
    about a dozen ids and uuid.UUID's constructor was most of their cost."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def episode_id(patient_id: str, ordinal: int) -> str:
    """The patient's n-th episode (1-based); stable whatever order its reports arrived in."""
    return _id("episode", patient_id, ordinal)


def review_id(patient_id: str, accession: str) -> str:
    """The coordinator's review request for one study (stands in for an episode id)."""
    return _id("review", patient_id, accession)


def timer_id(episode: str, timer: str) -> str:
    """One timer of each kind per episode."""
    return _id("timer", episode, timer)


def alert_id(
    patient_id: str, episode: str, timer: str | None, kind: str, *qualifiers: object
) -> str:
    """Alert id from (patient, episode, timer, kind[, warning fraction, breach cycle, tier])."""
    return _id("alert", patient_id, episode, timer or "-", kind, *qualifiers)


def detection_id(episode: str, event_id: str) -> str:
    """One detection per report event and episode."""
    return _id("detection", episode, event_id)


def score_id(episode: str) -> str:
    """The episode's latest scores: one row, versioned."""
    return _id("score", episode)


def change_id(episode: str, change_type: str, entity: str, version: int) -> str:
    """A change is identified by the entity and the version it produced."""
    return _id("change", episode, change_type, entity, version)


def timer_due_event_id(episode: str, timer: str, version: int, due_at: str) -> str:
    """The TimerDue event id: the same deadline scanned twice is the same event."""
    return _id("timer_due", episode, timer, version, due_at)
