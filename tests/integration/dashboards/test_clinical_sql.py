"""The clinical dashboard's SQL, run as Grafana's read-only role on a real PostgreSQL.

The audit store gets the hand-worked dataset of the audit tests, deploy/postgres/grafana-reader.sql
is applied with psql (as compose's db-grants service does), and every SQL target of the
dashboard runs as `grafana_reader` with Grafana's macros expanded: the time-to-treatment table
must give the audit's own figures, and the role must not read patient ids.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from services.store import Store, make_engine, upgrade
from tests.integration.store.conftest import (
    PG_URL,
    _pg_admin,
    postgres_schema_url,
    postgres_unreachable,
)
from tests.integration.store.dataset import EXPECTED_MONTH, known_dataset

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "deploy" / "prometheus" / "dashboards" / "cordwatch-clinical.json"
GRANTS = ROOT / "deploy" / "postgres" / "grafana-reader.sql"
# Grafana's $__timeFilter is BETWEEN (inclusive): the audit's [since, until) as Grafana sends it.
RANGE = "'2026-01-01T00:00:00Z' AND '2026-02-28T23:59:59Z'"

pytestmark = pytest.mark.postgres


def _sql_targets() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["rawSql"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
        if "rawSql" in target
    ]


def expand(sql: str, *, measure: str) -> str:
    """Grafana's macros and variables as the PostgreSQL datasource expands them."""
    import re

    sql = re.sub(r"\$__timeFilter\(([^)]+)\)", rf"\1 BETWEEN {RANGE}", sql)
    return sql.replace("$measure", measure)


@pytest.fixture
def reader_dsn() -> Iterator[str]:
    """A DSN for grafana_reader on a fresh schema holding the audit dataset."""
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql (PostgreSQL client) is not installed: the grants script needs it")
    schema = f"cw_dash_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f'create schema "{schema}"')
    url = make_url(PG_URL)
    try:
        engine = make_engine(postgres_schema_url(schema))
        try:
            upgrade(engine=engine)
            Store(engine=engine).apply(changes=known_dataset())
        finally:
            engine.dispose()
        env = {
            **os.environ,
            "PGHOST": url.host or "127.0.0.1",
            "PGPORT": str(url.port or 5432),
            "PGUSER": url.username or "postgres",
            "PGDATABASE": url.database or "test",
            "PGOPTIONS": f"-csearch_path={schema}",
            "GRAFANA_DB_PASSWORD": secrets.token_hex(16),
        }
        done = subprocess.run(
            [psql, "-X", "-q", "-f", str(GRANTS)], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        yield (
            f"host={env['PGHOST']} port={env['PGPORT']} dbname={env['PGDATABASE']} "
            f"user=grafana_reader options=-csearch_path={schema}"
        )
    finally:
        admin.execute(f'drop schema "{schema}" cascade')


def _rows(dsn: str, sql: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql.encode())  # the dashboard's own text, not a literal
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _share(on_time: object, decided: object) -> float:
    assert isinstance(on_time, int)
    assert isinstance(decided, int)
    return round(100 * on_time / decided, 1)


def _num(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def test_time_to_treatment_table_gives_the_audit_figures(reader_dsn: str) -> None:
    [(_, sql)] = [t for t in _sql_targets() if t[0].startswith("Time to treatment")]
    for measure in ("steroids", "surgical_evaluation"):
        got = {
            (row["time"].strftime("%Y-%m"), row["facility"]): (
                row["n"],
                _num(row["median_h"]),
                _num(row["p90_h"]),
                _num(row["within_24h_pct"]),
            )
            for row in _rows(reader_dsn, expand(sql, measure=measure))
        }
        want = {
            (period, facility): (n, median, p90, _share(on_time, decided))
            for (period, facility, m), (_, n, median, p90, on_time, decided, *_rest)
            in EXPECTED_MONTH.items()
            if m == measure and decided
        }  # fmt: skip
        assert got == want, measure


def test_breaches_and_retractions_match_the_audit(reader_dsn: str) -> None:
    [(_, sql)] = [t for t in _sql_targets() if t[0].startswith("Breaches and retractions")]
    got = {
        (row["time"].strftime("%Y-%m"), row["facility"], row["kind"]): (
            row["breaches"],
            row["retracted"],
        )
        for row in _rows(reader_dsn, expand(sql, measure="steroids"))
        if row["breaches"] or row["retracted"]
    }
    want = {
        (period, facility, m): (breaches, retracted)
        for (period, facility, m), (*_, breaches, retracted, _open) in EXPECTED_MONTH.items()
        if breaches or retracted
    }
    assert got == want


def test_every_sql_panel_runs_as_the_read_only_role(reader_dsn: str) -> None:
    targets = _sql_targets()
    assert len(targets) >= 5
    for title, sql in targets:
        _rows(reader_dsn, expand(sql, measure="surgical_evaluation"))  # raises on any error
        assert "patient_id" not in sql, title


def test_the_read_only_role_cannot_read_patient_ids_or_write(reader_dsn: str) -> None:
    for sql in (
        "SELECT patient_id FROM episodes",
        "SELECT summary FROM alerts",
        "SELECT acknowledged_by FROM alerts",
        "SELECT * FROM timers",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _rows(reader_dsn, sql)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        _rows(reader_dsn, "CREATE TABLE leak (x int)")
