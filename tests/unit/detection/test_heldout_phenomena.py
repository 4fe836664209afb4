"""Phenomena an independent radiologist's reports exposed, checked on new wording.

Every sentence here was written for these tests in other words than the reports that showed the
problem (those stay out of the repository), so each case checks the general rule, not one text.
"""

from __future__ import annotations

import pytest

from services.detection import detect

_T8_GRADE_2 = "FINDINGS: Epidural tumour at T8 compresses the cord with CSF still visible. "


# -- H: SINS collapse, including comparisons written before or after the percentage -----------
@pytest.mark.parametrize(
    ("sentence", "collapse"),
    [
        ("Pathological fracture of T8 with under 50% loss of vertebral body height.", "lt50"),
        ("T8 has collapsed, with less than 50 percent loss of its height.", "lt50"),
        ("Mild height loss at T8, less than 50%.", "lt50"),
        ("T8 body height reduced by less than half.", "lt50"),
        ("T8 body has lost more than 50 percent of its height.", "gt50"),
        ("There is greater than 50 percent loss of height at T8.", "gt50"),
        ("Collapse of T8 of more than 50% of the original height.", "gt50"),
        ("T8 height loss exceeding 50%.", "gt50"),
        ("There is no collapse of the T8 vertebral body.", "none"),
        ("No T8 vertebral body collapse.", "none"),
        ("Pathological fracture at T8 with 30% loss of height.", "lt50"),
        ("Pathological fracture at T8 with 70% loss of height.", "gt50"),
        ("T8 collapse (about 30%).", "lt50"),
        ("T8 shows loss of height <50%.", "lt50"),
    ],
)
def test_collapse_comparisons(sentence: str, collapse: str) -> None:
    result = detect(_T8_GRADE_2 + sentence)
    assert result.escc_grade == "2"
    assert result.sins_imaging.collapse == collapse


def test_collapse_percent_goes_with_the_level_written_next_to_it() -> None:
    result = detect(_T8_GRADE_2 + "Pathological compression fractures of L2 (<50%) and T8 (>50%).")
    assert result.sins_imaging.collapse == "gt50"
    result = detect(_T8_GRADE_2 + "Pathological compression fractures of T8 (<50%) and L2 (>50%).")
    assert result.sins_imaging.collapse == "lt50"


# -- D: a worded grade on CT and PET-CT ---------------------------------------------------------
@pytest.mark.parametrize(
    ("modality", "text", "grade"),
    [
        (
            "CT",
            "FINDINGS: Destructive metastasis of T6 with a soft tissue mass that markedly "
            "compresses the spinal cord.",
            "3",
        ),
        (
            "PET-CT",
            "FINDINGS: FDG-avid lytic deposit in L2 with retropulsion and severe compression of "
            "the cauda equina.",
            "3",
        ),
        (
            "CT",
            "FINDINGS: Lytic T11 metastasis. Epidural tumour totally effaces the thecal sac and "
            "compresses the conus.",
            "3",
        ),
        # Without a severity or CSF word a compressed cord is grade 2 by its words on any
        # modality (../shared/corpus/README.md, "Grade from words").
        (
            "CT",
            "FINDINGS: Lytic T6 metastasis with soft tissue that compresses the spinal cord.",
            "2",
        ),
        (
            "CT",
            "FINDINGS: Lytic T6 metastasis; possible severe compression of the spinal cord.",
            None,
        ),
    ],
)
def test_severity_grades_compression_on_ct(modality: str, text: str, grade: str | None) -> None:
    result = detect(text, modality=modality)
    assert result.suspected_mescc
    assert result.escc_grade == grade


# -- B: benign causes written as abbreviations, cancer only in the history ---------------------
@pytest.mark.parametrize(
    "finding",
    [
        "C6-7 disc-osteophyte complex compressing the cord, with cord oedema.",
        "At C4/5 a DOC flattens the spinal cord; there is T2 signal change in the cord.",
        "Large HNP at L4-5 compressing the cauda equina.",
        "C5-C6: DJD with a spondylotic bar and severe cord compression.",
        "C3-4 disc/osteophyte complex with cord compression.",
        "Broad-based disc-osteophyte bar at C5-6 compressing the cord.",
    ],
)
def test_abbreviated_degenerative_cause_is_not_mescc(finding: str) -> None:
    result = detect("Neck pain after a fall. Hx breast ca.\n" + finding)
    assert not result.suspected_mescc
    assert result.escc_grade is None


