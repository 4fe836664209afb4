"""What real reports do to a naive matcher: one positive and one negative report per phenomenon.

Every report here was written for these tests (not taken from the corpus), in the voices of
different radiologists, so the rules are checked on wording they were not tuned on.
"""

from __future__ import annotations

import pytest

from services.detection import detect


def _positive(text: str, **kw: str) -> None:
    result = detect(text, **kw)
    assert result.suspected_mescc, [e.rule for e in result.evidence]


def _negative(text: str, **kw: str) -> None:
    result = detect(text, **kw)
    assert not result.suspected_mescc, [
        (e.field, e.rule, e.sentence) for e in result.evidence if e.field == "suspected_mescc"
    ]


# -- sections ----------------------------------------------------------------------------------
def test_question_in_history_is_not_a_finding() -> None:
    _negative(
        "INDICATION: Breast cancer, leg weakness. R/O cord compression. ?MSCC\n"
        "FINDINGS: Normal marrow signal. The thoracic cord is normal.\n"
        "IMPRESSION: Normal study."
    )


def test_history_block_then_positive_findings() -> None:
    _positive(
        "CLINICAL HISTORY:\nProstate cancer. Evaluate for cord compression.\n\n"
        "FINDINGS:\nThere is epidural tumour at T9 which compresses the spinal cord.\n"
        "IMPRESSION:\nT9 metastatic cord compression."
    )


def test_addendum_reversing_a_negative_report_wins() -> None:
    text = (
        "FINDINGS: Lytic lesion in T10. No epidural disease.\n"
        "IMPRESSION: T10 metastasis without epidural extension.\n"
        "ADDENDUM: On review of the axial images there is ventral epidural tumour at T10 "
        "abutting the cord. Impression amended."
    )
    result = detect(text)
    assert result.suspected_mescc
    assert result.escc_grade == "1c"
    assert result.levels == ["T10"]


def test_addendum_reversing_a_positive_report_wins() -> None:
    _negative(
        "PRELIMINARY: Possible epidural tumour at L3.\n"
        "ADDENDUM (attending): The L3 epidural signal is a venous plexus. There is no epidural "
        "tumour and no metastatic disease. No cauda equina compression."
    )


def test_impression_negation_outranks_an_equivocal_finding() -> None:
    _negative(
        "FINDINGS: Possible thin epidural soft tissue posterior to T6.\n"
        "IMPRESSION: On the axial images this is CSF pulsation artefact. No epidural disease."
    )


def test_finding_only_in_findings_counts() -> None:
    _positive(
        "FINDINGS: Sclerotic metastasis in L2 with tumour extending into the ventral epidural "
        "space without mass effect on the thecal sac.\nIMPRESSION: L2 metastasis."
    )


# -- negation and its scope ------------------------------------------------------------------
def test_negation_does_not_cross_but() -> None:
    result = detect("IMPRESSION: No cord compression, but there is epidural tumour at T9.")
    assert result.suspected_mescc
    assert result.levels == ["T9"]


def test_negated_list() -> None:
    _negative("FINDINGS: T4 and T8 metastases. No epidural extension or cord compression.")


def test_negation_after_the_finding() -> None:
    _negative("FINDINGS: Epidural tumour is not seen. The cord is not compressed.")


def test_double_negative_cannot_be_excluded_is_suspicion() -> None:
    _positive("FINDINGS: T7 metastasis. Early epidural extension cannot be excluded.")


def test_double_negative_not_ruled_out_is_suspicion() -> None:
    _positive("IMPRESSION: C5 deposit; epidural extension is not ruled out.")


def test_no_definite_is_negative() -> None:
    _negative("IMPRESSION: L1 metastasis. No definite epidural tumour. No cord compression.")


# -- hedging -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sentence",
    [
        "Soft tissue at T11 is suspicious for epidural disease.",
        "Likely early epidural extension at T11.",
        "Findings concerning for epidural tumour at T11.",
        "Probable small epidural component at T11.",
    ],
)
def test_hedged_findings_are_suspected(sentence: str) -> None:
    result = detect(f"FINDINGS: Lytic T11 metastasis. {sentence}")
    assert result.suspected_mescc
    assert result.levels == ["T11"]


def test_unlikely_is_negative() -> None:
    _negative("IMPRESSION: T11 metastasis. Epidural extension is unlikely.")


