"""SINS imaging components at the most severe level, and how the modality is recognised."""

from __future__ import annotations

import pytest

from services.detection import detect
from services.detection.detector import _modality
from services.detection.text import normalise


def test_components_at_the_most_severe_level() -> None:
    result = detect(
        "FINDINGS: Lytic metastasis at T7. T7 is collapsed by approximately 60% with a new "
        "kyphotic deformity. Tumour involves the left pedicle and facet; epidural tumour "
        "compresses the cord at T7. Small sclerotic deposit at L3 with both pedicles involved "
        "and no epidural disease."
    )
    assert result.sins_imaging.model_dump() == {
        "location": "semi_rigid",
        "lesion": "lytic",
        "alignment": "deformity",
        "collapse": "gt50",
        "posterolateral": "unilateral",
    }


def test_no_collapse_with_more_than_half_the_body_involved() -> None:
    result = detect(
        "FINDINGS: Osteoblastic deposit at T6 replacing more than half of the body, "
        "no collapse, posterior elements spared. Minimal epidural tumour at T6."
    )
    assert result.sins_imaging.collapse == "none_gt50_involved"
    assert result.sins_imaging.lesion == "blastic"
    assert result.sins_imaging.posterolateral == "none"


def test_not_collapsed_is_a_statement_of_no_collapse() -> None:
    text = (
        "FINDINGS: Lytic metastasis at T9 with epidural tumour compressing the cord. "
        "T9 is not collapsed but more than half of the body is replaced."
    )
    result = detect(text)
    assert result.sins_imaging.collapse == "none_gt50_involved"
    cited = {e.rule for e in result.evidence if e.field == "sins_imaging.collapse"}
    assert cited == {"sins.collapse_none", "sins.involvement_gt50"}  # both halves of the value
    plain = detect("FINDINGS: Lytic metastasis at T9 with epidural tumour. T9 is not collapsed.")
    assert plain.sins_imaging.collapse == "none"
    collapsed = detect("FINDINGS: Lytic metastasis at T9 with epidural tumour. T9 has collapsed.")
    assert collapsed.sins_imaging.collapse != "none"


def test_mixed_lesion_and_normal_alignment() -> None:
    result = detect(
        "FINDINGS: Mixed lytic and sclerotic metastasis at L3 with loss of 40% of "
        "vertebral body height. Epidural tumour indents the thecal sac. Alignment is "
        "anatomic."
    )
    sins = result.sins_imaging
    assert (sins.location, sins.lesion, sins.collapse, sins.alignment) == (
        "mobile",
        "mixed",
        "lt50",
        "normal",
    )


def test_explicit_sins_statement_wins() -> None:
    result = detect(
        "FINDINGS: T12 lytic metastasis, ESCC 1a.\nSINS imaging (T12): junctional; "
        "lytic; de novo kyphosis; no collapse, >50% body involved; bilateral."
    )
    assert result.sins_imaging.model_dump() == {
        "location": "junctional",
        "lesion": "lytic",
        "alignment": "deformity",
        "collapse": "none_gt50_involved",
        "posterolateral": "bilateral",
    }


def test_no_metastasis_no_sins() -> None:
    result = detect(
        "FINDINGS: Osteoporotic wedge fracture of T8 with 30% height loss. Normal "
        "alignment. No metastasis."
    )
    assert result.sins_imaging.model_dump() == dict.fromkeys(
        ("location", "lesion", "alignment", "collapse", "posterolateral")
    )


def test_degenerative_listhesis_is_not_tumour_subluxation() -> None:
    result = detect(
        "FINDINGS: L2 metastasis with minimal epidural tumour. Grade 1 degenerative "
        "anterolisthesis of L4 on L5."
    )
    assert result.sins_imaging.alignment is None


@pytest.mark.parametrize(
    ("modality", "exam", "title", "expected"),
    [
        ("MR", None, "", "MR"),
        ("MRI", None, "", "MR"),
        (None, "CT THORACIC SPINE", "", "CT"),
        (None, None, "NM WHOLE BODY BONE SCAN\nfindings", "NM"),
        (None, None, "XR LUMBAR SPINE 3 VIEWS\nfindings", "XR"),
        (None, "PET-CT FDG", "", "PET-CT"),
        (None, None, "Findings: mass effect on the cord.", "MR"),  # "effect on" is not CT
    ],
)
def test_modality(modality: str | None, exam: str | None, title: str, expected: str) -> None:
    assert _modality(modality, exam, normalise(title)) == expected


@pytest.mark.parametrize(
    "statement",
    [
        "No vertebral body height loss.",
        "No compression deformity.",
        "No bony destruction or collapse.",
        "The vertebral bodies are of normal height.",
        "The vertebral bodies are normal in height.",
    ],
)
def test_ways_of_saying_no_collapse(statement: str) -> None:
    result = detect(f"FINDINGS: Lytic metastasis at T9 with epidural tumour. {statement}")
    assert result.sins_imaging.collapse == "none"


def test_height_that_remains_is_the_complement_of_the_collapse() -> None:
    text = "FINDINGS: Lytic T9 metastasis with epidural tumour. T9 is reduced to about {}% of its "
    assert detect(text.format(40) + "original height.").sins_imaging.collapse == "gt50"
    assert detect(text.format(80) + "original height.").sins_imaging.collapse == "lt50"


@pytest.mark.parametrize(
    "statement",
    [
        "The tumour replaces essentially the entire vertebral body, with no loss of height.",
        "The body is diffusely replaced by tumour without loss of height.",
    ],
)
def test_whole_body_replaced_without_collapse(statement: str) -> None:
    result = detect(f"FINDINGS: Sclerotic metastasis at L3 with epidural tumour. {statement}")
    assert result.sins_imaging.collapse == "none_gt50_involved"


