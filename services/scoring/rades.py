"""Rades survival score for MESCC treated with radiotherapy: six factors, total 20-45.

Rades D, Dunst J, Schild SE, "The first score predicting overall survival in patients with
metastatic spinal cord compression", Cancer 2008;112(1):157-61. Each category scores its
6-month survival rate (%) divided by 10; totals range 20-45 (abstract, found with the search
tool at acsjournals.onlinelibrary.wiley.com/doi/10.1002/cncr.23150).

Groups: Rades D et al., "Validation and simplification of a score predicting survival in patients
irradiated for metastatic spinal cord compression", Cancer 2010 (August) regrouped the
totals into 20-30, 31-35 and 36-45 points with 6-month survival 14%, 56% and 80% (abstract found
at research.uni-luebeck.de). The same abstract gives the five original groups' 6-month survival
in the validation series: 7% (20-25), 19% (26-30), 56% (31-35), 73% (36-40), 90% (41-45).

NOT CONFIRMED: the per-category points (the 2008 paper's Table 2). The search tool found the
abstracts above but no page or code reproducing the table; a table recalled from memory is not
acceptable for a clinical score, so ``POINTS`` is None and the score reports itself unavailable.
The factor categories are computed and explained so that a confirmed table can be dropped in.
"""

from __future__ import annotations

from models.scoring import RadesResult, ScoreInput

from .points import Band, Candidates, Table, Tally, band_of, explain_band, tally
from .primary import Primary, PrimaryFinding

_RADES_2008 = "Rades, Dunst, Schild, Cancer 2008;112:157-61"
_RADES_2010 = "Rades et al., Cancer 2010 (validation and simplification), three groups"
UNAVAILABLE = "unavailable: table not confirmed"

# The per-category points table. None until a faithful reproduction is found and cited.
POINTS: Table | None = None

TOTAL_RANGE = (20, 45)  # Rades 2008 abstract: totals ranged between 20 and 45 points

BANDS = (
    Band(20, 30, "20-30", _RADES_2010 + ": 6-month survival 14%"),
    Band(31, 35, "31-35", _RADES_2010 + ": 6-month survival 56%"),
    Band(36, 45, "36-45", _RADES_2010 + ": 6-month survival 80%"),
)
SIX_MONTH_SURVIVAL_PERCENT = {"20-30": 14, "31-35": 56, "36-45": 80}

# Rades 2008 tumour-type categories.
_TUMOUR_TYPE: dict[Primary, str] = {
    Primary.BREAST: "breast cancer",
    Primary.PROSTATE: "prostate cancer",
    Primary.MYELOMA: "myeloma/lymphoma",
    Primary.LYMPHOMA: "myeloma/lymphoma",
    Primary.LUNG: "lung cancer",
    Primary.LUNG_SMALL_CELL: "lung cancer",
    Primary.LUNG_NON_SMALL_CELL: "lung cancer",
}
_OTHER_TUMOUR = "other tumours"


def categories(inputs: ScoreInput, finding: PrimaryFinding) -> dict[str, Candidates]:
    """The Rades category of each factor, or None when the input is unknown."""
    return {
        "tumour_type": (
            tuple(
                dict.fromkeys(_TUMOUR_TYPE.get(p, _OTHER_TUMOUR) for p in sorted(finding.primaries))
            )
            if finding.known
            else None
        ),
        "interval_diagnosis_to_mescc": _interval(inputs.months_since_cancer_diagnosis),
        "other_bone_metastases": _yes_no(inputs.other_bone_metastases),
        "visceral_metastases": _yes_no(inputs.visceral_metastases),
        "ambulatory_before_rt": _yes_no(inputs.ambulatory),
        "time_developing_motor_deficits": _motor_days(inputs.motor_deficit_days),
    }


def score_rades(
    inputs: ScoreInput, finding: PrimaryFinding, *, table: Table | None = POINTS
) -> tuple[RadesResult, Tally | None, dict[str, Candidates]]:
    """Rades total, range and 2010 group; unavailable while the points table is unconfirmed."""
    cats = categories(inputs, finding)
    if table is None:
        result = RadesResult(
            total=None,
            min=None,
            max=None,
            group=None,
            six_month_survival_percent=None,
            note=UNAVAILABLE,
        )
        return result, None, cats
    t = tally(table, cats)
    band = band_of(BANDS, t.min, t.max)
    result = RadesResult(
        total=t.total,
        min=t.min,
        max=t.max,
        group=band.label if band else "indeterminate",
        six_month_survival_percent=SIX_MONTH_SURVIVAL_PERCENT[band.label] if band else None,
    )
    rows = (*t.explanation, explain_band("rades", band, t.min, t.max))
    return result, Tally(total=t.total, min=t.min, max=t.max, explanation=rows), cats


def _interval(months: float | None) -> Candidates:
    if months is None:
        return None
    return ("<=15 months",) if months <= 15 else (">15 months",)


def _yes_no(value: bool | None) -> Candidates:
    return None if value is None else ("yes",) if value else ("no",)


def _motor_days(days: float | None) -> Candidates:
    if days is None:
        return None
    if days <= 7:
        return ("1-7 days",)
    return ("8-14 days",) if days <= 14 else (">14 days",)
