"""A canonical event under construction: each value with the source field it came from."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from models.events import inbound_event_adapter
from services.gateway.result import Mapped, Provenance, RefusalError, Refused

_MAX_ERRORS = 3


class Draft:
    """Collects fields and their provenance, then validates them against the event contract."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.provenance: Provenance = {}

    def put(self, name: str, value: Any, source: str) -> None:
        """Set a field unless the value is absent (None or empty)."""
        if value is None or value == "" or value == []:
            return
        self.fields[name] = value
        self.provenance[name] = source

    def build(self) -> Mapped:
        """The validated event; a contract violation is refused naming fields, not values."""
        try:
            event = inbound_event_adapter.validate_python(self.fields)
        except ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False, include_context=False)
            parts = []
            for error in errors[:_MAX_ERRORS]:
                name = ".".join(str(p) for p in error["loc"][1:]) or "event"
                parts.append(f"{name} (from {self._source(name)}): {error['msg']}")
            missing = errors[0]["type"] == "missing"
            reason = Refused.MISSING_FIELD if missing else Refused.INVALID_EVENT
            raise RefusalError(reason, "; ".join(parts)) from None
        return Mapped(event=event, provenance=dict(self.provenance))

    def _source(self, name: str) -> str:
        return self.provenance.get(name.split(".")[0], "not sent")