# -- history and resolution -----------------------------------------------------------------
def test_resolved_epidural_disease_is_negative() -> None:
    result = detect(
        "FINDINGS: The previously seen epidural tumour at T5 has resolved after radiotherapy. "
        "Treated sclerotic T5 metastasis.\nIMPRESSION: Resolution of epidural disease. ESCC 0."
    )
    assert not result.suspected_mescc
    assert result.escc_grade == "0"


def test_progressing_previous_disease_is_current() -> None:
    _positive(
        "FINDINGS: The previously seen epidural tumour at T5 has enlarged and now compresses "
        "the cord with a thin rim of CSF preserved."
    )


# -- benign causes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "FINDINGS: Broad disc osteophyte complex at C5-6 with severe canal stenosis compressing "
        "the cord. No marrow lesion.\nIMPRESSION: Degenerative cord compression C5-6.",
        "FINDINGS: Acute osteoporotic T12 fracture with retropulsion compressing the conus. "
        "Preserved fatty marrow. No metastases.",
        "FINDINGS: Rim-enhancing dorsal epidural abscess T4 to T7 compressing the cord.",
        "FINDINGS: Spontaneous epidural haematoma from C6 to T2 compressing the cord.\n"
        "IMPRESSION: Epidural hematoma. No tumour.",
        "IMPRESSION: Typical vertebral haemangioma of T9. No epidural extension. No metastasis.",
        "FINDINGS: Epidural phlegmon at L4-5 indenting the thecal sac with discitis.",
    ],
)
def test_benign_causes_in_cancer_patients_are_negative(text: str) -> None:
    _negative("HISTORY: Metastatic lung cancer.\n" + text)


def test_pathological_fracture_with_retropulsion_is_positive() -> None:
    result = detect(
        "FINDINGS: Pathological fracture of T8 through a lytic metastasis with 60% height loss. "
        "A retropulsed fragment compresses the cord; no CSF is visible around the cord."
    )
    assert result.suspected_mescc
    assert result.escc_grade == "3"
    assert result.retropulsion
    assert result.sins_imaging.collapse == "gt50"


def test_tumour_favoured_over_abscess_is_positive() -> None:
    _positive(
        "IMPRESSION: Enhancing ventral epidural soft tissue at L2 contiguous with a lytic "
        "vertebral metastasis; epidural tumour is favoured rather than abscess."
    )


# -- leptomeningeal versus epidural -----------------------------------------------------------
def test_leptomeningeal_only_is_negative() -> None:
    _negative(
        "FINDINGS: Nodular leptomeningeal enhancement along the conus and cauda equina, in keeping "
        "with leptomeningeal metastases. The epidural space is clear."
    )


def test_leptomeningeal_with_epidural_disease_is_positive() -> None:
    _positive(
        "FINDINGS: Leptomeningeal metastases along the cauda equina. Separately, epidural tumour "
        "at L1 indents the thecal sac."
    )


# -- modalities ---------------------------------------------------------------------------------
def test_bone_scan_spinal_metastases_is_negative() -> None:
    result = detect(
        "Whole body bone scan. Multiple foci of uptake in the thoracic spine consistent with "
        "metastases, including T7 and T9.",
        modality="NM",
    )
    assert not result.suspected_mescc
    assert result.escc_grade is None
    assert not result.excludes_mescc


def test_radiograph_stating_suspected_compression_is_positive() -> None:
    _positive(
        "XR thoracic spine. Pathological collapse of T9. Metastatic cord compression is "
        "suspected given the new paraparesis.",
        modality="XR",
    )


def test_radiograph_of_a_lytic_lesion_is_negative() -> None:
    result = detect("XR lumbar spine: lytic lesion in L3 suspicious for metastasis.", modality="XR")
    assert not result.suspected_mescc
    assert result.escc_grade is None


# -- levels ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "levels"),
    [
        ("T4-6", ["T4", "T5", "T6"]),
        ("T4 to T6", ["T4", "T5", "T6"]),
        ("T4 through T6", ["T4", "T5", "T6"]),
        ("T4/5", ["T4", "T5"]),
        ("T 11", ["T11"]),
        ("T12-L1", ["T12", "L1"]),
        ("C7-T2", ["C7", "T1", "T2"]),
        ("the thoracolumbar junction", ["T12", "L1"]),
    ],
)
def test_level_notations(written: str, levels: list[str]) -> None:
    result = detect(f"FINDINGS: Epidural tumour at {written} deforms the thecal sac.")
    assert result.levels == levels


