"""Migrations build exactly the tables the code declares, and the worker's schema check refuses
a database that is behind (or ahead of) the code with a message that says what to do."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables)
from services.store import (
    SchemaBehindError,
    SchemaUnknownError,
    check_schema,
    current_revision,
    head_revision,
    upgrade,
)


def test_unmigrated_database_is_refused_with_the_command_to_run(engine: Engine) -> None:
    with pytest.raises(SchemaBehindError, match=r"run `cordwatch db upgrade`") as info:
        check_schema(engine=engine)
    assert "none (never migrated)" in str(info.value)
    assert current_revision(engine=engine) is None


def test_upgrade_reaches_head_and_then_the_check_passes(engine: Engine) -> None:
    assert upgrade(engine=engine) == head_revision()
    assert check_schema(engine=engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    expected = {"episodes", "timers", "alerts", "detections", "score_snapshots", "care_events"}
    assert expected <= tables


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    upgrade(engine=engine)
    assert upgrade(engine=engine) == head_revision()


def test_migrated_schema_matches_the_models(migrated: Engine) -> None:
    with migrated.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_database_behind_the_code_is_refused(migrated: Engine) -> None:
    with migrated.begin() as conn:
        conn.execute(text("delete from alembic_version"))
    with pytest.raises(SchemaBehindError, match=head_revision()):
        check_schema(engine=migrated)


def test_database_from_a_newer_release_is_refused(migrated: Engine) -> None:
    with migrated.begin() as conn:
        conn.execute(text("update alembic_version set version_num = 'f00dfeed'"))
    with pytest.raises(SchemaUnknownError, match="f00dfeed"):
        check_schema(engine=migrated)
