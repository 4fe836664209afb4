"""The dialect leaves of the audit SQL compile to the functions each database has."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import column
from sqlalchemy.dialects import postgresql, sqlite

from services.audit.sqlfuncs import epoch_seconds, period_key, period_label

PG, LITE = postgresql.dialect(), sqlite.dialect()


def _sql(expr: object, dialect: object) -> str:
    return str(expr.compile(dialect=dialect))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("by", "pg", "lite"),
    [
        ("day", "date_trunc('day'", "strftime('%s', x, 'start of day')"),
        ("week", "date_trunc('week'", "'weekday 0', '-6 days', 'start of day'"),
        ("month", "date_trunc('month'", "strftime('%s', x, 'start of month')"),
    ],
)
def test_period_key_compiles_per_dialect(by: str, pg: str, lite: str) -> None:
    expr = period_key(column("x"), by)
    assert pg in _sql(expr, PG)
    assert "AT TIME ZONE 'UTC'" in _sql(expr, PG)
    assert lite in _sql(expr, LITE)


def test_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="period must be one of"):
        period_key(column("x"), "quarter")


def test_period_labels() -> None:
    key = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
    assert period_label(key, "month") == "2026-01"
    assert period_label(key, "week") == "2026-01-05"
    assert period_label(key, "day") == "2026-01-05"


def test_epoch_seconds() -> None:
    assert "date_part('epoch', x)" in _sql(epoch_seconds(column("x")), PG)
    assert "strftime('%s', x)" in _sql(epoch_seconds(column("x")), LITE)
