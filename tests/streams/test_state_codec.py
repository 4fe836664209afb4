"""The table's state codec: every state the replay examples reach survives a table round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.pathway.replay import read_lines, replay
from services.policy import load_policy
from streams.patient_store import decode_state, encode_state
from tests.replay.keyword_detector import keyword_detect
from tests.replay.stub_scorer import stub_score
from tests.replay.test_golden import EXAMPLES, UNTIL


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_state_of_a_replay_example_decodes_to_itself(path: Path) -> None:
    # f5_backlog_history: a quiet episode's breached timer and no watches; written without the
    # empty watches, its decode upgraded the timer into an escalating watch.
    with path.open(encoding="utf-8") as handle:
        driver, _ = replay(
            read_lines(handle),
            policy=load_policy(),
            until=UNTIL,
            detector=keyword_detect,
            scorer=stub_score,
        )
    states = list(driver.states.values())
    assert states
    for state in states:
        assert decode_state(encode_state(state)) == state