def test_mri_sequence_names_are_not_levels() -> None:
    result = detect(
        "FINDINGS: T1 hypointense, T2 hyperintense mass in the L3 body with epidural extension."
    )
    assert result.levels == ["L3"]


def test_levels_of_negated_sites_are_left_out() -> None:
    result = detect(
        "FINDINGS: Metastases at T3, T6 and T10. Epidural tumour at T6 abuts the cord. "
        "T3 and T10 show no epidural extension."
    )
    assert result.levels == ["T6"]


# -- grades ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("words", "grade"),
    [
        ("Minimal epidural tumour at T8 without deformity of the thecal sac.", "1a"),
        (
            "Epidural tumour at T8 causes mild deformity of the thecal sac; the cord is not "
            "contacted.",
            "1b",
        ),
        (
            "Epidural tumour at T8 deforms the thecal sac and abuts the cord without compressing "
            "it.",
            "1c",
        ),
        ("Epidural tumour compresses the cord at T8; CSF is still visible around the cord.", "2"),
        ("Epidural tumour at T8 causes cord compression with effacement of CSF.", "3"),
        ("Severe cord compression at T8 by epidural tumour.", "3"),
        ("T8 metastasis, Bilsky 1c.", "1c"),
        ("T8 epidural disease, ESCC 2.", "2"),
        ("T8 metastasis with SOSG grade 3 epidural compression.", "3"),
    ],
)
def test_grades_in_words_and_shorthand(words: str, grade: str) -> None:
    result = detect(f"MRI thoracic spine.\nFINDINGS: {words}", modality="MR")
    assert result.suspected_mescc
    assert result.escc_grade == grade
    assert result.high_grade == (grade in ("2", "3"))


def test_previous_grade_in_brackets_is_not_current() -> None:
    result = detect(
        "IMPRESSION: Epidural tumour at T4 now compresses the cord, CSF preserved "
        "(Bilsky 2, previously 1b)."
    )
    assert result.escc_grade == "2"


# -- cauda equina ----------------------------------------------------------------------------
def test_severe_cauda_equina_compression_is_grade_3() -> None:
    result = detect(
        "FINDINGS: Epidural metastasis at L4 severely compresses the cauda equina, "
        "with no CSF signal in the thecal sac at L4."
    )
    assert (result.suspected_mescc, result.escc_grade, result.levels) == (True, "3", ["L4"])


def test_moderate_cauda_equina_compression_with_csf_is_grade_2() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at L3 moderately compresses the cauda equina; CSF "
        "is still seen between the nerve roots."
    )
    assert result.escc_grade == "2"


def test_disc_cauda_equina_compression_is_negative() -> None:
    _negative(
        "FINDINGS: Massive L4-5 disc extrusion severely compressing the cauda equina. "
        "Normal marrow signal.\nIMPRESSION: Cauda equina compression from disc extrusion."
    )


# -- spelling, case and transport ------------------------------------------------------------
def test_american_and_british_spelling() -> None:
    for text in (
        "Epidural tumor at T6 with cord edema.",
        "Epidural tumour at T6 with cord oedema.",
    ):
        result = detect("FINDINGS: " + text)
        assert result.suspected_mescc
        assert result.cord_signal


def test_all_caps_report() -> None:
    result = detect(
        "HISTORY: LUNG CA. R/O CORD COMPRESSION.\nFINDINGS: DESTRUCTIVE T9 METASTASIS WITH "
        "CIRCUMFERENTIAL EPIDURAL TUMOR SEVERELY COMPRESSING THE CORD. NO CSF AROUND THE CORD.\n"
        "IMPRESSION: HIGH GRADE MSCC AT T9."
    )
    assert (result.suspected_mescc, result.escc_grade, result.levels) == (True, "3", ["T9"])


def test_all_caps_negative_report() -> None:
    _negative(
        "HISTORY: R/O CORD COMPRESSION.\nIMPRESSION: NO EPIDURAL DISEASE. NO CORD COMPRESSION."
    )


def test_hl7_flattened_line_breaks() -> None:
    text = (
        "HISTORY: Breast ca, r/o MSCC\\.br\\FINDINGS: Epidural tumour at T10 abuts the cord."
        "\\.br\\IMPRESSION: T10 ESCC 1c."
    )
    result = detect(text)
    assert (result.suspected_mescc, result.escc_grade, result.levels) == (True, "1c", ["T10"])
    evidence = [e for e in result.evidence if e.field == "suspected_mescc"]
    assert evidence
    assert all(text[e.start : e.end] for e in evidence)


