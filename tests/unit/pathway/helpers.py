"""Event builders and a small deterministic detector for reducer-only tests.

The fake detector reads a tiny instruction language from the report text, so a test states the
detector's verdict directly: ``"SUSPECT grade=2 levels=T7,T8 retro"``, ``"EXCLUDE"``, ``"NORMAL"``,
``"REVIEW"`` (review_needed with one cue: a human should look).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from models.detection import Detection, Evidence, SinsImaging
from models.events import PatientEvent, patient_event_adapter
from models.outputs import Alert, AlertType, Output
from models.state import PatientState
from services.pathway import handle
from services.policy import load_policy

POLICY = load_policy()
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PATIENT = "MRN-0042"
H = timedelta(hours=1)
M = timedelta(minutes=1)


def fake_detect(text: str, *, modality: str | None = None, exam: str | None = None) -> Detection:
    """The verdict written in the text: SUSPECT [grade=G] [levels=A,B] [retro] [sins=...]."""
    words = text.split()
    opts = dict(w.split("=", 1) for w in words if "=" in w)
    if "SUSPECT" in words:
        grade = opts.get("grade")
        sins = dict(p.split(":") for p in opts["sins"].split(",")) if "sins" in opts else {}
        return Detection(
            suspected_mescc=True,
            escc_grade=grade,
            high_grade=grade in ("2", "3"),
            levels=opts.get("levels", "T7").split(","),
            retropulsion="retro" in words,
            sins_imaging=SinsImaging(**sins),
            evidence=[
                Evidence(
                    field="escc_grade",
                    rule="fake",
                    sentence=f"Epidural tumour at {opts.get('levels', 'T7')} compressing the cord.",
                    start=0,
                    end=10,
                )
            ],
        )
    if "REVIEW" in words:
        cue = "Metastatic soft tissue abutting the thecal sac at T10."
        evidence = [Evidence(field="review_needed", rule="fake", sentence=cue, start=0, end=22)]
        return Detection(review_needed=True, evidence=evidence)
    return Detection(excludes_mescc="EXCLUDE" in words)


def _event(payload: dict[str, Any]) -> PatientEvent:
    return patient_event_adapter.validate_python(payload)


def _common(event_id: str, at: datetime, event_type: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": at.isoformat(),
        "patient_id": PATIENT,
        "facility": "RLH",
    }


def report(
    event_id: str,
    at: datetime,
    text: str = "SUSPECT grade=2 levels=T7,T8",
    *,
    accession: str = "ACC1",
    status: str = "final",
) -> PatientEvent:
    return _event(
        {
            **_common(event_id, at, "imaging_report"),
            "accession": accession,
            "status": status,
            "modality": "MR",
            "exam": "MRI WHOLE SPINE",
            "text": text,
        }
    )


def med(
    event_id: str,
    at: datetime,
    *,
    admin_id: str = "ADM1",
    name: str = "Dexamethasone 16 mg",
    status: str = "completed",
    dose_mg: float | None = 16,
) -> PatientEvent:
    return _event(
        {
            **_common(event_id, at, "medication_administration"),
            "administration_id": admin_id,
            "medication": name,
            "dose_mg": dose_mg,
            "route": "oral",
            "status": status,
        }
    )


def consult(
    event_id: str,
    at: datetime,
    *,
    consult_id: str = "CON1",
    kind: str = "consult_completed",
    service: str = "Spine Surgery",
) -> PatientEvent:
    return _event({**_common(event_id, at, kind), "consult_id": consult_id, "service": service})


def procedure(
    event_id: str, at: datetime, *, name: str = "decompressive_surgery", status: str = "completed"
) -> PatientEvent:
    return _event(
        {
            **_common(event_id, at, "procedure"),
            "procedure_id": "PROC1",
            "procedure": name,
            "status": status,
        }
    )


def adt(event_id: str, at: datetime, kind: str = "discharge", **extra: Any) -> PatientEvent:
    return _event({**_common(event_id, at, kind), **extra})


def assessment(event_id: str, at: datetime, **fields: Any) -> PatientEvent:
    return _event({**_common(event_id, at, "assessment"), **fields})


def ack(event_id: str, at: datetime, alert_id: str) -> PatientEvent:
    return _event(
        {
            **_common(event_id, at, "alert_acknowledged"),
            "alert_id": alert_id,
            "acknowledged_by": "on-call",
        }
    )


def step(
    state: PatientState | None, event: PatientEvent, now: datetime
) -> tuple[PatientState, list[Output]]:
    """One reducer call with the fake detector and the real scorer."""
    return handle(state, event, now, policy=POLICY, detector=fake_detect)


def feed(
    pairs: list[tuple[PatientEvent, datetime]], state: PatientState | None = None
) -> tuple[PatientState, list[Output]]:
    """Fold (event, now) pairs; return the final state and every output."""
    outputs: list[Output] = []
    for event, now in pairs:
        state, out = step(state, event, now)
        outputs += out
    assert state is not None
    return state, outputs


def alerts(outputs: list[Output], kind: AlertType | None = None) -> list[Alert]:
    return [o for o in outputs if isinstance(o, Alert) and (kind is None or o.alert_type == kind)]
