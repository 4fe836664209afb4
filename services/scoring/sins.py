"""Spine Instability Neoplastic Score (SINS): six components, total 0-18, three categories.

Table: Fisher CG et al., "A novel classification system for spinal instability in neoplastic
disease", Spine 2010;35(22):E1221-9. Checked row by row against two reproductions
found with the search tool: pacs.de "Spinal instability neoplastic score (SINS)" and the R
package cliot `sins_spine_score` (rdrr.io/cran/cliot/man/sins_spine_score.html). Spellings of
the values are the detector's (shared/corpus/README.md); pain spellings are issue 4's.
"""

from __future__ import annotations

from models.scoring import SinsCategory, SinsInput, SinsResult

from .points import Band, Row, Table, Tally, band_of, explain_band, tally

_FISHER = "Fisher et al., Spine 2010;35(22):E1221-9"

TABLE = Table(
    score="sins",
    rows=(
        # Location: junctional occiput-C2, C7-T2, T11-L1, L5-S1; mobile C3-C6, L2-L4;
        # semi-rigid T3-T10; rigid S2-S5.
        Row("location", "junctional", 3, _FISHER),
        Row("location", "mobile", 2, _FISHER),
        Row("location", "semi_rigid", 1, _FISHER),
        Row("location", "rigid", 0, _FISHER),
        # Pain: mechanical (relieved by recumbency, worse with movement or loading),
        # occasional non-mechanical, pain-free lesion.
        Row("pain", "mechanical", 3, _FISHER),
        Row("pain", "occasional", 1, _FISHER),
        Row("pain", "none", 0, _FISHER),
        Row("lesion", "lytic", 2, _FISHER),
        Row("lesion", "mixed", 1, _FISHER),
        Row("lesion", "blastic", 0, _FISHER),
        # Alignment: subluxation/translation present; de novo deformity (kyphosis/scoliosis).
        Row("alignment", "subluxation", 4, _FISHER),
        Row("alignment", "deformity", 2, _FISHER),
        Row("alignment", "normal", 0, _FISHER),
        Row("collapse", "gt50", 3, _FISHER),
        Row("collapse", "lt50", 2, _FISHER),
        Row("collapse", "none_gt50_involved", 1, _FISHER),
        Row("collapse", "none", 0, _FISHER),
        # Posterolateral involvement of spinal elements (facet, pedicle or costovertebral joint).
        Row("posterolateral", "bilateral", 3, _FISHER),
        Row("posterolateral", "unilateral", 1, _FISHER),
        Row("posterolateral", "none", 0, _FISHER),
    ),
)

BANDS = (
    Band(0, 6, SinsCategory.STABLE, _FISHER),
    Band(7, 12, SinsCategory.POTENTIALLY_UNSTABLE, _FISHER),
    Band(13, 18, SinsCategory.UNSTABLE, _FISHER),
)

# SINS 7-18 warrants surgical consultation (Fisher 2010; pacs.de reproduction says the same).
SURGICAL_CONSULTATION_FROM = 7


def score_sins(sins: SinsInput) -> tuple[SinsResult, Tally]:
    """SINS total, range and category; the category is indeterminate when the range straddles."""
    candidates = {
        factor: None if value is None else (str(value),)
        for factor, value in sins.model_dump().items()
    }
    t = tally(TABLE, candidates)
    band = band_of(BANDS, t.min, t.max)
    category = SinsCategory(band.label) if band else SinsCategory.INDETERMINATE
    result = SinsResult(total=t.total, min=t.min, max=t.max, category=category)
    rows = (*t.explanation, explain_band(TABLE.score, band, t.min, t.max))
    return result, Tally(total=t.total, min=t.min, max=t.max, explanation=rows)
