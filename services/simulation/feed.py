"""The simulated hospital feed: patient stories merged into one stream of Kafka messages.

Pure and deterministic: a seeded ``random.Random`` per story, clinical time passed in as
``start``, nothing read from the clock. Messages come out in the order the hospital's interfaces
would publish them (clinical time plus interface delay), so a patient's own events keep a
realistic order while patients interleave, and a late-charted record arrives hours after the
moment it describes.
"""

from __future__ import annotations

import heapq
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from services.simulation.invalid import corrupt
from services.simulation.report_common import ReportTruth
from services.simulation.stories import build_story, pick_kind
from services.simulation.story_care import WINDOW
from services.simulation.story_types import (
    ADT,
    ASSESSMENTS,
    CONSULTS,
    IMAGING,
    MEDICATIONS,
    PROCEDURES,
    Draft,
    StoryTruth,
)

_NAMESPACE = uuid.UUID("6f1c9a52-4d0e-5b7e-9c1a-2f3e8d7b6a51")
_SOURCES: dict[str, str] = {
    ADT: "pas-adt",
    IMAGING: "ris",
    MEDICATIONS: "emar",
    CONSULTS: "orders",
    PROCEDURES: "theatre-rt",
    ASSESSMENTS: "obs-charting",
}
_RECORD_FIELDS: tuple[str, ...] = ("administration_id", "consult_id", "procedure_id", "accession")
# Sites send their local offset; one sends UTC as "Z". The contract requires an explicit offset.
DEFAULT_FACILITIES: tuple[tuple[str, str], ...] = (
    ("NORTH", "Z"),
    ("SOUTH", "-05:00"),
    ("CITY", "+01:00"),
)
LATE_ARRIVAL = timedelta(hours=1)


class FeedConfigError(ValueError):
    """The feed's configuration is contradictory or out of range."""


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """What to simulate. ``start`` is the clinical time of the first admission."""

    seed: int
    start: datetime
    patients: int | None = 50  # None: unbounded, the caller stops by count
    mean_gap: timedelta = timedelta(minutes=20)  # between admissions, clinical time
    horizon: datetime | None = None  # messages published after it have not happened yet
    invalid_fraction: float = 0.0
    facilities: tuple[tuple[str, str], ...] = DEFAULT_FACILITIES
    # Demo mode: place each story so its 24-hour deadlines fall in [start, start + due_within]
    # (negative stories: admitted in the day before start). Needs a bounded patient count.
    due_within: timedelta | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise FeedConfigError("start must carry a timezone")
        if not 0.0 <= self.invalid_fraction < 1.0:
            raise FeedConfigError("invalid_fraction must be in [0, 1)")
        if self.patients is not None and self.patients < 0:
            raise FeedConfigError("patients must not be negative")
        if self.mean_gap <= timedelta(0):
            raise FeedConfigError("mean_gap must be positive")
        if self.due_within is not None and (self.patients is None or self.due_within.days < 0):
            raise FeedConfigError("due_within needs a patient count and a positive window")


@dataclass(frozen=True, slots=True)
class SimMessage:
    """One message for an inbound topic, with the truth behind it for tests and demos."""

    topic: str
    key: str
    value: bytes
    publish_at: datetime  # clinical-clock time the sending system publishes it
    event: dict[str, Any] | None  # the canonical event; None for a deliberately invalid message
    defect: str | None  # why the message is invalid; None when valid
    story: StoryTruth
    report: ReportTruth | None = None

    @property
    def valid(self) -> bool:
        """True for a message the contract accepts."""
        return self.defect is None

    def kafka_line(self) -> str:
        """{topic, key, value} as one JSON line, the format `cordwatch demo --events` reads."""
        # An invalid message may not be JSON at all, so it travels as its exact text ("raw").
        line: dict[str, Any] = {"topic": self.topic, "key": self.key}
        if self.event is not None:
            line["value"] = self.event
        else:
            line["raw"] = self.value.decode("utf-8")
            line["defect"] = self.defect
        return json.dumps(line, ensure_ascii=False)

    def replay_line(self) -> str | None:
        """The canonical event plus received_at, the `cordwatch replay` input; None if invalid."""
        if self.event is None:
            return None
        line = {**self.event, "received_at": _utc(self.publish_at)}
        return json.dumps(line, ensure_ascii=False)


@dataclass(order=True)
class _Pending:
    publish_at: datetime
    story: int
    seq: int
    message: SimMessage = field(compare=False)


def generate(config: FeedConfig) -> Iterator[SimMessage]:
    """Yield the feed's messages in publication order; same config, same messages."""
    master = random.Random(f"cordwatch-sim:{config.seed}")
    invalid_rng = random.Random(f"cordwatch-sim:{config.seed}:invalid")
    # Injecting with p = f / (1 - f) per valid message makes invalid ones a fraction f of all.
    p_invalid = config.invalid_fraction / (1.0 - config.invalid_fraction)
    pending: list[_Pending] = []
    used_ids: set[str] = set()
    admitted = 0
    next_admission = config.start
    recent_keys: list[str] = []
    # Aligned stories do not arrive in admission order, so all are drafted before any is sent.
    aligned = config.due_within is not None
    while True:
        may_admit = (config.patients is None or admitted < config.patients) and (
            aligned or config.horizon is None or next_admission <= config.horizon
        )
        if may_admit and (aligned or not pending or next_admission <= pending[0].publish_at):
            patient_id = _new_patient_id(master, used_ids)
            at = _aligned_admission(config, admitted) if aligned else next_admission
            for seq, message in enumerate(
                _story_messages(config, index=admitted, patient_id=patient_id, at=at)
            ):
                heapq.heappush(pending, _Pending(message.publish_at, admitted, seq, message))
            admitted += 1
            gap_minutes = master.expovariate(1.0 / (config.mean_gap.total_seconds() / 60))
            next_admission += timedelta(minutes=max(1.0, gap_minutes))
            continue
        if not pending:
            return
        message = heapq.heappop(pending).message
        if config.horizon is not None and message.publish_at > config.horizon:
            continue
        if p_invalid and invalid_rng.random() < p_invalid:
            yield _invalid(invalid_rng, message, recent_keys)
        recent_keys = [*recent_keys[-7:], message.key]
        yield message


