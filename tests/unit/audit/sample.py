"""A hand-built audit report: six months, two facilities, some gaps, three breaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.audit.shapes import AuditReport, BreachRow, Measure, SummaryRow

H = 3600


def _row(period: str, fac: str, m: Measure, k: int) -> SummaryRow:
    timed = m in (Measure.STEROIDS, Measure.SURGICAL_EVALUATION)
    n = 0 if (m is Measure.SURGERY and k % 3 == 0) else 3 + k
    return SummaryRow(
        period=period, facility=fac, measure=m, episodes=4 + k, n=n,
        median_s=None if n == 0 else (2 + k * (1 + list(Measure).index(m))) * H + 1800,
        p90_s=None if n == 0 else (10 + 3 * k) * H,
        on_time=(2 + (k + list(Measure).index(m)) % 3) if timed else 0,
        decided=(4 + k % 2) if timed else 0,
        breaches=(2 - k % 3) if timed else 0, retracted=1 if timed and k == 2 else 0,
        open=1 if timed and k == 5 else 0,
    )  # fmt: skip


def sample_report() -> AuditReport:
    """Figures chosen to give visible lines, a gap (no surgery some months) and ties."""
    periods = [f"2026-0{m}" for m in range(1, 7)]
    rows = [
        _row(p, fac, m, k)
        for k, p in enumerate(periods)
        for fac in ("NORTH", "SOUTH")
        for m in Measure
    ]
    overall = [_row(p, "(all)", m, k) for k, p in enumerate(periods) for m in Measure]
    t = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    breaches = [
        BreachRow(
            episode_id=f"ep-{i}", facility="NORTH", suspected_at=t, measure=Measure.STEROIDS,
            due_at=t + timedelta(hours=24), met_at=None if i == 0 else t + timedelta(hours=30),
            status="breached" if i == 0 else "met_late", late_by_s=(3 - i) * 6 * H + 60 * i,
        )
        for i in range(3)
    ]  # fmt: skip
    return AuditReport(
        since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2026, 7, 1, tzinfo=UTC),
        by="month", facility=None, generated_at=datetime(2026, 7, 1, tzinfo=UTC), rows=rows,
        overall=overall, breaches=breaches, breaches_total=5,
    )  # fmt: skip
