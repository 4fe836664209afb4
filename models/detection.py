"""What the report detector says about one radiology report (DESIGN.md section 4), as frozen data.

Spellings of the SINS imaging components follow ../shared/corpus/README.md; the ESCC grades are
the SOSG/Bilsky grades (Bilsky et al., J Neurosurg Spine 2010;13:324-328).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EsccGrade = Literal["0", "1a", "1b", "1c", "2", "3"]
SinsLocation = Literal["junctional", "mobile", "semi_rigid", "rigid"]
SinsLesion = Literal["lytic", "mixed", "blastic"]
SinsAlignment = Literal["subluxation", "deformity", "normal"]
SinsCollapse = Literal["gt50", "lt50", "none_gt50_involved", "none"]
SinsPosterolateral = Literal["bilateral", "unilateral", "none"]

HIGH_GRADES: frozenset[str] = frozenset({"2", "3"})  # Bilsky 2010: grades 2-3 are high grade


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """One sentence of the report that decided one output field, and the rule that fired."""

    field: str
    rule: str
    sentence: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    section: str | None = None


class SinsImaging(_Frozen):
    """The imaging components of the SINS score (Fisher et al., Spine 2010); None when unstated."""

    location: SinsLocation | None = None
    lesion: SinsLesion | None = None
    alignment: SinsAlignment | None = None
    collapse: SinsCollapse | None = None
    posterolateral: SinsPosterolateral | None = None


class Detection(_Frozen):
    """The detector's verdict on one report, with the evidence for every field (DESIGN.md 4).

    ``review_needed`` is the second tier: malignant spine disease touches the canal, cord or roots
    but the report does not meet "suspected" (an ambiguous relation, an unnamed mass, an unclear
    compartment), so a human should look. It opens no episode and starts no timer; the pathway
    sends one routine ``review_requested`` alert per accession. It is never true together with
    ``suspected_mescc``.
    """

    suspected_mescc: bool = False
    escc_grade: EsccGrade | None = None
    high_grade: bool = False
    levels: list[str] = Field(default_factory=list)
    sins_imaging: SinsImaging = Field(default_factory=SinsImaging)
    cord_signal: bool = False
    excludes_mescc: bool = False
    retropulsion: bool = False
    review_needed: bool = False
    evidence: list[Evidence] = Field(default_factory=list)
