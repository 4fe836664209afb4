"""Deterministic ids, so a replay or a restarted worker reproduces them; keyed where a patient
id goes in, so no id can be reversed to the patient (DESIGN.md section 3, last rule).

Delivery dedupes alerts on ``alert_id`` and the sink upserts on entity ids; both only work if the
same input sequence always yields the same ids. Ids derived from the patient id (episode,
detection, review request) are HMAC-SHA256 under the deployment's ``CORDWATCH_ID_KEY``: an
unkeyed hash of a 6-digit MRN falls to enumeration in a fraction of a second. Ids derived from
those (timers, alerts, scores, changes) are uuid5 of their keyed inputs.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from functools import lru_cache

# Contract version 2 (issue 11): keyed ids. Version 1 ids were uuid5 of the patient id.
ID_SCHEME_VERSION = 2
# Development and tests only: a published constant, so ids made with it are reversible. The
# settings refuse production without CORDWATCH_ID_KEY, as they do for the pseudonym key.
DEVELOPMENT_ID_KEY = b"cordwatch-development-id-key-not-secret"

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


@lru_cache(maxsize=8192)
def _keyed(key: bytes, name: str) -> str:
    # UUID-shaped (version 8, RFC 9562 "custom") so the id columns and their checks still fit.
    digest = bytearray(hmac.new(key, name.encode("utf-8"), hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122/9562 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _keyed_id(key: bytes, *parts: object) -> str:
    return _keyed(key, "\x1f".join(str(p) for p in parts))


def episode_id(patient_id: str, ordinal: int, *, key: bytes) -> str:
    """The patient's n-th episode (1-based), keyed; stable whatever order its reports arrived in."""
    return _keyed_id(key, "episode", patient_id, ordinal)


def review_id(patient_id: str, accession: str, *, key: bytes) -> str:
    """The coordinator's review request for one study (stands in for an episode id), keyed."""
    return _keyed_id(key, "review", patient_id, accession)


def timer_id(episode: str, timer: str) -> str:
    """One timer of each kind per episode."""
    return _id("timer", episode, timer)


def alert_id(episode: str, timer: str | None, kind: str, *qualifiers: object) -> str:
    """Alert id from (keyed episode id, timer, kind[, warning fraction, breach cycle, tier])."""
    return _id("alert", episode, timer or "-", kind, *qualifiers)


def detection_id(patient_id: str, event_id: str, *, key: bytes) -> str:
    """One detection per report event of a patient, keyed."""
    return _keyed_id(key, "detection", patient_id, event_id)


def score_id(episode: str) -> str:
    """The episode's latest scores: one row, versioned."""
    return _id("score", episode)


def change_id(episode: str, change_type: str, entity: str, version: int) -> str:
    """A change is identified by the entity and the version it produced."""
    return _id("change", episode, change_type, entity, version)


def timer_due_event_id(episode: str, timer: str, version: int, due_at: str) -> str:
    """The TimerDue event id: the same deadline scanned twice is the same event."""
    return _id("timer_due", episode, timer, version, due_at)


def verdict_id(review_id: str) -> str:
    """The one verdict a review item may have: its feedback row's id (a second one collides)."""
    return _id("verdict", review_id)


def verdict_event_id(review_id: str, verdict: str) -> str:
    """The event that carries a verdict onto cordwatch.reviews (a resend has the same id)."""
    return _id("verdict-event", review_id, verdict)


def feedback_id(alert_id: str, author: str, at: str) -> str:
    """One person's feedback on an alert at one instant (a retried request dedupes)."""
    return _id("feedback", alert_id, author, at)
