"""House styles: how different radiology departments lay out the same findings as report text."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from services.simulation.clinical import CLINICIANS, RADIOLOGISTS
from services.simulation.report_common import ReportTruth, Study, comparison


@dataclass(frozen=True, slots=True)
class Report:
    """Report text ready for an imaging_report event, with the truth it was written to."""

    modality: str
    exam: str
    text: str
    truth: ReportTruth


def _numbered(lines: tuple[str, ...]) -> str:
    if len(lines) == 1:
        return lines[0]
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))


def _us_academic(study: Study, rng: random.Random, signoff: str) -> str:
    findings = "\n".join(f"{head}: {text}" for head, text in study.findings)
    return (
        f"EXAMINATION: {study.exam}\nCLINICAL HISTORY: {study.history}\n"
        f"TECHNIQUE: {study.technique}\nCOMPARISON: {comparison(rng)}\nFINDINGS:\n{findings}\n"
        f"IMPRESSION:\n{_numbered(study.impression)}\n{signoff}"
        f"Electronically signed: {rng.choice(RADIOLOGISTS)}"
    )


_CANAL_HEADINGS = frozenset({"Epidural space", "Canal"})
_ACRONYMS = frozenset(
    {"MR", "MRI", "CT", "NM", "XR", "PET-CT", "FDG", "TAP", "W/O", "W/WO", "IV", "MSCC"}
)


def _title(exam: str) -> str:
    return " ".join(w if w in _ACRONYMS else w.capitalize() for w in exam.split())


def _uk_nhs(study: Study, rng: random.Random, signoff: str) -> str:
    findings = " ".join(text for _, text in study.findings)
    return (
        f"{_title(study.exam)}\n\nClinical details: {study.history}\n\nFindings:\n{findings}\n\n"
        f"Conclusion:\n{chr(10).join(study.impression)}\n\n{signoff}"
        f"Reported by {rng.choice(RADIOLOGISTS)}, Consultant Radiologist"
    )


def _terse(study: Study, rng: random.Random, signoff: str) -> str:
    findings = " ".join(text for _, text in study.findings)
    return (
        f"HISTORY: {study.history}\nREPORT: {findings}\nOPINION: {' '.join(study.impression)}"
        f"\n{signoff}{rng.choice(RADIOLOGISTS)}"
    )


def _structured(study: Study, rng: random.Random, signoff: str) -> str:
    findings = "\n".join(f"- {head}: {text}" for head, text in study.findings)
    impression = "\n".join(f"- {line}" for line in study.impression)
    return (
        f"Indication: {study.history}\nTechnique: {study.technique}\n"
        f"Comparison: {comparison(rng)}\n\nFindings:\n{findings}\n\nImpression:\n{impression}\n"
        f"{signoff}Signed: {rng.choice(RADIOLOGISTS)}"
    )


def _legacy_caps(study: Study, rng: random.Random, signoff: str) -> str:
    return _us_academic(study, rng, signoff).upper()


def _australian(study: Study, rng: random.Random, signoff: str) -> str:
    findings = "\n\n".join(text for _, text in study.findings)
    return (
        f"{study.exam}\n\nCLINICAL NOTES: {study.history}\n\nREPORT:\n{findings}\n\n"
        f"COMMENT:\n{_numbered(study.impression)}\n\n"
        f"{signoff}Dictated by {rng.choice(RADIOLOGISTS)}"
    )


_LAYOUTS: dict[str, Callable[[Study, random.Random, str], str]] = {
    "us_academic": _us_academic,
    "uk_nhs": _uk_nhs,
    "terse": _terse,
    "structured": _structured,
    "legacy_caps": _legacy_caps,
    "australian": _australian,
}
_LAYOUT_WEIGHTS: tuple[float, ...] = (0.3, 0.25, 0.1, 0.15, 0.05, 0.15)


def pick_layout(rng: random.Random) -> str:
    """A department's house style, by the demonstration weights."""
    return rng.choices(tuple(_LAYOUTS), _LAYOUT_WEIGHTS)[0]


def _signoff(rng: random.Random, study: Study) -> str:
    if not study.truth.suspected_mescc:
        return ""
    who = rng.choice(CLINICIANS)
    at = f"{rng.randint(0, 23):02d}:{rng.randrange(0, 60, 5):02d}"
    return rng.choice(
        (
            f"Critical result discussed with {who} by telephone at {at}, with read-back.\n",
            f"Findings communicated to {who} at {at}.\n",
            "Urgent result flagged to the referring team via the critical results pathway.\n",
            "",
        )
    )


def render(study: Study, rng: random.Random, *, layout: str) -> Report:
    """Lay a study out as the final report text of one department."""
    text = _LAYOUTS[layout](study, rng, _signoff(rng, study))
    truth = replace(study.truth, template=f"{layout}:{study.truth.template}")
    return Report(study.modality, study.exam, text, truth)


def render_preliminary(study: Study, rng: random.Random) -> Report:
    """A resident's or teleradiology wet read: short, headed as preliminary."""
    # A wet read leads with the finding that answers the question: the canal if described.
    ranked = sorted(study.findings, key=lambda item: item[0] not in _CANAL_HEADINGS)
    key = next((text for head, text in ranked if head != "Alignment"), "")
    header = rng.choice(
        (
            "PRELIMINARY REPORT - subject to review by a consultant radiologist.",
            "*** PRELIMINARY (WET READ) ***",
            "Preliminary teleradiology report.",
        )
    )
    text = f"{header}\n{study.exam}\nHistory: {study.history}\nFindings: {key}\nImpression: " + (
        " ".join(study.impression)
    )
    truth = replace(study.truth, template=f"preliminary:{study.truth.template}")
    return Report(study.modality, study.exam, text, truth)


def render_addendum(final: Report, rng: random.Random) -> Report:
    """The final report with an addendum that changes no finding (an amended version)."""
    addendum = rng.choice(
        (
            f"ADDENDUM: Findings discussed with {rng.choice(CLINICIANS)} after sign-off.",
            "ADDENDUM: Comparison made with the outside CT now uploaded to PACS; no change to the "
            "conclusion.",
            "ADDENDUM: Typographical correction to the clinical history. Conclusion unchanged.",
        )
    )
    truth = replace(final.truth, template=f"{final.truth.template}+addendum")
    return Report(final.modality, final.exam, f"{final.text}\n\n{addendum}", truth)


CANCELLED_TEXT: tuple[str, ...] = (
    "Examination cancelled: patient unable to lie flat.",
    "Study cancelled - duplicate request.",
    "Cancelled at the request of the referring team.",
)
