"""Evidence: the sentence, the exact words (offsets into the original text) and the rule."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from models.detection import Evidence
from services.detection.report import Mention
from services.detection.text import Sentence

_MAX_PER_FIELD = 8  # enough to explain a field; bounded so a pathological report stays small
_Model = TypeVar("_Model", bound=BaseModel)
_set = object.__setattr__


def built(cls: type[_Model], fields: dict[str, Any]) -> _Model:
    """``cls.model_construct(**fields)`` for a model with no aliases, extras or post-init when
    ``fields`` names every field: the same instance, without pydantic's generic loop (the
    detector's values are of the fields' types by construction)."""
    made = object.__new__(cls)
    _set(made, "__dict__", fields)
    _set(made, "__pydantic_fields_set__", set(fields))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


class EvidenceLog:
    """Collects evidence items in the order the detector decides fields."""

    __slots__ = ("_count", "_sentences", "_text", "items")

    def __init__(self, text: str, data: bytes, sentences: list[Sentence]) -> None:
        self._text = text
        self._sentences = sentences
        self._count: dict[str, int] = {}
        self.items: list[Evidence] = []

    def of(self, field: str) -> list[Evidence]:
        """Evidence already logged for one field."""
        return [e for e in self.items if e.field == field]

    def add(self, field: str, m: Mention) -> None:
        """Log a mention as evidence for a field, naming the rule and the modifiers that fired."""
        label = f"{m.rule.role}.{m.rule.name}"
        if m.assertion.triggers:
            fired = ", ".join(f"{r.role}:{r.name}" for _, _, r in m.assertion.triggers)
            label += f" [{fired}]"
        if m.cause is not None:
            label += f" cause={m.cause}"
        if m.grade is not None and field in ("escc_grade", "suspected_mescc"):
            label += f" grade={m.grade}"
        self.add_span(field, m.sentence, m.start, m.end, label)

    def add_span(self, field: str, sentence: int, start: int, end: int, label: str) -> None:
        """Log the words at [start, end) of a sentence as evidence for a field."""
        count = self._count.get(field, 0)
        if count >= _MAX_PER_FIELD:
            return
        self._count[field] = count + 1
        s = self._sentences[sentence]
        self.items.append(  # all of the right types (offsets are never negative): no validation
            built(
                Evidence,
                {
                    "field": field,
                    "rule": label,
                    "sentence": self._text[s.start : s.end],
                    "start": start,
                    "end": end,
                    "section": s.section,
                },
            )
        )
