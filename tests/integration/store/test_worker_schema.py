"""`cordwatch worker` refuses a database behind the code's schema, in one line, with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.config import Settings
from services.store import upgrade
from streams.cli import main


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The worker's settings with the private database, given to the command line."""
    return Settings(database_url=db_url, data_dir=tmp_path / "var")


def test_worker_refuses_a_database_never_migrated(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["worker"], settings=settings) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("cordwatch worker: ")
    assert "run `cordwatch db upgrade`" in err


def test_worker_refuses_a_database_migrated_by_a_newer_release(
    settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade(engine=engine)
    with engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = 'f00dfeed'"))
    assert main(["worker"], settings=settings) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "f00dfeed" in err
    assert "refusing to start" in err


def test_worker_passes_a_current_database(db_url: str, engine: Engine) -> None:
    from streams.cli.worker_cmd import schema_problem

    # The check `cordwatch worker` makes before anything starts (the refusals above go through it).
    upgrade(engine=engine)
    assert schema_problem(db_url) is None


def test_an_unreachable_database_does_not_stop_the_worker() -> None:
    from streams.cli.worker_cmd import schema_problem

    # The sink waits for the database and /ready says why; refusing here would turn a short
    # database outage into a crash loop.
    assert (
        schema_problem("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1") is None
    )
