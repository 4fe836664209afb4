"""Deterministic ids: the fast uuid5 must give exactly what uuid.uuid5 gives, for ever."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from hypothesis import given
from hypothesis import strategies as st

from services import ids


@given(st.text())
def test_fast_uuid5_equals_the_standard_library(name: str) -> None:
    expected = str(uuid.uuid5(ids.CORDWATCH_NAMESPACE, name))
    assert ids.uuid5_text.__wrapped__(name) == expected
    assert ids.uuid5_text(name) == expected  # and through the cache


def test_ids_are_pinned() -> None:
    # Changing an id re-sends every alert after a replay: these values must never move within a
    # contract version (version 2: keyed episode ids, alert ids from the episode id).
    key = b"k" * 32
    digest = bytearray(hmac.new(key, b"episode\x1fMRN-7\x1f1", hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80
    digest[8] = (digest[8] & 0x3F) | 0x80
    assert ids.episode_id("MRN-7", 1, key=key) == str(uuid.UUID(bytes=bytes(digest)))
    assert ids.alert_id("ep", None, "mescc_suspected") == str(
        uuid.uuid5(ids.CORDWATCH_NAMESPACE, "alert\x1fep\x1f-\x1fmescc_suspected")
    )


def test_ids_from_a_patient_id_cannot_be_reversed_without_the_key() -> None:
    key = b"a-deployment-secret-of-32-bytes!"
    target = ids.episode_id("123456", 1, key=key)
    # What an attacker without the key can do: enumerate 6-digit MRNs under any other key.
    guesses = {
        ids.episode_id(f"{n:06d}", 1, key=ids.DEVELOPMENT_ID_KEY) for n in range(123_000, 124_000)
    }
    assert target not in guesses
    assert target not in {
        str(uuid.uuid5(ids.CORDWATCH_NAMESPACE, f"episode\x1f{n:06d}\x1f1"))
        for n in range(123_000, 124_000)
    }
    # Deterministic across workers and restarts that share the key.
    assert ids.episode_id("123456", 1, key=key) == target
    assert ids.detection_id("123456", "r1", key=key) != ids.detection_id(
        "123456", "r1", key=b"x" * 32
    )
    assert ids.review_id("123456", "A1", key=key) != ids.review_id("123457", "A1", key=key)
