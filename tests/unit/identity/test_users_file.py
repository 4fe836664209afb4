"""The users file: a valid file loads; every problem of a wrong one is its own line, no secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.identity.credentials import hash_password, token_digest, verify_password
from services.identity.roles import UserRole
from services.identity.users_file import UsersFileError, load_users, parse_users

PASSWORD = "correct horse battery"
HASH = hash_password(PASSWORD)
TOKEN = "cw_test-token-for-the-users-file-0000000000000"


def test_a_valid_file_loads_with_names_roles_and_tokens(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(
        "users:\n"
        f"  - {{name: a.jones, display: Dr A Jones, role: coordinator, password: '{HASH}'}}\n"
        f"  - {{name: audit, role: auditor, token_sha256: {token_digest(TOKEN)}}}\n"
    )
    users = load_users(path)
    jones = users.user("A.Jones ")  # sign-in names are case- and space-insensitive
    assert jones is not None
    assert (jones.display, jones.role) == ("Dr A Jones", UserRole.COORDINATOR)
    assert verify_password(jones.password_hash, PASSWORD)
    assert not verify_password(jones.password_hash, PASSWORD + "x")
    by_token = users.bearer(TOKEN)
    assert by_token is not None
    assert by_token.name == "audit"
    assert by_token.display == "audit"  # display defaults to the name
    assert users.bearer(TOKEN + "x") is None


def test_every_problem_is_one_line_naming_entry_and_field_and_no_credential() -> None:
    doc = {
        "users": [
            {"name": "ok", "role": "coordinator", "password": HASH},
            {"name": "Bad Name", "role": "coordinator", "password": HASH},
            {"name": "nurse", "role": "matron", "password": HASH},
            {"name": "plain", "role": "clinician", "password": "hunter2-in-clear"},
            {"name": "ok", "role": "admin", "password": HASH},
            {"name": "tok", "role": "admin", "token_sha256": "abc"},
            {"name": "nothing", "role": "auditor"},
            {"name": "typo", "role": "auditor", "password": HASH, "pasword": "x"},
            "just a string",
        ]
    }
    with pytest.raises(UsersFileError) as caught:
        parse_users(doc, source="users.yaml")
    problems = caught.value.problems
    expected = [
        "users.yaml: users[1]: name: 1-64 characters",
        "users.yaml: users[2] (nurse): role: one of admin, auditor, clinician, coordinator",
        "users.yaml: users[3] (plain): password: must be an Argon2id hash",
        "users.yaml: users[4] (ok): name: listed twice",
        "users.yaml: users[5] (tok): token_sha256: 64 lower-case hex digits",
        "users.yaml: users[6] (nothing): needs a password or a token_sha256",
        "users.yaml: users[7] (typo): pasword: unknown field",
        "users.yaml: users[8]: must be a mapping",
    ]
    assert len(problems) == len(expected)
    for line, start in zip(problems, expected, strict=True):
        assert line.startswith(start)
    text = str(caught.value)
    assert "hunter2" not in text
    assert HASH not in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users: [\n  - {name: a", "not valid YAML at line"),
        ("people: []\n", "must be a mapping with a 'users' list"),
    ],
)
def test_an_unreadable_document_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(text)
    with pytest.raises(UsersFileError, match=message) as caught:
        load_users(path)
    assert len(caught.value.problems) == 1


def test_a_missing_file_names_the_file_and_the_cause(tmp_path: Path) -> None:
    with pytest.raises(UsersFileError, match=r"cannot be read \(FileNotFoundError\)"):
        load_users(tmp_path / "nope.yaml")


def test_short_passwords_are_refused_and_unknown_users_cost_a_hash() -> None:
    with pytest.raises(ValueError, match="12 characters"):
        hash_password("short")
    assert not verify_password(None, PASSWORD)  # runs the dummy hash, still refuses


def test_the_worker_reloads_a_changed_file_and_keeps_the_last_valid_one(tmp_path: Path) -> None:
    import os

    from streams.security.users import UsersFile

    path = tmp_path / "users.yaml"
    path.write_text(f"users:\n  - {{name: a, role: coordinator, password: '{HASH}'}}\n")
    users = UsersFile(path)
    assert set(users.current().by_name) == {"a"}
    path.write_text(f"users:\n  - {{name: b, role: auditor, password: '{HASH}'}}\n")
    os.utime(path, ns=(1, 10**18))  # a new modification time, whatever the clock's resolution
    assert set(users.current().by_name) == {"b"}  # a removed person is gone at once
    path.write_text("users: [ {name: b, role")  # half-way through an editor's save
    os.utime(path, ns=(1, 2 * 10**18))
    assert set(users.current().by_name) == {"b"}
    path.unlink()
    assert set(users.current().by_name) == {"b"}
    with pytest.raises(UsersFileError, match="cannot be read"):
        UsersFile(path).current()  # at start there is nothing to keep: the worker refuses
