"""The paging measures of the audit: alert to delivered and alert to acknowledged, median and p90
per period and facility, and the critical pages nobody acknowledged.

A "page" is a first alert for a person (every alert type but ``escalation``, notify's own
``silence_expiring`` and the routine ones); its escalations are the same page sent again to a
higher tier, so an acknowledgement of any alert in its escalation chain acknowledges the page, at
the earliest such time. Delivered is
the alert row's ``delivered_at`` (the first receipt of any receiver; notify writes it). The chain
is followed in Python: a period's alerts are a few thousand narrow rows, unlike the audit's
intervals, which stay in SQL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from models.outputs import AlertType, Priority
from models.tables import AlertRow
from services.audit.shapes import PagingRow

ALERTS: Table = AlertRow.__table__  # type: ignore[attr-defined]
NO_FACILITY = "-"
ALL_FACILITIES = "(all)"
# Pages whose escalation runs until someone acknowledges them (services.pathway.paging).
ESCALATING = frozenset({AlertType.MESCC_SUSPECTED, AlertType.TIMER_BREACHED})
# An escalation is its page sent again; a silence notice is notify's own, not a clinical alert.
_NOT_PAGES = frozenset({AlertType.ESCALATION.value, AlertType.SILENCE_EXPIRING.value})
# How far past the range an escalation of a page in range is looked for.
_CHAIN_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class _Page:
    alert_id: str
    facility: str
    at: datetime
    critical: bool
    delivered_s: int | None
    acknowledged_at: datetime | None


def median(values: Sequence[int]) -> float | None:
    """Middle value; the mean of the two middle values when the count is even."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def p90(values: Sequence[int]) -> int | None:
    """Nearest rank: the value at rank ceil(0.9 n) of the n values sorted ascending."""
    if not values:
        return None
    return sorted(values)[math.ceil(0.9 * len(values)) - 1]


def period_of(at: datetime, by: str) -> str:
    """The audit's period label of a moment: ``YYYY-MM-DD``, the ISO week's Monday, ``YYYY-MM``."""
    day = at.astimezone(UTC).date()
    if by == "month":
        return f"{day:%Y-%m}"
    if by == "week":
        day -= timedelta(days=day.weekday())
    return f"{day:%Y-%m-%d}"


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, int((_utc(end) - _utc(start)).total_seconds()))


def _utc(at: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _pages(
    conn: Connection, *, since: datetime, until: datetime, facility: str | None
) -> list[_Page]:
    a = ALERTS.c
    query = select(
        a.alert_id,
        a.alert_type,
        a.priority,
        a.facility,
        a.at,
        a.delivered_at,
        a.acknowledged_at,
        a.escalates_alert_id,
    ).where(a.at >= since, a.at < until + _CHAIN_SLACK, a.priority != Priority.ROUTINE.value)
    if facility is not None:
        query = query.where(a.facility == facility)
    rows = conn.execute(query).all()
    parent = {r.alert_id: r.escalates_alert_id for r in rows if r.escalates_alert_id}
    acks: dict[str, datetime] = {}
    for r in rows:
        if r.acknowledged_at is None:
            continue
        root, seen = r.alert_id, set()
        while root in parent and root not in seen:  # an escalation acknowledges its page
            seen.add(root)
            root = parent[root]
        at = _utc(r.acknowledged_at)
        acks[root] = min(at, acks.get(root, at))
    pages = []
    for r in rows:
        at = _utc(r.at)
        if r.alert_type in _NOT_PAGES or not since <= at < until:
            continue
        pages.append(
            _Page(
                alert_id=r.alert_id,
                facility=r.facility or NO_FACILITY,
                at=at,
                critical=r.priority == Priority.CRITICAL.value
                and AlertType(r.alert_type) in ESCALATING,
                delivered_s=_seconds(at, r.delivered_at) if r.delivered_at else None,
                acknowledged_at=acks.get(r.alert_id),
            )
        )
    return pages


def paging_rows(
    conn: Connection,
    *,
    since: datetime,
    until: datetime,
    by: str,
    as_of: datetime,
    facility: str | None = None,
) -> list[PagingRow]:
    """Per period and facility, then the pooled rows (facility ``(all)``) per period."""
    groups: dict[tuple[str, str], list[_Page]] = defaultdict(list)
    for page in _pages(conn, since=since, until=until, facility=facility):
        period = period_of(page.at, by)
        groups[(period, page.facility)].append(page)
        groups[(period, ALL_FACILITIES)].append(page)
    cutoff = as_of  # what was known when the report was made
    rows = []
    pooled_last = sorted(groups.items(), key=lambda kv: (kv[0][1] == ALL_FACILITIES, kv[0]))
    for (period, site), pages in pooled_last:
        delivered = [p.delivered_s for p in pages if p.delivered_s is not None]
        acked = [
            _seconds(p.at, p.acknowledged_at)
            for p in pages
            if p.acknowledged_at is not None and p.acknowledged_at < cutoff
        ]
        critical = [p for p in pages if p.critical]
        rows.append(
            PagingRow(
                period=period,
                facility=site,
                pages=len(pages),
                delivered_n=len(delivered),
                delivered_median_s=median(delivered),
                delivered_p90_s=p90(delivered),
                acknowledged_n=len(acked),
                acknowledged_median_s=median(acked),
                acknowledged_p90_s=p90(acked),
                critical=len(critical),
                unacknowledged_critical=sum(
                    1 for p in critical if p.acknowledged_at is None or p.acknowledged_at >= cutoff
                ),
            )
        )
    return rows
