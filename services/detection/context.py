"""A lean ConText engine: which modifiers of a sentence reach which finding.

Follows Harkema et al., J Biomed Inform 2009;42:839-851: a trigger reaches forward (``pre``) or
backward (``post``) from where it stands until a scope terminator or the end of the sentence;
pseudo-triggers are consumed by the matcher (leftmost-longest) so they never fire. Two changes
for radiology: a trigger inside the finding's own words ("the cord is not compressed") reaches
it, and the reach is capped at a few words (NegEx, Chapman 2001, used five) so a "no" at the
start of a long list does not negate the whole sentence.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from services.detection.matcher import Rule

PRE_WINDOW_WORDS = 8  # NegEx used 5; radiology lists ("no A, B, C or D") need a little more
POST_WINDOW_WORDS = 6  # "the epidural tumour seen previously at T5 has resolved"
_REACH_CHARS = 140  # a bound on the search, so repeated triggers cannot make it quadratic

Hit = tuple[int, int, Rule]
# History triggers that no "now" or "persistent" overrides: they name the prior state itself.
# A finding the report calls resolved is past even when the sentence goes on "CSF now surrounds
# the cord": that "now" is about what replaced it.
FIRM_HISTORY = frozenset({"changed_from_prior", "has_resolved", "resolution"})
_EMPTY: list[Any] = []


@dataclass(slots=True)
class Assertion:
    """What the modifiers say about one finding."""

    negated: bool = False
    hedged: bool = False
    historical: bool = False
    hypothetical: bool = False
    unassessable: bool = False
    partial: bool = False
    global_: bool = False
    triggers: tuple[Hit, ...] = ()

    @property
    def current(self) -> bool:
        """Asserted (or suspected) now: not negated, past, hypothetical or unassessable."""
        return not (self.negated or self.historical or self.hypothetical or self.unassessable)


class SentenceScope:
    """The modifiers of one sentence, indexed for scope look-ups."""

    __slots__ = ("_data", "_level_term_starts", "_mod_starts", "_mods", "_term_starts")

    def __init__(self, data: bytes, mods: list[Hit]) -> None:
        self._data = data
        if not mods:
            self._mods = self._mod_starts = self._term_starts = _EMPTY
            self._level_term_starts = _EMPTY
            return
        kept: list[Hit] = []
        terms: list[Hit] = []
        for m in mods:  # one pass: this runs for every sentence with something to modify
            role = m[2].role
            if role == "term":
                terms.append(m)
            elif role != "pseudo":
                kept.append(m)
        self._mods = kept
        self._mod_starts = [m[0] for m in kept]
        self._term_starts = term_starts = [m[0] for m in terms]
        self._level_term_starts = term_starts
        if any(data[m[0] : m[1]] == b"(" for m in terms):
            # A short aside such as "(1b)" or "(ESCC 2)" does not end a list of levels.
            brackets = {
                m[0]
                for i, m in enumerate(terms)
                if data[m[0] : m[1]] == b"("
                and i + 1 < len(terms)
                and data[terms[i + 1][0] : terms[i + 1][1]] == b")"
                and terms[i + 1][0] - m[0] <= 16
            }
            closing = {terms[i + 1][0] for i, m in enumerate(terms) if m[0] in brackets}
            self._level_term_starts = [
                t for t in term_starts if t not in brackets and t not in closing
            ]

    def same_clause(self, a: int, b: int) -> bool:
        """No scope terminator starts between positions a and b."""
        if a > b:
            a, b = b, a
        terms = self._term_starts
        return bisect_left(terms, b) == bisect_left(terms, a)

    def same_level_clause(self, a: int, b: int) -> bool:
        """Like ``same_clause``, but a short bracketed aside ("(1b)") does not separate."""
        if a > b:
            a, b = b, a
        terms = self._level_term_starts
        return bisect_left(terms, b) == bisect_left(terms, a)

    def negation_inside(self, start: int, end: int) -> int:
        """Where the first negation trigger strictly inside [start, end) begins, or -1."""
        mods: list[Hit] = self._mods
        for m_start, m_end, rule in mods:
            if start < m_start and m_end <= end and rule.role in ("neg", "negpartial"):
                return m_start
        return -1

    def assess(
        self, start: int, end: int, *, negatable: bool = True, stated_grade: bool = False
    ) -> Assertion:
        """Apply every modifier whose scope reaches the finding at [start, end)."""
        mods = self._mods
        if not mods:
            return UNMODIFIED
        first = bisect_left(self._mod_starts, start - _REACH_CHARS)
        last = bisect_left(self._mod_starts, end + _REACH_CHARS)
        if first == last:
            return UNMODIFIED
        data = self._data
        fired: list[Hit] = []
        for hit in mods[first:last]:
            m_start, m_end, rule = hit
            direction = rule.value
            if m_start >= start and m_end <= end:
                pass  # inside the finding's own words
            elif m_end <= start and direction in ("pre", "both"):
                if not (
                    data.count(b" ", m_end, start) <= PRE_WINDOW_WORDS
                    and self.same_clause(m_end, start)
                ):
                    continue
            elif m_start >= end and direction in ("post", "both"):
                if not (
                    data.count(b" ", end, m_start) <= POST_WINDOW_WORDS
                    and self.same_clause(end, m_start)
                ):
                    continue
            else:
                continue
            if not negatable and rule.role in ("neg", "negpartial"):
                continue
            fired.append(hit)
        if not fired:
            return UNMODIFIED
        result = Assertion(triggers=tuple(fired))
        current = firm = False
        for _, _, rule in fired:
            role = rule.role
            if role == "neg":
                result.negated = True
            elif role == "negpartial":
                result.negated = True
                result.partial = True
            elif role == "hedge":
                result.hedged = True
            elif role == "hist":
                result.historical = True
                firm = firm or rule.name in FIRM_HISTORY
            elif role == "current":
                current = True
            elif role == "hypo":
                result.hypothetical = True
            elif role == "unassessable":
                result.unassessable = True
            elif role == "partial":
                result.partial = True
            elif role == "global":
                result.global_ = True
        # "ESCC 3 on prior, now ESCC 1c": a stated grade is dated by its own words, not by a
        # "now" that belongs to the next grade.
        if current and not stated_grade and not firm:
            result.historical = False
        return result


# The assertion of a finding that no modifier reaches: shared, so never mutated.
UNMODIFIED = Assertion()
