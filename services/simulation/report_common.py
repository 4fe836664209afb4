"""Shared pieces of simulated radiology reports: the study shape, its truth, and the preamble."""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.simulation.anatomy import exam_region, region_of


@dataclass(frozen=True, slots=True)
class Patient:
    """What a report's author knows about the patient: age, sex and the primary, in words."""

    age: int
    sex: str
    primary_phrase: str
    lesion: str  # "lytic" | "mixed" | "blastic": how this primary's deposits look


@dataclass(frozen=True, slots=True)
class ReportTruth:
    """The label the report was written to: decided before the words, as in the shared corpus."""

    category: str
    suspected_mescc: bool
    escc_grade: str | None
    levels: tuple[str, ...]
    excludes_mescc: bool  # written as an explicit rule-out study (other negatives may also be)
    template: str


@dataclass(frozen=True, slots=True)
class Study:
    """One imaging study's content, before a house style lays it out as report text."""

    modality: str
    exam: str
    history: str
    technique: str
    findings: tuple[tuple[str, str], ...]  # (subheading, sentences)
    impression: tuple[str, ...]
    truth: ReportTruth


# What brings a patient to a spine MR, by the region the disease is in (a cervical deposit does
# not cause saddle numbness); the generic ones fit anywhere.
SYMPTOMS: dict[str, tuple[str, ...]] = {
    "cervical": (
        "neck pain and hand paraesthesia",
        "neck pain, clumsy hands and unsteady gait",
    ),
    "thoracic": (
        "new thoracic back pain",
        "band-like chest pain and numbness below the umbilicus",
        "progressive back pain and bilateral leg weakness x3 days",
    ),
    "lumbar": (
        "severe lumbar pain radiating to both legs",
        "saddle numbness and leg weakness",
        "low back pain and new urinary retention",
    ),
    "any": (
        "back pain worse lying flat, waking at night",
        "new urinary retention and leg heaviness",
        "falls at home, unsteady gait",
        "escalating analgesic requirement for back pain",
    ),
}
QUESTIONS: tuple[str, ...] = (
    "?MSCC",
    "Evaluate for cord compression.",
    "Rule out metastatic spinal cord compression.",
    "?cord compression",
    "Query epidural disease.",
    "MSCC protocol please.",
)


def history(
    rng: random.Random,
    patient: Patient,
    *,
    symptom: str | None = None,
    levels: tuple[str, ...] = (),
) -> str:
    """The clinical history line a referrer writes: age, sex, primary, symptom, question."""
    sex = {"male": "M", "female": "F"}.get(patient.sex, "")
    region = region_of(levels[0]) if levels else "any"
    choices = SYMPTOMS.get(region, ()) + SYMPTOMS["any"]
    what = symptom or rng.choice(choices)
    forms = (
        f"{patient.age}{sex} with {patient.primary_phrase}, {what}. {rng.choice(QUESTIONS)}",
        f"{patient.age} year old {patient.sex} - {patient.primary_phrase}. {what.capitalize()}. "
        f"{rng.choice(QUESTIONS)}",
        f"Known {patient.primary_phrase}. {what.capitalize()}. {rng.choice(QUESTIONS)}",
        f"{patient.primary_phrase.capitalize()}; {what}",
    )
    return rng.choice(forms)


def mr_exam(rng: random.Random, levels: tuple[str, ...]) -> str:
    """A RIS exam description for a spine MR covering ``levels``."""
    region = exam_region(levels) if levels else rng.choice(("WHOLE", "THORACIC", "LUMBAR"))
    if rng.random() < 0.35:
        region = "WHOLE"
    if region == "WHOLE":
        return rng.choice(
            (
                "MRI WHOLE SPINE WITH CONTRAST",
                "MR WHOLE SPINE (MSCC PROTOCOL)",
                "MRI WHOLE SPINE WITHOUT CONTRAST",
                "MRI SPINE COMPLETE W/WO CONTRAST",
            )
        )
    return rng.choice(
        (
            f"MRI {region} SPINE WITHOUT AND WITH CONTRAST",
            f"MRI {region} SPINE W/O CONTRAST",
            f"MR {region.title()} spine",
        )
    )


def mr_technique(rng: random.Random) -> str:
    """The technique paragraph of a spine MR."""
    return rng.choice(
        (
            "Sagittal T1, T2 and STIR images of the whole spine; axial T2 through areas of "
            "concern.",
            "Sagittal T1, T2 and STIR and post-contrast fat-saturated T1 images. Axial T2 and "
            "post-contrast T1 images through the abnormal levels. 7.5 mL gadobutrol IV.",
            "Multiplanar multisequence MRI of the spine without intravenous contrast.",
            "Sag T1/T2/STIR whole spine, axial T2 selected levels. 1.5T.",
            "Standard MSCC protocol: sagittal T1 and STIR whole spine, axial T2 at levels of "
            "concern.",
        )
    )


def ct_exam(rng: random.Random, levels: tuple[str, ...]) -> str:
    """A RIS exam description for a CT that includes the spine."""
    region = exam_region(levels) if levels else "THORACIC"
    return rng.choice(
        (
            f"CT {region if region != 'WHOLE' else 'THORACOLUMBAR'} SPINE WITHOUT CONTRAST",
            "CT CHEST ABDOMEN PELVIS WITH CONTRAST",
            "CT TAP (STAGING) WITH IV CONTRAST",
        )
    )


def comparison(rng: random.Random) -> str:
    """A comparison line; the dates are written relative to the study, as radiologists do."""
    return rng.choice(
        (
            "None.",
            "CT chest/abdomen/pelvis from 3 weeks ago.",
            "Bone scan of last month.",
            "MRI lumbar spine, 8 months prior.",
            "No prior spinal imaging available.",
            "PET-CT from the previous quarter.",
        )
    )
