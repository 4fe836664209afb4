"""What the worklist's worker tests share: a worker whose one coordinator signs in with a
password."""

from __future__ import annotations

from pathlib import Path

from services.identity.credentials import hash_password


def coordinator_env(
    workdir: Path, *, name: str, display: str, password: str, session_secret: str
) -> dict[str, str]:
    """The worker's environment for one coordinator ``name`` (a users file in ``workdir``)."""
    users = workdir / "users.yaml"
    users.write_text(
        f"users:\n  - {{name: {name}, display: {display}, role: coordinator, "
        f"password: '{hash_password(password)}'}}\n"
    )
    return {
        "CORDWATCH_USERS_FILE": str(users),
        "CORDWATCH_LOG_LEVEL": "WARNING",
        "CORDWATCH_SESSION_SECRET": session_secret,
    }