def test_tilde_line_breaks_keep_the_history_separate() -> None:
    _negative(
        "HX: ?cord compression~FINDINGS: No epidural disease. No cord compression.~"
        "IMPRESSION: Negative."
    )


def test_speech_recognition_slips() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at T7 compressing the spinal chord. The thecal sack is effaced."
    )
    assert result.suspected_mescc
    assert result.escc_grade == "2"


# -- excludes_mescc, retropulsion, cord signal --------------------------------------------------
def test_excludes_mescc_needs_both_statements() -> None:
    both = detect(
        "IMPRESSION: No epidural disease. No cord or cauda equina compression.", modality="MR"
    )
    only_one = detect("IMPRESSION: Bone metastases. No cord compression.", modality="MR")
    assert both.excludes_mescc
    assert not both.suspected_mescc
    assert not only_one.excludes_mescc


def test_retropulsion_negated() -> None:
    result = detect("FINDINGS: T12 pathological fracture without retropulsion. No epidural tumour.")
    assert not result.retropulsion
    assert not result.suspected_mescc


def test_cord_signal_negated_and_affirmed() -> None:
    assert not detect("FINDINGS: No abnormal cord signal. Cord normal.").cord_signal
    assert detect(
        "FINDINGS: High T2 signal within the cord at T5, in keeping with oedema."
    ).cord_signal


# -- non-spine studies ----------------------------------------------------------------------
def test_compression_of_other_structures_is_negative() -> None:
    _negative(
        "CT chest: mediastinal mass with severe compression of the superior vena cava and "
        "left main bronchus. Thoracic spine unremarkable.",
        modality="CT",
    )


# -- questions written outside a history section ------------------------------------------
def test_headers_without_colons() -> None:
    _negative(
        "CLINICAL HISTORY\n?MSCC, breast ca\n\nFINDINGS\nNormal marrow. No epidural "
        "disease.\n\nIMPRESSION\nNormal."
    )


def test_referrers_question_in_a_letter_is_not_a_finding() -> None:
    _negative(
        "Dear Dr Obi,\nThank you for referring this lady with suspected cord compression. "
        "Her spine shows normal marrow signal and the cord is normal."
    )


def test_clinical_concern_is_not_the_radiologists_suspicion() -> None:
    _negative(
        "IMPRESSION: Lytic T8 lesion. Given clinical concern for cord compression, an "
        "urgent MRI is advised.",
        modality="CT",
    )


def test_query_in_findings_is_a_suspicion() -> None:
    _positive("FINDINGS: Lytic T6 metastasis. Query early epidural extension at T6.")


@pytest.mark.parametrize(
    "text",
    [
        "MSCC: no.",
        "Epidural disease: none.",
        "Cord compression: absent.",
        "Lack of epidural tumour.",
    ],
)
def test_structured_negative_answers(text: str) -> None:
    _negative("FINDINGS: Sclerotic T9 metastasis.\n" + text)


def test_tumour_in_a_differential_with_abscess_is_suspected() -> None:
    _positive("FINDINGS: Epidural tumour versus abscess at L3 indenting the thecal sac.")


def test_extension_of_an_abscess_is_benign() -> None:
    _negative(
        "FINDINGS: Discitis L3-4 with epidural extension of the abscess indenting the thecal sac."
    )


@pytest.mark.parametrize(
    "text",
    [
        "Paravertebral mass at T9 with intraspinal extension.",
        "Tumour at T6 with canal encroachment.",
        "Metastasis at T6 with intracanalicular extension.",
    ],
)
def test_other_words_for_epidural_extension(text: str) -> None:
    _positive("FINDINGS: " + text)


def test_abuts_but_does_not_compress_is_1c() -> None:
    for text in (
        "Epidural tumour at T5 abuts but does not compress the cord.",
        "Epidural tumour at T5. The cord is abutted but not compressed.",
    ):
        result = detect("FINDINGS: " + text)
        assert (result.escc_grade, result.levels) == ("1c", ["T5"])


