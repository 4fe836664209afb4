"""`cordwatch users` and `cordwatch access-log`, in process."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.access import AccessAction, AccessRecord
from services.identity.credentials import token_digest, verify_password
from services.identity.users_file import load_users
from services.store import make_engine, upgrade
from services.store.access import AccessLog
from streams.cli import main

PASSWORD = "a password of some length"


def test_hash_reads_stdin_and_prints_only_the_hash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "hash", "--stdin"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("$argon2id$")
    assert PASSWORD not in out
    assert verify_password(out, PASSWORD)


def test_add_writes_a_valid_owner_only_file_and_shows_the_token_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "users.yaml"
    for name, role in (("a.jones", "coordinator"), ("b.smith", "auditor")):
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        args = ["users", "add", name, "--role", role, "--file", str(path), "--stdin", "--token"]
        assert main(args) == 0
    out = capsys.readouterr().out
    tokens = [line.rsplit(" ", 1)[1] for line in out.splitlines() if line.startswith("token")]
    assert len(tokens) == 2
    assert "2 users, valid" in out
    text = path.read_text()
    assert PASSWORD not in text
    assert all(t not in text and token_digest(t) in text for t in tokens)
    assert path.stat().st_mode & 0o077 == 0
    users = load_users(path)
    assert users.bearer(tokens[1]) is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    again = ["users", "add", "a.jones", "--role", "admin", "--file", str(path), "--stdin"]
    assert main(again) == 2
    assert "already in" in capsys.readouterr().err


def test_check_prints_one_line_per_problem_and_exits_78(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  - {name: x, role: nurse, password: plain-text-password}\n")
    assert main(["users", "check", "--file", str(path)]) == 78
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert "role: one of" in err[0]
    assert "password: must be an Argon2id hash" in err[1]
    assert "plain-text-password" not in "".join(err)


def test_access_log_lists_records_newest_first_filtered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    upgrade(engine=engine)
    AccessLog(engine=engine).record_many([
        AccessRecord(access_id=f"a{i}", at=datetime(2026, 12, 7, 9, i, tzinfo=UTC),
                     user_name=user, role="coordinator", via="session", action=action,
                     target_kind="episode", target_id="E1", remote="10.0.0.7")
        for i, (user, action) in enumerate([("a.jones", AccessAction.READ_EPISODE),
                                            ("b.smith", AccessAction.ACKNOWLEDGE),
                                            ("a.jones", AccessAction.SILENCE)])
    ])  # fmt: skip
    assert main(["access-log", "--database-url", url, "--user", "a.jones"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # the header and two records
    assert "silence" in lines[1]
    assert "read_episode" in lines[2]
    assert "episode:E1" in lines[2]
    assert "10.0.0.7" in lines[2]
    assert main(["access-log", "--database-url", url, "--format", "json", "--since",
                 "2026-12-07T09:01:00Z"]) == 0  # fmt: skip
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["access_id"] for d in docs] == ["a2", "a1"]
    assert main(["access-log", "--database-url", url, "--action", "peek"]) == 2


def test_the_demo_makes_a_coordinator_who_can_sign_in(tmp_path: Path) -> None:
    from streams.demo.session import DEMO_USER, demo_users

    path, password = demo_users(tmp_path / "var")
    user = load_users(path).user(DEMO_USER)
    assert user is not None
    assert user.role.value == "coordinator"
    assert verify_password(user.password_hash, password)
    assert password not in path.read_text()
    assert path.stat().st_mode & 0o077 == 0
