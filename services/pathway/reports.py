"""A report version as the pathway keeps it (the review queue is in services.pathway.reviews)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from models.detection import Detection
from models.events import ImagingReport
from models.outputs import DetectionSnapshot
from models.state import ReportFact
from services import ids
from services.pathway.episodes import report_view

Detector = Callable[..., Detection]

_REPORTS_THAT_CAN_EXCLUDE = frozenset({"final", "amended"})


def report_fact(
    event: ImagingReport, detector: Detector, reported_at: datetime, *, id_key: bytes
) -> tuple[ReportFact, DetectionSnapshot | None]:
    """The report version as the state keeps it, and its full detection to emit once."""
    reported = reported_at if reported_at != event.occurred_at else None
    base = ReportFact(
        event_id=event.event_id,
        accession=event.accession,
        status=event.status,
        occurred_at=event.occurred_at,
        reported_at=reported,
        suspected=False,
        excludes=False,
    )
    if event.status == "cancelled":  # a cancelled study says nothing about the spine
        return base, None
    found = detector(event.text, modality=event.modality, exam=event.exam)
    suspected = found.suspected_mescc
    excludes = found.excludes_mescc and not suspected and event.status in _REPORTS_THAT_CAN_EXCLUDE
    review = found.review_needed and not suspected
    detection_id = ids.detection_id(event.patient_id, event.event_id, key=id_key)
    snapshot = DetectionSnapshot(
        detection_id=detection_id,
        accession=event.accession,
        report_status=event.status,
        event_id=event.event_id,
        occurred_at=event.occurred_at,
        reported_at=reported,
        modality=event.modality,
        exam=event.exam,
        result=found.model_dump(mode="json"),
    )
    view = report_view(detection_id, found) if suspected or review else None
    fact = base.model_copy(
        update={"suspected": suspected, "excludes": excludes, "review": review, "view": view}
    )
    return fact, snapshot
