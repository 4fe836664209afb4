"""Reports written for Cordwatch by its developers (not the shared corpus), labelled before the
detector saw them: a check that the rules generalise beyond the development corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.detection import detect

_CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "own_reports.jsonl").read_text().splitlines()
    if line.strip()
]


@pytest.mark.parametrize("case", _CASES, ids=[c["id"] for c in _CASES])
def test_own_report(case: dict[str, Any]) -> None:
    result = detect(case["text"], modality=case["modality"], exam=case["exam"])
    label = case["label"]
    assert result.suspected_mescc == label["suspected_mescc"]
    assert result.escc_grade == label["escc_grade"]
    assert result.levels == label["levels"]
    assert result.cord_signal == label["cord_signal"]
