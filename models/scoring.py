"""Data shapes of the clinical scores: what `services.scoring.score` takes and returns.

The input mirrors one `cordwatch score` input line (issue 4) and every field is optional, because
the scores are computed as soon as MESCC is suspected, long before the bedside facts are complete.
Unknown inputs widen a score into a range instead of being guessed. The spellings of the SINS
imaging components are those of the detector (shared/corpus/README.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

EsccGrade = Literal["0", "1a", "1b", "1c", "2", "3"]
FrankelGrade = Literal["A", "B", "C", "D", "E"]


class _Frozen(BaseModel):
    # from_attributes: the pathway may pass models.events.Diagnosis objects straight in.
    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)


# --- SINS component spellings (Fisher et al., Spine 2010;35(22):E1221-9; corpus README) --------


class SinsLocation(StrEnum):
    JUNCTIONAL = "junctional"
    MOBILE = "mobile"
    SEMI_RIGID = "semi_rigid"
    RIGID = "rigid"


class SinsPain(StrEnum):
    MECHANICAL = "mechanical"
    OCCASIONAL = "occasional"
    NONE = "none"


class SinsLesion(StrEnum):
    LYTIC = "lytic"
    MIXED = "mixed"
    BLASTIC = "blastic"


class SinsAlignment(StrEnum):
    SUBLUXATION = "subluxation"
    DEFORMITY = "deformity"
    NORMAL = "normal"


class SinsCollapse(StrEnum):
    GT50 = "gt50"
    LT50 = "lt50"
    NONE_GT50_INVOLVED = "none_gt50_involved"
    NONE = "none"


class SinsPosterolateral(StrEnum):
    BILATERAL = "bilateral"
    UNILATERAL = "unilateral"
    NONE = "none"


class SinsCategory(StrEnum):
    STABLE = "stable"
    POTENTIALLY_UNSTABLE = "potentially_unstable"
    UNSTABLE = "unstable"
    INDETERMINATE = "indeterminate"


class Radiosensitivity(StrEnum):
    """Response of the primary to conventional external-beam RT, as NOMS tables class it."""

    RADIOSENSITIVE = "radiosensitive"
    # Neither list found names it (breast, prostate): not radiosensitive for the NOMS decision.
    INTERMEDIATE = "intermediate"
    RADIORESISTANT = "radioresistant"
    UNKNOWN = "unknown"


class NomsDomain(StrEnum):
    NEUROLOGIC = "neurologic"
    ONCOLOGIC = "oncologic"
    MECHANICAL = "mechanical"
    SYSTEMIC = "systemic"


# --- input ---------------------------------------------------------------------------------


class SinsInput(_Frozen):
    """The six SINS components; None means not known (pain comes from the bedside)."""

    location: SinsLocation | None = None
    pain: SinsPain | None = None
    lesion: SinsLesion | None = None
    alignment: SinsAlignment | None = None
    collapse: SinsCollapse | None = None
    posterolateral: SinsPosterolateral | None = None


class CodedDiagnosis(_Frozen):
    """A coded diagnosis; only ICD-10 C-codes drive the primary-tumour tables."""

    # Diagnoses arrive as the ADT contract sends them (display, onset...): keep what scoring reads.
    model_config = ConfigDict(frozen=True, extra="ignore", from_attributes=True)

    code: Annotated[str, Field(min_length=1, max_length=32)]
    system: Annotated[str, Field(min_length=1, max_length=32)] = "ICD-10"


class ScoreInput(_Frozen):
    """Everything the scores may use; every field optional (issue 4 input line)."""

    id: Annotated[str, Field(max_length=128)] | None = None
    sins: SinsInput = SinsInput()
    escc_grade: EsccGrade | None = None
    diagnoses: Annotated[tuple[CodedDiagnosis, ...], Field(max_length=200)] = ()
    primary_tumour: Annotated[str, Field(max_length=256)] | None = None
    months_since_cancer_diagnosis: Annotated[float, Field(ge=0, le=1200)] | None = None
    other_bone_metastases: bool | None = None
    visceral_metastases: bool | None = None
    ambulatory: bool | None = None
    motor_deficit_days: Annotated[float, Field(ge=0, le=36500)] | None = None
    ecog: Annotated[int, Field(ge=0, le=4)] | None = None
    retropulsion: bool | None = None
    # None: infer suspicion from the ESCC grade (>= 1a) or retropulsion; the pathway sets it.
    suspected_mescc: bool | None = None
    # Revised Tokuhashi inputs (Tokuhashi et al., Spine 2005;30:2186-91).
    karnofsky: Annotated[int, Field(ge=0, le=100)] | None = None
    extraspinal_bone_metastases_count: Annotated[int, Field(ge=0, le=1000)] | None = None
    vertebral_metastases_count: Annotated[int, Field(ge=1, le=33)] | None = None
    visceral_metastases_removable: bool | None = None
    frankel: FrankelGrade | None = None


# --- output --------------------------------------------------------------------------------


class ExplainRow(_Frozen):
    """One table row that contributed to a result, for `cordwatch score --explain`."""

    score: str
    factor: str
    value: str
    points: str
    source: str


class SinsResult(_Frozen):
    total: int | None
    min: int
    max: int
    category: SinsCategory


class EsccResult(_Frozen):
    grade: EsccGrade | None
    high_grade: bool | None


class RadesResult(_Frozen):
    """Rades 2008 survival score; every number None when its table is not available."""

    total: int | None
    min: int | None
    max: int | None
    group: str | None
    six_month_survival_percent: int | None
    note: str | None = None


class TokuhashiResult(_Frozen):
    total: int | None
    min: int | None
    max: int | None
    group: str | None
    predicted_survival: str | None = None
    note: str | None = None


class RadiosensitivityBasis(_Frozen):
    """Which code or words decided the radiosensitivity, and whose table says so."""

    primary: str | None
    matched: str | None
    source: str


class AdviceItem(_Frozen):
    """A decision-support suggestion ("consider ..."), never an order."""

    code: str
    domain: NomsDomain
    text: str
    reasons: tuple[str, ...]
    sources: tuple[str, ...]


class ScoreResult(_Frozen):
    """One `cordwatch score` output line (issue 4), plus the rows that explain it."""

    id: str | None = None
    sins: SinsResult
    escc: EsccResult
    rades: RadesResult
    tokuhashi: TokuhashiResult
    radiosensitivity: Radiosensitivity
    radiosensitivity_basis: RadiosensitivityBasis
    advice: tuple[AdviceItem, ...]
    explanation: tuple[ExplainRow, ...] = ()
