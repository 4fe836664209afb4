"""The Grafana dashboards against the part of Grafana's dashboard schema this repo relies on.

Grafana itself cannot run here, so each dashboard is read through strict models of the fields
we use (panel types, grid, datasource references, Prometheus and PostgreSQL targets, units):
an unknown key, a datasource that is not provisioned, an overlapping panel or a SQL panel whose
columns Grafana cannot turn into series fails here. Whether each Prometheus expression returns
data is tested against a real Prometheus (tests/integration/prometheus), and the SQL against a
real PostgreSQL (tests/integration/dashboards).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARDS = sorted((PROMETHEUS / "dashboards").glob("*.json"))
PROM_TYPE = "prometheus"
SQL_TYPE = "grafana-postgresql-datasource"
# Grafana unit ids used here (Grafana's valueFormats: short, none, s, h, ops, percent).
UNITS = {"short", "none", "s", "h", "ops", "percent"}


# Field names are Grafana's JSON keys (camelCase), so N815 does not apply to these models.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasourceRef(_Strict):
    type: Literal["prometheus", "grafana-postgresql-datasource"]
    uid: str


class GridPos(_Strict):
    x: Annotated[int, Field(ge=0, le=23)]
    y: Annotated[int, Field(ge=0)]
    w: Annotated[int, Field(ge=1, le=24)]
    h: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _fits(self) -> GridPos:
        assert self.x + self.w <= 24, "panel wider than the 24-column grid"
        return self

    def cells(self) -> set[tuple[int, int]]:
        xs, ys = range(self.x, self.x + self.w), range(self.y, self.y + self.h)
        return {(x, y) for x in xs for y in ys}


class PromTarget(_Strict):
    refId: str  # noqa: N815
    expr: Annotated[str, Field(min_length=1)]
    legendFormat: str | None = None  # noqa: N815
    instant: bool | None = None


class SqlTarget(_Strict):
    refId: str  # noqa: N815
    datasource: DatasourceRef
    rawQuery: Literal[True]  # noqa: N815
    editorMode: Literal["code"]  # noqa: N815
    format: Literal["table", "time_series"]
    rawSql: Annotated[str, Field(min_length=1)]  # noqa: N815


class Defaults(_Strict):
    unit: str


class FieldConfig(_Strict):
    defaults: Defaults
    overrides: list[Any]


class Panel(_Strict):
    id: int
    type: Literal["stat", "timeseries", "table", "bargauge"]
    title: Annotated[str, Field(min_length=1)]
    description: str | None = None
    datasource: DatasourceRef
    gridPos: GridPos  # noqa: N815
    fieldConfig: FieldConfig  # noqa: N815
    targets: Annotated[list[PromTarget | SqlTarget], Field(min_length=1)]
    options: dict[str, Any] | None = None
    timeFrom: str | None = None  # noqa: N815


class Variable(_Strict):
    name: str
    label: str | None = None
    type: Literal["datasource", "custom"]
    query: str
    current: dict[str, Any]
    options: list[dict[str, Any]] | None = None


class Templating(_Strict):
    list: list[Variable]


class Dashboard(_Strict):
    uid: str
    title: str
    description: str
    tags: list[str]
    timezone: Literal["utc"]
    schemaVersion: Annotated[int, Field(ge=36)]  # noqa: N815
    version: int
    refresh: str
    time: dict[str, str]
    templating: Templating
    panels: list[Panel]


def _provisioned_uids() -> dict[str, str]:
    config = yaml.safe_load((PROMETHEUS / "grafana-datasource.yml").read_text())
    return {ds["uid"]: ds["type"] for ds in config["datasources"]}


def _load(path: Path) -> Dashboard:
    return Dashboard.model_validate(json.loads(path.read_text()))


def test_both_dashboards_are_shipped() -> None:
    assert {p.name for p in DASHBOARDS} == {"cordwatch-ingest.json", "cordwatch-clinical.json"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_matches_the_schema_subset(path: Path) -> None:
    dashboard = _load(path)
    ids = [p.id for p in dashboard.panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    taken: set[tuple[int, int]] = set()
    for panel in dashboard.panels:
        cells = panel.gridPos.cells()
        assert not cells & taken, f"{panel.title}: overlaps another panel"
        taken |= cells
        assert panel.fieldConfig.defaults.unit in UNITS, panel.title
        refs = [t.refId for t in panel.targets]
        assert len(refs) == len(set(refs)), panel.title


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_datasource_is_provisioned_or_a_variable(path: Path) -> None:
    dashboard = _load(path)
    provisioned = _provisioned_uids()
    variables = {v.name: v for v in dashboard.templating.list}
    for panel in dashboard.panels:
        ref = panel.datasource
        if ref.uid.startswith("${"):
            variable = variables[ref.uid[2:-1]]
            assert (variable.type, variable.query) == ("datasource", ref.type), panel.title
        else:
            assert provisioned[ref.uid] == ref.type, panel.title
        for target in panel.targets:
            expected = SqlTarget if ref.type == SQL_TYPE else PromTarget
            assert isinstance(target, expected), panel.title
            if isinstance(target, SqlTarget):
                assert target.datasource == ref, panel.title


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_template_variable_used_is_defined(path: Path) -> None:
    dashboard = _load(path)
    defined = {v.name for v in dashboard.templating.list}
    text = path.read_text()
    used = set(re.findall(r"\$\{?([a-z][a-z_]*)", text)) - {"__timeFilter"}
    assert used <= defined


def test_sql_time_series_panels_give_grafana_time_metric_and_one_value() -> None:
    dashboard = _load(PROMETHEUS / "dashboards" / "cordwatch-clinical.json")
    series = [
        t for p in dashboard.panels for t in p.targets
        if isinstance(t, SqlTarget) and t.format == "time_series"
    ]  # fmt: skip
    assert series
    for target in series:
        select = target.rawSql.split("FROM", 1)[0]
        assert 'AS "time"' in select
        assert "AS metric" in select
        assert "$__timeFilter(" in target.rawSql  # the dashboard's range applies
        assert "patient_id" not in target.rawSql


def test_clinical_dashboard_covers_what_the_wards_ask() -> None:
    dashboard = _load(PROMETHEUS / "dashboards" / "cordwatch-clinical.json")
    targets = [t for p in dashboard.panels for t in p.targets]
    exprs = " ".join(t.expr for t in targets if isinstance(t, PromTarget))
    sql = " ".join(t.rawSql for t in targets if isinstance(t, SqlTarget))
    for metric in (
        "cordwatch_open_episodes",
        'cordwatch_pending_timers{state="pending"}',
        'cordwatch_pending_timers{state="breached"}',
        "cordwatch_unacknowledged_critical_alerts",
        "cordwatch_oldest_unacknowledged_critical_alert_age_seconds",
        'alert_type="breach_retracted"',
    ):
        assert metric in exprs, metric
    for measure in ("median_h", "p90_h", "within_24h_pct", "retracted", "acknowledged"):
        assert measure in sql, measure
    assert "patient_id" not in sql


def test_grafana_provisioning_points_at_the_mounted_dashboards() -> None:
    provider = yaml.safe_load((PROMETHEUS / "grafana-dashboards.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert f"./deploy/prometheus/dashboards:{path}:ro" in compose


def test_the_audit_datasource_is_the_read_only_role_with_its_secret_from_compose() -> None:
    config = yaml.safe_load((PROMETHEUS / "grafana-datasource.yml").read_text())
    [audit] = [ds for ds in config["datasources"] if ds["type"] == SQL_TYPE]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grafana_env = compose["services"]["grafana"]["environment"]
    # Grafana expands $VAR in provisioning files from its own environment.
    variable = audit["secureJsonData"]["password"].removeprefix("$")
    assert variable in grafana_env
    assert audit["user"] == "grafana_reader"
    grants = (ROOT / "deploy" / "postgres" / "grafana-reader.sql").read_text()
    assert "default_transaction_read_only = on" in grants
    assert "patient_id" not in grants.split("REVOKE", 1)[1]  # never granted
    assert compose["services"]["db-grants"]["environment"][variable]
