"""The read-only view of a stored state gives the deadline index and the census what the full
state gives them, for every state the replay examples pass through, older layouts included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.state import PatientState
from services.census import summarise
from services.pathway import next_deadline
from services.pathway.replay import Replay, read_lines
from services.policy import load_policy
from streams.patient_store import decode_view, encode_state
from tests.replay.keyword_detector import keyword_detect
from tests.replay.stub_scorer import stub_score
from tests.replay.test_golden import EXAMPLES, UNTIL


def _states(path: Path) -> list[PatientState]:
    driver = Replay(policy=load_policy(), detector=keyword_detect, scorer=stub_score)
    seen: list[PatientState] = []
    with path.open(encoding="utf-8") as handle:
        for line in read_lines(handle):
            driver.feed(line)
            seen += driver.states.values()
    driver.advance(UNTIL)
    return [*seen, *driver.states.values()]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_view_reads_the_same_deadline_and_census_as_the_full_state(example: Path) -> None:
    states = _states(example)
    assert states
    for state in states:
        raw = encode_state(state)
        full, view = PatientState.model_validate_json(raw), decode_view(raw)
        assert next_deadline(view) == next_deadline(full)
        assert summarise(view) == summarise(full)


def test_view_upgrades_a_state_stored_before_watches_like_the_full_state() -> None:
    states = [s for p in EXAMPLES for s in _states(p)]
    breached = [s for s in states if any(w.timer for e in s.episodes for w in e.watches)]
    assert breached  # the examples include a breach under escalation
    for state in breached:
        document = json.loads(encode_state(state))
        for episode in document["episodes"]:
            episode.pop("watches", None)  # as a state written before issue 13
        raw = json.dumps(document).encode()
        full = PatientState.model_validate_json(raw)
        view = decode_view(raw)
        assert next_deadline(view) == next_deadline(full)
        assert summarise(view) == summarise(full)
