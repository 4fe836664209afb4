"""Decision support in the NOMS frame (neurologic, oncologic, mechanical, systemic).

Every item says "consider": Cordwatch states what the scores suggest and why, and the team
decides. Rules, each with its source:

- Steroids when MESCC is suspected (NICE NG234 1.8.1; 1.8.5 for haematological malignancy).
- Urgent surgical evaluation for (a) high-grade ESCC (2, 3) from a primary that is not
  radiosensitive, (b) SINS >= 7 when the whole SINS range is >= 7 (a range that only *reaches*
  7 because components are missing gives a "complete the SINS" item instead, naming them),
  or (c) a retropulsed bone fragment, which radiotherapy cannot remove.
- Surgery is for patients expected to live at least 3 months (Patchell 2005 inclusion); a poor
  predicted survival adds an item asking the team to confirm this.
- Conventional RT for radiosensitive primaries at any grade, and for low-grade ESCC from primaries
  that are not radioresistant; SBRT for radioresistant primaries with low-grade ESCC, separation
  surgery then SBRT when it is high-grade (Laufer 2013, NOMS).
- Conventional RT fractionation by predicted survival: short course (8 Gy x 1 or 20 Gy / 5) when
  poor, longer course (30 Gy / 10 or more) when favourable (Rades and Schild). The Rades group is
  used when its table is available; otherwise the revised Tokuhashi group, and the item says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.scoring import (
    AdviceItem,
    EsccResult,
    NomsDomain,
    RadesResult,
    Radiosensitivity,
    SinsResult,
    TokuhashiResult,
)

from .escc import EPIDURAL_GRADES
from .escc import SOURCE as BILSKY
from .sins import SURGICAL_CONSULTATION_FROM

NICE_181 = (
    "NICE NG234 (2023) rec. 1.8.1: dexamethasone 16 mg as soon as possible, then 16 mg daily "
    "until surgery or radiotherapy, for neurological symptoms or signs of MSCC"
)
NICE_185 = (
    "NICE NG234 (2023) rec. 1.8.5: dexamethasone 16 mg for confirmed haematological malignancy "
    "with spinal metastases; further steroids discussed with the haematology MDT"
)
NICE_183 = (
    "NICE NG234 (2023) recs. 1.8.3 and 1.8.7: without neurological symptoms or signs, consider "
    "steroids only for severe pain or haematological malignancy; not routinely otherwise"
)
NOMS = "Laufer et al., Oncologist 2013;18(6), doi:10.1634/theoncologist.2012-0293 (NOMS)"
FISHER = "Fisher et al., Spine 2010;35(22):E1221-9 (SINS 7-18: surgical consultation)"
PATCHELL = (
    "Patchell et al., Lancet 2005;366:643-8 (surgery plus RT for MESCC; expected survival "
    ">= 3 months)"
)
RADES_FRACTIONATION = (
    "Rades et al., Radiat Oncol 2018, doi:10.1186/s13014-018-0968-3 (1 x 8 Gy vs 5 x 4 Gy by "
    "prognostic group); MESCC fractionation review, Preprints 2024, 202403.0108: short course "
    "or single fraction for poor, longer course (e.g. 10 x 3 Gy) for favourable survival prognosis"
)
TOKUHASHI = "Tokuhashi et al., Spine 2005;30(19):2186-91"
RADES_SCORE = "Rades, Dunst, Schild, Cancer 2008;112:157-61; groups: Rades et al., Cancer 2010"

_HAEMATOLOGICAL = frozenset({"myeloma", "lymphoma", "leukaemia"})


@dataclass(frozen=True, slots=True)
class Findings:
    """What the advice rules read: the computed scores plus the few raw facts they need."""

    suspected_mescc: bool | None
    neurological_deficit: bool | None
    retropulsion: bool | None
    primaries: frozenset[str]
    escc: EsccResult
    sins: SinsResult
    sins_missing: tuple[str, ...]
    radiosensitivity: Radiosensitivity
    rades: RadesResult
    tokuhashi: TokuhashiResult


def advise(f: Findings) -> tuple[AdviceItem, ...]:
    """Every advice item whose rule fires, in NOMS order."""
    items: list[AdviceItem] = []
    suspected = _suspected(f)
    if suspected:
        items.append(_steroids(f))
    surgery_reasons = _surgery_reasons(f)
    if surgery_reasons:
        # Neurologic when the cord is at stake; mechanical when only stability or bone is.
        neurologic = f.escc.high_grade and f.radiosensitivity is not Radiosensitivity.RADIOSENSITIVE
        items.append(
            AdviceItem(
                code="urgent_surgical_evaluation",
                domain=NomsDomain.NEUROLOGIC if neurologic else NomsDomain.MECHANICAL,
                text="Consider urgent evaluation by the spinal surgical team.",
                reasons=tuple(surgery_reasons),
                sources=(NOMS, BILSKY, FISHER, PATCHELL),
            )
        )
        prognosis = _prognosis(f)
        if prognosis is not None and prognosis[0] == "poor":
            items.append(
                AdviceItem(
                    code="confirm_survival_before_surgery",
                    domain=NomsDomain.SYSTEMIC,
                    text=(
                        "Consider whether expected survival is at least 3 months before "
                        "offering surgery."
                    ),
                    reasons=(prognosis[1],),
                    sources=(PATCHELL, prognosis[2]),
                )
            )
    sins_item = _complete_sins(f)
    if sins_item is not None:
        items.append(sins_item)
    items.extend(_oncologic(f, suspected=suspected))
    return tuple(items)


def _suspected(f: Findings) -> bool:
    if f.suspected_mescc is not None:
        return f.suspected_mescc
    return f.escc.grade in EPIDURAL_GRADES or bool(f.retropulsion)


def _steroids(f: Findings) -> AdviceItem:
    reasons = ["metastatic epidural spinal cord compression is suspected"]
    if f.escc.grade is not None:
        reasons.append(f"ESCC grade {f.escc.grade}")
    sources = [NICE_181]
    if f.neurological_deficit:
        reasons.append("neurological deficit recorded")
    else:
        reasons.append(
            "no neurological deficit recorded: NICE reserves steroids for severe pain or a "
            "haematological primary when there are no neurological symptoms or signs"
        )
        sources.append(NICE_183)
    if f.primaries & _HAEMATOLOGICAL:
        reasons.append("haematological primary: discuss further steroids with haematology")
        sources.append(NICE_185)
    return AdviceItem(
        code="start_steroids",
        domain=NomsDomain.NEUROLOGIC,
        text=(
            "Consider dexamethasone 16 mg orally (or an equivalent parenteral dose) as soon as "
            "possible, with gastric protection, unless contraindicated."
        ),
        reasons=tuple(reasons),
        sources=tuple(sources),
    )


def _surgery_reasons(f: Findings) -> list[str]:
    reasons: list[str] = []
    if f.escc.high_grade and f.radiosensitivity is not Radiosensitivity.RADIOSENSITIVE:
        reasons.append(
            f"high-grade ESCC (grade {f.escc.grade}) from a primary that is not known to be "
            f"radiosensitive ({f.radiosensitivity})"
        )
    if f.sins.min >= SURGICAL_CONSULTATION_FROM:
        shown = f.sins.total if f.sins.total is not None else f"{f.sins.min}-{f.sins.max}"
        reasons.append(f"SINS {shown} ({f.sins.category}): 7 or more")
    if f.retropulsion:
        reasons.append("retropulsed bone fragment: radiotherapy does not relieve bony compression")
    return reasons


def _complete_sins(f: Findings) -> AdviceItem | None:
    # Only when the known components already make >= 7 possible, so the gap matters.
    if not f.sins_missing or f.sins.min >= SURGICAL_CONSULTATION_FROM:
        return None
    if f.sins.max < SURGICAL_CONSULTATION_FROM or len(f.sins_missing) == 6:
        return None
    return AdviceItem(
        code="complete_sins",
        domain=NomsDomain.MECHANICAL,
        text=(
            "Consider assessing the missing SINS components ("
            + ", ".join(f.sins_missing)
            + "); the score may reach 7, which warrants surgical consultation."
        ),
        reasons=(f"SINS range {f.sins.min}-{f.sins.max} ({f.sins.category})",),
        sources=(FISHER,),
    )


def _oncologic(f: Findings, *, suspected: bool) -> list[AdviceItem]:
    rs = f.radiosensitivity
    grade = f.escc.grade
    if not suspected:
        return []  # bone-only disease (grade 0) or no finding: not an MESCC treatment decision
    items: list[AdviceItem] = []
    low_grade = f.escc.high_grade is False
    if rs is Radiosensitivity.RADIORESISTANT and f.escc.high_grade:
        items.append(
            AdviceItem(
                code="separation_surgery_then_sbrt",
                domain=NomsDomain.ONCOLOGIC,
                text="Consider separation surgery followed by stereotactic body radiotherapy.",
                reasons=(f"radioresistant primary with high-grade ESCC (grade {grade})",),
                sources=(NOMS,),
            )
        )
    elif rs is Radiosensitivity.RADIORESISTANT and low_grade:
        items.append(
            AdviceItem(
                code="sbrt",
                domain=NomsDomain.ONCOLOGIC,
                text="Consider stereotactic body radiotherapy (SBRT).",
                reasons=(f"radioresistant primary with low-grade ESCC (grade {grade})",),
                sources=(NOMS,),
            )
        )
    elif rs is Radiosensitivity.RADIOSENSITIVE or (
        low_grade and rs is not Radiosensitivity.RADIORESISTANT
    ):
        why = (
            f"radiosensitive primary (ESCC grade {grade or 'unknown'})"
            if rs is Radiosensitivity.RADIOSENSITIVE
            else f"low-grade ESCC (grade {grade}) from a primary that is not radioresistant ({rs})"
        )
        items.append(
            AdviceItem(
                code="conventional_rt",
                domain=NomsDomain.ONCOLOGIC,
                text="Consider conventional external-beam radiotherapy.",
                reasons=(why,),
                sources=(NOMS, BILSKY),
            )
        )
        fractionation = _fractionation(f)
        if fractionation is not None:
            items.append(fractionation)
    return items


def _fractionation(f: Findings) -> AdviceItem | None:
    prognosis = _prognosis(f)
    if prognosis is None or prognosis[0] == "intermediate":
        return None
    kind, why, source = prognosis
    if kind == "poor":
        code, text = (
            "short_course_rt",
            ("Consider short-course radiotherapy (8 Gy in 1 fraction or 20 Gy in 5 fractions)."),
        )
    else:
        code, text = (
            "longer_course_rt",
            ("Consider longer-course radiotherapy (30 Gy in 10 fractions or more)."),
        )
    return AdviceItem(
        code=code,
        domain=NomsDomain.SYSTEMIC,
        text=text,
        reasons=(why,),
        sources=(RADES_FRACTIONATION, source),
    )


def _prognosis(f: Findings) -> tuple[str, str, str] | None:
    """(poor | intermediate | favourable, reason, source) from Rades, else Tokuhashi."""
    if f.rades.group in ("20-30", "31-35", "36-45"):
        kind = {"20-30": "poor", "31-35": "intermediate", "36-45": "favourable"}[f.rades.group]
        why = (
            f"Rades survival score group {f.rades.group} "
            f"(6-month survival {f.rades.six_month_survival_percent}%)"
        )
        return kind, why, RADES_SCORE
    if f.tokuhashi.group in ("0-8", "9-11", "12-15"):
        kind = {"0-8": "poor", "9-11": "intermediate", "12-15": "favourable"}[f.tokuhashi.group]
        why = (
            f"revised Tokuhashi group {f.tokuhashi.group} (predicted survival "
            f"{f.tokuhashi.predicted_survival}); used because the Rades score is "
            f"{f.rades.note or 'indeterminate'}"
        )
        return kind, why, TOKUHASHI
    return None
