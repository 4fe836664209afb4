"""The coordinator's review queue inside the pathway (issue 10 asks, issue 14 decides).

A report the detector marks ``review_needed`` (and not suspected) opens no episode: it becomes a
review item, with its cues, and one routine ``review_requested`` alert per study. A
``review_confirmed`` verdict makes the study's review versions count as suspecting MESCC, so the
episode that ``derive_episodes`` opens starts at the report's clinical time, with its clocks
from there, exactly as if the detector had found it. A ``review_dismissed`` closes the item. The
first verdict on an item wins; a later one is a no-op (two coordinators, one study).
"""

from __future__ import annotations

from typing import Any

from models.events import ImagingReport, ReviewConfirmed, ReviewDismissed
from models.outputs import DetectionSnapshot, ReviewChanged, ReviewCue, ReviewSnapshot, ReviewStatus
from models.state import (
    MAX_REVIEW_CUES,
    MAX_REVIEW_ITEMS,
    MAX_REVIEWS,
    REVIEW_CUE_CHARS,
    PatientContext,
    PatientState,
    ReportFact,
    ReviewItem,
)
from services import ids
from services.pathway import emit
from services.pathway.emit import Run

Verdict = ReviewConfirmed | ReviewDismissed


def request_review(state: PatientState, run: Run, event: ImagingReport) -> PatientState:
    """A review item and one routine review request per study the detector wants a human to
    read, unless the study already suspects MESCC in an episode (issue 10)."""
    fact = next((r for r in state.context.reports if r.event_id == event.event_id), None)
    if fact is None or not fact.review:
        return state
    if any(event.accession in e.accessions for e in state.episodes):
        return state
    review_id = ids.review_id(run.patient_id, event.accession, key=run.id_key)
    state = _note_item(state, run, review_id, event, fact)
    if event.accession in state.reviews_requested:
        return state
    sentence = fact.view.sentence if fact.view is not None else None
    run.outputs.append(
        emit.review_alert(run, review_id=review_id, accession=event.accession, sentence=sentence)
    )
    requested = (*state.reviews_requested, event.accession)[-MAX_REVIEWS:]
    return state.model_copy(update={"reviews_requested": requested})


def _note_item(
    state: PatientState, run: Run, review_id: str, event: ImagingReport, fact: ReportFact
) -> PatientState:
    """Open the study's item, or move an open one's report time to an earlier version's."""
    items = list(state.reviews)
    for i, item in enumerate(items):
        if item.review_id == review_id:
            if item.status == ReviewStatus.OPEN and fact.occurred_at < item.report_at:
                items[i] = item.model_copy(update={"report_at": fact.occurred_at})
            return state.model_copy(update={"reviews": tuple(items)})
    item = ReviewItem(
        review_id=review_id,
        accession=event.accession,
        report_event_id=event.event_id,
        report_status=event.status,
        modality=event.modality,
        exam=event.exam,
        report_at=fact.occurred_at,
        requested_at=run.now,
        sentence=fact.view.sentence if fact.view is not None else None,
        cues=_cues(run.detection),
    )
    return state.model_copy(update={"reviews": (*items, item)})


def _cues(detection: DetectionSnapshot | None) -> tuple[ReviewCue, ...]:
    evidence: Any = detection.result.get("evidence") if detection is not None else None
    cues = []
    for e in evidence if isinstance(evidence, list) else []:
        if isinstance(e, dict) and e.get("field") == "review_needed":
            cues.append(
                ReviewCue(
                    rule=str(e.get("rule", ""))[:200],
                    sentence=str(e.get("sentence", ""))[:REVIEW_CUE_CHARS],
                    start=int(e.get("start", 0)),
                    end=int(e.get("end", 0)),
                    section=e.get("section"),
                )
            )
    return tuple(cues[:MAX_REVIEW_CUES])


def fold_verdict(
    state: PatientState, context: PatientContext, event: Verdict
) -> tuple[PatientState, PatientContext]:
    """Record the first verdict on an open item; a confirmation marks the study's review
    versions as suspecting MESCC (the caller re-derives the episodes from them)."""
    items = list(state.reviews)
    index = next((i for i, r in enumerate(items) if r.review_id == event.review_id), None)
    if index is None or items[index].status != ReviewStatus.OPEN:
        return state, context  # unknown (never asked, or bounded out) or decided: first wins
    item = items[index]
    if item.accession != event.accession:
        return state, context  # a verdict naming another study than its item: not this one
    match event:
        case ReviewConfirmed():
            items[index] = item.model_copy(
                update={
                    "status": ReviewStatus.CONFIRMED,
                    "decided_at": event.occurred_at,
                    "decided_by": event.confirmed_by,
                    "note": event.note,
                }
            )
            reports = tuple(confirmed_fact(r, accessions={item.accession}) for r in context.reports)
            context = context.model_copy(update={"reports": reports})
        case ReviewDismissed():
            items[index] = item.model_copy(
                update={
                    "status": ReviewStatus.DISMISSED,
                    "decided_at": event.occurred_at,
                    "decided_by": event.dismissed_by,
                    "reason": event.reason,
                    "note": event.note,
                }
            )
    return state.model_copy(update={"reviews": tuple(items)}), context