def test_enhancement_without_mass_effect_is_low_grade_disease() -> None:
    result = detect(
        "FINDINGS: At L2 there is a small focus of epidural enhancement without mass effect."
    )
    assert (result.suspected_mescc, result.escc_grade) == (True, "1a")


def test_multilevel_report_keeps_every_level_and_the_worst_grade() -> None:
    result = detect(
        "FINDINGS:\nAt T4 there is a pathologic fracture with 40% loss of height. Epidural tumor "
        "compresses the spinal cord with no CSF signal around the cord.\nAt T9, ventral epidural "
        "tumor indents the thecal sac without contacting the cord.\n"
        "IMPRESSION:\n1. High-grade epidural spinal cord compression at T4 (ESCC 3).\n"
        "2. Lower grade epidural disease at T9 (1b) and L2 (1a)."
    )
    assert (result.escc_grade, result.levels) == ("3", ["T4", "T9", "L2"])
    assert result.sins_imaging.location == "semi_rigid"
    assert result.sins_imaging.collapse == "lt50"


def test_csf_effaced_on_one_side_is_thecal_sac_deformity_not_grade_3() -> None:
    one_side = detect(
        "FINDINGS: Epidural tumour at T6 effaces the ventral CSF space without cord compression."
    )
    all_round = detect(
        "FINDINGS: Circumferential epidural tumour at T3 with complete "
        "effacement of the CSF around the cord."
    )
    assert one_side.escc_grade == "1b"
    assert all_round.escc_grade == "3"


def test_level_named_on_the_line_above() -> None:
    result = detect(
        "IMPRESSION:\n1. T7 pathological fracture.\n2. Epidural tumour at this "
        "level compresses the cord."
    )
    assert (result.levels, result.escc_grade) == (["T7"], "2")


def test_question_on_the_line_after_the_history_is_still_a_question() -> None:
    _negative(
        "Clinical details: 70M, prostate cancer.\nBack pain for 2 weeks, ?cord compression.\n"
        "Findings: Normal marrow. Cord normal."
    )


def test_no_new_epidural_disease_does_not_rule_out_known_disease() -> None:
    result = detect(
        "FINDINGS: Stable epidural tumour at T6 abutting the cord.\n"
        "IMPRESSION: Stable T6 metastasis. No new epidural disease."
    )
    assert (result.suspected_mescc, result.escc_grade) == (True, "1c")


def test_no_recurrent_disease_is_a_full_negation() -> None:
    result = detect("IMPRESSION: No recurrent epidural disease or cord compression.")
    assert not result.suspected_mescc
    assert result.excludes_mescc


def test_a_passing_benign_word_earlier_in_the_paragraph_is_not_a_cause() -> None:
    result = detect(
        "Findings: Blastic deposit in the C7 vertebral body. There is involvement of the left "
        "pedicle and facet joint. There is minimal epidural enhancing tissue at C7 which does "
        "not deform the thecal sac."
    )
    assert (result.suspected_mescc, result.escc_grade, result.levels) == (True, "1a", ["C7"])


def test_it_compresses_the_cord_inherits_a_named_benign_cause() -> None:
    _negative(
        "FINDINGS: There is a dorsal epidural collection from T2 to T6 consistent with "
        "haematoma. It compresses the cord at T4."
    )


def test_impending_compression_is_not_compression() -> None:
    result = detect(
        "FINDINGS: Epidural metastasis at T8 contacting the cord; impending cord compression."
    )
    assert result.escc_grade == "1c"


def test_t1_and_t2_as_levels_not_sequences() -> None:
    result = detect("FINDINGS: Epidural tumour at T1 and T2 abuts the cord.")
    assert result.levels == ["T1", "T2"]


def test_final_read_replaces_the_preliminary_one() -> None:
    _negative(
        "PRELIMINARY REPORT: Possible epidural tumour at T6.\n"
        "FINAL REPORT: No epidural tumour; the T6 signal is a venous plexus. No cord compression."
    )


def test_a_grade_on_the_prior_study_is_not_current() -> None:
    result = detect(
        "IMPRESSION: Epidural tumour at T7, ESCC 3 on prior, now ESCC 1c after radiotherapy."
    )
    assert result.escc_grade == "1c"


def test_hedged_finding_clarified_later_as_benign_is_negative() -> None:
    _negative(
        "FINDINGS: Possible epidural soft tissue at T6. On the post-contrast images this is a "
        "prominent venous plexus; no epidural tumour at T6."
    )


