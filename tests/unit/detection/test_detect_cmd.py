"""`cordwatch detect`: the batch contract eval-detector relies on, and the explanation."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from streams.cli import main
from streams.cli.detect_cmd import detect_line, detect_lines, explain

POSITIVE = "FINDINGS: Epidural tumour at T9 compresses the cord with no CSF around it."


def test_batch_line_has_every_field_eval_detector_reads() -> None:
    out = detect_line(json.dumps({"id": "r1", "text": POSITIVE, "modality": "MR", "exam": "MRI"}))
    assert out["id"] == "r1"
    assert out["suspected_mescc"] is True
    assert out["escc_grade"] == "3"
    assert out["high_grade"] is True
    assert out["levels"] == ["T9"]
    assert set(out["sins_imaging"]) == {
        "location",
        "lesion",
        "alignment",
        "collapse",
        "posterolateral",
    }
    assert {"cord_signal", "excludes_mescc", "retropulsion", "evidence"} <= set(out)
    assert out["review_needed"] is False  # suspected reports are never also "review"
    assert all(
        {"field", "rule", "sentence", "start", "end", "section"} <= set(e) for e in out["evidence"]
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"id": "x", "text": 5}', "text must be a string"),
        ('{"id": "x", "text": "ok", "modality": 3}', "modality and exam"),
        ('{"id": {"a": 1}, "text": "ok"}', "id must be a string"),
    ],
)
def test_bad_lines_are_reported_not_raised(line: str, message: str) -> None:
    out = detect_line(line)
    assert message in out["error"]
    assert "suspected_mescc" not in out


def test_batch_keeps_going_after_a_bad_line_and_names_it_on_stderr() -> None:
    errors = io.StringIO()
    lines = ["{broken\n", json.dumps({"id": "ok", "text": POSITIVE}) + "\n", "\n"]
    out = list(detect_lines(lines, errors=errors))
    assert [row.get("id") for row in out] == [None, "ok"]
    assert out[1]["suspected_mescc"] is True
    assert "line 1" in errors.getvalue()
    assert "Epidural" not in errors.getvalue()  # report text never echoed


def test_error_messages_never_quote_report_text() -> None:
    secret = "Mrs Jane Example " * 20_000  # over the size cap
    out = detect_line(json.dumps({"id": "big", "text": secret}))
    assert "longer than" in out["error"]
    assert "Jane" not in out["error"]


def test_cli_batch_round_trip(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"id": "a", "text": POSITIVE, "modality": "MR", "exam": None},
        {
            "id": "b",
            "text": "IMPRESSION: No epidural disease. No cord compression.",
            "modality": "MR",
            "exam": None,
        },
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(r) + "\n" for r in rows)))
    assert main(["detect"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["id"], o["suspected_mescc"], o["excludes_mescc"]) for o in out] == [
        ("a", True, False),
        ("b", False, True),
    ]


def test_explain_marks_the_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "--text", POSITIVE]) == 0
    shown = capsys.readouterr().out
    assert "suspected_mescc: True" in shown
    assert "[[Epidural tumour]]" in shown  # not a tty: brackets instead of colour


def test_explain_uses_ansi_colour_when_asked() -> None:
    from services.detection import detect

    result = detect(POSITIVE).model_dump(mode="json")
    assert "\x1b[" in explain(POSITIVE, result, colour=True)
    assert "\x1b[" not in explain(POSITIVE, result, colour=False)


def test_explain_from_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.txt"
    report.write_text(POSITIVE, encoding="utf-8")
    assert main(["detect", "--file", str(report), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["escc_grade"] == "3"
    assert main(["detect", "--file", str(tmp_path / "missing.txt")]) == 2


def test_readable_view_shows_review_needed() -> None:
    text = "FINDINGS: Epidural tumour at T9 compresses the cord with no CSF around it."
    shown = explain(text, detect_line(json.dumps({"id": "v", "text": text})), colour=False)
    assert shown.count("review_needed: False") == 1  # once, not once per merge of the view
