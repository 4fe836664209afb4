"""Revised Tokuhashi score for metastatic spine tumour prognosis: six factors, total 0-15.

Tokuhashi Y et al., "A revised scoring system for preoperative evaluation of metastatic spine
tumor prognosis", Spine 2005;30(19):2186-91 (reproduced in NICE CG75, 2008). Rows checked with
the search tool against two reproductions: the R package cliot `revised_tokuhashi_score`
(rdrr.io/cran/cliot/man/revised_tokuhashi_score.html: points per factor and the groups 0-8
< 6 months, 9-11 >= 6 months, 12-15 >= 1 year) and neurosurgerynotes.bullet.site
"prognostication-metastaticspinaltumour" (the same points; its survival column is printed
inverted, so the groups follow cliot and issue 4).
"""

from __future__ import annotations

from models.scoring import ScoreInput, TokuhashiResult

from .points import Band, Candidates, Row, Table, Tally, band_of, explain_band, tally
from .primary import Primary, PrimaryFinding

_T = "Tokuhashi et al., Spine 2005;30(19):2186-91 (as reproduced in NICE CG75 appendix 3)"

TABLE = Table(
    score="tokuhashi",
    rows=(
        # General condition by Karnofsky performance status.
        Row("general_condition", "poor (KPS 10-40)", 0, _T),
        Row("general_condition", "moderate (KPS 50-70)", 1, _T),
        Row("general_condition", "good (KPS 80-100)", 2, _T),
        Row("extraspinal_bone_metastases", ">=3", 0, _T),
        Row("extraspinal_bone_metastases", "1-2", 1, _T),
        Row("extraspinal_bone_metastases", "0", 2, _T),
        Row("vertebral_metastases", ">=3", 0, _T),
        Row("vertebral_metastases", "2", 1, _T),
        Row("vertebral_metastases", "1", 2, _T),
        # Metastases to the major internal organs (lung, liver, kidney, brain).
        Row("visceral_metastases", "unremovable", 0, _T),
        Row("visceral_metastases", "removable", 1, _T),
        Row("visceral_metastases", "none", 2, _T),
        Row("primary_site", "lung, osteosarcoma, stomach, bladder, oesophagus, pancreas", 0, _T),
        Row("primary_site", "liver, gallbladder, unidentified", 1, _T),
        Row("primary_site", "others", 2, _T),
        Row("primary_site", "kidney, uterus", 3, _T),
        Row("primary_site", "rectum", 4, _T),
        Row("primary_site", "thyroid, breast, prostate, carcinoid", 5, _T),
        # Palsy by Frankel grade.
        Row("palsy", "complete (Frankel A, B)", 0, _T),
        Row("palsy", "incomplete (Frankel C, D)", 1, _T),
        Row("palsy", "none (Frankel E)", 2, _T),
    ),
)

BANDS = (
    Band(0, 8, "0-8", _T + ": predicted survival < 6 months"),
    Band(9, 11, "9-11", _T + ": predicted survival >= 6 months"),
    Band(12, 15, "12-15", _T + ": predicted survival >= 1 year"),
)
PREDICTED_SURVIVAL = {"0-8": "< 6 months", "9-11": ">= 6 months", "12-15": ">= 1 year"}

_SITE_OF: dict[Primary, str] = {
    **dict.fromkeys(
        (
            Primary.LUNG,
            Primary.LUNG_SMALL_CELL,
            Primary.LUNG_NON_SMALL_CELL,
            Primary.OSTEOSARCOMA,
            Primary.STOMACH,
            Primary.BLADDER,
            Primary.OESOPHAGUS,
            Primary.PANCREAS,
        ),
        "lung, osteosarcoma, stomach, bladder, oesophagus, pancreas",
    ),
    **dict.fromkeys(
        (Primary.HEPATOCELLULAR, Primary.GALLBLADDER, Primary.UNKNOWN_PRIMARY),
        "liver, gallbladder, unidentified",
    ),
    **dict.fromkeys((Primary.KIDNEY, Primary.UTERUS), "kidney, uterus"),
    Primary.RECTUM: "rectum",
    **dict.fromkeys(
        (Primary.THYROID, Primary.BREAST, Primary.PROSTATE, Primary.CARCINOID),
        "thyroid, breast, prostate, carcinoid",
    ),
}
_OTHERS = "others"
_OSTEO = "lung, osteosarcoma, stomach, bladder, oesophagus, pancreas"


