"""Assemble an audit report from the store in one read-only transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.audit.paging import paging_rows
from services.audit.precision import precision_rows
from services.audit.queries import breach_rows, summary_rows
from services.audit.shapes import AuditReport
from services.audit.sqlfuncs import PERIODS


class AuditError(Exception):
    """The audit was asked for something it cannot answer (bad period, empty range)."""


def run_audit(
    *,
    engine: Engine,
    since: datetime,
    until: datetime,
    by: str,
    as_of: datetime,
    facility: str | None = None,
    breach_limit: int | None = 500,
) -> AuditReport:
    """Episodes suspected in [since, until), grouped by ``by``; ``as_of`` dates unmet breaches."""
    if by not in PERIODS:
        raise AuditError(f"--by must be one of {', '.join(PERIODS)}")
    for name, value in (("since", since), ("until", until), ("as_of", as_of)):
        if value.tzinfo is None:
            raise AuditError(f"{name} needs a time zone offset")
    if until <= since:
        raise AuditError("--until must be after --since")
    # One transaction: summary and breach list see the same snapshot on PostgreSQL.
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Session tuning, not semantics: the audit sorts a few hundred thousand narrow rows,
            # which fit in memory at 64 MB instead of spilling at the 4 MB default; JIT compiling
            # costs more than these short queries run.
            conn.execute(text("SET LOCAL work_mem = '64MB'"))
            conn.execute(text("SET LOCAL jit = off"))
        rows, overall = summary_rows(conn, since=since, until=until, by=by, facility=facility)
        breaches = breach_rows(
            conn, since=since, until=until, as_of=as_of, facility=facility, limit=breach_limit
        )
        precision = precision_rows(conn, since=since, until=until, facility=facility)
        paging = paging_rows(conn, since=since, until=until, by=by, as_of=as_of, facility=facility)
    return AuditReport(
        since=since,
        until=until,
        by=by,
        facility=facility,
        generated_at=as_of,
        rows=rows,
        overall=overall,
        breaches=breaches,
        # The summary counted every breach; the list may be cut at breach_limit.
        breaches_total=sum(r.breaches for r in rows),
        precision=precision,
        paging=paging,
    )