def test_hedged_finding_is_kept_when_a_later_denial_is_about_another_level() -> None:
    result = detect("FINDINGS: Possible early epidural extension at T6. No epidural tumour at T9.")
    assert result.levels == ["T6"]


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("L4 metastasis with tumour extending into the right lateral recess.", None),
        ("Circumferential tumour at T9 encases the thecal sac.", "1c"),
        ("Tumour at L3 with crowding of the cauda equina nerve roots.", "2"),
    ],
)
def test_more_ways_of_describing_epidural_tumour(text: str, grade: str) -> None:
    result = detect("FINDINGS: " + text)
    assert (result.suspected_mescc, result.escc_grade) == (True, grade)


def test_addendum_renaming_a_benign_lesion_as_tumour_keeps_its_grade() -> None:
    text = (
        "FINDINGS: Epidural haematoma at T8 indenting the thecal sac without abutting the cord. "
        "Known metastatic breast cancer.\n"
        "IMPRESSION: Epidural haematoma at T8.\n"
        "ADDENDUM: On review of the contrast images, the epidural lesion at T8 represents "
        "tumour rather than haematoma."
    )
    result = detect(text)
    assert result.suspected_mescc
    assert result.escc_grade == "1b"  # the thecal sac indentation is now tumour's
    assert any(
        e.field == "escc_grade" and "thecal_sac" in e.rule and "cause=malignant" in e.rule
        for e in result.evidence
    )
    unrenamed = detect(text.rsplit("\n", 1)[0])
    assert not unrenamed.suspected_mescc


# -- a cause named elsewhere in the report for the same lesion ------------------------------------
_UNNAMED_COMPRESSION = (
    "FINDINGS: Abnormal enhancing marrow throughout L2. An enhancing epidural component at L2 "
    "narrows the canal and compresses the cauda equina.\n"
)


def test_benign_lesion_named_at_the_same_level_in_the_conclusion_is_negative() -> None:
    _negative(
        _UNNAMED_COMPRESSION + "CONCLUSION: Aggressive haemangioma of L2 with epidural "
        "extension compressing the cauda equina. Not metastatic."
    )


def test_tumour_named_at_the_same_level_in_the_conclusion_stays_positive() -> None:
    _positive(
        _UNNAMED_COMPRESSION + "CONCLUSION: L2 metastasis with epidural extension "
        "compressing the cauda equina."
    )


def test_unnamed_compression_is_presumed_tumour_when_nothing_names_a_cause() -> None:
    _positive(_UNNAMED_COMPRESSION + "CONCLUSION: Epidural disease at L2 as described.")


def test_benign_cause_at_another_level_does_not_explain_this_one() -> None:
    _positive(
        _UNNAMED_COMPRESSION + "CONCLUSION: Haemangioma of T11, incidental. Epidural disease at L2."
    )


def test_a_mass_later_named_a_nerve_sheath_tumour_is_negative() -> None:
    _negative(
        "FINDINGS: Intradural extramedullary mass at T4, 15 mm, with a dural tail. It displaces "
        "and compresses the cord.\nIMPRESSION: Schwannoma at T4 compressing the cord."
    )
    _positive(
        "FINDINGS: Intradural extramedullary mass at T4, 15 mm. It displaces and compresses the "
        "cord.\nIMPRESSION: Mass at T4 compressing the cord, possibly a metastasis."
    )


def test_extramedullary_haematopoiesis_is_a_benign_cause() -> None:
    _negative(
        "FINDINGS: Paravertebral soft tissue from T6 to T9 extends into the epidural space at T8 "
        "and compresses the cord.\nOPINION: Extramedullary hematopoiesis with an epidural "
        "component at T8 compressing the cord."
    )


def test_the_previously_seen_tumour_that_has_resolved_is_not_current() -> None:
    _negative(
        "FINDINGS: The previously seen epidural tumour at T9, which compressed the cord, has "
        "completely resolved. CSF surrounds the cord at all levels."
    )
    _positive(
        "FINDINGS: The previously seen epidural tumour at T9 has enlarged and now compresses "
        "the cord."
    )


def test_csf_surrounding_the_cord_is_not_tumour_surrounding_it() -> None:
    result = detect("FINDINGS: Lytic T9 metastasis. CSF surrounds the cord at all levels.")
    assert not result.suspected_mescc
    encasing = detect("FINDINGS: Lytic T9 metastasis. Epidural tumour surrounds the cord at T9.")
    assert encasing.suspected_mescc


