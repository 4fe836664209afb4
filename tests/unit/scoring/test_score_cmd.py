"""`cordwatch score`: one output line per input line, errors per line, --explain rows."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from streams.cli import main
from streams.cli.score_cmd import score_line

FULL = {
    "id": "case-1",
    "sins": {
        "location": "junctional",
        "pain": "mechanical",
        "lesion": "lytic",
        "alignment": "normal",
        "collapse": "lt50",
        "posterolateral": "unilateral",
    },
    "escc_grade": "2",
    "diagnoses": [{"code": "C64.1", "system": "ICD-10"}],
    "months_since_cancer_diagnosis": 20,
    "other_bone_metastases": True,
    "visceral_metastases": False,
    "ambulatory": True,
    "motor_deficit_days": 10,
    "ecog": 1,
    "retropulsion": False,
}


def run(
    lines: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> list[dict[str, Any]]:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    assert main(["score", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_output_line_has_the_issue_4_shape(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (out,) = run([json.dumps(FULL)], monkeypatch, capsys)
    assert out["id"] == "case-1"
    assert out["sins"] == {"total": 11, "min": 11, "max": 11, "category": "potentially_unstable"}
    assert out["escc"] == {"grade": "2", "high_grade": True}
    assert {"total", "min", "max", "group", "six_month_survival_percent"} <= out["rades"].keys()
    assert out["rades"]["note"] == "unavailable: table not confirmed"
    assert {"total", "min", "max", "group"} <= out["tokuhashi"].keys()
    assert out["radiosensitivity"] == "radioresistant"
    codes = [a["code"] for a in out["advice"]]
    assert "urgent_surgical_evaluation" in codes
    for item in out["advice"]:
        assert {"code", "text", "reasons", "sources"} <= item.keys()
    assert "explain" not in out


def test_bad_lines_become_error_objects_and_the_run_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        "{not json",
        "[1, 2]",
        json.dumps({"id": "bad-grade", "escc_grade": "4"}),
        json.dumps({"id": "bad-sins", "sins": {"location": "neck"}}),
        "",
        json.dumps({"id": "ok"}),
    ]
    out = run(lines, monkeypatch, capsys)
    assert [o.get("id") for o in out] == [None, None, "bad-grade", "bad-sins", "ok"]
    assert all("error" in o for o in out[:4])
    assert "escc_grade" in out[2]["error"]
    assert "sins.location" in out[3]["error"]
    assert "error" not in out[4]


def test_errors_do_not_echo_input_values() -> None:
    out = score_line(json.dumps({"id": "x", "primary_tumour": "A" * 300}))
    assert "AAAA" not in out["error"]


def test_unknown_fields_are_ignored_with_a_warning() -> None:
    out = score_line(json.dumps({"id": "w", "ambulant": True}))
    assert out["warnings"] == ["ignored unknown field: ambulant"]
    assert "error" not in out


def test_numeric_ids_are_kept_as_given() -> None:
    assert score_line(json.dumps({"id": 17}))["id"] == 17


def test_explain_prints_the_rows_behind_each_result(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (out,) = run([json.dumps(FULL)], monkeypatch, capsys, "--explain")
    rows = {(r["score"], r["factor"]): r for r in out["explain"]}
    assert rows[("sins", "location")]["points"] == "3"
    assert rows[("sins", "location")]["value"] == "junctional"
    assert "Fisher" in rows[("sins", "location")]["source"]
    assert rows[("sins", "group")]["points"] == "potentially_unstable"
    assert rows[("escc", "grade")]["points"] == "high-grade"
    assert rows[("radiosensitivity", "primary")]["points"] == "radioresistant"
    assert rows[("rades", "time_developing_motor_deficits")]["value"] == "8-14 days"
    assert rows[("tokuhashi", "primary_site")]["points"] == "3"


def test_reads_a_file_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "f", "escc_grade": "1a"}) + "\n", encoding="utf-8")
    assert main(["score", str(path)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["escc"] == {"grade": "1a", "high_grade": False}
