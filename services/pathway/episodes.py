"""Episode boundaries derived from the context by clinical time, and what an episode shows.

``derive_episodes`` folds reports and departures in occurred_at order, so the episodes (and
their suspected_at, closure and member reports) depend only on the set of facts, not on the
order they arrived in: a late preliminary report moves suspected_at earlier, a late discharge
closes the episode at the time it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from models.detection import HIGH_GRADES, Detection, EsccGrade, SinsImaging
from models.outputs import EpisodeStatus
from models.scoring import CodedDiagnosis, ScoreInput, SinsInput
from models.state import EVIDENCE_CHARS, PatientContext, ReportFact, ReportView

# Clinical-time ties: a report signed at the minute of discharge still belongs to the stay.
_REPORT_FIRST, _DEPARTURE_SECOND = 0, 1
# Versions of one accession at the same clinical time: the later status is the newer version.
_VERSION_RANK = {"preliminary": 0, "final": 1, "amended": 2, "cancelled": 3}
# Closure reasons that mean the finding did not hold (status ruled_out).
_RULED_OUT_REASONS = frozenset({"ruled_out", "withdrawn"})
# 365.25 / 12: the mean month, for months since the cancer was diagnosed.
_DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True, slots=True)
class EpisodeShape:
    """Where one episode starts and ends and which report versions belong to it."""

    suspected_at: datetime
    opened_by_accession: str
    accessions: tuple[str, ...]
    report_event_ids: tuple[str, ...]
    status: EpisodeStatus = EpisodeStatus.OPEN
    closed_at: datetime | None = None
    close_reason: str | None = None


def derive_episodes(context: PatientContext) -> list[EpisodeShape]:
    """Fold reports and departures in clinical-time order into episodes (DESIGN.md section 3).

    The newest version of an accession is what the radiologist now says: an episode is supported
    by the accessions whose current version suspects MESCC, and when none does any more (a
    negative final after a positive preliminary, an amended negative, a cancellation) it closes
    as ruled out, reason ``withdrawn``.
    """
    facts: list[tuple[datetime, int, int, str, ReportFact | str]] = [
        (r.occurred_at, _REPORT_FIRST, _VERSION_RANK.get(r.status, 0), r.event_id, r)
        for r in context.reports
    ]
    facts += [(d.occurred_at, _DEPARTURE_SECOND, 0, d.event_id, d.kind) for d in context.departures]
    facts.sort(key=lambda f: f[:4])
    shapes: list[EpisodeShape] = []
    current: EpisodeShape | None = None
    support: dict[str, bool] = {}  # accession -> its newest version suspects
    for at, _, _, event_id, fact in facts:
        if isinstance(fact, str):  # a departure ends the stay and the episode with it
            if current is not None:
                shapes.append(_close(current, at, fact))
                current = None
            continue
        if current is None:
            if fact.suspected:
                current = EpisodeShape(
                    suspected_at=at,
                    opened_by_accession=fact.accession,
                    accessions=(fact.accession,),
                    report_event_ids=(event_id,),
                )
                support = {fact.accession: True}
            continue
        member = (*current.report_event_ids, event_id)
        if fact.accession in support:
            support[fact.accession] = fact.suspected
            current = _with(current, report_event_ids=member)
            if not any(support.values()):
                shapes.append(_close(current, at, "withdrawn"))
                current = None
            continue
        # Only a final/amended report of a LATER study (another accession) rules MESCC out.
        if fact.excludes and at > current.suspected_at:
            shapes.append(_close(_with(current, report_event_ids=member), at, "ruled_out"))
            current = None
            continue
        accessions = current.accessions
        if fact.suspected:
            accessions = (*accessions, fact.accession)
            support[fact.accession] = True
        current = _with(current, report_event_ids=member, accessions=accessions)
    if current is not None:
        shapes.append(current)
    return shapes


def _with(shape: EpisodeShape, **changes: Any) -> EpisodeShape:
    return EpisodeShape(**{**_fields(shape), **changes})


def _fields(shape: EpisodeShape) -> dict[str, Any]:
    return {name: getattr(shape, name) for name in EpisodeShape.__slots__}


def _close(shape: EpisodeShape, at: datetime, reason: str) -> EpisodeShape:
    status = EpisodeStatus.RULED_OUT if reason in _RULED_OUT_REASONS else EpisodeStatus.CLOSED
    return _with(shape, status=status, closed_at=at, close_reason=reason)


@dataclass(frozen=True, slots=True)
class ClinicalView:
    """What the latest suspecting report says, and the flags any report of the episode raised."""

    escc_grade: EsccGrade | None
    high_grade: bool
    levels: tuple[str, ...]
    retropulsion: bool
    cord_signal: bool
    evidence_sentence: str | None
    sins_imaging: SinsImaging
    any_high_grade: bool
    any_retropulsion: bool


def clinical_view(reports: tuple[ReportFact, ...]) -> ClinicalView:
    """Later reports update grade, levels and SINS; any high-grade report keeps priority up."""
    suspecting = [r for r in reports if r.suspected and r.view is not None]
    latest = max(suspecting, key=lambda r: (r.occurred_at, r.event_id), default=None)
    view = latest.view if latest is not None else None
    if view is None:
        view = ReportView(detection_id="")
    return ClinicalView(
        escc_grade=view.escc_grade,
        high_grade=view.high_grade,
        levels=view.levels,
        retropulsion=view.retropulsion,
        cord_signal=view.cord_signal,
        evidence_sentence=view.sentence,
        sins_imaging=view.sins_imaging,
        any_high_grade=any(
            r.view is not None and (r.view.high_grade or r.view.escc_grade in HIGH_GRADES)
            for r in suspecting
        ),
        any_retropulsion=any(r.view is not None and r.view.retropulsion for r in suspecting),
    )


def report_view(detection_id: str, found: Detection) -> ReportView:
    """The compact, typed part of a detection the pathway keeps (issue 11, finding 1)."""
    sentence = next(
        (e.sentence for want in ("escc_grade", "suspected_mescc") for e in found.evidence
         if e.field == want),
        found.evidence[0].sentence if found.evidence else None,
    )  # fmt: skip
    if sentence is not None:
        sentence = " ".join(sentence.split())[:EVIDENCE_CHARS]
    return ReportView(
        detection_id=detection_id,
        escc_grade=found.escc_grade,
        high_grade=found.high_grade,
        levels=tuple(found.levels),
        retropulsion=found.retropulsion,
        cord_signal=found.cord_signal,
        sins_imaging=found.sins_imaging,
        sentence=sentence,
    )


def score_input(
    context: PatientContext, view: ClinicalView, *, suspected_at: datetime
) -> ScoreInput:
    """Build the scoring input from the latest report, bedside assessments and diagnoses."""
    merged: dict[str, Any] = {}
    latest_with_onset = None
    for fact in context.assessments:  # sorted by clinical time: later values win
        for name in ("ambulatory", "pain", "ecog", "karnofsky"):
            value = getattr(fact, name)
            if value is not None:
                merged[name] = value
        if fact.motor_deficit_onset is not None:
            latest_with_onset = fact
    deficit_days = None
    if latest_with_onset is not None and latest_with_onset.motor_deficit_onset is not None:
        span = latest_with_onset.occurred_at - latest_with_onset.motor_deficit_onset
        deficit_days = max(0.0, span.total_seconds() / 86_400)
    cancers = [d for d in context.diagnoses if d.code.upper().startswith("C")]
    onsets = [date.fromisoformat(d.onset) for d in cancers if d.onset]
    months = None
    if onsets:
        months = max(0.0, (suspected_at.date() - min(onsets)).days / _DAYS_PER_MONTH)
    sins = view.sins_imaging.model_dump(exclude_none=True)
    return ScoreInput(
        sins=SinsInput(**sins, pain=merged.get("pain")),
        escc_grade=view.escc_grade,
        diagnoses=tuple(CodedDiagnosis(code=d.code, system=d.system) for d in context.diagnoses)[
            :200
        ],
        primary_tumour=next((d.display for d in cancers if d.display), None),
        months_since_cancer_diagnosis=min(months, 1200.0) if months is not None else None,
        ambulatory=merged.get("ambulatory"),
        motor_deficit_days=min(deficit_days, 36_500.0) if deficit_days is not None else None,
        ecog=merged.get("ecog"),
        karnofsky=merged.get("karnofsky"),
        retropulsion=view.retropulsion,
        suspected_mescc=True,
    )