def test_plural_benign_tumours_name_a_benign_cause() -> None:
    _negative(
        "FINDINGS: Multiple dumbbell nerve sheath tumours through the foramina at T6 and L2. "
        "The largest at L2 displaces the cauda equina.\nIMPRESSION: Neurofibromas (NF1)."
    )


def test_an_extraosseous_component_named_haemangioma_at_its_level_is_negative() -> None:
    text = (
        "FINDINGS: T5 lesion with coarse trabeculae and a small extraosseous component extending "
        "into the ventral epidural space, indenting the thecal sac.\nIMPRESSION: {} T5 with "
        "small epidural component."
    )
    _negative(text.format("Aggressive haemangioma"))
    _positive(text.format("Metastasis"))


# -- vocabulary of other countries and other ways of setting a finding aside ---------------------
def test_medulla_dural_sac_and_liquor_are_cord_thecal_sac_and_csf() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at Th10 compresses the medulla; no liquor is seen around it."
    )
    assert result.suspected_mescc
    assert result.escc_grade == "3"
    assert result.levels == ["T10"]
    spared = detect("FINDINGS: Epidural tumour at Th10 compresses the medulla; liquor is visible.")
    assert spared.escc_grade == "2"


def test_csf_effaced_on_one_side_only_is_not_grade_3() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at T9 compresses the cord. CSF is effaced on the left but "
        "preserved on the right."
    )
    assert result.escc_grade == "2"


def test_myelographic_contrast_around_the_roots_is_csf() -> None:
    result = detect(
        "FINDINGS: Epidural tumour at L3 compresses the cauda equina; the roots are crowded but "
        "intrathecal contrast is still visible between them.",
        modality="CT",
    )
    assert result.escc_grade == "2"


def test_complete_regression_is_past_disease() -> None:
    _negative("FINDINGS: Complete regression of epidural myeloma at Th6.")
    _negative(
        "FINDINGS: The earlier described epidural tumour at T6 with cord compression has "
        "regressed completely."
    )
    _positive("FINDINGS: Partial regression of epidural myeloma at T6, still indenting the sac.")


def test_a_mimic_named_and_set_aside_is_not_a_finding() -> None:
    _negative(
        "FINDINGS: Ventral to the thecal sac at T7 an enhancing area could look like epidural "
        "tumour, but on the axial images it is the basivertebral venous plexus."
    )


def test_an_intradural_tumour_is_not_epidural_disease() -> None:
    _negative(
        "FINDINGS: Intradural, extramedullary enhancing tumour at L2 displacing the cauda equina "
        "roots, typical of a schwannoma."
    )
    _positive("FINDINGS: Enhancing epidural tumour at L2 displacing the cauda equina roots.")


def test_a_recommendation_to_assess_for_compression_asks_and_does_not_find() -> None:
    _negative(
        "FINDINGS: T8 compression deformity, possibly pathologic.\n"
        "IMPRESSION: MRI recommended, including assessment for cord compression.",
        modality="XR",
    )


def test_department_boilerplate_about_mscc_requests_is_not_a_finding() -> None:
    _negative(
        "FINDINGS: Lytic metastases at T5 and L3 confined to bone. No epidural extension.\n"
        "CONCLUSION: Bone metastases. No MSCC.\n\nDr A Consultant Radiologist\n"
        "MSCC pathway queries: on-call registrar. Out of hours MRI requests for suspected MSCC "
        "must be discussed with the on-call consultant radiologist."
    )


def test_a_comparison_line_describes_the_prior_study() -> None:
    text = (
        "Comparison MRI 5 months ago: epidural tumour at T12 abutting the cord.\n"
        "FINDINGS: {} \nIMPRESSION: {}"
    )
    _negative(
        text.format(
            "No epidural tumour. The T12 deposit is sclerotic.", "Resolved epidural disease."
        )
    )
    _positive(text.format("Epidural tumour at T12 now compresses the cord.", "Progression."))