def _aligned_admission(config: FeedConfig, index: int) -> datetime:
    """When to admit story ``index`` so that its deadlines fall in the demo window."""
    assert config.due_within is not None
    rng = random.Random(f"cordwatch-sim:{config.seed}:story:{index}")
    _, truth = build_story(rng, kind=pick_kind(rng), patient_id="-", admitted_at=config.start)
    place = random.Random(f"cordwatch-sim:{config.seed}:align:{index}").random()
    if truth.suspected_at is None:
        return config.start - place * WINDOW
    lead = truth.suspected_at - config.start
    return config.start + place * config.due_within - WINDOW - lead


def _new_patient_id(rng: random.Random, used: set[str]) -> str:
    while True:
        candidate = f"MRN{rng.randrange(10**7, 10**8)}"
        if candidate not in used:
            used.add(candidate)
            return candidate


def _story_messages(
    config: FeedConfig, *, index: int, patient_id: str, at: datetime
) -> list[SimMessage]:
    rng = random.Random(f"cordwatch-sim:{config.seed}:story:{index}")
    kind = pick_kind(rng)
    drafts, truth = build_story(rng, kind=kind, patient_id=patient_id, admitted_at=at)
    # Whole seconds, as interfaces send them, so the text and the clock agree exactly.
    drafts = [
        replace(d, occurred_at=_second(d.occurred_at), delay=_second_delta(d.delay)) for d in drafts
    ]
    facility, offset = rng.choice(config.facilities)
    encounter = f"ENC{rng.randrange(10**8, 10**9)}"
    timed = sorted(
        zip(_publication_times(drafts), drafts, strict=True),
        key=lambda pair: (pair[0], pair[1].occurred_at),
    )
    messages = []
    for seq, (publish_at, draft) in enumerate(timed):
        # Seed and start in the id: regenerating a feed redelivers the same ids (a no-op
        # downstream), while a demo re-run an hour later is new history, not a duplicate.
        event_id = str(uuid.uuid5(_NAMESPACE, f"{config.seed}:{_utc(config.start)}:{index}:{seq}"))
        event = _event(draft, event_id, patient_id, encounter, facility, offset)
        value = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        messages.append(
            SimMessage(draft.topic, patient_id, value, publish_at, event, None, truth, draft.report)
        )
    return messages


def _publication_times(drafts: list[Draft]) -> list[datetime]:
    """When each draft (same order) is published: clinical time plus delay, causally ordered."""
    # A record's later version never overtakes the earlier one: an entered-in-error cannot reach
    # Kafka before the administration it voids. Story order breaks ties in clinical time.
    order = sorted(range(len(drafts)), key=lambda i: drafts[i].occurred_at)
    # Nothing can be charted to an encounter before the PAS has registered the admission.
    admitted = min(
        (d.occurred_at + d.delay for d in drafts if d.event_type == "admit"), default=None
    )
    last: dict[tuple[str, str], datetime] = {}
    times: list[datetime] = [drafts[i].occurred_at for i in range(len(drafts))]
    for i in order:
        draft = drafts[i]
        record = next((str(draft.fields[f]) for f in _RECORD_FIELDS if f in draft.fields), None)
        at = draft.occurred_at + draft.delay
        if admitted is not None and draft.event_type != "admit":
            at = max(at, admitted + timedelta(seconds=1))
        if record is not None:
            key = (draft.topic, record)
            if key in last and at <= last[key]:
                at = last[key] + timedelta(seconds=1)
            last[key] = at
        times[i] = at
    return times


def _event(
    draft: Draft, event_id: str, patient_id: str, encounter: str, facility: str, offset: str
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": event_id,
        "event_type": draft.event_type,
        "occurred_at": _format(draft.occurred_at, offset),
        "patient_id": patient_id,
        "encounter_id": encounter,
        "facility": facility,
        "source": _SOURCES[draft.topic],
    }
    for name, value in draft.fields.items():
        event[name] = _format(value, offset) if isinstance(value, datetime) else value
    return event


def _format(moment: datetime, offset: str) -> str:
    """RFC 3339 in the site's offset, to the second, "Z" for UTC sites."""
    if offset == "Z":
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = (int(part) for part in offset[1:].split(":"))
    zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _second_delta(span: timedelta) -> timedelta:
    return timedelta(seconds=max(1, int(span.total_seconds())))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _invalid(rng: random.Random, message: SimMessage, recent_keys: list[str]) -> SimMessage:
    defect, key, value = corrupt(rng, message.value, key=message.key, other_keys=recent_keys)
    return SimMessage(message.topic, key, value, message.publish_at, None, defect, message.story)
