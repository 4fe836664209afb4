"""Golden files: every example in examples/replay replayed through the driver, output by output.

Regenerate after an intended change with ``CORDWATCH_UPDATE_GOLDEN=1 pytest tests/replay`` and
review the diff: each changed line is a changed alert or episode change.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.pathway.replay import read_lines, replay
from services.policy import load_policy

from .keyword_detector import keyword_detect
from .stub_scorer import stub_score

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "replay").glob("*.jsonl"))
GOLDEN = Path(__file__).with_name("golden")
UNTIL = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # 48 h after the examples' first report


def _run(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8") as handle:
        driver, outputs = replay(
            read_lines(handle),
            policy=load_policy(),
            until=UNTIL,
            detector=keyword_detect,
            scorer=stub_score,
        )
    lines = [o.model_dump_json() for o in outputs]
    summary = [json.dumps(s, separators=(",", ":")) for s in driver.summaries()]
    return lines, summary


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_replay_matches_golden(example: Path) -> None:
    lines, summary = _run(example)
    for suffix, got in ((".outputs.jsonl", lines), (".summary.jsonl", summary)):
        golden = GOLDEN / f"{example.stem}{suffix}"
        text = "".join(line + "\n" for line in got)
        if os.environ.get("CORDWATCH_UPDATE_GOLDEN"):
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert golden.exists(), f"missing golden file {golden.name}; set CORDWATCH_UPDATE_GOLDEN=1"
        assert text.splitlines() == golden.read_text(encoding="utf-8").splitlines()


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 5
