"""The states the pathway agent wrote most recently, kept decoded beside the table value they are.

Decoding a patient's stored JSON is a large share of a cheap event's cost (an ADT message or a
dose of a patient with an open episode: 0.1-0.4 ms for 2-5 KB), and a patient's events come in
runs. A cached state is used only while the table still holds the very value object it was
written as: a changelog recovery or any other write puts a new object there, and the cache keeps
a reference to its value, so that object's identity cannot be reused for another one while it
is cached. States are frozen, so handing the same object to the reducer again is what the
replay driver does with every state. Bounded, because a decoded state is about seven times its
JSON (13 KB against 1.8 KB for a new episode): every stored patient would not fit in memory.
"""

from __future__ import annotations

from models.state import PatientState

# Enough for the patients of a busy hour; at most ~30-60 MB of decoded states.
DEFAULT_CAPACITY = 2048


class DecodedStates:
    """Patient key -> (the table value written, its decoded state), oldest written first out."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._states: dict[bytes, tuple[bytes, PatientState]] = {}

    def get(self, key: bytes, stored: bytes) -> PatientState | None:
        """The decoded state of `stored` if it is the value this cache kept for `key`."""
        kept = self._states.get(key)
        if kept is not None and kept[0] is stored:
            return kept[1]
        return None

    def put(self, key: bytes, stored: bytes, state: PatientState) -> None:
        """Remember `state` as the decoding of `stored`, the value just written for `key`."""
        self._states.pop(key, None)  # re-inserted last: the dict's order is the write order
        self._states[key] = (stored, state)
        if len(self._states) > self._capacity:
            del self._states[next(iter(self._states))]

    def __len__(self) -> int:
        return len(self._states)
