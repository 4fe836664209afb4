"""Patient stories: one admission of a patient with cancer, told as drafted inbound events.

Every story admits a patient with coded cancer diagnoses, images the spine and then, depending on
its kind, treats a suspected MESCC promptly, late or never, rules it out on a later MR, or finds
a hard negative. Times are hours after admission; the feed turns them into clinical timestamps.
The kinds and their weights are a demonstration mix chosen so that every timer outcome of
DESIGN.md section 3 shows up in a few dozen patients, not an estimate of real practice.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from services.simulation import clinical
from services.simulation.report_common import Patient, Study
from services.simulation.report_layout import (
    CANCELLED_TEXT,
    Report,
    pick_layout,
    render,
    render_addendum,
    render_preliminary,
)
from services.simulation.report_negative import NEGATIVE_CATEGORIES, negative_study, ruled_out_study
from services.simulation.report_positive import positive_study
from services.simulation.story_care import CareBuilder, delay, judge
from services.simulation.story_types import ADT, IMAGING, Draft, StoryDrafts, StoryTruth

STORY_WEIGHTS: dict[str, float] = {
    "mescc_treated": 0.27,
    "mescc_late_steroids": 0.08,
    "mescc_no_steroids": 0.06,
    "mescc_late_charting": 0.05,
    "mescc_steroid_error": 0.04,
    "mescc_consult_cancelled": 0.04,
    "mescc_ruled_out": 0.06,
    "mescc_died": 0.03,
    "negative": 0.37,
}
_POSITIVE_WEIGHTS: dict[str, float] = {
    "escc_1a": 0.08,
    "escc_1b": 0.12,
    "escc_1c": 0.14,
    "escc_2": 0.2,
    "escc_3": 0.18,
    "cauda_equina": 0.1,
    "multilevel": 0.08,
    "hedged": 0.06,
    "pet_suspicious": 0.04,
}
_H = timedelta(hours=1)


def pick_kind(rng: random.Random) -> str:
    """A story kind by the demonstration weights."""
    return rng.choices(tuple(STORY_WEIGHTS), tuple(STORY_WEIGHTS.values()))[0]


def build_story(
    rng: random.Random, *, kind: str, patient_id: str, admitted_at: datetime
) -> tuple[list[Draft], StoryTruth]:
    """Draft every event of one story and the truth it was written to."""
    primary = clinical.pick_primary(rng)
    sex = rng.choice(primary.sexes)
    age = max(28, min(96, round(rng.gauss(68, 11))))
    patient = Patient(age, sex, primary.phrase, rng.choice(primary.lesions))
    story = StoryDrafts(kind)
    _admit(rng, story, primary=primary, sex=sex, age=age, at=admitted_at)
    care = CareBuilder(rng, story, admitted_at=admitted_at)
    care.assessment(at=admitted_at + rng.uniform(0.3, 2.0) * _H, severity=0)
    scan_at = admitted_at + rng.uniform(1.5, 18.0) * _H

    if kind == "negative":
        category = rng.choice(NEGATIVE_CATEGORIES)
        _report_versions(rng, story, negative_study(rng, patient, category=category), scan_at)
        care.noise_medications(start=admitted_at, hours=rng.uniform(12, 72))
        if rng.random() < 0.15:
            # Antiemetic dexamethasone with chemotherapy: a steroid with no episode to meet.
            care.steroid(at=admitted_at + rng.uniform(1, 30) * _H, dose_mg=8.0)
        closed_by = _close(rng, story, after=scan_at + rng.uniform(6, 96) * _H, p_death=0.02)
        truth = StoryTruth(kind, patient_id, None, False, None, None, closed_by)
        return story.drafts, truth

    ruled_out = kind == "mescc_ruled_out"
    category = _positive_category(rng, ruled_out=ruled_out, high=kind == "mescc_died")
    study = positive_study(rng, patient, category=category)
    suspected_at, last_version = _report_versions(rng, story, study, scan_at, allow_prelim=True)
    high = study.truth.escc_grade in {"2", "3"}
    care.assessment(at=suspected_at + rng.uniform(0.2, 3.0) * _H, severity=2 if high else 1)
    care.noise_medications(start=admitted_at, hours=rng.uniform(24, 96))
    acted = care.treat(kind=kind, suspected_at=suspected_at, high_grade=high)
    closed_at: datetime | None = None
    end = suspected_at + rng.uniform(30, 160) * _H
    if ruled_out:
        # The answering MR comes after every version of the study that raised the question,
        # so a late addendum cannot reopen what it ruled out.
        follow_up = ruled_out_study(rng, patient, levels=study.truth.levels)
        performed = max(
            suspected_at + rng.uniform(3, 28) * _H, last_version + rng.uniform(0.5, 2) * _H
        )
        closed_at, last_rule_out = _report_versions(rng, story, follow_up, performed)
        end = last_rule_out + rng.uniform(12, 72) * _H
    p_death = 0.95 if kind == "mescc_died" else 0.04
    if kind == "mescc_died":
        end = suspected_at + rng.uniform(26, 60) * _H
    closed_by = _close(rng, story, after=end, p_death=p_death)
    # Discharge and death come after the last event, so only a rule-out can close early.
    steroids = judge(acted.steroids, suspected_at=suspected_at, closed_at=closed_at)
    surgical = judge(acted.surgical, suspected_at=suspected_at, closed_at=closed_at)
    truth = StoryTruth(kind, patient_id, suspected_at, ruled_out, steroids, surgical, closed_by)
    return story.drafts, truth


def _positive_category(rng: random.Random, *, ruled_out: bool, high: bool) -> str:
    if ruled_out:
        # A first study that raises the question and a later MR that answers it.
        return rng.choice(("ct_suspicious", "hedged", "escc_1a", "pet_suspicious"))
    if high:
        return rng.choice(("escc_2", "escc_3", "cauda_equina"))
    return rng.choices(tuple(_POSITIVE_WEIGHTS), tuple(_POSITIVE_WEIGHTS.values()))[0]


def _admit(
    rng: random.Random,
    story: StoryDrafts,
    *,
    primary: clinical.Primary,
    sex: str,
    age: int,
    at: datetime,
) -> None:
    onset = (at - timedelta(days=rng.randint(45, 3_000))).date()
    diagnoses: list[dict[str, Any]] = [
        _diagnosis(primary.code, primary.system, primary.display, onset=onset)
    ]
    if rng.random() < 0.7:
        code, display = clinical.SECONDARY_CODES[0]
        diagnoses.append(_diagnosis(code, "ICD-10", display))
    if rng.random() < 0.3:
        code, display = rng.choice(clinical.SECONDARY_CODES[1:])
        diagnoses.append(_diagnosis(code, "ICD-10", display))
    if rng.random() < 0.5:
        code, display = rng.choice(clinical.COMORBIDITY_CODES)
        diagnoses.append(_diagnosis(code, "ICD-10", display))
    unit = rng.choice(("ED", "ED", "Acute Oncology", "Oncology Ward 7", "AMU"))
    complaint = rng.choice(
        (
            "back pain",
            "leg weakness",
            "back pain and leg weakness",
            "urinary retention",
            "falls",
            "uncontrolled pain",
            "shortness of breath",
        )
    )
    fields = {
        "unit": unit,
        "age": age,
        "sex": sex,
        "diagnoses": diagnoses,
        "chief_complaint": complaint,
    }
    story.drafts.append(Draft(ADT, "admit", at, fields, delay(rng)))
    if unit in {"ED", "AMU"} and rng.random() < 0.7:
        moved = at + rng.uniform(2, 10) * _H
        story.drafts.append(Draft(ADT, "transfer", moved, {"unit": "Oncology Ward 7"}, delay(rng)))


def _diagnosis(
    code: str, system: str, display: str, *, onset: date | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "system": system, "display": display}
    if onset is not None:
        out["onset"] = onset.isoformat()
    return out


def _report_versions(
    rng: random.Random,
    story: StoryDrafts,
    study: Study,
    performed_at: datetime,
    *,
    allow_prelim: bool = False,
) -> tuple[datetime, datetime]:
    """Add a study's report versions; return when the first and the last were signed."""
    accession = f"RAD{rng.randrange(10**7, 10**8)}"
    layout = pick_layout(rng)
    final = render(study, rng, layout=layout)
    signed = performed_at + rng.uniform(0.4, 4.0) * _H
    first = signed
    if rng.random() < 0.04:
        cancelled = Report(final.modality, final.exam, rng.choice(CANCELLED_TEXT), final.truth)
        _report(rng, story, cancelled, accession + "C", "cancelled", performed_at, performed_at)
    if allow_prelim and rng.random() < 0.3:
        prelim_at = performed_at + rng.uniform(0.2, 1.0) * _H
        _report(
            rng,
            story,
            render_preliminary(study, rng),
            accession,
            "preliminary",
            prelim_at,
            performed_at,
        )
        first = prelim_at
        signed = prelim_at + rng.uniform(1.0, 10.0) * _H
    _report(rng, story, final, accession, "final", signed, performed_at)
    amended_at = signed
    if rng.random() < 0.12:
        amended_at = signed + rng.uniform(0.5, 20.0) * _H
        _report(
            rng, story, render_addendum(final, rng), accession, "amended", amended_at, performed_at
        )
    return first, max(signed, amended_at)


def _report(
    rng: random.Random,
    story: StoryDrafts,
    report: Report,
    accession: str,
    status: str,
    at: datetime,
    performed_at: datetime,
) -> None:
    fields = {
        "accession": accession,
        "status": status,
        "modality": report.modality,
        "exam": report.exam,
        "text": report.text,
        "performed_at": performed_at,
    }
    truth = report.truth if status != "cancelled" else None
    story.drafts.append(Draft(IMAGING, "imaging_report", at, fields, delay(rng, late=0.0), truth))


def _close(
    rng: random.Random, story: StoryDrafts, *, after: datetime, p_death: float
) -> str | None:
    """Discharge or death closes some stories; others are still in hospital when the feed ends."""
    # Nothing is charted after the patient has left: close after the story's last event.
    after = max(after, max(d.occurred_at for d in story.drafts) + rng.uniform(1, 12) * _H)
    if rng.random() < p_death:
        story.drafts.append(Draft(ADT, "death", after, {}, delay(rng)))
        return "death"
    if rng.random() < 0.55:
        fields = {"unit": rng.choice(("Home", "Hospice", "Rehabilitation"))}
        story.drafts.append(Draft(ADT, "discharge", after, fields, delay(rng)))
        return "discharge"
    return None
