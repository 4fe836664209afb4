"""Clinical scores and NOMS-style advice for suspected MESCC: pure, table-driven, cited.

``score(ScoreInput) -> ScoreResult`` is the only entry point the rest of Cordwatch uses (the
pathway engine and `cordwatch score`). No I/O, no clock, no logging.
"""

from __future__ import annotations

from functools import lru_cache

from models.scoring import ExplainRow, ScoreInput, ScoreResult

from .advice import Findings, advise
from .escc import score_escc
from .primary import identify
from .rades import UNAVAILABLE, score_rades
from .radiosensitivity import classify
from .sins import score_sins
from .tokuhashi import score_tokuhashi

__all__ = ["score"]


# The pathway rescores each time an episode gets new evidence, and most episodes share their
# inputs (no assessment yet, the same few imaging elements): the inputs and the result are
# frozen, so a result can be shared. Bounded: a result with its explanation is a few kB.
_CACHED_RESULTS = 256


def score(inputs: ScoreInput) -> ScoreResult:
    """Every score, its range when inputs are missing, the advice, and the rows behind them."""
    return _score(inputs)


@lru_cache(maxsize=_CACHED_RESULTS)
def _score(inputs: ScoreInput) -> ScoreResult:
    finding = identify(inputs.diagnoses, inputs.primary_tumour)
    sins, sins_tally = score_sins(inputs.sins)
    escc, escc_rows = score_escc(inputs.escc_grade)
    radiosensitivity, basis, rs_row = classify(finding)
    rades, rades_tally, rades_categories = score_rades(inputs, finding)
    tokuhashi, tokuhashi_tally = score_tokuhashi(inputs, finding)
    if rades_tally is not None:
        rades_rows = rades_tally.explanation
    else:
        rades_rows = tuple(
            ExplainRow(
                score="rades",
                factor=factor,
                value="unknown" if values is None else " | ".join(values),
                points="n/a",
                source=UNAVAILABLE,
            )
            for factor, values in rades_categories.items()
        )
    findings = Findings(
        suspected_mescc=inputs.suspected_mescc,
        neurological_deficit=_neurological_deficit(inputs),
        retropulsion=inputs.retropulsion,
        primaries=frozenset(str(p) for p in finding.primaries),
        escc=escc,
        sins=sins,
        sins_missing=tuple(k for k, v in inputs.sins.model_dump().items() if v is None),
        radiosensitivity=radiosensitivity,
        rades=rades,
        tokuhashi=tokuhashi,
    )
    return ScoreResult(
        id=inputs.id,
        sins=sins,
        escc=escc,
        rades=rades,
        tokuhashi=tokuhashi,
        radiosensitivity=radiosensitivity,
        radiosensitivity_basis=basis,
        advice=advise(findings),
        explanation=(
            *sins_tally.explanation,
            *escc_rows,
            rs_row,
            *rades_rows,
            *tokuhashi_tally.explanation,
        ),
    )


def _neurological_deficit(inputs: ScoreInput) -> bool | None:
    """True on any recorded deficit, False when explicitly intact, None when nobody said."""
    if inputs.ambulatory is False or inputs.motor_deficit_days is not None:
        return True
    if inputs.frankel is not None:
        return inputs.frankel != "E"  # Frankel A-D: some motor or sensory loss
    return None
