"""A worklist to look at: open episodes made by the real pathway from reports written here.

Each patient gets an admission with a known cancer and an MR report in our own words that the
detector reads as suspected MESCC; the replay driver folds them with the packaged policy up to
``now``, and the store holds the result, as the sink would write it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from models.outputs import Alert, EpisodeChanged
from models.tables import DeliveryAttemptRow
from services.pathway.replay import read_lines, replay
from services.policy import load_policy
from services.store import Store

LEVELS = ("T4", "T7", "T9", "T11", "L1", "L2")
REPORT = (
    "MRI WHOLE SPINE\n"
    "FINDINGS: There is a destructive lesion in the {level} vertebral body. "
    "Epidural tumour at {level} compresses the spinal cord, with no CSF seen around the cord.\n"
    "IMPRESSION: Metastatic epidural spinal cord compression at {level}."
)


@dataclass(frozen=True)
class Seeded:
    """What was stored: episode ids by patient, and every alert."""

    episodes: dict[str, str]
    alerts: list[Alert]


def _events(patient: str, at: datetime, level: str, n: int) -> list[dict[str, Any]]:
    admit = {
        "event_id": f"adm-{patient}", "event_type": "admit", "patient_id": patient,
        "occurred_at": (at - timedelta(days=1)).isoformat(), "facility": "NORTH", "unit": "ONC",
        "age": 64, "diagnoses": [{"code": "C61", "system": "ICD-10", "display": "prostate"}],
    }  # fmt: skip
    report = {
        "event_id": f"rep-{patient}", "event_type": "imaging_report", "patient_id": patient,
        "occurred_at": at.isoformat(), "facility": "NORTH", "accession": f"ACC-{n:05d}",
        "status": "final", "modality": "MR", "exam": "MR whole spine",
        "text": REPORT.format(level=level),
    }  # fmt: skip
    return [admit, report]


def seed(engine: Engine, *, now: datetime, patients: int = 3, spacing: timedelta | None = None,
         prefix: str = "MRN-W") -> Seeded:  # fmt: skip
    """``patients`` open episodes suspected ``spacing`` apart, the newest 30 minutes before now."""
    step = spacing or timedelta(hours=1)
    lines = []
    for i in range(patients):
        at = now - timedelta(minutes=30) - i * step
        for event in _events(f"{prefix}{i:04d}", at, LEVELS[i % len(LEVELS)], i):
            lines.append(json.dumps({**event, "received_at": event["occurred_at"]}))
    lines.sort(key=lambda line: json.loads(line)["occurred_at"])
    _, outputs = replay(read_lines(lines), policy=load_policy(), until=now)
    alerts = [o for o in outputs if isinstance(o, Alert)]
    changes = [o for o in outputs if not isinstance(o, Alert)]
    Store(engine=engine).apply(changes=changes, alerts=alerts)  # type: ignore[arg-type]
    episodes = {c.patient_id: c.episode_id for c in changes if isinstance(c, EpisodeChanged)}
    return Seeded(episodes=episodes, alerts=alerts)


def deliver(engine: Engine, alert: Alert, *, receiver: str, at: datetime) -> None:
    """One delivered attempt of ``alert`` to ``receiver`` by webhook, as the notify side stores."""
    row = {
        "attempt_id": f"{alert.alert_id[:40]}:{receiver}:1", "delivery_id": alert.alert_id[:64],
        "alert_id": alert.alert_id, "episode_id": alert.episode_id, "facility": alert.facility,
        "priority": alert.priority.value, "receiver": receiver, "channel": "webhook", "tier": 1,
        "fallback": False, "attempt": 1, "outcome": "delivered", "reason": None, "at": at,
        "alert_at": alert.at, "grouped_alert_ids": None,
    }  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(DeliveryAttemptRow.__table__), [row])  # type: ignore[attr-defined]
