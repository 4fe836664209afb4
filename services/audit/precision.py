"""The detector's precision per month, from people's verdicts on what it flagged (issue 14).

What it flagged is a suspected-MESCC episode (its alerts) or a review item. Each flagged thing
counts once, by its latest verdict that speaks to correctness: "confirmed" (a review item read
and confirmed) and "already treated elsewhere" (real MESCC, cared for elsewhere) say it was
right; "not MESCC" says it was wrong; "duplicate" says neither and is counted apart. A review
item that a confirmation turned into an episode is the same flagged thing as that episode.
Precision = confirmed / (confirmed + not MESCC); None when nobody said either. Things nobody
gave a verdict on are not counted: the figure is over reviewed flags only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from models.review import CONFIRMED
from models.tables import FeedbackRow, ReviewItemRow
from services.audit.shapes import PrecisionRow

FEEDBACK: Table = FeedbackRow.__table__  # type: ignore[attr-defined]
REVIEWS: Table = ReviewItemRow.__table__  # type: ignore[attr-defined]

RIGHT = frozenset({CONFIRMED, "already_treated_elsewhere"})
WRONG = frozenset({"not_mescc"})
NEITHER = frozenset({"duplicate"})
_NO_FACILITY = "-"
ALL_FACILITIES = "(all)"


def precision_rows(
    conn: Connection, *, since: datetime, until: datetime, facility: str | None = None
) -> list[PrecisionRow]:
    """Per month (of the flagged report or suspicion, UTC) and facility, then pooled per month."""
    f, r = FEEDBACK.c, REVIEWS.c
    # The flagged thing: the episode a confirmed review opened, else the review, else the episode.
    target = func.coalesce(r.episode_id, f.review_id, f.episode_id)
    query = (
        select(
            target.label("target"), f.kind, f.facility, f.flagged_at, f.created_at, f.feedback_id
        )
        .select_from(FEEDBACK.outerjoin(REVIEWS, REVIEWS.c.review_id == f.review_id))
        .where(f.flagged_at >= since, f.flagged_at < until)
    )
    if facility is not None:
        query = query.where(f.facility == facility)
    latest: dict[str, tuple[datetime, str, str, str, datetime]] = {}
    duplicates: dict[tuple[str, str], int] = defaultdict(int)
    for row in conn.execute(query):
        month = f"{row.flagged_at.astimezone(UTC):%Y-%m}"
        site = row.facility or _NO_FACILITY
        if row.kind in NEITHER:
            duplicates[(month, site)] += 1
            continue
        if row.kind not in RIGHT | WRONG:
            continue
        held = latest.get(row.target)
        stamp = (row.created_at, row.feedback_id)
        if held is None or stamp > (held[0], held[3]):
            latest[row.target] = (row.created_at, row.kind, site, row.feedback_id, row.flagged_at)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for _, kind, site, _, flagged_at in latest.values():
        month = f"{flagged_at.astimezone(UTC):%Y-%m}"
        counts[(month, site)][0 if kind in RIGHT else 1] += 1
    keys = sorted(set(counts) | set(duplicates))
    rows = [_row(m, s, counts[(m, s)], duplicates[(m, s)]) for m, s in keys]
    pooled: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for done in rows:
        cell = pooled[done.period]
        cell[0] += done.confirmed
        cell[1] += done.not_mescc
        cell[2] += done.duplicates
    rows += [_row(m, ALL_FACILITIES, c[:2], c[2]) for m, c in sorted(pooled.items())]
    return rows


def _row(month: str, site: str, counts: list[int], duplicates: int) -> PrecisionRow:
    return PrecisionRow(
        period=month,
        facility=site,
        confirmed=counts[0],
        not_mescc=counts[1],
        duplicates=duplicates,
    )
