"""Primary tumour identification and the NOMS radiosensitivity table, one row per test case."""

from __future__ import annotations

import pytest

from models.events import Diagnosis
from models.scoring import Radiosensitivity, ScoreInput
from services.scoring import score
from services.scoring.primary import Primary, identify

SENS = Radiosensitivity.RADIOSENSITIVE
RES = Radiosensitivity.RADIORESISTANT
MID = Radiosensitivity.INTERMEDIATE
UNK = Radiosensitivity.UNKNOWN


def rs(codes: list[str], words: str | None = None, system: str = "ICD-10") -> Radiosensitivity:
    inputs = ScoreInput(
        diagnoses=[{"code": c, "system": system} for c in codes], primary_tumour=words
    )
    return score(inputs).radiosensitivity


@pytest.mark.parametrize(
    ("codes", "words", "expected"),
    [
        (["C90.0"], None, SENS),  # multiple myeloma
        (["C90.3"], None, SENS),  # solitary plasmacytoma
        (["C81.1"], None, SENS),  # Hodgkin lymphoma
        (["C83.3"], None, SENS),  # diffuse large B-cell lymphoma
        (["C88.0"], None, SENS),  # immunoproliferative disease
        (["C91.1"], None, SENS),  # chronic lymphocytic leukaemia
        (["C96.4"], None, SENS),  # histiocytic sarcoma (C96 lymphoid/haematopoietic)
        (["C62.9"], None, SENS),  # testis
        ([], "seminoma", SENS),
        (["C34.1"], "small cell carcinoma", SENS),
        (["C34.1"], "non-small cell lung cancer", RES),
        (["C34.1"], None, RES),  # issue 4: small-cell only via histology words
        (["C64"], None, RES),  # kidney
        (["C65"], None, RES),  # renal pelvis
        (["C43.5"], None, RES),  # melanoma
        (["C41.2"], None, RES),  # bone sarcoma
        (["C49.4"], None, RES),  # soft tissue sarcoma
        (["C22.0"], None, RES),  # hepatocellular
        (["C73"], None, RES),  # thyroid
        (["C18.7"], None, RES),  # colon
        (["C19"], None, RES),  # rectosigmoid
        (["C20"], None, RES),  # rectum
        (["C50.9"], None, MID),  # breast: in neither list found
        (["C61"], None, MID),  # prostate: in neither list found
        ([], None, UNK),
        (["C79.51"], None, UNK),  # secondary bone only: primary unknown
        (["C56"], None, UNK),  # ovary: not in the table
        (["C50.9", "C64"], None, UNK),  # two primaries that disagree
        (["C90.0", "C83.3"], None, SENS),  # two primaries that agree
    ],
)
def test_radiosensitivity_row(codes: list[str], words: str | None, expected: str) -> None:
    assert rs(codes, words) == expected


def test_snomed_codes_are_not_guessed() -> None:
    assert rs(["254637007"], system="SNOMED") == UNK


def test_words_refine_a_lung_code_and_the_basis_names_the_match() -> None:
    result = score(
        ScoreInput(diagnoses=[{"code": "C34.9"}], primary_tumour="Small-cell lung carcinoma")
    )
    assert result.radiosensitivity == SENS
    assert result.radiosensitivity_basis.primary == "lung_small_cell"
    assert "Small-cell".lower() in (result.radiosensitivity_basis.matched or "").lower()


def test_diagnosis_dicts_may_carry_display_and_onset() -> None:
    dx = {"code": "C61", "system": "ICD-10", "display": "Prostate", "onset": "2024-01-01"}
    assert score(ScoreInput.model_validate({"diagnoses": [dx]})).radiosensitivity == MID


def test_event_contract_diagnoses_are_accepted_directly() -> None:
    dx = Diagnosis(code="C64.1", system="ICD-10", display="Renal cell carcinoma")
    assert score(ScoreInput(diagnoses=[dx])).radiosensitivity == RES


@pytest.mark.parametrize(
    ("words", "primaries"),
    [
        ("colorectal adenocarcinoma", {Primary.COLON, Primary.RECTUM}),
        ("Ewing sarcoma", {Primary.SARCOMA}),
        ("osteosarcoma of femur", {Primary.OSTEOSARCOMA}),
        ("NSCLC, adenocarcinoma", {Primary.LUNG_NON_SMALL_CELL}),
        ("prostatic adenocarcinoma", {Primary.PROSTATE}),
        ("cancer of unknown primary", {Primary.UNKNOWN_PRIMARY}),
        ("breast cancer with lung metastases", {Primary.BREAST}),
        ("renal cell carcinoma, metastases to the lung", {Primary.KIDNEY}),
        ("Secondary malignant neoplasm of lung", set()),
        ("metastatic prostate cancer", {Primary.PROSTATE}),
    ],
)
def test_histology_words(words: str, primaries: set[Primary]) -> None:
    assert identify([], words).primaries == primaries
