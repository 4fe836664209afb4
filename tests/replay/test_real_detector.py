"""The examples through the real detector and scorer reach the golden episode outcomes.

The golden files use a keyword stand-in so they pin the pathway alone; this checks that the real
report detector (services.detection) reads the example reports the same way where it matters:
which episodes exist and how each timer ends.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.pathway.replay import read_lines, replay
from services.policy import load_policy

from .test_golden import EXAMPLES, GOLDEN, UNTIL

try:
    from services.detection import detect  # noqa: F401
except ImportError:  # the detector helper's package has not landed in this tree yet
    DETECTOR_READY = False
else:
    DETECTOR_READY = True

pytestmark = pytest.mark.skipif(
    not DETECTOR_READY, reason="services.detection.detect is not importable yet"
)


def _outcomes(summaries: list[dict]) -> list[tuple]:
    return [
        (
            s["patient_id"],
            s["status"],
            s["suspected_at"],
            tuple(sorted((k, v["outcome"], v["met_at"]) for k, v in s["timers"].items())),
        )
        for s in summaries
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_real_detector_reaches_the_golden_outcomes(example: Path) -> None:
    with example.open(encoding="utf-8") as handle:
        driver, _ = replay(read_lines(handle), policy=load_policy(), until=UNTIL)
    golden = GOLDEN / f"{example.stem}.summary.jsonl"
    expected = [json.loads(line) for line in golden.read_text().splitlines()]
    assert _outcomes(driver.summaries()) == _outcomes(expected)
