"""An exact prefilter: one RE2 scan that tells whether the engine can say anything at all.

Most reports a hospital sends are not spine imaging. Every non-default field of a Detection comes
from a hit of one of the rule groups below (DESIGN.md section 4; detector.py):
- ``suspected_mescc``, ``escc_grade``, ``levels`` and ``review_needed`` from findings of the
  target roles (epidural, mass, mscc, escc, grade);
- grade 0, ``sins_imaging`` (read only when there is bone disease) from those or a metastasis;
- ``excludes_mescc`` from denied epidural, metastasis or compression findings;
- ``cord_signal`` and ``retropulsion`` from their SINS-table rules.
The scan holds exactly those rules' own (bounded) patterns and searches the whole text, a superset
of the readable sections the engine scans, so a report with no hit would get the default
Detection from the engine as well (tests/unit/detection/test_prefilter.py shows it on every
corpus and on simulator output). Modifiers, causes, severity and CSF words only qualify a hit.
"""

from __future__ import annotations

import re2

from services.detection.lexicon.findings import FINDINGS
from services.detection.lexicon.sins import SINS
from services.detection.matcher import bounded

NEEDED_FINDINGS_ROLES = frozenset({"epidural", "mass", "mscc", "escc", "grade", "metastasis"})
NEEDED_SINS_ROLES = frozenset({"cord_signal", "retropulsion"})


def _build() -> re2._Regexp:
    # One alternation, not an ``re2.Set``: a set reports every pattern that matches, so it reads
    # a spine report to its end; a search stops at the first hit. No hit anywhere is the same
    # answer either way (a report with none is read to its end by both).
    patterns = [bounded(rule.pattern) for rule in FINDINGS if rule.role in NEEDED_FINDINGS_ROLES]
    patterns += [bounded(rule.pattern) for rule in SINS if rule.role in NEEDED_SINS_ROLES]
    options = re2.Options()
    options.max_mem = 24 << 20  # as the engine's layers (matcher.py): room for the lazy DFA
    return re2.compile("|".join(patterns).encode("ascii"), options)


_NEEDED = _build()
_SEARCH = _NEEDED._regexp.Match  # RE2::Match itself: the wrapper's search builds a Match object
_UNANCHORED = re2._Anchor.UNANCHORED


def may_detect(data: bytes) -> bool:
    """False only when no rule that can change a Detection matches anywhere in the report."""
    begin: int = _SEARCH(_UNANCHORED, data, 0, len(data))[0][0]
    return begin >= 0
