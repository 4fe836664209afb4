"""An exact prefilter: one RE2 set scan that tells whether the engine can say anything at all.

Most reports a hospital sends are not spine imaging. Every non-default field of a Detection comes
from a hit of one of the rule groups below (DESIGN.md section 4; detector.py):
- ``suspected_mescc``, ``escc_grade``, ``levels`` and ``review_needed`` from findings of the
  target roles (epidural, mass, mscc, escc, grade);
- grade 0, ``sins_imaging`` (read only when there is bone disease) from those or a metastasis;
- ``excludes_mescc`` from denied epidural, metastasis or compression findings;
- ``cord_signal`` and ``retropulsion`` from their SINS-table rules.
The set holds exactly those rules' own (bounded) patterns and scans the whole text, a superset
of the readable sections the engine scans, so a report with no set hit would get the default
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


def _build() -> re2.Set:
    options = re2.Options()
    options.max_mem = 24 << 20  # as the engine's layers (matcher.py): room for the lazy DFA
    found = re2.Set.SearchSet(options)
    for rule in FINDINGS:
        if rule.role in NEEDED_FINDINGS_ROLES:
            found.Add(bounded(rule.pattern).encode("ascii"))
    for rule in SINS:
        if rule.role in NEEDED_SINS_ROLES:
            found.Add(bounded(rule.pattern).encode("ascii"))
    found.Compile()
    return found


_NEEDED = _build()


def may_detect(data: bytes) -> bool:
    """False only when no rule that can change a Detection matches anywhere in the report."""
    return bool(_NEEDED.Match(data))
