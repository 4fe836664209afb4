"""Schema migrations of the audit store (Alembic) and the check that guards the worker's start.

The migration scripts live in deploy/migrations; the code's schema version is their head
revision. A worker that wrote into an older schema would fail on the first batch, half-way
through a Kafka poll, so it checks first and refuses to start with a message that says what to run.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "migrations"
ALEMBIC_INI = MIGRATIONS_DIR.parents[1] / "alembic.ini"


class SchemaError(Exception):
    """The database schema does not match what this code expects."""


class SchemaBehindError(SchemaError):
    """The database is older than the code: migrations have not been applied."""


class SchemaUnknownError(SchemaError):
    """The database carries a revision this code does not know (a newer release migrated it)."""


def alembic_config() -> Config:
    """An Alembic config pointing at deploy/migrations, independent of the working directory."""
    config = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.exists() else Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The schema revision this code expects."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise SchemaError(f"migrations have {len(heads)} heads; merge them before release")
    return heads[0]


def current_revision(*, engine: Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def upgrade(*, engine: Engine, revision: str = "head") -> str | None:
    """Apply migrations up to ``revision`` in one transaction; return the revision reached."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return current_revision(engine=engine)


def check_schema(*, engine: Engine) -> str:
    """Raise unless the database is exactly at the code's head revision; return that revision."""
    head = head_revision()
    current = current_revision(engine=engine)
    if current == head:
        return head
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaUnknownError(
            f"database schema is at revision {current}, which this code does not know "
            f"(expects {head}); it was migrated by a newer release: refusing to start"
        )
    raise SchemaBehindError(
        f"database schema is at revision {current or 'none (never migrated)'}, "
        f"this code needs {head}: run `cordwatch db upgrade` before starting the worker"
    )