def test_ct_grades_what_its_own_words_describe() -> None:
    sac = detect(
        "FINDINGS: Lytic L2 metastasis with epidural extension indenting the thecal sac.",
        modality="CT",
    )
    assert sac.escc_grade == "1b"
    abut = detect("FINDINGS: Epidural tumour at T9 abutting the cord.", modality="CT")
    assert abut.escc_grade == "1c"
    compressed = detect("FINDINGS: Epidural tumour at T9 compressing the cord.", modality="CT")
    assert compressed.escc_grade == "2"  # compression with nothing said of CSF (corpus README)
    narrowed = detect("FINDINGS: Epidural tumour at T9 narrows the canal.", modality="CT")
    assert narrowed.escc_grade is None  # a narrowed canal needs CSF or severity words on CT


def test_a_revised_original_assessment_is_taken_back() -> None:
    _negative(
        "FINDINGS: Ventral epidural soft tissue at Th3 indenting the dural sac.\n"
        "ADDENDUM: The finding at Th3 is a calcified disc herniation. No epidural tumour.\n"
        'ASSESSMENT: Original assessment "suspected epidural metastasis Th3" is revised: disc '
        "herniation, no metastasis."
    )


_BONE_ONLY = (
    "FINDINGS: Sclerotic metastases at T4 and T9 confined to bone. No epidural extension. Cord "
    "normal.\nCONCLUSION: Bone-only metastases.\n\n"
)


@pytest.mark.parametrize(
    "footer",
    [
        "Reported by: Dr Lim, Consultant\nFor patients on the MSCC clinical pathway, the ESCC "
        "grade is reported at the most severe level; grade 2 and 3 lesions are flagged as "
        "high-grade.",
        "Dr A Ngata FRANZCR. Electronically verified.\nOut-of-hours MSCC MRI requests are "
        "transferred to the tertiary centre as per the regional pathway.",
        "Verified by: Dr Chua\nUrgent findings are conveyed per the hospital Metastatic Spinal "
        "Cord Compression workflow.",
    ],
)
def test_what_follows_the_signature_is_not_a_finding(footer: str) -> None:
    result = detect(_BONE_ONLY + footer)
    assert not result.suspected_mescc
    assert result.escc_grade == "0"


def test_an_addendum_after_the_signature_is_read() -> None:
    _positive(
        _BONE_ONLY + "Reported by: Dr Lim\n\nADDENDUM: On the contrast images there is epidural "
        "tumour at T9 compressing the cord."
    )


def test_resolution_outranks_a_now_about_what_replaced_it() -> None:
    _negative(
        "FINDINGS: The previously noted ventral epidural component at T6 has resolved and CSF "
        "now surrounds the cord. Complete remission of the epidural lymphoma at Th10."
    )
    _positive("FINDINGS: The previously seen epidural tumour at T6 has now enlarged.")


def test_how_the_levels_were_counted_is_not_a_level() -> None:
    result = detect(
        "FINDINGS: Vertebral levels counted from C2. Epidural tumour at T9 abuts the cord."
    )
    assert result.levels == ["T9"]


def test_an_unheaded_final_read_after_a_signature_is_still_read_when_it_names_a_level() -> None:
    _positive(
        "IMPRESSION: No cord compression.\nReported by: Dr B, Registrar\n"
        "Consultant review: agree with the above, but epidural tumour at T9 abuts the cord."
    )


def test_a_finding_offered_in_a_differential_is_still_suspected() -> None:
    _positive(
        "FINDINGS: Enhancing tissue in the left lateral recess at L4 which may represent early "
        "epidural extension, versus prominent epidural veins.\nIMPRESSION: Possible early "
        "epidural extension at L4 - cannot be excluded."
    )
    _negative(
        "FINDINGS: Enhancing tissue in the left lateral recess at L4 is prominent epidural "
        "veins.\nIMPRESSION: No epidural tumour."
    )


def test_a_printed_grading_legend_is_not_a_finding() -> None:
    legend = (
        "ESCC grading per Bilsky: 0 = bone only; 1a = epidural impingement; 1b = deformation of "
        "the thecal sac; 1c = cord abutment; 2 = cord compression with CSF visible; 3 = cord "
        "compression with no CSF visible."
    )
    _negative("FINDINGS: Leptomeningeal enhancement of the conus. No epidural disease.\n" + legend)
    result = detect("FINDINGS: Epidural tumour at T7 compressing the cord, CSF visible.\n" + legend)
    assert result.escc_grade == "2"


def test_words_quoted_from_the_request_form_are_not_a_finding() -> None:
    _negative(
        "FINDINGS: Lytic T12 metastasis. The phrase 'cord compression' on the request is noted; "
        "no CT features of canal compromise.",
        modality="CT",
    )
