"""Deterministic ids: the fast uuid5 must give exactly what uuid.uuid5 gives, for ever."""

from __future__ import annotations

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
    # Changing an id re-sends every alert after a replay: these values must never move.
    assert ids.episode_id("MRN-7", 1) == str(
        uuid.uuid5(ids.CORDWATCH_NAMESPACE, "episode\x1fMRN-7\x1f1")
    )
    assert ids.alert_id("MRN-7", "ep", None, "mescc_suspected") == str(
        uuid.uuid5(ids.CORDWATCH_NAMESPACE, "alert\x1fMRN-7\x1fep\x1f-\x1fmescc_suspected")
    )
