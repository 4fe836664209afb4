"""`cordwatch users`: make the users file's entries without a password ever reaching it.

``hash`` reads a password (prompted, or one line on stdin with ``--stdin``) and prints its
Argon2id hash; ``token`` prints a new API bearer token once and the digest that goes in the
file; ``add NAME --role ROLE`` does both into the file (``--file``, default
CORDWATCH_USERS_FILE) and checks the whole file after; ``check`` validates it, one line per problem.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 64
USERS_FILE_STATUS = 78  # EX_CONFIG, as for a wrong environment


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `users` subcommand."""
    parser = subparsers.add_parser("users", help="make and check entries of the users file")
    sub = parser.add_subparsers(dest="action", required=True)
    hash_cmd = sub.add_parser("hash", help="print the Argon2id hash of a password")
    hash_cmd.add_argument("--stdin", action="store_true", help="read the password from stdin")
    sub.add_parser("token", help="print a new API token (once) and its digest for the file")
    add = sub.add_parser("add", help="add a person to the users file")
    add.add_argument("name")
    add.add_argument("--role", required=True,
                     choices=["coordinator", "clinician", "auditor", "admin"])  # fmt: skip
    add.add_argument("--display", help="the name shown and stored on acknowledgements")
    add.add_argument("--file", type=Path, help="default: CORDWATCH_USERS_FILE")
    add.add_argument("--stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--token", action="store_true", help="also give them an API token")
    check = sub.add_parser("check", help="validate the users file")
    check.add_argument("--file", type=Path, help="default: CORDWATCH_USERS_FILE")
    parser.set_defaults(handler=run)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _file(given: Path | None, read_settings: SettingsSource) -> Path | None:
    return given if given is not None else read_settings().users_file


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Hash, make a token, add or check."""
    from services.identity.credentials import hash_password, new_token, token_digest
    from services.identity.users_file import UsersFileError, load_users

    if args.action == "token":
        token = new_token()
        print(f"token (shown once, give it to the user): {token}")
        print(f"token_sha256: {token_digest(token)}")
        return 0
    if args.action == "hash":
        try:
            print(hash_password(_password(args.stdin)))
        except ValueError as exc:
            print(f"cordwatch users: {exc}", file=sys.stderr)
            return 2
        return 0
    path = _file(args.file, read_settings)
    if path is None:
        print("cordwatch users: no file: pass --file or set CORDWATCH_USERS_FILE", file=sys.stderr)
        return 2
    if args.action == "add":
        try:
            given = _add(path, args, hash_password(_password(args.stdin)))
        except ValueError as exc:
            print(f"cordwatch users: {exc}", file=sys.stderr)
            return 2
        if given is not None:
            print(f"token (shown once, give it to the user): {given}")
    try:
        directory = load_users(path)
    except UsersFileError as exc:
        for problem in exc.problems:
            print(f"cordwatch users: {problem}", file=sys.stderr)
        return USERS_FILE_STATUS
    print(f"{path}: {len(directory.by_name)} users, valid")
    return 0


def _add(path: Path, args: argparse.Namespace, password_hash: str) -> str | None:
    import yaml

    from services.identity.credentials import new_token, token_digest

    doc: Any = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    doc = doc if isinstance(doc, dict) else {"users": []}
    users = doc.setdefault("users", [])
    if any(isinstance(u, dict) and u.get("name") == args.name for u in users):
        raise ValueError(f"{args.name} is already in {path}")
    entry: dict[str, str] = {"name": args.name, "role": args.role, "password": password_hash}
    if args.display:
        entry["display"] = args.display
    token = new_token() if args.token else None
    if token is not None:
        entry["token_sha256"] = token_digest(token)
    users.append(entry)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)  # hashes are still worth an attacker's offline time: owner only
    return token
