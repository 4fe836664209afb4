"""A worker registers only the agents of its roles, under its own consumer group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Imports every agent module (as autodiscovery would) and prints what the app registered.
_PROBE = """
import json
from streams.agents import acks, ingest, pathway, sink, timers
from streams.app import app
print(json.dumps({
    "id": app.conf.id,
    "agents": sorted(app.agents),
    "tables": sorted(app.tables),
    "tasks": len(app._app_tasks),
}))
"""


def _registered(roles: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
    env |= {"CORDWATCH_KAFKA_BOOTSTRAP": "127.0.0.1:9", "CORDWATCH_APP_ID": "cw"}
    env["PYTHONPATH"] = str(ROOT)
    if roles is not None:
        env["CORDWATCH_ROLES"] = roles
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, cwd=ROOT, capture_output=True, check=True
    ).stdout
    return json.loads(out.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def everything() -> dict[str, object]:
    return _registered(None)


def test_sink_only_app_registers_only_the_sink_agents(everything: dict[str, object]) -> None:
    sink = _registered("sink")
    assert sink["id"] == "cw-sink"
    assert sink["agents"] == ["alert_sink", "sink"]
    assert sink["tables"] == []
    assert sink["tasks"] == 0  # no deadline timer


def test_ingest_pathway_app_registers_all_but_the_sink(everything: dict[str, object]) -> None:
    split = _registered("ingest,pathway")
    assert split["id"] == "cw"
    assert set(everything["agents"]) - set(split["agents"]) == {"alert_sink", "sink"}  # type: ignore[call-overload]
    assert {"pathway", "acks"} <= set(split["agents"])  # type: ignore[call-overload]
    assert split["tables"] == ["patients"]
    assert split["tasks"] == everything["tasks"] == 1  # the deadline timer
