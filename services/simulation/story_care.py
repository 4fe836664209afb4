"""The care part of a story: steroids, consults, procedures and bedside assessments.

Delays are drawn from mixtures that put most actions within hours of the report and a tail past
the 24-hour windows of DESIGN.md section 3, so a demo shows met, late, never and retracted timers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.simulation import clinical
from services.simulation.story_types import (
    ASSESSMENTS,
    CONSULTS,
    MEDICATIONS,
    PROCEDURES,
    Draft,
    StoryDrafts,
)

_H = timedelta(hours=1)
# The default window of both timers (DESIGN.md section 3; services/policy.yaml owns the real one).
WINDOW = timedelta(hours=24)
LOOKBACK = timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class CareTimes:
    """When the actions that meet the two timers happened (None: never)."""

    steroids: datetime | None
    surgical: datetime | None


def delay(rng: random.Random, *, late: float = 0.03) -> timedelta:
    """Interface latency: seconds usually, minutes sometimes, hours for a late-charted record."""
    roll = rng.random()
    if roll < late:
        return timedelta(hours=rng.uniform(1.0, 8.0))
    if roll < late + 0.1:
        return timedelta(minutes=rng.uniform(2, 20))
    return timedelta(seconds=rng.uniform(1, 90))


def judge(done: datetime | None, *, suspected_at: datetime, closed_at: datetime | None) -> str:
    """The timer outcome DESIGN.md section 3 prescribes: met, met_late, breached or cancelled."""
    due = suspected_at + WINDOW
    if (
        done is not None
        and done >= suspected_at - LOOKBACK
        and (closed_at is None or done <= closed_at)
    ):
        return "met" if done <= due else "met_late"
    if closed_at is not None and closed_at < due:
        return "cancelled"
    return "breached"


class CareBuilder:
    """Adds the care events of one story to its drafts."""

    def __init__(self, rng: random.Random, story: StoryDrafts, *, admitted_at: datetime) -> None:
        self._rng = rng
        self._story = story
        self._admitted_at = admitted_at
        self._ids = 0

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._rng.randrange(10**6, 10**7)}-{self._ids}"

    def _add(
        self,
        topic: str,
        event_type: str,
        at: datetime,
        fields: dict[str, Any],
        *,
        wait: timedelta | None = None,
    ) -> None:
        self._story.drafts.append(
            Draft(topic, event_type, at, fields, wait if wait is not None else delay(self._rng))
        )

    # -- medications -----------------------------------------------------------------------
    def steroid(
        self,
        *,
        at: datetime,
        status: str = "completed",
        wait: timedelta | None = None,
        record: str | None = None,
        dose_mg: float | None = None,
    ) -> str:
        """A corticosteroid administration; returns its administration_id."""
        rng = self._rng
        drug = (
            clinical.DEXAMETHASONE
            if rng.random() < 0.85
            else rng.choice(clinical.STEROID_ALTERNATIVES)
        )
        record = record or self._id("MA")
        fields: dict[str, Any] = {
            "administration_id": record,
            "medication": drug.name,
            "status": status,
            "route": rng.choice(drug.routes),
        }
        if rng.random() < 0.8:
            fields["code"] = {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": drug.rxnorm,
            }
        if status == "completed" or rng.random() < 0.5:
            fields["dose_mg"] = dose_mg or rng.choice(drug.doses_mg)
        self._add(MEDICATIONS, "medication_administration", at, fields, wait=wait)
        return record

    def maintenance(self, *, first: datetime) -> None:
        """A few maintenance doses after the loading dose (illustrative, not dosing guidance)."""
        for n in range(1, self._rng.randint(1, 4)):
            at = first + (12 * n + self._rng.uniform(-1, 1)) * _H
            fields = {
                "administration_id": self._id("MA"),
                "medication": "dexamethasone",
                "dose_mg": 8.0,
                "route": "PO",
                "status": "completed",
            }
            self._add(MEDICATIONS, "medication_administration", at, fields)

    def noise_medications(self, *, start: datetime, hours: float) -> None:
        """Analgesia, antiemetics and thromboprophylaxis: events a steroid timer must ignore."""
        rng = self._rng
        for _ in range(rng.randint(1, 5)):
            drug = rng.choice(clinical.NOISE_DRUGS)
            fields: dict[str, Any] = {
                "administration_id": self._id("MA"),
                "medication": drug.name,
                "dose_mg": rng.choice(drug.doses_mg),
                "route": rng.choice(drug.routes),
                "status": "completed" if rng.random() < 0.93 else "not-done",
                "code": {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": drug.rxnorm,
                },
            }
            self._add(
                MEDICATIONS,
                "medication_administration",
                start + rng.uniform(0.2, hours) * _H,
                fields,
            )

    # -- consults, procedures, assessments -------------------------------------------------
    def consult(
        self,
        *,
        requested: datetime,
        completed: datetime | None,
        surgical: bool = True,
        cancelled: datetime | None = None,
    ) -> None:
        """A consult requested, then completed or cancelled (the same consult_id)."""
        rng = self._rng
        service = rng.choice(clinical.SURGICAL_SERVICES if surgical else clinical.OTHER_SERVICES)
        fields = {"consult_id": self._id("CN"), "service": service}
        self._add(CONSULTS, "consult_requested", requested, fields)
        if cancelled is not None:
            self._add(CONSULTS, "consult_cancelled", cancelled, dict(fields))
        elif completed is not None:
            self._add(CONSULTS, "consult_completed", completed, dict(fields))

    def procedure(self, *, name: str, at: datetime, regimen: str | None = None) -> None:
        """A procedure; rarely recorded in error and then corrected under the same id."""
        fields: dict[str, Any] = {
            "procedure_id": self._id("PR"),
            "procedure": name,
            "status": "completed",
        }
        if regimen:
            fields["regimen"] = regimen
        self._add(PROCEDURES, "procedure", at, fields)
        if self._rng.random() < 0.03:
            self._add(
                PROCEDURES,
                "procedure",
                at,
                {**fields, "status": "entered-in-error"},
                wait=timedelta(hours=self._rng.uniform(1, 6)),
            )

    def assessment(self, *, at: datetime, severity: int) -> None:
        """A bedside neurological assessment; severity 0 baseline, 1 deficit, 2 severe deficit."""
        rng = self._rng
        ecog = min(4, rng.choice((0, 1, 1, 2, 2, 3)) + severity // 2)
        motor = 5 - severity - rng.choice((0, 0, 1)) if severity else rng.choice((4, 5, 5))
        fields: dict[str, Any] = {
            "motor_strength": max(0, motor),
            "ambulatory": motor >= 3,
            "pain": rng.choice(("mechanical", "occasional", "mechanical", "none")),
            "ecog": ecog,
            "karnofsky": rng.choice(clinical.ECOG_TO_KARNOFSKY[ecog]),
        }
        if severity:
            fields["motor_deficit_onset"] = at - rng.uniform(6, 96) * _H
            fields["sphincter_dysfunction"] = severity == 2 and rng.random() < 0.5
            fields["sensory_level"] = rng.choice(("T10", "T6", "umbilicus", "nipple line", "L1"))
        partial = rng.sample(sorted(fields), k=max(2, len(fields) - rng.randint(0, 3)))
        self._add(ASSESSMENTS, "assessment", at, {k: fields[k] for k in sorted(partial)})

    # -- the treatment arc -----------------------------------------------------------------
    def treat(self, *, kind: str, suspected_at: datetime, high_grade: bool) -> CareTimes:
        """Steroids, surgical opinion and definitive treatment as the story kind dictates."""
        steroid_at = self._steroids(kind=kind, suspected_at=suspected_at)
        surgical_at = self._consults(kind=kind, suspected_at=suspected_at)
        if kind != "mescc_ruled_out":
            self._definitive(suspected_at=suspected_at, high_grade=high_grade)
        return CareTimes(steroid_at, surgical_at)

    def _prompt(self) -> float:
        # Most loading doses within two hours, a tail to most of a day.
        return self._rng.choices(
            (self._rng.uniform(0.1, 2), self._rng.uniform(2, 8), self._rng.uniform(8, 20)),
            (0.6, 0.3, 0.1),
        )[0]

    def _steroids(self, *, kind: str, suspected_at: datetime) -> datetime | None:
        rng = self._rng
        given: datetime | None
        if kind == "mescc_no_steroids":
            if rng.random() < 0.5:  # a scheduled dose recorded as not given
                self.steroid(at=suspected_at + rng.uniform(1, 4) * _H, status="not-done")
            return None
        if kind == "mescc_late_steroids":
            given = suspected_at + rng.uniform(25, 60) * _H
        elif kind == "mescc_late_charting":
            # Given in time, charted after the deadline: a breach that must be retracted.
            given = suspected_at + rng.uniform(8, 22) * _H
            late_by = suspected_at + WINDOW - given + rng.uniform(1, 8) * _H
            self.steroid(at=given, wait=late_by)
            self.maintenance(first=given)
            return given
        elif kind == "mescc_steroid_error":
            wrong = suspected_at + rng.uniform(0.5, 4) * _H
            record = self.steroid(at=wrong)
            self.steroid(
                at=wrong,
                status="entered-in-error",
                record=record,
                wait=timedelta(hours=rng.uniform(1, 6)),
            )
            if rng.random() < 0.5:
                return None
            given = suspected_at + rng.uniform(26, 48) * _H
        elif kind == "mescc_ruled_out" and rng.random() < 0.3:
            return None
        elif kind == "mescc_treated" and rng.random() < 0.12:
            # An ED dose on clinical suspicion, before the scan: the lookback makes it count.
            given = max(suspected_at - rng.uniform(0.5, 4) * _H, self._admitted_at + 0.2 * _H)
        else:
            given = suspected_at + self._prompt() * _H
        self.steroid(at=given)
        self.maintenance(first=given)
        return given

    def _consults(self, *, kind: str, suspected_at: datetime) -> datetime | None:
        rng = self._rng
        requested = suspected_at + rng.uniform(0.2, 3) * _H
        if rng.random() < 0.5:
            self.consult(
                requested=requested, surgical=False, completed=requested + rng.uniform(2, 30) * _H
            )
        if kind == "mescc_consult_cancelled":
            self.consult(
                requested=requested, completed=None, cancelled=requested + rng.uniform(1, 10) * _H
            )
            if rng.random() < 0.5:
                return None
            done = suspected_at + rng.uniform(30, 60) * _H
            self.consult(requested=done - rng.uniform(4, 12) * _H, completed=done)
            return done
        if kind == "mescc_ruled_out" and rng.random() < 0.5:
            return None
        spread = rng.choices(
            (rng.uniform(1, 10), rng.uniform(10, 20), rng.uniform(26, 50)), (0.7, 0.24, 0.06)
        )[0]
        done = requested + spread * _H
        self.consult(requested=requested, completed=done)
        return done

    def _definitive(self, *, suspected_at: datetime, high_grade: bool) -> None:
        rng = self._rng
        if high_grade and rng.random() < 0.4:
            at = suspected_at + rng.uniform(12, 48) * _H
            self.procedure(name=rng.choice(("decompressive_surgery", "separation_surgery")), at=at)
            if rng.random() < 0.6:
                self.procedure(name="stabilisation", at=at + rng.uniform(0.5, 2) * _H)
            self.assessment(at=at + rng.uniform(20, 48) * _H, severity=1)
            return
        if rng.random() < 0.75:
            regimen = rng.choice(clinical.RT_REGIMENS)
            name = "sbrt" if regimen == "24 Gy / 2" else "radiotherapy_started"
            at = suspected_at + rng.uniform(10, 72) * _H
            self.procedure(name=name, at=at, regimen=regimen)
            if regimen == "8 Gy x 1":
                self.procedure(
                    name="radiotherapy_completed", at=at + rng.uniform(0.2, 1) * _H, regimen=regimen
                )
