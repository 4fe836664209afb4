"""NOMS advice: each rule fires on its trigger, stays quiet without it, and only ever suggests."""

from __future__ import annotations

from typing import Any

import pytest

from models.scoring import EsccResult, ScoreInput
from services.scoring import score
from services.scoring.advice import NICE_181, NICE_183, NICE_185, PATCHELL

UNSTABLE_SINS = {
    "location": "junctional",
    "pain": "mechanical",
    "lesion": "lytic",
    "alignment": "subluxation",
    "collapse": "gt50",
    "posterolateral": "bilateral",
}
STABLE_SINS = {
    "location": "semi_rigid",
    "pain": "none",
    "lesion": "blastic",
    "alignment": "normal",
    "collapse": "none",
    "posterolateral": "none",
}


def advice(**fields: Any) -> dict[str, Any]:
    result = score(ScoreInput.model_validate(fields))
    return {item.code: item for item in result.advice}


def test_every_item_is_a_suggestion_with_reasons_and_sources() -> None:
    items = advice(
        escc_grade="3", sins=UNSTABLE_SINS, retropulsion=True, diagnoses=[{"code": "C64"}]
    )
    assert items
    for item in items.values():
        assert item.text.startswith("Consider")
        assert item.reasons
        assert item.sources


def test_steroids_when_epidural_disease_is_reported() -> None:
    item = advice(escc_grade="1a")["start_steroids"]
    assert "16 mg" in item.text
    assert NICE_181 in item.sources


@pytest.mark.parametrize(
    "deficit",
    [{"ambulatory": False}, {"motor_deficit_days": 2}, {"frankel": "C"}],
)
def test_steroids_cite_nice_181_alone_when_a_deficit_is_recorded(deficit: dict[str, Any]) -> None:
    item = advice(escc_grade="2", **deficit)["start_steroids"]
    assert item.sources == (NICE_181,)
    assert "neurological deficit recorded" in item.reasons


def test_steroids_without_a_recorded_deficit_carry_the_nice_caveat() -> None:
    item = advice(escc_grade="2", frankel="E", ambulatory=True)["start_steroids"]
    assert NICE_183 in item.sources


def test_no_steroids_for_bone_only_disease() -> None:
    assert "start_steroids" not in advice(escc_grade="0")


def test_the_pathway_can_say_suspected_without_a_grade() -> None:
    assert "start_steroids" in advice(suspected_mescc=True)
    assert "start_steroids" not in advice(suspected_mescc=False, escc_grade="2")


def test_haematological_primary_adds_the_haematology_recommendation() -> None:
    item = advice(escc_grade="2", diagnoses=[{"code": "C90.0"}])["start_steroids"]
    assert NICE_185 in item.sources


def test_high_grade_from_a_resistant_primary_needs_surgical_evaluation() -> None:
    item = advice(escc_grade="2", diagnoses=[{"code": "C64"}])["urgent_surgical_evaluation"]
    assert any("high-grade ESCC" in r for r in item.reasons)
    assert PATCHELL in item.sources


def test_high_grade_from_an_unknown_primary_needs_surgical_evaluation() -> None:
    assert "urgent_surgical_evaluation" in advice(escc_grade="3")


def test_high_grade_from_a_radiosensitive_primary_gets_conventional_rt_not_surgery() -> None:
    items = advice(escc_grade="3", diagnoses=[{"code": "C83.3"}], sins=STABLE_SINS)
    assert "urgent_surgical_evaluation" not in items
    assert "conventional_rt" in items


@pytest.mark.parametrize(
    ("sins", "fires"),
    [
        (STABLE_SINS, False),  # 1
        ({**STABLE_SINS, "pain": "mechanical", "lesion": "lytic", "collapse": "lt50"}, True),  # 8
        (UNSTABLE_SINS, True),  # 18
    ],
)
def test_sins_of_seven_or_more_needs_surgical_evaluation(sins: dict[str, str], fires: bool) -> None:
    items = advice(escc_grade="1a", diagnoses=[{"code": "C83.3"}], sins=sins)
    assert ("urgent_surgical_evaluation" in items) is fires


def test_a_sins_range_reaching_seven_asks_for_the_missing_components_instead() -> None:
    partial = {k: v for k, v in STABLE_SINS.items() if k != "pain"}
    partial["lesion"] = "lytic"
    partial["collapse"] = "lt50"  # 1 + 2 + 0 + 2 + 0 = 5; pain adds 0-3: range 5-8
    items = advice(escc_grade="1a", diagnoses=[{"code": "C83.3"}], sins=partial)
    assert "urgent_surgical_evaluation" not in items
    assert "pain" in items["complete_sins"].text


