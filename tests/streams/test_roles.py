"""A worker registers only the agents of its roles, chosen at `create_app`, in its own group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import faust

from services.config import Role, Settings
from streams.app import create_app

SETTINGS = Settings(kafka_bootstrap="127.0.0.1:9", app_id="cw")


def _registered(app: faust.App) -> dict[str, Any]:
    return {
        "id": app.conf.id,
        "agents": sorted(app.agents),
        "tables": sorted(app.tables),
        "timers": len(app._app_tasks),  # app.timer and app.task both land here
        "pages": sorted(r.canonical for r in app.web.web_app.router.resources()),
    }


def test_sink_only_app_registers_only_the_sink_agents() -> None:
    sink = _registered(create_app(SETTINGS, roles={Role.SINK}))
    assert sink["id"] == "cw-sink"
    assert sink["agents"] == ["alert_sink", "sink"]
    assert sink["tables"] == []
    assert sink["timers"] == 0  # no deadline scan, no census
    assert "/ready" in sink["pages"]


def test_ingest_pathway_app_registers_all_but_the_sink() -> None:
    everything = _registered(create_app(SETTINGS))
    split = _registered(create_app(SETTINGS, roles={Role.INGEST, Role.PATHWAY}))
    assert split["id"] == "cw"
    assert set(everything["agents"]) - set(split["agents"]) == {"alert_sink", "sink"}
    assert {"pathway", "acks", "ingest.hospital.adt", "gateway.hl7.inbound"} <= set(split["agents"])
    assert split["tables"] == ["patients"]
    assert split["timers"] == everything["timers"] == 2  # the deadline scan and the census
    assert split["pages"] == everything["pages"]  # /health, /ready, /metrics, /api, /fhir


def test_roles_come_from_the_settings_unless_given() -> None:
    from_settings = create_app(SETTINGS.model_copy(update={"roles": frozenset({Role.SINK})}))
    assert sorted(from_settings.agents) == ["alert_sink", "sink"]
    notify = create_app(SETTINGS, roles={Role.NOTIFY})
    assert (sorted(notify.agents), len(notify._app_tasks)) == ([], 1)  # the paging loop task


def test_two_apps_in_one_process_do_not_share_registrations() -> None:
    # Nothing registers at import: each app has only what its own create_app gave it.
    first = create_app(SETTINGS, roles={Role.SINK})
    second = create_app(SETTINGS, roles={Role.INGEST})
    assert not set(first.agents) & set(second.agents)


def test_faust_cli_app_is_built_on_first_access_only() -> None:
    # `faust -A streams.app worker` reads `streams.app.app`; importing the module (as the CLI and
    # every test do, for create_app) must build nothing.
    probe = (
        "import json, streams.app as m; before = 'app' in vars(m); agents = sorted(m.app.agents); "
        "print(json.dumps([before, 'app' in vars(m), m.app is m.app, agents]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
    env |= {"CORDWATCH_KAFKA_BOOTSTRAP": "127.0.0.1:9", "CORDWATCH_ROLES": "sink"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=root, capture_output=True, check=True
    ).stdout
    before, after, same, agents = json.loads(out.decode().strip().splitlines()[-1])
    assert (before, after, same) == (False, True, True)
    assert agents == ["alert_sink", "sink"]  # from CORDWATCH_ROLES, as the worker would


def test_faust_cli_app_with_a_wrong_policy_or_users_file_exits_78_one_line_per_problem(
    tmp_path: Path,
) -> None:
    # `faust -A streams.app worker` says what `cordwatch worker` says: no traceback, no values.
    users = tmp_path / "users.yaml"
    users.write_text("users:\n  - name: ward\n    role: nobody\n    token: marker-secret-4711\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
    env |= {
        "CORDWATCH_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "CORDWATCH_POLICY": str(tmp_path / "absent.yaml"),
        "CORDWATCH_USERS_FILE": str(users),
    }
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", "import streams.app as m; m.app"],
        env=env, cwd=root, capture_output=True, check=False,
    )  # fmt: skip
    lines = done.stderr.decode().splitlines()
    assert done.returncode == 78
    assert any(line.startswith("streams.app: CORDWATCH_POLICY: ") for line in lines)
    assert any(line.startswith("streams.app: CORDWATCH_USERS_FILE: ") for line in lines)
    assert all(line.startswith("streams.app: ") for line in lines)
    assert "Traceback" not in done.stderr.decode()
    assert "marker-secret-4711" not in done.stderr.decode()