def score_tokuhashi(inputs: ScoreInput, finding: PrimaryFinding) -> tuple[TokuhashiResult, Tally]:
    """Revised Tokuhashi total, range and group from whatever inputs are known."""
    candidates: dict[str, Candidates] = {
        "general_condition": _general_condition(inputs.karnofsky, inputs.ecog),
        "extraspinal_bone_metastases": _count3(inputs.extraspinal_bone_metastases_count, ">=3"),
        "vertebral_metastases": _vertebral(inputs.vertebral_metastases_count),
        "visceral_metastases": _visceral(
            inputs.visceral_metastases, inputs.visceral_metastases_removable
        ),
        "primary_site": _primary_site(finding),
        "palsy": _palsy(inputs.frankel),
    }
    t = tally(TABLE, candidates)
    band = band_of(BANDS, t.min, t.max)
    result = TokuhashiResult(
        total=t.total,
        min=t.min,
        max=t.max,
        group=band.label if band else "indeterminate",
        predicted_survival=PREDICTED_SURVIVAL[band.label] if band else None,
    )
    rows = (*t.explanation, explain_band(TABLE.score, band, t.min, t.max))
    return result, Tally(total=t.total, min=t.min, max=t.max, explanation=rows)


# Used only when KPS is missing: ECOG 0 = KPS 90-100, 1 = 70-80, 2 = 50-60, 3 = 30-40,
# 4 = 10-20 (approximate correspondence; myelomacomorbidityindex.org Karnofsky/ECOG table and
# aihaoyisheng.com performance-status tool, found with the search tool). ECOG 1 spans two rows.
_GOOD, _MODERATE, _POOR = "good (KPS 80-100)", "moderate (KPS 50-70)", "poor (KPS 10-40)"
_FROM_ECOG: dict[int, tuple[str, ...]] = {
    0: (_GOOD,),
    1: (_MODERATE, _GOOD),
    2: (_MODERATE,),
    3: (_POOR,),
    4: (_POOR,),
}


def _general_condition(kps: int | None, ecog: int | None) -> Candidates:
    if kps is None:
        return None if ecog is None else _FROM_ECOG[ecog]
    if kps >= 80:
        return (_GOOD,)
    if kps >= 50:
        return (_MODERATE,)
    return (_POOR,)


def _count3(count: int | None, many: str) -> Candidates:
    if count is None:
        return None
    return (many,) if count >= 3 else ("1-2",) if count >= 1 else ("0",)


def _vertebral(count: int | None) -> Candidates:
    if count is None:
        return None
    return (">=3",) if count >= 3 else (str(count),)


def _visceral(present: bool | None, removable: bool | None) -> Candidates:
    if present is False:
        return ("none",)
    if present is None:
        # A removable visceral metastasis can only be one that is present.
        return ("removable", "none") if removable else None
    if removable is None:
        return ("unremovable", "removable")
    return ("removable",) if removable else ("unremovable",)


def _primary_site(finding: PrimaryFinding) -> Candidates:
    if not finding.known:
        return None
    sites: list[str] = []
    for primary in sorted(finding.primaries):
        if primary is Primary.BONE_SARCOMA:
            sites += [_OSTEO, _OTHERS]  # C40-C41: osteosarcoma scores 0, other sarcomas 2
        else:
            sites.append(_SITE_OF.get(primary, _OTHERS))
    return tuple(dict.fromkeys(sites))


def _palsy(frankel: str | None) -> Candidates:
    if frankel is None:
        return None
    if frankel in ("A", "B"):
        return ("complete (Frankel A, B)",)
    if frankel in ("C", "D"):
        return ("incomplete (Frankel C, D)",)
    return ("none (Frankel E)",)
