"""Epidural spinal cord compression (ESCC, Bilsky / SOSG) grade: high-grade versus low-grade.

Bilsky MH et al., "Reliability analysis of the epidural spinal cord compression scale",
J Neurosurg Spine 2010;13:324-8. Grades 0 (bone only), 1a/1b/1c (epidural disease without cord
compression), 2 (cord compression, CSF visible) and 3 (cord compression, no CSF visible);
grades 2 and 3 are high-grade. Confirmed with the search tool on radiopaedia.org "Epidural
spinal cord compression scale" (grades and the 2-3 high-grade split).
"""

from __future__ import annotations

from models.detection import HIGH_GRADES
from models.scoring import EsccGrade, EsccResult, ExplainRow

SOURCE = "Bilsky et al., J Neurosurg Spine 2010;13:324-8"

EPIDURAL_GRADES: frozenset[str] = frozenset({"1a", "1b", "1c", "2", "3"})  # epidural disease

_MEANING: dict[str, str] = {
    "0": "bone-only disease",
    "1a": "epidural impingement, thecal sac not deformed",
    "1b": "thecal sac deformed, cord not abutted",
    "1c": "thecal sac deformed, cord abutted, not compressed",
    "2": "cord compressed, CSF visible",
    "3": "cord compressed, no CSF visible",
}


def score_escc(grade: EsccGrade | None) -> tuple[EsccResult, tuple[ExplainRow, ...]]:
    """High-grade flag for a grade; unknown when no grade is given."""
    if grade is None:
        row = ExplainRow(score="escc", factor="grade", value="unknown", points="-", source=SOURCE)
        return EsccResult(grade=None, high_grade=None), (row,)
    high = grade in HIGH_GRADES
    row = ExplainRow(
        score="escc",
        factor="grade",
        value=f"{grade} ({_MEANING[grade]})",
        points="high-grade" if high else "low-grade",
        source=SOURCE,
    )
    return EsccResult(grade=grade, high_grade=high), (row,)
