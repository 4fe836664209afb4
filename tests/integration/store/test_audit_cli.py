"""`cordwatch db` and `cordwatch audit` end to end on each dialect: migrate, load, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.store import Store, head_revision, make_engine
from streams.cli import main
from tests.integration.store.dataset import EXPECTED_MONTH, known_dataset
from tests.unit.audit.test_render import assert_formats_agree

RANGE = ["--since", "2026-01-01", "--until", "2026-03-01T00:00:00Z"]


def _audit(capsys: pytest.CaptureFixture[str], db_url: str, *extra: str) -> str:
    assert main(["audit", "--database-url", db_url, *RANGE, *extra]) == 0
    return capsys.readouterr().out


def test_audit_refuses_an_unmigrated_database(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--database-url", db_url]) == 2
    assert "run `cordwatch db upgrade`" in capsys.readouterr().err
    assert main(["db", "check", "--database-url", db_url]) == 2


def test_db_upgrade_then_audit_formats_agree_with_the_worked_answers(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["db", "upgrade", "--database-url", db_url]) == 0
    assert f"-> {head_revision()}" in capsys.readouterr().out
    assert main(["db", "check", "--database-url", db_url]) == 0
    capsys.readouterr()
    engine = make_engine(db_url)
    Store(engine=engine).apply(changes=known_dataset())
    engine.dispose()

    table = _audit(capsys, db_url)
    csv_text = _audit(capsys, db_url, "--format", "csv")
    json_text = _audit(capsys, db_url, "--format", "json")
    assert assert_formats_agree(table, csv_text, json_text) == 12 + 8  # 8 pooled rows

    doc = json.loads(json_text)
    by_key = {(r["period"], r["facility"], r["measure"]): r for r in doc["rows"]}
    for key, expected in EXPECTED_MONTH.items():
        row = by_key[key]
        assert (row["episodes"], row["n"], row["median_h"], row["p90_h"]) == expected[:4]
    assert by_key[("2026-01", "NORTH", "steroids")]["compliance_pct"] == 66.7
    assert doc["breaches_total"] == 3
    assert "MRN" not in json_text + table + csv_text

    out = tmp_path / "report.html"
    assert (
        main(["audit", "--database-url", db_url, *RANGE, "--format", "html", "-o", str(out)]) == 0
    )
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 2
    assert "E2" in page
    assert "MRN" not in page


def test_facility_filter_on_the_command_line(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["db", "upgrade", "--database-url", db_url])
    engine = make_engine(db_url)
    Store(engine=engine).apply(changes=known_dataset())
    engine.dispose()
    capsys.readouterr()
    doc = json.loads(
        _audit(capsys, db_url, "--facility", "SOUTH", "--by", "week", "--format", "json")
    )
    assert {r["facility"] for r in doc["rows"]} == {"SOUTH", "(all)"}
    assert {r["period"] for r in doc["rows"]} == {"2025-12-29", "2026-01-05"}


def test_episode_listing_in_every_text_format(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io

    main(["db", "upgrade", "--database-url", db_url])
    engine = make_engine(db_url)
    Store(engine=engine).apply(changes=known_dataset())
    engine.dispose()
    capsys.readouterr()
    rows = json.loads(_audit(capsys, db_url, "--episodes", "--format", "json"))["episodes"]
    by_id = {r["episode_id"]: r for r in rows}
    assert (by_id["E2"]["steroids_h"], by_id["E2"]["surgery_h"]) == (30.0, 48.0)
    assert by_id["E2"]["surgical_evaluation_status"] == "breached"
    csv_rows = list(
        csv.DictReader(io.StringIO(_audit(capsys, db_url, "--episodes", "--format", "csv")))
    )
    assert [r["episode_id"] for r in csv_rows] == [r["episode_id"] for r in rows]
    assert csv_rows[0]["surgery_h"] == "40.00"
    table = _audit(capsys, db_url, "--episodes")
    assert "E7" in table
    assert "MRN" not in table
    assert main(["audit", "--database-url", db_url, "--episodes", "--format", "html"]) == 2