@pytest.mark.parametrize(
    "statement",
    [
        "Posterior elements at L3 are spared.",
        "Pedicles not involved.",
        "No involvement of the lateral masses or posterior elements.",
    ],
)
def test_ways_of_saying_the_posterior_elements_are_spared(statement: str) -> None:
    result = detect(f"FINDINGS: Lytic metastasis at L3 with epidural tumour. {statement}")
    assert result.sins_imaging.posterolateral == "none"
    involved = detect("FINDINGS: Lytic metastasis at L3 with epidural tumour in the left pedicle.")
    assert involved.sins_imaging.posterolateral == "unilateral"


def test_bone_only_levels_in_one_segment_share_its_location() -> None:
    same = detect("FINDINGS: Lytic metastases in T6 and T9 without epidural disease.")
    assert same.sins_imaging.location == "semi_rigid"
    cited = [e for e in same.evidence if e.field == "sins_imaging.location"]
    assert [e.rule for e in cited] == ["sins.level T6=semi_rigid"]
    mixed = detect("FINDINGS: Lytic metastases in T6 and L3 without epidural disease.")
    assert mixed.sins_imaging.location is None  # semi-rigid or mobile: the report doesn't say


def test_location_read_off_the_index_level_cites_where_it_is_named() -> None:
    text = "FINDINGS: Lytic metastasis at T7 compressing the cord."
    cited = [e for e in detect(text).evidence if e.field == "sins_imaging.location"]
    assert [(text[e.start : e.end], e.rule) for e in cited] == [("T7", "sins.level T7=semi_rigid")]


def test_oligometastatic_bone_disease_without_epidural_extension_is_grade_0() -> None:
    result = detect(
        "Findings: PSMA-avid osseous lesions at T6 and L1; the L1 lesion is lytic on CT.\n"
        "Impression: Oligometastatic osseous disease (T6, L1) without epidural extension.",
        modality="PET-CT",
    )
    assert not result.suspected_mescc
    assert result.escc_grade == "0"


def test_mixed_signal_is_an_mri_appearance_not_a_mixed_lesion() -> None:
    text = "FINDINGS: Mixed signal marrow lesions in L5. Lytic L5 metastasis with epidural tumour."
    assert detect(text).sins_imaging.lesion == "lytic"
    both = "FINDINGS: Mixed lytic and sclerotic L5 metastasis with epidural tumour."
    assert detect(both).sins_imaging.lesion == "mixed"


def test_cord_signal_with_an_aside_before_the_cord() -> None:
    text = 'FINDINGS: Central T2 hyperintensity ("owl eye") within the cord from T8 to the conus.'
    assert detect(text).cord_signal
    assert not detect("FINDINGS: T2 hyperintensity (haemangioma) within the T8 body.").cord_signal


# A suspected lesion at T7 to which each statement adds one SINS component.
_AT_T7 = "FINDINGS: Lytic metastasis at T7 with epidural tumour indenting the sac. "


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("30 percent pathological wedge fracture of T7.", "lt50"),
        ("Loss of height of T7 (approx 60%).", "gt50"),
        ("Mild loss of height T7.", "lt50"),
        ("Mild anterior wedging of T7.", "lt50"),
        ("No significant loss of vertebral body height.", "none"),
        ("Preserved vertebral height.", "none"),
        ("The lesion involves more than 50% of the body without collapse.", "none_gt50_involved"),
    ],
)
def test_collapse_in_more_wordings(statement: str, expected: str) -> None:
    text = _AT_T7 + statement
    assert detect(text).sins_imaging.collapse == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("Posterior elements involved at T7 bilaterally.", "bilateral"),
        ("Tumour extends into both laminae and the right pedicle.", "unilateral"),
        ("Tumour extends into the spinous process and both laminae.", None),
    ],
)
def test_posterolateral_means_pedicle_facet_or_costovertebral_joint(
    statement: str, expected: str | None
) -> None:
    text = _AT_T7 + statement
    assert detect(text).sins_imaging.posterolateral == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("No kyphosis.", "normal"),
        ("Pathological fracture without malalignment.", "normal"),
        ("Cervical lordosis maintained.", "normal"),
        ("Mild exaggeration of thoracic kyphosis, not significantly changed.", "normal"),
        ("Mild kyphosis not increased.", "normal"),
        ("New kyphotic deformity at T7.", "deformity"),
        ("Mild kyphosis at T7.", "deformity"),
        ("No deformity of the thecal sac.", None),
    ],
)
def test_alignment_negated_or_chronic_deformity_is_normal(
    statement: str, expected: str | None
) -> None:
    text = _AT_T7 + statement
    assert detect(text).sins_imaging.alignment == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("T7 body height is maybe 20% decreased.", "lt50"),
        ("Metastasis occupying most of the vertebral body. No collapse.", "none_gt50_involved"),
        ("Plasmacytoma replaces the vertebral body. Height is preserved.", "none_gt50_involved"),
    ],
)
def test_collapse_and_involvement_in_plain_words(statement: str, expected: str) -> None:
    text = _AT_T7 + statement
    assert detect(text).sins_imaging.collapse == expected


def test_fatty_marrow_replacement_is_a_treated_field_not_metastasis() -> None:
    result = detect(
        "FINDINGS: Fatty marrow replacement of T3-T9 matching the radiation portal. "
        "No epidural mass. No cord compression.",
        exam="MRI THORACIC SPINE",
    )
    assert result.escc_grade is None
    marrow = detect("FINDINGS: Marrow replacing lesion at T5. No epidural mass.")
    assert marrow.escc_grade == "0"
