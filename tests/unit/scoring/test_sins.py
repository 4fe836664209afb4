"""SINS: every published row as a literal, the category cut-offs, and ranges over unknowns."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.scoring import ScoreInput, SinsCategory
from services.scoring import score
from services.scoring.sins import TABLE

# Fisher et al., Spine 2010;35(22):E1221-9, typed in from the table (checked against the
# pacs.de and cliot reproductions), not derived from services.scoring.sins.
PUBLISHED = [
    ("location", "junctional", 3),
    ("location", "mobile", 2),
    ("location", "semi_rigid", 1),
    ("location", "rigid", 0),
    ("pain", "mechanical", 3),
    ("pain", "occasional", 1),
    ("pain", "none", 0),
    ("lesion", "lytic", 2),
    ("lesion", "mixed", 1),
    ("lesion", "blastic", 0),
    ("alignment", "subluxation", 4),
    ("alignment", "deformity", 2),
    ("alignment", "normal", 0),
    ("collapse", "gt50", 3),
    ("collapse", "lt50", 2),
    ("collapse", "none_gt50_involved", 1),
    ("collapse", "none", 0),
    ("posterolateral", "bilateral", 3),
    ("posterolateral", "unilateral", 1),
    ("posterolateral", "none", 0),
]
ZERO = {
    "location": "rigid",
    "pain": "none",
    "lesion": "blastic",
    "alignment": "normal",
    "collapse": "none",
    "posterolateral": "none",
}
VALUES = {factor: [v for f, v, _ in PUBLISHED if f == factor] for factor in ZERO}


def sins_of(**components: Any) -> Any:
    return score(ScoreInput(sins=components)).sins


@pytest.mark.parametrize(("factor", "value", "points"), PUBLISHED)
def test_each_published_row_scores_its_points(factor: str, value: str, points: int) -> None:
    result = sins_of(**{**ZERO, factor: value})
    assert result.total == points
    assert result.min == result.max == points


def test_the_table_has_exactly_the_published_rows() -> None:
    assert {(r.factor, r.value, r.points) for r in TABLE.rows} == set(PUBLISHED)


def test_all_zero_rows_total_zero_and_stable() -> None:
    assert sins_of(**ZERO).total == 0
    assert sins_of(**ZERO).category == SinsCategory.STABLE


def test_every_worst_row_totals_eighteen_unstable() -> None:
    worst = {
        "location": "junctional",
        "pain": "mechanical",
        "lesion": "lytic",
        "alignment": "subluxation",
        "collapse": "gt50",
        "posterolateral": "bilateral",
    }
    result = sins_of(**worst)
    assert (result.total, result.category) == (18, SinsCategory.UNSTABLE)


UNSTABLE_12 = {
    "alignment": "subluxation",
    "collapse": "gt50",
    "posterolateral": "bilateral",
    "lesion": "lytic",
}


@pytest.mark.parametrize(
    ("components", "total", "category"),
    [
        # 3 + 3 = 6: the top of "stable"
        ({"location": "junctional", "pain": "mechanical"}, 6, "stable"),
        # 3 + 3 + 1 = 7: the bottom of "potentially unstable"
        (
            {"location": "junctional", "pain": "mechanical", "lesion": "mixed"},
            7,
            "potentially_unstable",
        ),
        # 4 + 3 + 3 + 2 = 12: the top of "potentially unstable"
        (UNSTABLE_12, 12, "potentially_unstable"),
        # 12 + 1 = 13: the bottom of "unstable"
        ({**UNSTABLE_12, "location": "semi_rigid"}, 13, "unstable"),
    ],
)
def test_category_cut_offs(components: dict[str, str], total: int, category: str) -> None:
    result = sins_of(**{**ZERO, **components})
    assert (result.total, result.category) == (total, category)


def test_everything_unknown_is_the_whole_range_and_indeterminate() -> None:
    result = score(ScoreInput()).sins
    assert (result.total, result.min, result.max) == (None, 0, 18)
    assert result.category == SinsCategory.INDETERMINATE


def test_unknown_pain_on_a_clearly_unstable_spine_still_decides_the_category() -> None:
    # 3 + 2 + 4 + 3 + 3 = 15 without pain; pain adds 0-3, so 15-18 is unstable whatever it is.
    result = sins_of(
        location="junctional", lesion="lytic", alignment="subluxation", collapse="gt50",
        posterolateral="bilateral",
    )  # fmt: skip
    assert (result.total, result.min, result.max) == (None, 15, 18)
    assert result.category == SinsCategory.UNSTABLE


def test_unknown_pain_straddling_a_cut_off_is_indeterminate() -> None:
    # 1 + 2 + 0 + 2 + 1 = 6 without pain; pain makes 6-9, across the 6/7 cut-off.
    result = sins_of(
        location="semi_rigid", lesion="lytic", alignment="normal", collapse="lt50",
        posterolateral="unilateral",
    )  # fmt: skip
    assert (result.min, result.max, result.category) == (6, 9, SinsCategory.INDETERMINATE)


def _category(total: int) -> str:
    return "stable" if total <= 6 else "potentially_unstable" if total <= 12 else "unstable"


partial = st.fixed_dictionaries(
    {factor: st.one_of(st.none(), st.sampled_from(values)) for factor, values in VALUES.items()}
)


@settings(max_examples=150, deadline=None)
@given(partial)
def test_range_holds_every_completion_and_category_agrees(given_: dict[str, str | None]) -> None:
    result = sins_of(**{k: v for k, v in given_.items() if v is not None})
    unknown = [k for k, v in given_.items() if v is None]
    totals = []
    for combo in itertools.product(*(VALUES[k] for k in unknown)):
        full = {**given_, **dict(zip(unknown, combo, strict=True))}
        complete = sins_of(**full)
        assert complete.total is not None
        assert result.min <= complete.total <= result.max
        totals.append(complete.total)
    assert (min(totals), max(totals)) == (result.min, result.max)  # the range is tight
    assert (result.total is None) == bool(unknown)
    categories = {_category(t) for t in totals}
    if result.category == SinsCategory.INDETERMINATE:
        assert len(categories) > 1
    else:
        assert categories == {result.category}