def test_a_sins_range_that_cannot_reach_seven_is_left_alone() -> None:
    partial = {k: v for k, v in STABLE_SINS.items() if k != "pain"}  # 1 + 0-3: range 1-4
    assert "complete_sins" not in advice(escc_grade="1a", sins=partial)


def test_retropulsion_needs_surgical_evaluation() -> None:
    item = advice(retropulsion=True, diagnoses=[{"code": "C83.3"}])["urgent_surgical_evaluation"]
    assert any("retropulsed" in r for r in item.reasons)
    assert item.domain == "mechanical"


def test_high_grade_surgical_evaluation_is_a_neurologic_item() -> None:
    item = advice(escc_grade="3", diagnoses=[{"code": "C64"}])["urgent_surgical_evaluation"]
    assert item.domain == "neurologic"


def test_radioresistant_high_grade_gets_separation_surgery_then_sbrt() -> None:
    items = advice(escc_grade="2", diagnoses=[{"code": "C43.9"}])
    assert "separation_surgery_then_sbrt" in items
    assert "sbrt" not in items
    assert "conventional_rt" not in items


def test_radioresistant_low_grade_gets_sbrt() -> None:
    items = advice(escc_grade="1b", diagnoses=[{"code": "C43.9"}], sins=STABLE_SINS)
    assert "sbrt" in items
    assert "urgent_surgical_evaluation" not in items


def test_low_grade_from_an_intermediate_primary_gets_conventional_rt() -> None:
    assert "conventional_rt" in advice(escc_grade="1b", diagnoses=[{"code": "C50.9"}])


POOR = {  # Tokuhashi 0: KPS 30, many metastases, unremovable visceral, lung, Frankel A
    "karnofsky": 30,
    "extraspinal_bone_metastases_count": 4,
    "vertebral_metastases_count": 3,
    "visceral_metastases": True,
    "visceral_metastases_removable": False,
    "frankel": "A",
}
FAVOURABLE = {  # Tokuhashi 2 + 2 + 2 + 2 + 5 (breast) + 2 = 15
    "karnofsky": 90,
    "extraspinal_bone_metastases_count": 0,
    "vertebral_metastases_count": 1,
    "visceral_metastases": False,
    "frankel": "E",
}


def test_poor_predicted_survival_suggests_short_course_rt() -> None:
    items = advice(escc_grade="1b", diagnoses=[{"code": "C83.3"}], **POOR)
    item = items["short_course_rt"]
    assert "8 Gy" in item.text
    assert "20 Gy" in item.text
    assert any("Tokuhashi group 0-8" in r for r in item.reasons)
    assert "longer_course_rt" not in items


def test_favourable_predicted_survival_suggests_longer_course_rt() -> None:
    items = advice(escc_grade="1b", diagnoses=[{"code": "C50.9"}], **FAVOURABLE)
    assert "30 Gy" in items["longer_course_rt"].text
    assert "short_course_rt" not in items


def test_unknown_survival_gives_no_fractionation_advice() -> None:
    items = advice(escc_grade="1b", diagnoses=[{"code": "C50.9"}])
    assert "conventional_rt" in items
    assert not {"short_course_rt", "longer_course_rt"} & items.keys()


def test_surgery_with_poor_predicted_survival_asks_to_confirm_three_months() -> None:
    items = advice(escc_grade="3", diagnoses=[{"code": "C34.9"}], **POOR)
    assert "urgent_surgical_evaluation" in items
    assert "3 months" in items["confirm_survival_before_surgery"].text


def test_bone_only_disease_gets_no_mescc_treatment_advice() -> None:
    assert advice(escc_grade="0", diagnoses=[{"code": "C50.9"}], sins=STABLE_SINS) == {}


def test_bone_only_disease_with_an_unstable_spine_still_gets_surgical_evaluation() -> None:
    items = advice(escc_grade="0", diagnoses=[{"code": "C50.9"}], sins=UNSTABLE_SINS)
    assert set(items) == {"urgent_surgical_evaluation"}


def test_detector_sins_imaging_feeds_the_score_directly() -> None:
    from models.detection import SinsImaging
    from models.scoring import SinsInput

    imaging = SinsImaging(location="junctional", lesion="lytic", collapse="gt50")
    sins = score(ScoreInput(sins=SinsInput.model_validate(imaging))).sins
    assert (sins.min, sins.max) == (8, 18)  # 3 + 2 + 3, plus pain 0-3, alignment 0-4, PL 0-3


def test_no_advice_at_all_without_any_finding() -> None:
    assert advice() == {}


def test_escc_result_shape() -> None:
    assert score(ScoreInput(escc_grade="1c")).escc == EsccResult(grade="1c", high_grade=False)
    assert score(ScoreInput(escc_grade="2")).escc == EsccResult(grade="2", high_grade=True)
    assert score(ScoreInput()).escc == EsccResult(grade=None, high_grade=None)
