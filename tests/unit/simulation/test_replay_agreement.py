"""The simulated stories, replayed through the real pathway, end the way they were written."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from services.simulation import SimMessage
from tests.unit.simulation.conftest import START, feed


def test_replayed_timer_outcomes_match_the_stories() -> None:
    replay_module = pytest.importorskip("services.pathway.replay")
    policy_module = pytest.importorskip("services.policy")
    pytest.importorskip("services.detection")
    messages: list[SimMessage] = feed(seed=11, patients=120, invalid_fraction=0.02)
    lines = [line for m in messages if (line := m.replay_line()) is not None]
    driver, _ = replay_module.replay(
        replay_module.read_lines(lines),
        policy=policy_module.load_policy(None),
        until=START + timedelta(days=20),
    )
    episodes = list(driver.summaries())
    stories = {m.story.patient_id: m.story for m in messages if m.valid}
    suspected = {p for p, story in stories.items() if story.suspected_at is not None}
    with_episode = {episode["patient_id"] for episode in episodes}
    assert suspected <= with_episode, "every suspected story opens an episode"
    # A hard negative the detector calls suspected opens an episode the story did not intend;
    # the same 90% bar as the detector agreement test.
    assert len(with_episode - suspected) <= 0.1 * (len(stories) - len(suspected))
    agree: Counter[bool] = Counter()
    wrong: Counter[tuple[str, str, str | None, str]] = Counter()
    for episode in episodes:
        story = stories[episode["patient_id"]]
        if story.suspected_at is None:
            continue
        for timer, expected in (
            ("steroids", story.steroids),
            ("surgical_evaluation", story.surgical_evaluation),
        ):
            got = episode["timers"][timer]["outcome"]
            agree[got == expected] += 1
            if got != expected:
                wrong[(story.kind, timer, expected, got)] += 1
    assert agree[True] >= 0.95 * sum(agree.values()), dict(wrong)
    outcomes = {episode["timers"]["steroids"]["outcome"] for episode in episodes}
    assert {"met", "met_late", "breached", "cancelled"} <= outcomes
