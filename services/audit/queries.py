"""Audit queries: intervals, percentiles and compliance computed in the database.

The summary is ONE statement, the same SQL on SQLite and PostgreSQL apart from the date leaves
in ``sqlfuncs``. Percentiles use window functions (``row_number`` and ``count`` over partitions)
because SQLite has no ``percentile_cont``; only a few hundred aggregated rows reach Python.

Why the integer keys: ranking sorts every interval, and a sort on one BIGINT (period, facility
and measure packed together) runs about twice as fast as one on three text columns. Facilities
are numbered by a small DISTINCT over the episodes in range; number 0 is the pooled scope.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
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
from sqlalchemy.sql import CompoundSelect
from sqlalchemy.sql.elements import ColumnElement

from models.tables import CareEventRow, EpisodeRow, TimerRow
from services.audit.shapes import BreachRow, Measure, SummaryRow
from services.audit.sqlfuncs import epoch_seconds, period_key, period_label

EPISODES: Table = EpisodeRow.__table__  # type: ignore[attr-defined]
TIMERS: Table = TimerRow.__table__  # type: ignore[attr-defined]
CARE: Table = CareEventRow.__table__  # type: ignore[attr-defined]

# Definitive treatments of MESCC are radiotherapy or surgery (NICE NG234 (2023) section 1.9);
# vertebroplasty does not decompress the cord and is not counted as surgery here.
RADIOTHERAPY_PROCEDURES = ("radiotherapy_started", "sbrt")
SURGERY_PROCEDURES = ("decompressive_surgery", "separation_surgery", "stabilisation")

NO_FACILITY = "-"
ALL_FACILITIES = "(all)"

MEASURES = tuple(Measure)  # code = position: steroids 0, surgical_evaluation 1, ...
_CODES = len(MEASURES)
_SITES = 1 << 20  # facility numbers per period; 0 is the pooled scope
_OUTCOMES = ("on_time", "decided", "breaches", "retracted", "open")
# Row kinds of the one summary statement.
_EPISODES, _OUTCOME, _SPREAD, _SITE = 0, 1, 2, 3


def _in_range(
    conditions: list[ColumnElement[bool]], *, since: datetime, until: datetime, facility: str | None
) -> list[ColumnElement[bool]]:
    ep = EPISODES.c
    conditions += [ep.suspected_at >= since, ep.suspected_at < until]
    if facility is not None:
        conditions.append(ep.facility == facility)
    return conditions


def seconds_since(start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[int]:
    """Whole seconds from ``start`` to ``end``, never negative."""
    # Care inside the steroid lookback precedes suspicion: the patient waited zero time.
    diff = epoch_seconds(end) - epoch_seconds(start)
    return case((diff < 0, 0), else_=diff)


def _measure_code(kind: ColumnElement[str]) -> ColumnElement[int]:
    return case(*((kind == m.value, i) for i, m in enumerate(MEASURES)), else_=null())


def _summary_statement(
    *, since: datetime, until: datetime, by: str, facility: str | None
) -> CompoundSelect[Any]:
    ep, t, c = EPISODES.c, TIMERS.c, CARE.c
    site = func.coalesce(ep.facility, NO_FACILITY)
    in_range = and_(*_in_range([], since=since, until=until, facility=facility))
    names = select(site.label("facility")).where(in_range).distinct().subquery("names")
    sites = select(
        names.c.facility, func.row_number().over(order_by=names.c.facility).label("fid")
    ).cte("sites")
    epf = (
        select(
            ep.episode_id,
            ep.suspected_at,
            period_key(ep.suspected_at, by).label("pk"),
            sites.c.fid,
        )
        .select_from(EPISODES.join(sites, sites.c.facility == site))
        .where(in_range)
        .cte("epf")
    )
    met = t.status.in_(("met", "met_late")) & t.met_at.is_not(None)
    timed = (
        select(
            epf.c.pk,
            epf.c.fid,
            _measure_code(t.kind).label("m"),
            case((met, seconds_since(epf.c.suspected_at, t.met_at)), else_=null()).label("s"),
            t.status,
            t.breach_retracted,
        )
        .select_from(epf.join(TIMERS, t.episode_id == epf.c.episode_id))
        .cte("timed")
    )
    radiotherapy = MEASURES.index(Measure.RADIOTHERAPY)
    surgery = MEASURES.index(Measure.SURGERY)
    proc_code = case((c.detail.in_(RADIOTHERAPY_PROCEDURES), radiotherapy), else_=surgery)
    first = (
        select(c.episode_id, proc_code.label("m"), func.min(c.occurred_at).label("first_at"))
        .where(
            c.kind == "procedure",
            c.status == "completed",
            c.detail.in_(RADIOTHERAPY_PROCEDURES + SURGERY_PROCEDURES),
        )
        .group_by(c.episode_id, proc_code)
        .subquery("first_procedures")
    )
    intervals = union_all(
        select(timed.c.pk, timed.c.fid, timed.c.m, timed.c.s).where(timed.c.s.is_not(None)),
        select(
            epf.c.pk, epf.c.fid, first.c.m, seconds_since(epf.c.suspected_at, first.c.first_at)
        ).select_from(epf.join(first, first.c.episode_id == epf.c.episode_id)),
    ).cte("intervals")
    iv = intervals.c

    def packed(fid: ColumnElement[int]) -> ColumnElement[int]:
        return (cast(iv.pk, BigInteger) * _SITES + fid) * _CODES + iv.m

    # Every interval twice: once in its facility, once in the pooled scope (facility 0).
    scoped = union_all(
        select(packed(iv.fid).label("k"), iv.s.label("s")),
        select(packed(literal(0, BigInteger)).label("k"), iv.s.label("s")),
    ).subquery("scoped")
    ranked = select(
        scoped.c.k,
        scoped.c.s,
        # One window for both (ranks 1..n by interval, and n): the whole-partition frame is
        # needed by count and ignored by row_number, and lets the database run one pass.
        func.row_number()
        .over(partition_by=scoped.c.k, order_by=scoped.c.s, rows=(None, None))
        .label("rn"),
        func.count()
        .over(partition_by=scoped.c.k, order_by=scoped.c.s, rows=(None, None))
        .label("n"),
    ).subquery("ranked")
    r = ranked.c
    # Integer division: (n+1)/2 and (n+2)/2 are the middle ranks (equal when n is odd);
    # (9n+9)/10 is ceil(0.9 n), the nearest rank of the 90th percentile.
    middle = (r.rn == (r.n + 1) // 2) | (r.rn == (r.n + 2) // 2)
    nil = cast(null(), Float)
    text_nil = cast(null(), String)

    def row(kind: int, *values: Any) -> list[Any]:
        cols = [literal(kind, Integer).label("kind"), *values]
        cols += [nil] * (7 - len(cols))  # kind, key, five values; the name comes last
        return cols

    spread = select(
        *row(
            _SPREAD,
            r.k,
            cast(func.max(r.n), Float),
            cast(func.avg(case((middle, r.s), else_=null())), Float),
            cast(func.max(case((r.rn == (9 * r.n + 9) // 10, r.s), else_=null())), Float),
        ),
        text_nil,
    ).group_by(r.k)

    def flag(condition: ColumnElement[bool]) -> ColumnElement[float]:
        return cast(func.coalesce(func.sum(case((condition, 1), else_=0)), 0), Float)

    tc = timed.c
    outcome = select(
        literal(_OUTCOME, Integer),
        (cast(tc.pk, BigInteger) * _SITES + tc.fid) * _CODES + tc.m,
        flag(tc.status == "met"),
        flag(tc.status.in_(("met", "met_late", "breached"))),
        flag(tc.status.in_(("met_late", "breached"))),
        flag(tc.breach_retracted.is_(True)),
        flag(tc.status == "pending"),
        text_nil,
    ).group_by(tc.pk, tc.fid, tc.m)
    episodes = select(
        *row(
            _EPISODES,
            (cast(epf.c.pk, BigInteger) * _SITES + epf.c.fid) * _CODES,
            cast(func.count(), Float),
        ),
        text_nil,
    ).group_by(epf.c.pk, epf.c.fid)
    site_names = select(*row(_SITE, cast(sites.c.fid, BigInteger)), sites.c.facility)
    return union_all(episodes, outcome, spread, site_names)


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
    stmt = _summary_statement(since=since, until=until, by=by, facility=facility)
    names = {0: ALL_FACILITIES}
    episodes: dict[tuple[int, int], int] = {}
    outcomes: dict[tuple[int, int, int], dict[str, int]] = {}
    spreads: dict[tuple[int, int, int], tuple[int, float | None, int | None]] = {}
    for kind, key, a, b, c, d, e, name in conn.execute(stmt):
        if kind == _SITE:
            names[int(key)] = name
            continue
        packed = int(key)
        m = packed % _CODES
        pk, fid = divmod(packed // _CODES, _SITES)
        if kind == _EPISODES:
            for scope in (fid, 0):
                episodes[(pk, scope)] = episodes.get((pk, scope), 0) + int(a)
        elif kind == _OUTCOME:
            # Counts pool exactly by summing over facilities, unlike medians.
            for scope in (fid, 0):
                acc = outcomes.setdefault((pk, scope, m), dict.fromkeys(_OUTCOMES, 0))
                for field, value in zip(_OUTCOMES, (a, b, c, d, e), strict=True):
                    acc[field] += int(value)
        else:
            spreads[(pk, fid, m)] = (int(a), b, None if c is None else int(c))
    per_site: list[SummaryRow] = []
    pooled: list[SummaryRow] = []
    cells = sorted(episodes, key=lambda cell: (cell[0], names[cell[1]]))
    for pk, fid in cells:
        target = pooled if fid == 0 else per_site
        for m, measure in enumerate(MEASURES):
            n, median, p90 = spreads.get((pk, fid, m), (0, None, None))
            done = outcomes.get((pk, fid, m), dict.fromkeys(_OUTCOMES, 0))
            target.append(
                SummaryRow(
                    period=period_label(pk, by),
                    facility=names[fid],
                    measure=measure,
                    episodes=episodes[(pk, fid)],
                    n=n,
                    median_s=median,
                    p90_s=p90,
                    **done,
                )
            )
    return per_site, pooled


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
    ep = EPISODES.c
    episodes = (
        select(ep.episode_id, func.coalesce(ep.facility, NO_FACILITY).label("facility"),
               ep.suspected_at)
        .where(*_in_range([], since=since, until=until, facility=facility))
        .subquery("ep")
    )  # fmt: skip
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