def test_tumour_beside_a_disc_osteophyte_complex_is_still_mescc() -> None:
    result = detect(
        "FINDINGS: C5-6 DOC. Epidural tumour from a C7 metastasis compresses the cord at C7."
    )
    assert result.suspected_mescc
    assert result.levels == ["C7"]


# -- A: an addendum that re-attributes or withdraws an earlier finding -------------------------
def test_addendum_reattributing_the_tissue_at_a_level_withdraws_it() -> None:
    result = detect(
        "FINDINGS: Lytic L2 lesion. Dorsal epidural tissue at L2 effacing the thecal sac.\n"
        "IMPRESSION: L2 metastasis with epidural extension (ESCC 1b).\n\n"
        "ADDENDUM: Reviewed with the prior CT: the dorsal tissue at L2 is hypertrophied "
        "ligamentum flavum, not tumour. The L2 metastasis does not extend into the epidural "
        "space."
    )
    assert not result.suspected_mescc
    assert result.escc_grade == "0"
    assert result.levels == []


def test_addendum_retracting_the_prior_impression_is_negative() -> None:
    result = detect(
        "FINDINGS: Expansile T5 lesion with questionable epidural soft tissue.\n"
        "IMPRESSION: T5 lesion, possible epidural extension.\n\n"
        "ADDENDUM: CT-guided biopsy of T5: benign fibrous lesion. The earlier suggestion of "
        "epidural tumour is hereby retracted."
    )
    assert not result.suspected_mescc


def test_addendum_denying_one_level_keeps_disease_at_another() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at T4 compressing the cord with CSF preserved. Epidural "
        "tissue at T9 indenting the thecal sac.\n\n"
        "ADDENDUM: The T9 tissue is a disc extrusion, not epidural tumour."
    )
    assert result.suspected_mescc
    assert result.levels == ["T4"]
    assert result.escc_grade == "2"


def test_addendum_denying_only_compression_keeps_the_epidural_tumour() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at T9 indenting the thecal sac.\n\n"
        "ADDENDUM: To clarify, there is no cord compression at T9."
    )
    assert result.suspected_mescc
    assert result.levels == ["T9"]


# -- C: a clause about the prior study inside a sentence about the current one -----------------
@pytest.mark.parametrize(
    ("text", "grade"),
    [
        (
            "FINDINGS: Epidural disease at T10 now only indents the thecal sac, improved from the "
            "prior cord compression.",
            "1b",
        ),
        (
            "FINDINGS: Epidural tumour at L1 abuts the conus, decreased since the previous "
            "compression of the conus.",
            "1c",
        ),
        (
            "FINDINGS: Epidural tumour at T6 deforms the thecal sac, better than the earlier "
            "marked cord compression.",
            "1b",
        ),
        # the change words about the prior study do not make the current finding historical
        (
            "FINDINGS: Epidural tumour compresses the cord at T6, worse compared with the prior "
            "study.",
            "2",
        ),
        ("FINDINGS: Epidural tumour compresses the cord at T6, improved from prior.", "2"),
    ],
)
def test_prior_state_clause_is_not_graded(text: str, grade: str) -> None:
    result = detect(text)
    assert result.suspected_mescc
    assert result.escc_grade == grade


# -- F: levels written in other ways -----------------------------------------------------------
def test_elliptical_epidural_with_a_spaced_level() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at T4 compresses the cord. There is also a thin ventral "
        "epidural at T 9, of doubtful significance."
    )
    assert result.levels == ["T4", "T9"]


