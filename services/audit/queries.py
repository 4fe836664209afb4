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
    Boolean,
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
from services.audit.sqlfuncs import epoch_seconds, period_start

EPISODES: Table = EpisodeRow.__table__  # type: ignore[attr-defined]
TIMERS: Table = TimerRow.__table__  # type: ignore[attr-defined]
CARE: Table = CareEventRow.__table__  # type: ignore[attr-defined]

# Definitive treatments of MESCC are radiotherapy or surgery (NICE NG234 (2023) section 1.9);
# vertebroplasty does not decompress the cord and is not counted as surgery here.
RADIOTHERAPY_PROCEDURES = ("radiotherapy_started", "sbrt")
SURGERY_PROCEDURES = ("decompressive_surgery", "separation_surgery", "stabilisation")

NO_FACILITY = "-"
ALL_FACILITIES = "(all)"


def _episodes(
    *, since: datetime, until: datetime, by: str, facility: str | None, pooled: bool = False
) -> Select[Any]:
    ep = EPISODES.c
    conditions = [ep.suspected_at >= since, ep.suspected_at < until]
    if facility is not None:
        conditions.append(ep.facility == facility)
    site = literal(ALL_FACILITIES, String) if pooled else func.coalesce(ep.facility, NO_FACILITY)
    return select(
        ep.episode_id,
        site.label("facility"),
        ep.suspected_at,
        period_start(ep.suspected_at, by).label("period"),
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
    t = TIMERS.c
    met = t.status.in_(("met", "met_late")) & t.met_at.is_not(None)
    timed = select(
        episodes.c.period,
        episodes.c.facility,
        cast(t.kind, String).label("measure"),
        case((met, _seconds_since(episodes.c.suspected_at, t.met_at)), else_=null()).label(
            "seconds"
        ),
        cast(t.status, String).label("status"),
        cast(t.breach_retracted, Boolean).label("retracted"),
    ).select_from(episodes.join(TIMERS, t.episode_id == episodes.c.episode_id))
    first = _first_procedures().subquery("first_procedures")
    treated = select(
        episodes.c.period,
        episodes.c.facility,
        cast(first.c.measure, String).label("measure"),
        _seconds_since(episodes.c.suspected_at, first.c.first_at).label("seconds"),
        cast(null(), String).label("status"),
        cast(null(), Boolean).label("retracted"),
    ).select_from(episodes.join(first, first.c.episode_id == episodes.c.episode_id))
    return union_all(timed, treated).subquery("intervals")


def summary_rows(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    by: str,
    facility: str | None = None,
    pooled: bool = False,
) -> list[SummaryRow]:
    """Per period, facility and measure: counts, median, p90, compliance, breaches, open timers.

    ``pooled`` puts every facility in scope into one group labelled ``(all)``.
    """
    episodes = _episodes(since=since, until=until, by=by, facility=facility, pooled=pooled).cte(
        "ep"
    )
    iv = _intervals(episodes)
    partition = (iv.c.period, iv.c.facility, iv.c.measure)
    ranked = select(
        iv,
        func.row_number()
        .over(partition_by=(*partition, iv.c.seconds.is_(None)), order_by=iv.c.seconds)
        .label("rn"),
        func.count(iv.c.seconds).over(partition_by=partition).label("n"),
    ).subquery("ranked")
    r = ranked.c
    has = r.seconds.is_not(None)
    # Integer division: (n+1)/2 and (n+2)/2 are the middle ranks (equal when n is odd);
    # (9n+9)/10 is ceil(0.9 n), the nearest rank of the 90th percentile.
    middle = has & ((r.rn == (r.n + 1) // 2) | (r.rn == (r.n + 2) // 2))
    stats = (
        select(
            r.period,
            r.facility,
            r.measure,
            func.max(r.n).label("n"),
            func.avg(case((middle, r.seconds), else_=null())).label("median_s"),
            func.max(case((has & (r.rn == (9 * r.n + 9) // 10), r.seconds), else_=null())).label(
                "p90_s"
            ),
            _count(r.status == "met").label("on_time"),
            _count(r.status.in_(("met", "met_late", "breached"))).label("decided"),
            _count(r.status.in_(("met_late", "breached"))).label("breaches"),
            _count(r.retracted.is_(True)).label("retracted"),
            _count(r.status == "pending").label("open"),
        )
        .group_by(r.period, r.facility, r.measure)
        .order_by(r.period, r.facility, r.measure)
    )
    counts = select(
        episodes.c.period, episodes.c.facility, func.count().label("episodes")
    ).group_by(episodes.c.period, episodes.c.facility)
    cells = {(row.period, row.facility): int(row.episodes) for row in conn.execute(counts)}
    found = {(row.period, row.facility, row.measure): row for row in conn.execute(stats)}
    out: list[SummaryRow] = []
    for period, fac in sorted(cells):
        for measure in Measure:
            row = found.get((period, fac, measure.value))
            out.append(_summary(period, fac, measure, cells[(period, fac)], row))
    return out


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _summary(period: str, fac: str, measure: Measure, episodes: int, row: Any) -> SummaryRow:
    if row is None:
        return SummaryRow(
            period=period, facility=fac, measure=measure, episodes=episodes, n=0,
            median_s=None, p90_s=None,
        )  # fmt: skip
    return SummaryRow(
        period=period,
        facility=fac,
        measure=measure,
        episodes=episodes,
        n=int(row.n or 0),
        median_s=float(row.median_s) if row.median_s is not None else None,
        p90_s=int(row.p90_s) if row.p90_s is not None else None,
        on_time=int(row.on_time),
        decided=int(row.decided),
        breaches=int(row.breaches),
        retracted=int(row.retracted),
        open=int(row.open),
    )


def breach_rows(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    as_of: datetime,
    facility: str | None = None,
    limit: int | None = None,
) -> tuple[list[BreachRow], int]:
    """Timers that ran past their deadline, latest first by lateness, and how many in all."""
    episodes = _episodes(since=since, until=until, by="day", facility=facility).cte("ep")
    t = TIMERS.c
    # Still unmet: late by the time from the deadline to as_of (the report's clock, passed in).
    as_of_s = literal(int(as_of.astimezone(UTC).timestamp()), Integer)
    late = case((t.met_at.is_not(None), epoch_seconds(t.met_at)), else_=as_of_s) - epoch_seconds(
        t.due_at
    )
    where = t.status.in_(("met_late", "breached"))
    joined = episodes.join(TIMERS, t.episode_id == episodes.c.episode_id)
    total = conn.execute(select(func.count()).select_from(joined).where(where)).scalar_one()
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
    return rows, int(total)


def facilities(conn: Connection) -> Sequence[str]:
    """Facilities that have at least one episode, for the report's filter hints."""
    ep = EPISODES.c
    stmt = select(func.coalesce(ep.facility, NO_FACILITY)).distinct().order_by(1)
    return [row[0] for row in conn.execute(stmt)]
