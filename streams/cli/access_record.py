"""Access records for the command line's actions and patient-level reads (`cordwatch ack`,
`cordwatch silence`): the operating-system account and host stand for who and from where, since
the database's credentials are what let a person run them. Not a subcommand (no ``_cmd``)."""

from __future__ import annotations

import getpass
import socket
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from models.access import AccessAction, AccessRecord
from services.store import StoreError
from services.store.access import AccessLog, new_access_id


def record_cli(
    engine: Engine, action: AccessAction, *, target_kind: str | None = None,
    target_id: str | None = None, detail: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    """Append one record naming the OS account; a failure is said on stderr, the action stands."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        user = "unknown"
    entry = AccessRecord(
        access_id=new_access_id(), at=datetime.now(UTC), user_name=f"os:{user}"[:64],
        role="operator", via="cli", action=action, target_kind=target_kind,
        target_id=target_id, remote=socket.gethostname()[:64], detail=detail,
    )  # fmt: skip
    try:
        AccessLog(engine=engine).record(entry)
    except StoreError as exc:
        print(f"cordwatch: warning: {exc}", file=sys.stderr)
