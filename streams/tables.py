"""The Faust tables of this worker (today one: the patients table of a pathway worker)."""

from __future__ import annotations

from typing import Any

from services.config import Role
from streams.app import app, roles

# The patients table: key = patient_id bytes, value = PatientState JSON (raw, so the changelog
# is plain JSON). Partitioned like cordwatch.patient-events: one writer per patient.
# Only a pathway worker holds it: elsewhere its changelog would be consumed for nothing.
patients: Any = (
    app.Table(
        "patients",
        key_type=bytes,
        value_type=bytes,
        help="PatientState JSON per patient_id (the pathway agent is its only writer).",
    )
    if Role.PATHWAY in roles
    else None
)