def test_tumour_through_a_named_foramen_involves_both_levels() -> None:
    result = detect(
        "FINDINGS: Right paravertebral lymphoma at T6 extends through the right T6-T7 neural "
        "foramen into the spinal canal."
    )
    assert result.suspected_mescc
    assert result.levels == ["T6", "T7"]


def test_a_narrowed_foramen_is_not_a_diseased_level() -> None:
    result = detect(
        "FINDINGS: Disc bulge narrowing the right T6-T7 foramen. Epidural tumour at T3 "
        "compresses the cord."
    )
    assert result.levels == ["T3"]


def test_a_level_named_after_the_foramen_says_where_the_canal_is_involved() -> None:
    result = detect(
        "FINDINGS: Paravertebral mass extending through the left L1-L2 foramen into the "
        "spinal canal at the L1 level, suspicious for epidural disease."
    )
    assert result.levels == ["L1"]


# -- E: a named junction beside a numbered level ------------------------------------------------
def test_junction_beside_its_numbered_level_adds_no_level() -> None:
    result = detect(
        "FINDINGS: Pathological L1 fracture; epidural tumour compresses the conus at the "
        "thoracolumbar junction."
    )
    assert result.levels == ["L1"]
    result = detect(
        "FINDINGS: Epidural tumour at C7 indents the thecal sac at the cervicothoracic junction."
    )
    assert result.levels == ["C7"]


def test_junction_alone_names_both_levels() -> None:
    result = detect("FINDINGS: Epidural tumour at the thoracolumbar junction compresses the conus.")
    assert result.levels == ["T12", "L1"]


def test_a_numbered_range_is_not_narrowed_like_a_junction() -> None:
    result = detect(
        "FINDINGS: Epidural tumour T12-L1 compresses the conus; the L1 body is collapsed."
    )
    assert result.levels == ["T12", "L1"]


# -- G: grade 0 means a bone metastasis whose canal was looked at -------------------------------
def test_intradural_deposits_are_not_a_bone_metastasis() -> None:
    result = detect(
        "FINDINGS: Nodular enhancing deposits coat the conus and the cauda equina roots at L2, "
        "in keeping with intradural (leptomeningeal) seeding. No epidural disease. Vertebral "
        "marrow signal is normal.",
        modality="MR",
        exam="MRI WHOLE SPINE WITH CONTRAST",
    )
    assert not result.suspected_mescc
    assert result.escc_grade is None


def test_bone_metastasis_on_a_spine_study_is_grade_0() -> None:
    result = detect(
        "FINDINGS: Lytic metastasis in the T9 vertebral body. No epidural extension.",
        modality="MR",
        exam="MRI THORACIC SPINE",
    )
    assert result.escc_grade == "0"


def test_incidental_bone_metastasis_on_a_body_ct_without_canal_comment_has_no_grade() -> None:
    result = detect(
        "FINDINGS: Several liver metastases, slightly larger. Blastic metastasis in L3, stable.\n"
        "IMPRESSION: Progressive liver metastases; stable L3 bone metastasis.",
        modality="CT",
        exam="CT ABDOMEN PELVIS WITH CONTRAST",
    )
    assert result.escc_grade is None


def test_body_ct_that_comments_on_the_canal_grades_a_bone_metastasis_0() -> None:
    result = detect(
        "FINDINGS: Lytic metastasis in the L3 vertebral body without extension into the spinal "
        "canal.",
        modality="CT",
        exam="CT CHEST ABDOMEN PELVIS WITH CONTRAST",
    )
    assert result.escc_grade == "0"


# -- I: posterolateral elements named in other words -------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "posterolateral"),
    [
        ("The C5 lesion extends into the right lateral mass.", "unilateral"),
        ("Tumour replaces both C5 lateral masses.", "bilateral"),
        ("The C5 deposit involves the left C5 articular pillar.", "unilateral"),
        ("Involvement of the left seventh rib head and costotransverse joint at T7.", "unilateral"),
        ("The T7 lesion extends into the left T7 costovertebral junction.", "unilateral"),
        ("Tumour also involves the right pedal of T7.", "unilateral"),
    ],
)
def test_posterolateral_vocabulary(sentence: str, posterolateral: str) -> None:
    level = "C5" if "C5" in sentence else "T7"
    result = detect(
        f"FINDINGS: Epidural tumour at {level} compresses the cord with CSF still visible. "
        + sentence
    )
    assert result.sins_imaging.posterolateral == posterolateral


