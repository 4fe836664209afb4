"""The replay driver: canonical events in arrival order through ``handle`` on a simulated clock.

The clock moves to each event's ``received_at`` (or ``occurred_at``) and never backwards. Before
each event, every stored deadline that the clock passed fires in deadline order, as a TimerDue at
exactly that deadline, which is what the Faust timer service does in real time. Pure apart from
parsing: the caller reads the file and writes the outputs.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from models.events import PatientEvent, Timestamp, patient_event_adapter
from models.outputs import Output
from models.state import Episode, PatientState
from services.pathway.emit import Scorer
from services.pathway.reducer import handle
from services.pathway.reports import Detector
from services.pathway.summaries import episode_summary
from services.pathway.timers import due_timers, next_deadline
from services.policy import Policy

_timestamp: TypeAdapter[datetime] = TypeAdapter(Timestamp)
# A deadline that, once handled, is still the next deadline means the reducer did not advance it.
_MAX_FIRINGS_AT_ONE_DEADLINE = 64


class ReplayError(ValueError):
    """A line cannot be replayed; says which line and why, never what the line contained."""


@dataclass(frozen=True, slots=True)
class ReplayLine:
    """One input line: the event and, for a late arrival, when it reached Cordwatch."""

    event: PatientEvent
    received_at: datetime | None = None
    number: int = 0


def parse_line(line: str, *, number: int) -> ReplayLine:
    """Parse one JSONL line; ``received_at`` is optional and removed before validation."""
    try:
        data: Any = json.loads(line)
        if not isinstance(data, dict):
            raise ReplayError(f"line {number}: not a JSON object")
        raw_received = data.pop("received_at", None)
        received = _timestamp.validate_python(raw_received) if raw_received is not None else None
        event = patient_event_adapter.validate_python(data)
    except json.JSONDecodeError as exc:
        raise ReplayError(f"line {number}: invalid JSON at column {exc.colno}") from None
    except ValidationError as exc:
        # Field locations and messages only: the input values may be PHI.
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)[:3]
        )
        raise ReplayError(f"line {number}: {where}") from None
    return ReplayLine(event=event, received_at=received, number=number)


def read_lines(lines: Iterable[str]) -> Iterator[ReplayLine]:
    """Parse non-blank lines, numbered from 1 as an editor shows them."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield parse_line(line, number=number)


@dataclass
class Replay:
    """Patients' states, the simulated clock and a deadline heap across all patients."""

    policy: Policy
    detector: Detector | None = None
    scorer: Scorer | None = None
    clock: datetime | None = None
    page_after: datetime | None = None
    id_key: bytes | None = None
    states: dict[str, PatientState] = field(default_factory=dict)
    # Line numbers refused as ingest would refuse them (bad_timestamp): never fed to the reducer.
    refused: list[int] = field(default_factory=list)
    # Every episode as last seen, so one archived out of a state still has its summary line.
    _seen: dict[str, tuple[PatientState, Episode]] = field(default_factory=dict)
    _heap: list[tuple[datetime, str]] = field(default_factory=list)

    def feed(self, line: ReplayLine) -> list[Output]:
        """Advance the clock to the line's arrival, fire what is due, then handle the event."""
        arrival = line.received_at or line.event.occurred_at
        if not self._in_range(line, arrival):
            self.refused.append(line.number)
            return []
        outputs = self.advance(arrival)
        assert self.clock is not None
        received = line.received_at if line.received_at is not None else self.clock
        outputs += self._handle(line.event, self.clock, received_at=max(received, self.clock))
        return outputs

    def _in_range(self, line: ReplayLine, arrival: datetime) -> bool:
        # The range ingest enforces (services.ingest, policy clinical_time), against the arrival
        # and against the simulated clock, so a year-9999 line cannot drag the clock along.
        try:
            earliest, latest = self.policy.clinical_time_range(arrival)
            if self.clock is not None:
                latest = min(latest, self.policy.clinical_time_range(self.clock)[1])
        except OverflowError:
            return False
        stamps = (line.event.occurred_at, arrival)
        return all(earliest <= at <= latest for at in stamps)

    def advance(self, to: datetime) -> list[Output]:
        """Move the clock forward to ``to`` (never back), firing deadlines in order on the way."""
        self.clock = to if self.clock is None else max(self.clock, to)
        outputs: list[Output] = []
        firings = 0
        while self._heap and self._heap[0][0] <= self.clock:
            deadline, patient_id = heapq.heappop(self._heap)
            state = self.states[patient_id]
            if next_deadline(state) != deadline:
                continue  # superseded by a later change of this patient's timers
            for due in due_timers(state, deadline, late_after=self.policy.late_after):
                outputs += self._handle(due, deadline)
            firings = firings + 1 if next_deadline(self.states[patient_id]) == deadline else 0
            if firings > _MAX_FIRINGS_AT_ONE_DEADLINE:
                raise ReplayError("a deadline keeps firing without advancing")
        return outputs

    def _handle(
        self, event: PatientEvent, now: datetime, *, received_at: datetime | None = None
    ) -> list[Output]:
        state, outputs = handle(
            self.states.get(event.patient_id),
            event,
            now,
            policy=self.policy,
            detector=self.detector,
            scorer=self.scorer,
            received_at=received_at,
            page_after=self.page_after,
            id_key=self.id_key,
        )
        self.states[event.patient_id] = state
        for episode in state.episodes:
            self._seen[episode.episode_id] = (state, episode)
        upcoming = next_deadline(state)
        if upcoming is not None:
            heapq.heappush(self._heap, (upcoming, event.patient_id))
        return outputs

    def summaries(self) -> list[dict[str, Any]]:
        """One summary per episode, patients in first-seen order, episodes in order."""
        order = {patient: n for n, patient in enumerate(self.states)}
        seen = sorted(self._seen.values(), key=lambda se: (order[se[0].patient_id], se[1].ordinal))
        return [episode_summary(state, episode) for state, episode in seen]


def replay(
    lines: Iterable[ReplayLine],
    *,
    policy: Policy,
    until: datetime | None = None,
    detector: Detector | None = None,
    scorer: Scorer | None = None,
    page_after: datetime | None = None,
    id_key: bytes | None = None,
) -> tuple[Replay, list[Output]]:
    """Run every line, then fire deadlines up to ``until``; return the driver and all outputs."""
    driver = Replay(
        policy=policy, detector=detector, scorer=scorer, page_after=page_after, id_key=id_key
    )
    outputs: list[Output] = []
    for line in lines:
        outputs += driver.feed(line)
    if until is not None:
        outputs += driver.advance(until)
    return driver, outputs
