"""A stored state's digest reads what its full decode says: next deadline and open episodes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from models.events import PatientEvent
from models.outputs import Output
from models.state import PatientState
from models.state_digest import read_digest
from services.census import summarise
from services.pathway import next_deadline
from services.pathway.replay import Replay, read_lines
from services.policy import load_policy
from streams.patient_store import Digests, decode_state, encode_state
from tests.replay.keyword_detector import keyword_detect
from tests.replay.stub_scorer import stub_score
from tests.replay.test_golden import EXAMPLES, UNTIL


@dataclass
class _Recording(Replay):
    """The replay driver, keeping every state the reducer returns."""

    seen: list[PatientState] = field(default_factory=list)

    def _handle(
        self, event: PatientEvent, now: datetime, *, received_at: datetime | None = None
    ) -> list[Output]:
        outputs = super()._handle(event, now, received_at=received_at)
        self.seen.append(self.states[event.patient_id])
        return outputs


def _every_state(path: Path) -> list[PatientState]:
    driver = _Recording(policy=load_policy(), detector=keyword_detect, scorer=stub_score)
    with path.open(encoding="utf-8") as handle:
        for line in read_lines(handle):
            driver.feed(line)
    driver.advance(UNTIL)
    return driver.seen


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_digest_of_every_state_of_a_replay_example_reads_as_its_decode(path: Path) -> None:
    states = _every_state(path)
    assert states
    for state in states:
        raw = encode_state(state)
        digest = Digests().of(state.patient_id.encode(), raw)
        assert digest.deadline == next_deadline(state)
        assert digest.episodes == summarise(state)
        assert not read_digest(raw).needs_full_decode()  # written now: its watches are stored


def test_a_state_stored_before_watches_is_decoded_in_full() -> None:
    # The last state of an example with a breach, stored as before watches existed: no `watches`
    # key, the breach's escalation still on its timer. Its decode turns that into a watch.
    breached = [
        s
        for path in EXAMPLES
        for s in _every_state(path)
        if any(t.breach_alert_id for e in s.episodes for t in e.timers)
    ]
    assert breached
    state = breached[-1]
    data = json.loads(encode_state(state))
    for episode in data["episodes"]:
        episode.pop("watches", None)
        for timer in episode.get("timers", []):
            if timer.get("breach_alert_id"):
                timer.update(status="breached", breach_alert_at=timer.get("breached_at"))
                timer.pop("acknowledged", None)
    raw = json.dumps(data).encode()
    old = decode_state(raw)
    assert old is not None
    assert any(e.watches for e in old.episodes)
    assert read_digest(raw).needs_full_decode()
    digest = Digests().of(b"key", raw)
    assert (digest.deadline, digest.episodes) == (next_deadline(old), summarise(old))
