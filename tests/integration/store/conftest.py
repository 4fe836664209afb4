"""Database fixtures: every store test runs on SQLite and on PostgreSQL, each in isolation.

SQLite gets a fresh file per test. PostgreSQL gets a fresh schema per test (selected through the
connection's search_path, so migrations, the store and the audit all land in it) that is dropped
afterwards. When the PostgreSQL server is unreachable its half of the matrix is skipped with the
reason, never silently passed.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine, make_url

from services.store import Store, make_engine, upgrade

PG_URL = os.environ.get(
    "CORDWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@functools.cache
def postgres_unreachable() -> str | None:
    """None when the test PostgreSQL answers, else why it does not."""
    url = make_url(PG_URL)
    try:
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database, connect_timeout=3
        ) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {url.host}:{url.port}/{url.database} unreachable: {exc}"
    return None


def _psycopg_dsn() -> str:
    return make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)


@functools.cache
def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(_psycopg_dsn(), autocommit=True)


def postgres_schema_url(schema: str) -> str:
    """The test PostgreSQL URL with every connection's search_path set to ``schema``."""
    return (
        make_url(PG_URL)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty, private database: a temp SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.db'}"
        return
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    schema = f"cw_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f'create schema "{schema}"')
    try:
        yield postgres_schema_url(schema)
    finally:
        admin.execute(f'drop schema "{schema}" cascade')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the private database, not migrated."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    """The private database at the code's head revision."""
    upgrade(engine=engine)
    return engine


@pytest.fixture
def store(migrated: Engine) -> Store:
    """A store over the migrated private database."""
    return Store(engine=migrated)
