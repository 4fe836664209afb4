"""CORDWATCH_ROLES: parsed from a comma-separated list, never empty, and the consumer group."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from services.config import ALL_ROLES, Role, Settings


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CORDWATCH_")]:
        monkeypatch.delenv(name)


def test_default_is_every_role_in_the_base_group() -> None:
    settings = Settings()
    assert settings.roles == ALL_ROLES == {Role.INGEST, Role.PATHWAY, Role.SINK}
    assert settings.faust_app_id == "cordwatch"


def test_comma_separated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORDWATCH_ROLES", " Ingest , pathway")
    assert Settings().roles == {Role.INGEST, Role.PATHWAY}


@pytest.mark.parametrize("value", ["", " , ", "ingest,audit", "sinks"])
def test_unknown_or_empty_roles_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CORDWATCH_ROLES", value)
    with pytest.raises(ValidationError):
        Settings()


def test_sink_only_worker_has_its_own_group() -> None:
    sink = Settings(roles="sink", app_id="cw")  # type: ignore[arg-type]
    assert sink.faust_app_id == "cw-sink"
    assert Settings(roles="ingest", app_id="cw").faust_app_id == "cw-ingest"  # type: ignore[arg-type]


def test_pathway_worker_keeps_the_base_group_and_its_changelog() -> None:
    split = Settings(roles="ingest,pathway", app_id="cw")  # type: ignore[arg-type]
    assert split.faust_app_id == "cw"