def confirmed_accessions(state: PatientState) -> set[str]:
    """Studies a coordinator confirmed: their later review versions suspect MESCC too."""
    return {r.accession for r in state.reviews if r.status == ReviewStatus.CONFIRMED}


def confirmed_fact(fact: ReportFact, *, accessions: set[str]) -> ReportFact:
    """A review version of a confirmed study suspects MESCC, as if the detector had said so."""
    if fact.review and not fact.suspected and fact.accession in accessions:
        return fact.model_copy(update={"suspected": True})
    return fact


def settle(state: PatientState, run: Run, *, before: tuple[ReviewItem, ...]) -> PatientState:
    """Link items to the episodes their studies landed in, emit every changed item, bound."""
    if not state.reviews:
        return state  # the common case: this patient was never sent for review
    episode_of = {a: e.episode_id for e in state.episodes for a in e.accessions}
    old = {r.review_id: r for r in before}
    items = []
    for item in state.reviews:
        episode = episode_of.get(item.accession)
        if episode is not None and item.status == ReviewStatus.OPEN:
            # The detector itself now suspects MESCC in the study: no verdict is needed.
            item = item.model_copy(
                update={"status": ReviewStatus.SUPERSEDED, "decided_at": run.now}
            )
        if episode is not None and item.status != ReviewStatus.DISMISSED:
            item = item.model_copy(update={"opened_episode_id": episode})
        prior = old.get(item.review_id)
        if prior is not None and item != prior:
            item = item.model_copy(update={"version": prior.version + 1})
        if prior is not None and prior.opened_episode_id is None and _confirmed_into(item):
            _record_detection(state, run, item)
        if prior is None or item.version != prior.version:
            _emit(run, item)
        items.append(item)
    return state.model_copy(update={"reviews": _bounded(items)})


def _confirmed_into(item: ReviewItem) -> bool:
    return item.status == ReviewStatus.CONFIRMED and item.opened_episode_id is not None


def _record_detection(state: PatientState, run: Run, item: ReviewItem) -> None:
    """Record the confirmed report in the episode it opened, as a suspecting report's detection
    is: what the pathway kept of it (grade, levels, SINS, flags) and the cues as its evidence.
    The detector's full result went nowhere when it only asked for review (issue 11 keeps it
    out of the state), so these are the fields a coordinator's page shows."""
    episode = next((e for e in state.episodes if e.episode_id == item.opened_episode_id), None)
    fact = next((r for r in state.context.reports if r.event_id == item.report_event_id), None)
    if episode is None or fact is None or fact.view is None:
        return
    view = fact.view
    evidence = [{"field": "review_needed", **c.model_dump(mode="json")} for c in item.cues]
    result = {
        "suspected_mescc": False,
        "review_needed": True,
        "escc_grade": view.escc_grade,
        "high_grade": view.high_grade,
        "levels": list(view.levels),
        "sins_imaging": view.sins_imaging.model_dump(mode="json"),
        "cord_signal": view.cord_signal,
        "retropulsion": view.retropulsion,
        "excludes_mescc": False,
        "evidence": evidence,
    }
    snapshot = DetectionSnapshot(
        detection_id=view.detection_id,
        accession=item.accession,
        report_status=item.report_status,
        event_id=item.report_event_id,
        occurred_at=fact.occurred_at,
        reported_at=fact.reported_at,
        modality=item.modality,
        exam=item.exam,
        result=result,
    )
    emit.emit_detection(run, episode, snapshot)


def _bounded(items: list[ReviewItem]) -> tuple[ReviewItem, ...]:
    """Open items first, then the newest decided; the audit store keeps every one."""
    if len(items) <= MAX_REVIEW_ITEMS:
        return tuple(items)
    keep = sorted(
        range(len(items)),
        key=lambda i: (items[i].status == ReviewStatus.OPEN, items[i].requested_at, i),
    )[-MAX_REVIEW_ITEMS:]
    return tuple(items[i] for i in sorted(keep))


def _emit(run: Run, item: ReviewItem) -> None:
    snapshot = ReviewSnapshot(
        review_id=item.review_id,
        accession=item.accession,
        report_event_id=item.report_event_id,
        report_status=item.report_status,
        modality=item.modality,
        exam=item.exam,
        report_at=item.report_at,
        requested_at=item.requested_at,
        status=item.status,
        sentence=item.sentence,
        cues=list(item.cues),
        decided_at=item.decided_at,
        decided_by=item.decided_by,
        reason=item.reason,
        note=item.note,
        opened_episode_id=item.opened_episode_id,
    )
    run.outputs.append(
        ReviewChanged(
            change_id=ids.change_id(item.review_id, "review", item.review_id, item.version),
            patient_id=run.patient_id,
            facility=run.facility,
            episode_id=item.review_id,
            version=item.version,
            at=run.now,
            review=snapshot,
        )
    )