# -- J, L: the lesion type and location at the most severe level --------------------------------
def test_lesion_type_goes_with_the_level_it_is_written_beside() -> None:
    result = detect(
        "FINDINGS: Blastic L1 and lytic T6 deposits. Epidural tumour at T6 compresses the cord "
        "with CSF still visible."
    )
    assert result.sins_imaging.lesion == "lytic"
    result = detect(
        "FINDINGS: Lytic L1 and sclerotic T6 deposits. Epidural tumour at T6 compresses the cord "
        "with CSF still visible."
    )
    assert result.sins_imaging.lesion == "blastic"


def test_a_lesion_described_before_a_withdrawing_addendum_keeps_its_type() -> None:
    result = detect(
        "FINDINGS: Expansile lytic L3 lesion. Questionable epidural tissue dorsal to L3.\n\n"
        "ADDENDUM: The questionable tissue is epidural fat; no epidural tumour. The L3 "
        "metastasis is confined to bone (ESCC 0)."
    )
    assert not result.suspected_mescc
    assert result.escc_grade == "0"
    assert result.sins_imaging.lesion == "lytic"


def test_location_of_a_range_follows_the_bone_lesion() -> None:
    result = detect(
        "FINDINGS: T11 lytic metastasis with dorsal epidural tumour T10 to T12 compressing the "
        "cord with CSF preserved."
    )
    assert result.escc_grade == "2"
    assert result.sins_imaging.location == "junctional"
    result = detect(
        "FINDINGS: T10 lytic metastasis with dorsal epidural tumour T9 to T11 compressing the "
        "cord with CSF preserved."
    )
    assert result.sins_imaging.location == "semi_rigid"


# -- K: alignment ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sentence",
    [
        "Alignment unchanged, normal.",
        "Alignment is stable and normal.",
        "Alignment: stable, normal.",
    ],
)
def test_alignment_normal_after_a_comparison_word(sentence: str) -> None:
    result = detect(_T8_GRADE_2 + sentence)
    assert result.sins_imaging.alignment == "normal"


def test_alignment_unchanged_alone_says_nothing() -> None:
    result = detect(_T8_GRADE_2 + "Alignment unchanged.")
    assert result.sins_imaging.alignment is None


def test_lesion_word_before_a_list_of_levels_covers_them_all() -> None:
    result = detect(
        "FINDINGS: Lytic T5 + T6 deposits. Thin dorsal epidural soft tissue at T6, no thecal "
        "sac deformity."
    )
    assert result.sins_imaging.lesion == "lytic"


def test_bone_only_index_level_is_the_one_collapsed_by_more_than_half() -> None:
    result = detect(
        "FINDINGS: Diffuse myeloma infiltration of the marrow. Pathological fractures of L3 "
        "(<50%) and T11 (>50%). No epidural disease.",
        modality="MR",
        exam="MRI WHOLE SPINE",
    )
    assert result.sins_imaging.collapse == "gt50"
    assert result.sins_imaging.location == "junctional"


def test_addendum_reattributing_without_a_negation_withdraws_the_level() -> None:
    result = detect(
        "FINDINGS: Dorsal epidural soft tissue at L4 effacing the thecal sac.\n"
        "IMPRESSION: Possible L4 epidural metastasis.\n\n"
        "ADDENDUM: With the prior CT, the dorsal abnormality at L4 corresponds to a synovial "
        "cyst arising from the left facet joint."
    )
    assert not result.suspected_mescc


def test_addendum_naming_a_benign_finding_in_passing_keeps_the_tumour() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at L4 compresses the cauda equina with CSF preserved.\n\n"
        "ADDENDUM: Also note a small L4 haemangioma."
    )
    assert result.suspected_mescc
    assert result.levels == ["L4"]
