"""The detector's fast paths give the same answers as the plain ones they stand in for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.detection import detect
from services.detection.context import UNMODIFIED, Assertion, SentenceScope
from services.detection.lexicon.findings import FINDINGS
from services.detection.matcher import Layer, spans
from services.detection.report import FINDINGS_LAYER, MODIFIER_LAYER
from services.detection.text import normalise, split

_TEXT = (
    "FINDINGS: No epidural tumour at T4. Epidural tumour at T9 compresses the cord (1c), "
    "with effacement of CSF; possible epidural extension at L1.\n"
    "IMPRESSION: Cord compression at T9."
)


class _PublicOnly:
    """An RE2 pattern seen through the public API only (no private ``_regexp`` handle)."""

    def __init__(self, regex: object) -> None:
        self._regex = regex

    def finditer(self, data: bytes, pos: int, endpos: int) -> Iterator[Any]:
        return self._regex.finditer(data, pos, endpos)  # type: ignore[attr-defined]


def test_layer_find_matches_the_public_api_scan() -> None:
    data = normalise(_TEXT)
    ranges = [(0, 40), (41, len(data))]
    fast = FINDINGS_LAYER.find(data, ranges)
    plain = Layer(FINDINGS)
    plain._scan = _PublicOnly(plain._scan)  # type: ignore[assignment]
    assert plain.find(data, ranges) == fast
    assert [(s, e) for s, e, _ in fast] == [
        pair for start, stop in ranges for pair in spans(FINDINGS_LAYER._scan, data, start, stop)
    ]
    assert any(rule.role == "epidural" for _, _, rule in fast)


def test_unreached_findings_share_one_unmodified_assertion() -> None:
    data = normalise("Epidural tumour at T9. " + "word " * 60 + "no change.")
    mods = MODIFIER_LAYER.find(data)
    scope = SentenceScope(data, mods)
    assert scope.assess(0, 15) is UNMODIFIED  # the "no" is far beyond the reach
    negated = SentenceScope(data, MODIFIER_LAYER.find(normalise("No epidural tumour.")))
    result = negated.assess(3, 18)
    assert result is not UNMODIFIED
    assert result.negated
    assert result.triggers
    assert Assertion() == UNMODIFIED  # nothing wrote to the shared instance


def test_negated_and_positive_reports_leave_the_shared_assertion_untouched() -> None:
    assert detect("No epidural disease. No cord compression.").excludes_mescc
    assert detect(_TEXT).suspected_mescc
    assert Assertion() == UNMODIFIED


def test_bracketed_aside_keeps_levels_in_one_clause_only_when_short() -> None:
    data = normalise("Epidural tumour at T5 (1b) and T6; cord normal.")
    scope = SentenceScope(data, MODIFIER_LAYER.find(data))
    t5, t6 = data.index(b"t5"), data.index(b"t6")
    assert scope.same_level_clause(t5, t6)
    assert not scope.same_clause(t5, t6)  # the brackets still end a negation's scope


def test_sentence_cuts_skip_abbreviations_and_list_numbers() -> None:
    text = "FINDINGS: Seen by Dr. Smith at T4. 2. Cord normal! Query?  Done."
    data = normalise(text)
    pieces = [text[s.start : s.end] for s in split(data)]
    assert pieces == ["Seen by Dr. Smith at T4.", "2. Cord normal!", "Query?", "Done."]
    assert all(s.section == "findings" for s in split(data))
