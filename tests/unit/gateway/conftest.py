"""Helpers for the gateway mapper tests."""

from __future__ import annotations

from typing import Any

from services.gateway.result import Mapped, Outcome, Refusal


def events(outcome: Outcome | list[Mapped | Refusal]) -> list[dict[str, Any]]:
    """The mapped events as JSON dicts; fails the test on a refusal."""
    assert not isinstance(outcome, Refusal), outcome
    out = []
    for item in outcome:
        assert isinstance(item, Mapped), item
        out.append(item.event.model_dump(mode="json", exclude_none=True))
    return out


def hl7(*segments: str) -> bytes:
    """Segments joined with CR, as MLLP senders send them."""
    return "\r".join(segments).encode("utf-8")


def seg(name: str, fields: dict[int, str]) -> str:
    """A segment with each value at its field number (MSH excepted)."""
    values = [""] * (max(fields) + 1)
    for number, value in fields.items():
        values[number] = value
    return name + "|" + "|".join(values[1:])
