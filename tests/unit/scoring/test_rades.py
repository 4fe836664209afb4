"""Rades survival score: unavailable without a confirmed table; categories, groups and ranges.

The 2008 per-category points could not be confirmed with the search tool, so the shipped score
reports itself unavailable. The range machinery is tested with a SYNTHETIC table (not clinical
data) so that a confirmed table can be dropped in with its min <= total <= max guarantee intact.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.scoring import ScoreInput
from services.scoring import score
from services.scoring.points import Row, Table, band_of
from services.scoring.primary import identify
from services.scoring.rades import BANDS, POINTS, SIX_MONTH_SURVIVAL_PERCENT, score_rades


def test_shipped_score_says_its_table_is_not_confirmed() -> None:
    assert POINTS is None
    rades = score(ScoreInput(ambulatory=True, diagnoses=[{"code": "C50.9"}])).rades
    assert rades.note == "unavailable: table not confirmed"
    assert (rades.total, rades.min, rades.max, rades.group) == (None, None, None, None)
    assert rades.six_month_survival_percent is None


@pytest.mark.parametrize(
    ("total", "group", "percent"),
    [(20, "20-30", 14), (30, "20-30", 14), (31, "31-35", 56), (35, "31-35", 56),
     (36, "36-45", 80), (45, "36-45", 80)],
)  # fmt: skip
def test_2010_groups_and_six_month_survival(total: int, group: str, percent: int) -> None:
    # Rades et al., Cancer 2010: 20-30 -> 14%, 31-35 -> 56%, 36-45 -> 80%.
    band = band_of(BANDS, total, total)
    assert band is not None
    assert band.label == group
    assert SIX_MONTH_SURVIVAL_PERCENT[band.label] == percent


def test_a_range_across_groups_has_no_group() -> None:
    assert band_of(BANDS, 29, 31) is None


def cats(**fields: Any) -> dict[str, Any]:
    inputs = ScoreInput.model_validate(fields)
    return score_rades(inputs, identify(inputs.diagnoses, inputs.primary_tumour))[2]


@pytest.mark.parametrize(
    ("days", "category"),
    [(0, "1-7 days"), (7, "1-7 days"), (7.5, "8-14 days"), (14, "8-14 days"), (15, ">14 days")],
)
def test_motor_deficit_categories(days: float, category: str) -> None:
    assert cats(motor_deficit_days=days)["time_developing_motor_deficits"] == (category,)


@pytest.mark.parametrize(
    ("months", "category"), [(3, "<=15 months"), (15, "<=15 months"), (15.5, ">15 months")]
)
def test_interval_categories(months: float, category: str) -> None:
    assert cats(months_since_cancer_diagnosis=months)["interval_diagnosis_to_mescc"] == (category,)


@pytest.mark.parametrize(
    ("code", "category"),
    [("C50.9", "breast cancer"), ("C61", "prostate cancer"), ("C90.0", "myeloma/lymphoma"),
     ("C85.9", "myeloma/lymphoma"), ("C34.9", "lung cancer"), ("C64", "other tumours")],
)  # fmt: skip
def test_tumour_type_categories(code: str, category: str) -> None:
    assert cats(diagnoses=[{"code": code}])["tumour_type"] == (category,)


def test_unknown_inputs_are_unknown_categories() -> None:
    assert all(v is None for v in cats().values())


# SYNTHETIC points, chosen only to exercise the range arithmetic over the published 20-45 span
# (factor minima sum to 20, maxima to 45); NOT the Rades table, which is unconfirmed.
_SYNTHETIC_POINTS: dict[str, list[tuple[str, int]]] = {
    # Deliberately clinically meaningless orderings, so nobody mistakes this for the real table.
    "tumour_type": [
        ("breast cancer", 3),
        ("prostate cancer", 4),
        ("myeloma/lymphoma", 5),
        ("lung cancer", 6),
        ("other tumours", 9),
    ],
    "interval_diagnosis_to_mescc": [("<=15 months", 8), (">15 months", 3)],
    "other_bone_metastases": [("yes", 7), ("no", 3)],
    "visceral_metastases": [("yes", 7), ("no", 3)],
    "ambulatory_before_rt": [("yes", 3), ("no", 7)],
    "time_developing_motor_deficits": [("1-7 days", 7), ("8-14 days", 5), (">14 days", 6)],
}
SYNTHETIC = Table(
    score="rades",
    rows=tuple(
        Row(factor, value, points, "synthetic test table")
        for factor, rows in _SYNTHETIC_POINTS.items()
        for value, points in rows
    ),
)  # fmt: skip

SPACE: dict[str, list[Any]] = {
    "diagnoses": [[{"code": c}] for c in ("C50.9", "C61", "C90.0", "C34.9", "C64")],
    "months_since_cancer_diagnosis": [6, 24],
    "other_bone_metastases": [True, False],
    "visceral_metastases": [True, False],
    "ambulatory": [True, False],
    "motor_deficit_days": [3, 10, 20],
}


def synthetic(fields: dict[str, Any]) -> Any:
    inputs = ScoreInput.model_validate({k: v for k, v in fields.items() if v is not None})
    finding = identify(inputs.diagnoses, inputs.primary_tumour)
    return score_rades(inputs, finding, table=SYNTHETIC)[0]


@settings(max_examples=80, deadline=None)
@given(
    st.fixed_dictionaries({k: st.one_of(st.none(), st.sampled_from(v)) for k, v in SPACE.items()})
)
def test_range_holds_every_completion(choice: dict[str, Any]) -> None:
    result = synthetic(choice)
    unknown = [k for k, v in choice.items() if v is None]
    totals = []
    for combo in itertools.product(*(SPACE[k] for k in unknown)):
        complete = synthetic({**choice, **dict(zip(unknown, combo, strict=True))})
        assert complete.total is not None
        assert result.min <= complete.total <= result.max
        totals.append(complete.total)
    assert (min(totals), max(totals)) == (result.min, result.max)
    assert (result.total is None) == bool(unknown)
    groups = {band.label for t in totals if (band := band_of(BANDS, t, t)) is not None}
    assert (result.group == "indeterminate") == (len(groups) > 1)
    if result.group != "indeterminate":
        assert groups == {result.group}
        assert result.six_month_survival_percent == SIX_MONTH_SURVIVAL_PERCENT[result.group]


def test_synthetic_table_spans_the_published_twenty_to_forty_five() -> None:
    nothing = synthetic({})
    assert (nothing.min, nothing.max) == (20, 45)
