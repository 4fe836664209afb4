"""Revised Tokuhashi: each published row as a literal, the groups, and ranges over unknowns."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.scoring import ScoreInput, TokuhashiResult
from services.scoring import score

# The all-zero patient: KPS 30, >=3 extraspinal and vertebral metastases, unremovable visceral
# metastases, lung primary, Frankel A. Each test changes one factor and reads its points.
ZERO: dict[str, Any] = {
    "karnofsky": 30,
    "extraspinal_bone_metastases_count": 5,
    "vertebral_metastases_count": 4,
    "visceral_metastases": True,
    "visceral_metastases_removable": False,
    "diagnoses": [{"code": "C34.1", "system": "ICD-10"}],
    "frankel": "A",
}


def toku(**fields: Any) -> TokuhashiResult:
    return score(ScoreInput.model_validate(fields)).tokuhashi


def with_primary(code: str, words: str | None = None) -> dict[str, Any]:
    return {**ZERO, "diagnoses": [{"code": code, "system": "ICD-10"}], "primary_tumour": words}


# Tokuhashi et al., Spine 2005;30:2186-91 (NICE CG75 appendix 3), typed in as literals.
PUBLISHED: list[tuple[str, dict[str, Any], int]] = [
    ("general condition poor, KPS 10-40", {**ZERO, "karnofsky": 40}, 0),
    ("general condition moderate, KPS 50-70", {**ZERO, "karnofsky": 50}, 1),
    ("general condition moderate, KPS 70", {**ZERO, "karnofsky": 70}, 1),
    ("general condition good, KPS 80-100", {**ZERO, "karnofsky": 80}, 2),
    ("extraspinal bone metastases >=3", {**ZERO, "extraspinal_bone_metastases_count": 3}, 0),
    ("extraspinal bone metastases 1-2", {**ZERO, "extraspinal_bone_metastases_count": 2}, 1),
    ("extraspinal bone metastases 0", {**ZERO, "extraspinal_bone_metastases_count": 0}, 2),
    ("vertebral metastases >=3", {**ZERO, "vertebral_metastases_count": 3}, 0),
    ("vertebral metastases 2", {**ZERO, "vertebral_metastases_count": 2}, 1),
    ("vertebral metastases 1", {**ZERO, "vertebral_metastases_count": 1}, 2),
    ("visceral metastases unremovable", ZERO, 0),
    ("visceral metastases removable", {**ZERO, "visceral_metastases_removable": True}, 1),
    ("no visceral metastases", {**ZERO, "visceral_metastases": False}, 2),
    ("primary lung", with_primary("C34.9"), 0),
    ("primary osteosarcoma", with_primary("C41.2", "osteosarcoma"), 0),
    ("primary stomach", with_primary("C16.9"), 0),
    ("primary bladder", with_primary("C67.9"), 0),
    ("primary oesophagus", with_primary("C15.9"), 0),
    ("primary pancreas", with_primary("C25.0"), 0),
    ("primary liver", with_primary("C22.0"), 1),
    ("primary gallbladder", with_primary("C23"), 1),
    ("primary unidentified", with_primary("C80.1"), 1),
    ("primary others (melanoma)", with_primary("C43.9"), 2),
    ("primary kidney", with_primary("C64"), 3),
    ("primary uterus", with_primary("C54.1"), 3),
    ("primary rectum", with_primary("C20"), 4),
    ("primary thyroid", with_primary("C73"), 5),
    ("primary breast", with_primary("C50.9"), 5),
    ("primary prostate", with_primary("C61"), 5),
    ("primary carcinoid", with_primary("C7A.0"), 5),
    ("palsy complete, Frankel A", ZERO, 0),
    ("palsy complete, Frankel B", {**ZERO, "frankel": "B"}, 0),
    ("palsy incomplete, Frankel C", {**ZERO, "frankel": "C"}, 1),
    ("palsy incomplete, Frankel D", {**ZERO, "frankel": "D"}, 1),
    ("palsy none, Frankel E", {**ZERO, "frankel": "E"}, 2),
]


@pytest.mark.parametrize(("row", "fields", "points"), PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_each_published_row_scores_its_points(
    row: str, fields: dict[str, Any], points: int
) -> None:
    result = toku(**fields)
    assert (result.total, result.min, result.max) == (points, points, points), row


def test_best_case_totals_fifteen_and_at_least_a_year() -> None:
    best = {
        "karnofsky": 90,
        "extraspinal_bone_metastases_count": 0,
        "vertebral_metastases_count": 1,
        "visceral_metastases": False,
        "diagnoses": [{"code": "C50.9", "system": "ICD-10"}],
        "frankel": "E",
    }
    result = toku(**best)
    assert (result.total, result.group, result.predicted_survival) == (15, "12-15", ">= 1 year")


def test_group_cut_offs_at_8_and_9() -> None:
    base = {
        "karnofsky": 90,
        "extraspinal_bone_metastases_count": 0,
        "vertebral_metastases_count": 1,
        "visceral_metastases": False,
        "diagnoses": [{"code": "C34.9", "system": "ICD-10"}],
    }
    top_of_poor = toku(**base, frankel="A")  # 2 + 2 + 2 + 2 + 0 (lung) + 0 (Frankel A)
    assert (top_of_poor.total, top_of_poor.group, top_of_poor.predicted_survival) == (
        8,
        "0-8",
        "< 6 months",
    )
    bottom_of_mid = toku(**base, frankel="C")  # ... + 1 (Frankel C)
    assert (bottom_of_mid.total, bottom_of_mid.group) == (9, "9-11")


def test_group_cut_offs_at_11_and_12() -> None:
    base = {
        "karnofsky": 90,
        "extraspinal_bone_metastases_count": 0,
        "vertebral_metastases_count": 1,
        "visceral_metastases": False,
        "frankel": "A",
    }
    kidney_c = toku(**base, diagnoses=[{"code": "C64", "system": "ICD-10"}])
    assert (kidney_c.total, kidney_c.group) == (11, "9-11")  # 8 + 3 (kidney)
    kidney_e = toku(**{**base, "frankel": "C"}, diagnoses=[{"code": "C64", "system": "ICD-10"}])
    assert (kidney_e.total, kidney_e.group) == (12, "12-15")  # 8 + 3 + 1 (Frankel C)


@pytest.mark.parametrize(
    ("ecog", "low", "high"), [(0, 2, 2), (1, 1, 2), (2, 1, 1), (3, 0, 0), (4, 0, 0)]
)
def test_ecog_stands_in_for_a_missing_karnofsky(ecog: int, low: int, high: int) -> None:
    result = toku(**{**ZERO, "karnofsky": None, "ecog": ecog})
    assert (result.min, result.max) == (low, high)


def test_karnofsky_wins_over_ecog() -> None:
    assert toku(**{**ZERO, "karnofsky": 90, "ecog": 4}).total == 2


def test_nothing_known_is_zero_to_fifteen() -> None:
    result = toku()
    assert (result.total, result.min, result.max, result.group) == (None, 0, 15, "indeterminate")


def test_visceral_metastases_of_unknown_removability_span_zero_to_one() -> None:
    result = toku(**{**ZERO, "visceral_metastases_removable": None})
    assert (result.total, result.min, result.max) == (None, 0, 1)


def test_bone_sarcoma_without_histology_spans_osteosarcoma_and_others() -> None:
    result = toku(**with_primary("C41.2"))
    assert (result.min, result.max) == (0, 2)


KPS = [30, 60, 90]
COUNTS = [0, 1, 3]
VERTEBRAE = [1, 2, 3]
VISCERAL = [(False, None), (True, True), (True, False)]
PRIMARIES = ["C34.1", "C22.0", "C43.9", "C64", "C20", "C50.9"]
FRANKEL = ["A", "C", "E"]
SPACE = {
    "karnofsky": KPS,
    "extraspinal_bone_metastases_count": COUNTS,
    "vertebral_metastases_count": VERTEBRAE,
    "visceral": VISCERAL,
    "primary": PRIMARIES,
    "frankel": FRANKEL,
}


def _fields(choice: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in choice.items() if k not in ("visceral", "primary") and v is not None}
    if choice["visceral"] is not None:
        out["visceral_metastases"], out["visceral_metastases_removable"] = choice["visceral"]
    if choice["primary"] is not None:
        out["diagnoses"] = [{"code": choice["primary"], "system": "ICD-10"}]
    return out


def _group(total: int) -> str:
    return "0-8" if total <= 8 else "9-11" if total <= 11 else "12-15"


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries({k: st.one_of(st.none(), st.sampled_from(v)) for k, v in SPACE.items()})
)
def test_range_holds_every_completion_and_group_agrees(choice: dict[str, Any]) -> None:
    result = toku(**_fields(choice))
    unknown = [k for k, v in choice.items() if v is None]
    totals = []
    for combo in itertools.product(*(SPACE[k] for k in unknown)):
        complete = toku(**_fields({**choice, **dict(zip(unknown, combo, strict=True))}))
        assert complete.total is not None
        assert result.min <= complete.total <= result.max
        totals.append(complete.total)
    assert (min(totals), max(totals)) == (result.min, result.max)
    groups = {_group(t) for t in totals}
    assert (result.group == "indeterminate") == (len(groups) > 1)
    if result.group != "indeterminate":
        assert groups == {result.group}
