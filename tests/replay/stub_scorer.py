"""A fixed scorer for the golden files, so they pin the pathway and not the score tables."""

from __future__ import annotations

from models.scoring import (
    EsccResult,
    RadesResult,
    Radiosensitivity,
    RadiosensitivityBasis,
    ScoreInput,
    ScoreResult,
    SinsCategory,
    SinsResult,
    TokuhashiResult,
)


def stub_score(inputs: ScoreInput) -> ScoreResult:
    """SINS known only from mechanical pain (3 points) plus 0-15 unknown; ESCC echoed."""
    pain = 3 if inputs.sins.pain == "mechanical" else 0
    grade = inputs.escc_grade
    return ScoreResult(
        sins=SinsResult(total=None, min=pain, max=pain + 15, category=SinsCategory.INDETERMINATE),
        escc=EsccResult(grade=grade, high_grade=grade in ("2", "3") if grade else None),
        rades=RadesResult(
            total=None, min=None, max=None, group=None, six_month_survival_percent=None
        ),
        tokuhashi=TokuhashiResult(total=None, min=None, max=None, group=None),
        radiosensitivity=Radiosensitivity.UNKNOWN,
        radiosensitivity_basis=RadiosensitivityBasis(primary=None, matched=None, source="stub"),
        advice=(),
    )
