"""Audit queries: intervals, percentiles and compliance computed in the database.

One statement per result set, the same SQL text on SQLite and PostgreSQL apart from the two date
leaves in ``sqlfuncs``. Percentiles use window functions (``row_number`` and ``count`` over
period x facility x measure partitions) because SQLite has no ``percentile_cont``; only the
aggregated rows cross into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from models.tables import CareEventRow, EpisodeRow, TimerRow
from services.audit.shapes import BreachRow, Measure, SummaryRow
from services.audit.sqlfuncs import bytewise, epoch_seconds, period_start

EPISODES: Table = EpisodeRow.__table__  # type: ignore[attr-defined]
TIMERS: Table = TimerRow.__table__  # type: ignore[attr-defined]
CARE: Table = CareEventRow.__table__  # type: ignore[attr-defined]

# Definitive treatments of MESCC are radiotherapy or surgery (NICE NG234 (2023) section 1.9);
# vertebroplasty does not decompress the cord and is not counted as surgery here.
RADIOTHERAPY_PROCEDURES = ("radiotherapy_started", "sbrt")
SURGERY_PROCEDURES = ("decompressive_surgery", "separation_surgery", "stabilisation")

NO_FACILITY = "-"
ALL_FACILITIES = "(all)"


def _episodes(*, since: datetime, until: datetime, by: str, facility: str | None) -> Select[Any]:
    ep = EPISODES.c
    conditions = [ep.suspected_at >= since, ep.suspected_at < until]
    if facility is not None:
        conditions.append(ep.facility == facility)
    site = func.coalesce(ep.facility, NO_FACILITY)
    return select(
        ep.episode_id,
        bytewise(site).label("facility"),
        ep.suspected_at,
        bytewise(period_start(ep.suspected_at, by)).label("period"),
    ).where(and_(*conditions))


def _seconds_since(start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[int]:
    # Care inside the steroid lookback precedes suspicion: the patient waited zero time.
    diff = epoch_seconds(end) - epoch_seconds(start)
    return case((diff < 0, 0), else_=diff)


def _first_procedures() -> Select[Any]:
    c = CARE.c
    measure = case(
        (c.detail.in_(RADIOTHERAPY_PROCEDURES), literal(Measure.RADIOTHERAPY.value)),
        else_=literal(Measure.SURGERY.value),
    )
    return (
        select(c.episode_id, measure.label("measure"), func.min(c.occurred_at).label("first_at"))
        .where(
            c.kind == "procedure",
            c.status == "completed",
            c.detail.in_(RADIOTHERAPY_PROCEDURES + SURGERY_PROCEDURES),
        )
        .group_by(c.episode_id, measure)
    )


def _intervals(episodes: Any) -> Any:
    """Narrow rows (period, facility, measure, seconds): one per met timer and first treatment."""
    t = TIMERS.c
    timed = (
        select(
            episodes.c.period,
            episodes.c.facility,
            bytewise(cast(t.kind, String)).label("measure"),
            _seconds_since(episodes.c.suspected_at, t.met_at).label("seconds"),
        )
        .select_from(episodes.join(TIMERS, t.episode_id == episodes.c.episode_id))
        .where(t.status.in_(("met", "met_late")), t.met_at.is_not(None))
    )
    first = _first_procedures().subquery("first_procedures")
    treated = select(
        episodes.c.period,
        episodes.c.facility,
        bytewise(cast(first.c.measure, String)).label("measure"),
        _seconds_since(episodes.c.suspected_at, first.c.first_at).label("seconds"),
    ).select_from(episodes.join(first, first.c.episode_id == episodes.c.episode_id))
    return union_all(timed, treated).cte("intervals")


def _percentiles(episodes: Any) -> Select[Any]:
    """n, median and nearest-rank p90 per period x facility x measure, by window functions.

    The intervals are computed once and ranked twice, per facility and pooled as ``(all)``.
    """
    iv = _intervals(episodes)
    pooled = literal(ALL_FACILITIES, String)
    both = union_all(
        select(iv.c.period, iv.c.facility, iv.c.measure, iv.c.seconds),
        select(iv.c.period, bytewise(pooled), iv.c.measure, iv.c.seconds),
    ).subquery("both_scopes")
    partition = (both.c.period, both.c.facility, both.c.measure)
    # One sort serves both windows (same partition); only real intervals are ranked, so a
    # partition's rows hold ranks 1..n.
    ranked = select(
        both,
        func.row_number().over(partition_by=partition, order_by=both.c.seconds).label("rn"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery("ranked")
    r = ranked.c
    # Integer division: (n+1)/2 and (n+2)/2 are the middle ranks (equal when n is odd);
    # (9n+9)/10 is ceil(0.9 n), the nearest rank of the 90th percentile.
    middle = (r.rn == (r.n + 1) // 2) | (r.rn == (r.n + 2) // 2)
    return select(
        r.period,
        r.facility,
        r.measure,
        func.max(r.n).label("n"),
        func.avg(case((middle, r.seconds), else_=null())).label("median_s"),
        func.max(case((r.rn == (9 * r.n + 9) // 10, r.seconds), else_=null())).label("p90_s"),
    ).group_by(r.period, r.facility, r.measure)


def _timer_counts(episodes: Any) -> Select[Any]:
    """Timer outcomes per period x facility x kind: a plain GROUP BY, no sort of the rows."""
    t = TIMERS.c
    return (
        select(
            episodes.c.period,
            episodes.c.facility,
            bytewise(cast(t.kind, String)).label("measure"),
            _count(t.status == "met").label("on_time"),
            _count(t.status.in_(("met", "met_late", "breached"))).label("decided"),
            _count(t.status.in_(("met_late", "breached"))).label("breaches"),
            _count(t.breach_retracted.is_(True)).label("retracted"),
            _count(t.status == "pending").label("open"),
        )
        .select_from(episodes.join(TIMERS, t.episode_id == episodes.c.episode_id))
        .group_by(episodes.c.period, episodes.c.facility, t.kind)
    )


_OUTCOMES = ("on_time", "decided", "breaches", "retracted", "open")


def summary_rows(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    by: str,
    facility: str | None = None,
) -> tuple[list[SummaryRow], list[SummaryRow]]:
    """Per period, facility and measure, and pooled over facilities (labelled ``(all)``):
    episode counts, n, median and p90 of each interval, timer outcomes."""
    # A subquery, not a CTE: PostgreSQL plans each use with the table's statistics.
    episodes = _episodes(since=since, until=until, by=by, facility=facility).subquery("ep")
    counts = select(
        episodes.c.period, episodes.c.facility, func.count().label("episodes")
    ).group_by(episodes.c.period, episodes.c.facility)
    cells: dict[tuple[str, str], int] = {}
    for row in conn.execute(counts):
        cells[(row.period, row.facility)] = int(row.episodes)
        pooled = (row.period, ALL_FACILITIES)
        cells[pooled] = cells.get(pooled, 0) + int(row.episodes)
    spread = {(r.period, r.facility, r.measure): r for r in conn.execute(_percentiles(episodes))}
    # The few outcome rows are summed over facilities here: sums pool exactly, unlike medians.
    outcome: dict[tuple[str, str, str], dict[str, int]] = {}
    for r in conn.execute(_timer_counts(episodes)):
        for fac in (r.facility, ALL_FACILITIES):
            acc = outcome.setdefault((r.period, fac, r.measure), dict.fromkeys(_OUTCOMES, 0))
            for name in _OUTCOMES:
                acc[name] += int(getattr(r, name))
    per_site: list[SummaryRow] = []
    pooled_rows: list[SummaryRow] = []
    for period, fac in sorted(cells):
        target = pooled_rows if fac == ALL_FACILITIES else per_site
        for measure in Measure:
            key = (period, fac, measure.value)
            target.append(
                _summary(
                    period, fac, measure, cells[(period, fac)], spread.get(key), outcome.get(key)
                )
            )
    return per_site, pooled_rows


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _summary(
    period: str,
    fac: str,
    measure: Measure,
    episodes: int,
    spread: Any,
    outcome: dict[str, int] | None,
) -> SummaryRow:
    done = outcome or dict.fromkeys(_OUTCOMES, 0)
    return SummaryRow(
        period=period,
        facility=fac,
        measure=measure,
        episodes=episodes,
        n=int(spread.n) if spread is not None else 0,
        median_s=float(spread.median_s) if spread is not None else None,
        p90_s=int(spread.p90_s) if spread is not None else None,
        on_time=done["on_time"],
        decided=done["decided"],
        breaches=done["breaches"],
        retracted=done["retracted"],
        open=done["open"],
    )


def breach_rows(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    as_of: datetime,
    facility: str | None = None,
    limit: int | None = None,
) -> list[BreachRow]:
    """Timers that ran past their deadline, the latest first (at most ``limit``)."""
    episodes = _episodes(since=since, until=until, by="day", facility=facility).subquery("ep")
    t = TIMERS.c
    # Still unmet: late by the time from the deadline to as_of (the report's clock, passed in).
    as_of_s = literal(int(as_of.astimezone(UTC).timestamp()), Integer)
    late = case((t.met_at.is_not(None), epoch_seconds(t.met_at)), else_=as_of_s) - epoch_seconds(
        t.due_at
    )
    where = t.status.in_(("met_late", "breached"))
    joined = episodes.join(TIMERS, t.episode_id == episodes.c.episode_id)
    stmt = (
        select(
            episodes.c.episode_id,
            episodes.c.facility,
            episodes.c.suspected_at,
            t.kind,
            t.due_at,
            t.met_at,
            t.status,
            late.label("late_by_s"),
        )
        .select_from(joined)
        .where(where)
        .order_by(late.desc(), episodes.c.episode_id, t.kind)
        .limit(limit)
    )
    rows = [
        BreachRow(
            episode_id=row.episode_id,
            facility=row.facility,
            suspected_at=row.suspected_at,
            measure=Measure(row.kind),
            due_at=row.due_at,
            met_at=row.met_at,
            status=row.status,
            late_by_s=max(0, int(row.late_by_s)),
        )
        for row in conn.execute(stmt)
    ]
    return rows


def facilities(conn: Connection) -> Sequence[str]:
    """Facilities that have at least one episode, for the report's filter hints."""
    ep = EPISODES.c
    stmt = select(func.coalesce(ep.facility, NO_FACILITY)).distinct().order_by(1)
    return [row[0] for row in conn.execute(stmt)]
