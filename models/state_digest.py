"""What the deadline index and the census read of a stored PatientState, and a parse of that alone.

A stored state is 2-5 KB of JSON, and decoding it into a PatientState (every report, score and
care record a model) cost 60-110 us; a recovery of 100 000 patients did it once per patient,
only to read each one's next deadline and open episodes. `StateDigest` is the same JSON read
for just the episodes' status, priority, facility, timers and watches (the parser skips every
other field), three to four times faster. `services.pathway.next_deadline` and
`services.census.summarise` accept either (the `*View` protocols), so both read one rule.

Defaults are PatientState's, so a value written with defaults left out reads the same. One
difference stays: a state stored before watches existed has no `watches` key, and decoding it
into a PatientState turns an unacknowledged breach into a watch; `StoredDigest.needs_full_decode`
says when that applies, and the caller decodes that (rare, old) value in full instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.outputs import EpisodeStatus, Priority, TimerKind, TimerStatus
from models.state import EscalationStop


class TimerView(Protocol):
    """What the index and the census read of a timer."""

    @property
    def kind(self) -> TimerKind: ...
    @property
    def status(self) -> TimerStatus: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def next_due_at(self) -> datetime | None: ...


class WatchView(Protocol):
    """What the index and the census read of a watch (a critical page under escalation)."""

    @property
    def paged_at(self) -> datetime: ...
    @property
    def stopped(self) -> EscalationStop | None: ...
    @property
    def next_due_at(self) -> datetime | None: ...


class EpisodeView(Protocol):
    """What the index and the census read of an episode."""

    @property
    def status(self) -> EpisodeStatus: ...
    @property
    def priority(self) -> Priority: ...
    @property
    def facility(self) -> str | None: ...
    @property
    def timers(self) -> Sequence[TimerView]: ...
    @property
    def watches(self) -> Sequence[WatchView]: ...


class StateView(Protocol):
    """What the index and the census read of a patient's state (a PatientState or a digest)."""

    @property
    def facility(self) -> str | None: ...
    @property
    def episodes(self) -> Sequence[EpisodeView]: ...


class _Read(BaseModel):
    # Everything else in the stored JSON is skipped, not validated.
    model_config = ConfigDict(frozen=True, extra="ignore")


class TimerDigest(_Read):
    """A stored timer's kind, status and deadlines."""

    kind: TimerKind
    status: TimerStatus = TimerStatus.PENDING
    due_at: AwareDatetime
    next_due_at: AwareDatetime | None = None


class WatchDigest(_Read):
    """A stored watch's page time, stop and next deadline."""

    paged_at: AwareDatetime
    stopped: EscalationStop | None = None
    next_due_at: AwareDatetime | None = None


class EpisodeDigest(_Read):
    """A stored episode as the index and the census read it."""

    status: EpisodeStatus = EpisodeStatus.OPEN
    priority: Priority = Priority.HIGH
    facility: str | None = None
    timers: tuple[TimerDigest, ...] = ()
    # None: the key is absent (a state stored before watches existed).
    stored_watches: tuple[WatchDigest, ...] | None = Field(default=None, validation_alias="watches")

    @property
    def watches(self) -> tuple[WatchDigest, ...]:
        """The stored watches (none when the key is absent)."""
        return self.stored_watches or ()


class StoredDigest(_Read):
    """A stored PatientState read for its facility and episodes only."""

    facility: str | None = None
    episodes: tuple[EpisodeDigest, ...] = ()

    def needs_full_decode(self) -> bool:
        """True when PatientState would read more than this: an episode stored before watches
        with a breached timer, which the full decode may turn into a watch."""
        for episode in self.episodes:  # plain loops: this runs once per stored patient
            if episode.stored_watches is None:
                for timer in episode.timers:
                    if timer.status == TimerStatus.BREACHED:
                        return True
        return False


def read_digest(raw: bytes) -> StoredDigest:
    """Parse the parts of a stored state that `StateView` names (ValidationError if malformed)."""
    return StoredDigest.model_validate_json(raw)
