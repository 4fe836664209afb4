"""The users file (CORDWATCH_USERS_FILE): each person's sign-in name, role and hashed credentials.

    users:
      - name: a.jones                 # sign-in name: 1-64 of a-z 0-9 . _ -
        display: Dr A Jones           # optional: shown on the page, stored on acknowledgements
        role: coordinator             # coordinator | clinician | auditor | admin
        password: $argon2id$v=19$...  # `cordwatch users hash` (never the password itself)
        token_sha256: 3f5a...         # optional: `cordwatch users token` (an API bearer token)

Checked whole when the worker starts: ``UsersFileError`` lists one line per problem, each naming
the entry and field, never a credential. Names are staff identifiers, not PHI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.identity.credentials import is_password_hash, token_digest
from services.identity.roles import PERSON_ROLES, UserRole

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = frozenset({"name", "display", "role", "password", "token_sha256"})


class UsersFileError(Exception):
    """The users file is unusable; ``problems`` has one line each."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class User:
    """One person who may sign in."""

    name: str
    display: str
    role: UserRole
    password_hash: str | None
    token_sha256: str | None


@dataclass(frozen=True)
class UserDirectory:
    """The users by name and by token digest (empty: nobody can sign in)."""

    by_name: Mapping[str, User]
    by_token: Mapping[str, User]

    @classmethod
    def of(cls, users: Iterable[User]) -> UserDirectory:
        """A directory of already validated users."""
        listed = list(users)
        return cls(
            by_name={u.name: u for u in listed},
            by_token={u.token_sha256: u for u in listed if u.token_sha256},
        )

    def user(self, name: str) -> User | None:
        """The user signing in as ``name`` (names are case-insensitive), or None."""
        return self.by_name.get(name.strip().lower())

    def bearer(self, token: str) -> User | None:
        """The user whose API token this is, or None."""
        return self.by_token.get(token_digest(token))


EMPTY = UserDirectory.of(())


def parse_users(doc: Any, *, source: str = "users file") -> UserDirectory:
    """Validate a parsed YAML document; UsersFileError listing every problem."""
    if not isinstance(doc, dict) or not isinstance(doc.get("users"), list):
        raise UsersFileError([f"{source}: must be a mapping with a 'users' list"])
    problems: list[str] = []
    users: list[User] = []
    seen_names: set[str] = set()
    seen_tokens: set[str] = set()
    for i, entry in enumerate(doc["users"]):
        where = f"{source}: users[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        name = entry.get("name")
        if isinstance(name, str) and _NAME.match(name):
            where = f"{where} ({name})"
        else:
            problems.append(f"{where}: name: 1-64 characters of a-z 0-9 . _ - (lower case)")
        problems.extend(f"{where}: {key}: unknown field" for key in sorted(set(entry) - _FIELDS))
        before = len(problems)
        role = entry.get("role")
        if role not in {r.value for r in PERSON_ROLES}:
            allowed = ", ".join(sorted(r.value for r in PERSON_ROLES))
            problems.append(f"{where}: role: one of {allowed}")
        display = entry.get("display", name)
        if not isinstance(display, str) or not 0 < len(display.strip()) <= 128:
            problems.append(f"{where}: display: 1-128 characters")
        password = entry.get("password")
        if password is not None and not (isinstance(password, str) and is_password_hash(password)):
            problems.append(
                f"{where}: password: must be an Argon2id hash from `cordwatch users hash` "
                "(the password itself never goes in this file)"
            )
        token = entry.get("token_sha256")
        if token is not None and not (isinstance(token, str) and _DIGEST.match(token)):
            problems.append(
                f"{where}: token_sha256: 64 lower-case hex digits (`cordwatch users token`)"
            )
        if password is None and token is None:
            problems.append(f"{where}: needs a password or a token_sha256 (or both)")
        if isinstance(name, str) and name in seen_names:
            problems.append(f"{where}: name: listed twice")
        if isinstance(token, str) and token in seen_tokens:
            problems.append(f"{where}: token_sha256: the same token as an earlier user")
        if len(problems) == before and isinstance(name, str) and _NAME.match(name):
            users.append(User(name, str(display).strip(), UserRole(str(role)), password, token))
        if isinstance(name, str):
            seen_names.add(name)
        if isinstance(token, str):
            seen_tokens.add(token)
    if problems:
        raise UsersFileError(problems)
    return UserDirectory.of(users)


def load_users(path: Path) -> UserDirectory:
    """Read and validate the users file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsersFileError([f"{path}: cannot be read ({type(exc).__name__})"]) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        # The parser's message may quote the file's text (a hash): the position only.
        raise UsersFileError([f"{path}: not valid YAML{at}"]) from None
    return parse_users(doc, source=str(path))
