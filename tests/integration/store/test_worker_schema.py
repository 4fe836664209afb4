"""`cordwatch worker` refuses a database behind the code's schema, in one line, with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.config import Settings
from services.store import upgrade
from streams.cli import main


class PastTheCheckError(Exception):
    """Raised by the first step after the schema check: the worker would have started."""


@pytest.fixture
def worker_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's settings with the private database; stop right after the schema check."""
    monkeypatch.setenv("CORDWATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("CORDWATCH_DATA_DIR", str(tmp_path / "var"))

    def stop(_settings: Settings) -> None:
        raise PastTheCheckError

    # The next step configures logging; it must not reconfigure this test process's logging.
    monkeypatch.setattr("services.logging.configure_logging", stop)
    # `cordwatch worker` reads the environment when it runs: no cached settings to clear.


@pytest.mark.usefixtures("worker_env")
def test_worker_refuses_a_database_never_migrated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("cordwatch worker: ")
    assert "run `cordwatch db upgrade`" in err


@pytest.mark.usefixtures("worker_env")
def test_worker_refuses_a_database_migrated_by_a_newer_release(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade(engine=engine)
    with engine.begin() as conn:
        conn.execute(text("update alembic_version set version_num = 'f00dfeed'"))
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "f00dfeed" in err
    assert "refusing to start" in err


@pytest.mark.usefixtures("worker_env")
def test_worker_starts_on_a_current_database(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    upgrade(engine=engine)
    with pytest.raises(PastTheCheckError):
        main(["worker"])
    assert capsys.readouterr().err == ""


def test_an_unreachable_database_does_not_stop_the_worker() -> None:
    from streams.cli.worker_cmd import schema_problem

    # The sink waits for the database and /ready says why; refusing here would turn a short
    # database outage into a crash loop.
    assert (
        schema_problem("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1") is None
    )
