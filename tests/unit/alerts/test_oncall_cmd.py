"""`cordwatch oncall` prints who each alert type reaches at each tier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from streams.cli import main
from tests.unit.alerts.conftest import base


@pytest.fixture
def routing(tmp_path: Path) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(base()), encoding="utf-8")
    return path


def test_christmas_eve_03_00_reaches_the_night_registrar(
    routing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["oncall", "--facility", "NORTH", "--at", "2026-12-24T03:00Z", "--routing", str(routing)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "on call at NORTH at 2026-12-24 03:00Z (Thu 2026-12-24 03:00 Europe/London)"
    )
    lines = [ln for ln in out.splitlines() if ln.startswith("mescc_suspected   critical")]
    assert lines == [
        "mescc_suspected   critical  -                    critical           1     "
        "registrar -> Night Doctor (email, webhook)"
    ]
    assert "night@north.example" not in out  # channels, never addresses


def test_json_splits_timers_where_routes_differ(
    routing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "oncall",
        "--facility",
        "NORTH",
        "--at",
        "2026-12-26T12:00Z",
        "--routing",
        str(routing),
        "--format",
        "json",
    ]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    warnings = [
        r for r in doc["routes"] if r["alert_type"] == "timer_warning" and r["priority"] == "high"
    ]
    assert [(r["timer"], r["route"]) for r in warnings] == [
        ("steroids", "steroid warnings"),
        ("surgical_evaluation", "rest"),
    ]
    # Saturday noon: no weekday registrar shift, so the rest route reaches nobody.
    assert warnings[1]["tiers"] == [{"tier": 1, "role": "registrar", "on_call": []}]


def test_nobody_on_call_is_printed(routing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["oncall", "--facility", "NORTH", "--at", "2026-12-26T12:00Z", "--routing", str(routing)]
    assert main(argv) == 0
    assert "registrar -> NOBODY ON CALL" in capsys.readouterr().out


def test_bad_file_or_facility_exits_2_with_every_problem(
    tmp_path: Path, routing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    data = base()
    data["version"] = 9
    data["facilities"]["NORTH"]["timezone"] = "Nowhere/Town"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["oncall", "--facility", "NORTH", "--routing", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "routing file: 2 problems" in err
    assert "version: must be 1" in err
    assert main(["oncall", "--facility", "EAST", "--routing", str(routing)]) == 2
    assert "unknown facility 'EAST' (known: NORTH, WEST)" in capsys.readouterr().err


def test_a_naive_time_is_refused(routing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(
            ["oncall", "--facility", "NORTH", "--at", "2026-12-24T03:00", "--routing", str(routing)]
        )
    assert "give an offset" in capsys.readouterr().err


def test_the_routing_file_defaults_to_the_settings(
    routing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.config import Settings

    argv = ["oncall", "--facility", "NORTH", "--at", "2026-12-24T03:00Z"]
    assert main(argv, settings=Settings(routing_file=routing)) == 0
    assert capsys.readouterr().out.startswith("on call at NORTH")
    assert main(argv, settings=Settings()) == 2
    assert "give --routing or set CORDWATCH_ROUTING_FILE" in capsys.readouterr().err
