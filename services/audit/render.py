"""Text renderings of an audit report: an aligned table for the terminal, CSV and JSON for tools.

All three are built from the same ``records``, rounded once (hours to 2 decimals, compliance to
0.1 percentage point), so a figure reads the same in every format.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from services.audit.episodes import EpisodeIntervals
from services.audit.shapes import (
    DEFINITIONS,
    AuditReport,
    BreachRow,
    PagingRow,
    PrecisionRow,
    SummaryRow,
)

COLUMNS = (
    "period", "facility", "measure", "episodes", "n", "median_h", "p90_h", "compliance_pct",
    "on_time", "decided", "breaches", "retracted", "open",
)  # fmt: skip
_DECIMALS = {
    "median_h": 2,
    "p90_h": 2,
    "compliance_pct": 1,
    "delivered_median_s": 1,
    "acknowledged_median_min": 1,
    "acknowledged_p90_min": 1,
}


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def record(row: SummaryRow) -> dict[str, Any]:
    """One summary row as plain values, rounded for display."""
    compliance = row.compliance
    return {
        "period": row.period,
        "facility": row.facility,
        "measure": row.measure.value,
        "episodes": row.episodes,
        "n": row.n,
        "median_h": _hours(row.median_s),
        "p90_h": _hours(row.p90_s),
        "compliance_pct": None if compliance is None else round(100 * compliance, 1),
        "on_time": row.on_time,
        "decided": row.decided,
        "breaches": row.breaches,
        "retracted": row.retracted,
        "open": row.open,
    }


def records(report: AuditReport) -> list[dict[str, Any]]:
    """Per-facility rows followed by the pooled rows."""
    return [record(r) for r in report.rows] + [record(r) for r in report.overall]


PAGING_COLUMNS = (
    "period", "facility", "pages", "delivered_n", "delivered_median_s", "delivered_p90_s",
    "acknowledged_n", "acknowledged_median_min", "acknowledged_p90_min", "critical",
    "unacknowledged_critical",
)  # fmt: skip


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def paging_record(row: PagingRow) -> dict[str, Any]:
    """One paging row as plain values: delivery in seconds, acknowledgement in minutes."""
    return {
        "period": row.period,
        "facility": row.facility,
        "pages": row.pages,
        "delivered_n": row.delivered_n,
        "delivered_median_s": row.delivered_median_s,
        "delivered_p90_s": row.delivered_p90_s,
        "acknowledged_n": row.acknowledged_n,
        "acknowledged_median_min": _minutes(row.acknowledged_median_s),
        "acknowledged_p90_min": _minutes(row.acknowledged_p90_s),
        "critical": row.critical,
        "unacknowledged_critical": row.unacknowledged_critical,
    }


def format_cell(column: str, value: Any, missing: str) -> str:
    """A value as every format shows it: fixed decimals, ``missing`` for no figure."""
    if value is None:
        return missing
    if column in _DECIMALS:
        return f"{value:.{_DECIMALS[column]}f}"
    return str(value)


def duration(seconds: int) -> str:
    """Whole minutes as ``2d 04h 30m`` (or ``4h 30m``): how late, read at a glance."""
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours:02d}h {mins:02d}m" if days else f"{hours}h {mins:02d}m"


def breach_record(b: BreachRow) -> dict[str, Any]:
    """One breached timer as plain values (no patient id, no name)."""
    return {
        "episode_id": b.episode_id,
        "facility": b.facility,
        "suspected_at": b.suspected_at.isoformat(),
        "measure": b.measure.value,
        "due_at": b.due_at.isoformat(),
        "met_at": b.met_at.isoformat() if b.met_at else None,
        "status": b.status,
        "late_by_s": b.late_by_s,
        "late_by": duration(b.late_by_s),
    }


PRECISION_COLUMNS = ("period", "facility", "confirmed", "not_mescc", "duplicates", "precision_pct")


def precision_record(row: PrecisionRow) -> dict[str, Any]:
    """One month's detector precision as plain values (counts, and the share in percent)."""
    share = row.precision
    return {
        "period": row.period,
        "facility": row.facility,
        "confirmed": row.confirmed,
        "not_mescc": row.not_mescc,
        "duplicates": row.duplicates,
        "precision_pct": None if share is None else round(100 * share, 1),
    }


def _align(header: tuple[str, ...], lines: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    ]
    return out


def to_table(report: AuditReport) -> str:
    """The terminal rendering: summary rows, then breached timers."""
    title = (
        f"Cordwatch audit {report.since.isoformat()} .. {report.until.isoformat()} "
        f"by {report.by}" + (f", facility {report.facility}" if report.facility else "")
    )
    lines = [[format_cell(c, rec[c], "-") for c in COLUMNS] for rec in records(report)]
    out = [title, ""]
    out += _align(COLUMNS, lines) if lines else ["(no episodes in range)"]
    out += ["", f"Breached timers: {report.breaches_total}"]
    if report.breaches:
        bcols = ("episode_id", "facility", "measure", "suspected_at", "due_at", "met_at", "late_by")
        blines = [[str(b[c] or "-") for c in bcols] for b in map(breach_record, report.breaches)]
        out += _align(bcols, blines)
        if report.breaches_total > len(report.breaches):
            out.append(f"... {report.breaches_total - len(report.breaches)} more not shown")
    out += ["", "Detector precision (people's verdicts, by month of the flagged report):"]
    if report.precision:
        plines = [
            [format_cell(c, rec[c], "-") if c != "precision_pct" else _pct(rec[c]) for c in
             PRECISION_COLUMNS]
            for rec in map(precision_record, report.precision)
        ]  # fmt: skip
        out += _align(PRECISION_COLUMNS, plines)
    else:
        out.append("(no verdicts in range)")
    out += ["", "Pages (alert to delivered, seconds; to acknowledged, minutes):"]
    glines = [[format_cell(c, r[c], "-") for c in PAGING_COLUMNS] for r in paging_records(report)]
    out += _align(PAGING_COLUMNS, glines) if glines else ["(no pages in range)"]
    return "\n".join(out) + "\n"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def paging_records(report: AuditReport) -> list[dict[str, Any]]:
    """The paging rows as plain values (per facility, then pooled)."""
    return [paging_record(r) for r in report.paging]


def to_csv(report: AuditReport) -> str:
    """The summary rows as CSV (one header line; blank where a figure does not apply)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rec in records(report):
        writer.writerow([format_cell(c, rec[c], "") for c in COLUMNS])
    return buf.getvalue()


def to_json(report: AuditReport) -> str:
    """Summary rows, breached timers and the definitions, as one JSON document."""
    doc = {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "by": report.by,
        "facility": report.facility,
        "generated_at": report.generated_at.isoformat(),
        "definitions": DEFINITIONS,
        "rows": records(report),
        "breaches": [breach_record(b) for b in report.breaches],
        "breaches_total": report.breaches_total,
        "precision": [precision_record(p) for p in report.precision],
        "paging": paging_records(report),
    }
    return json.dumps(doc, indent=2) + "\n"


EPISODE_COLUMNS = (
    "episode_id", "facility", "status", "suspected_at", "steroids_status", "steroids_h",
    "surgical_evaluation_status", "surgical_evaluation_h", "radiotherapy_h", "surgery_h",
)  # fmt: skip


def episode_record(row: EpisodeIntervals) -> dict[str, Any]:
    """One episode's intervals as plain values, hours rounded like the summary."""
    return {
        "episode_id": row.episode_id,
        "facility": row.facility,
        "status": row.status,
        "suspected_at": row.suspected_at.isoformat(),
        "steroids_status": row.steroids_status,
        "steroids_h": _hours(row.steroids_s),
        "surgical_evaluation_status": row.surgical_evaluation_status,
        "surgical_evaluation_h": _hours(row.surgical_evaluation_s),
        "radiotherapy_h": _hours(row.radiotherapy_s),
        "surgery_h": _hours(row.surgery_s),
    }


def episodes_text(rows: list[EpisodeIntervals], fmt: str) -> str:
    """Per-episode intervals as ``table``, ``csv`` or ``json``."""
    recs = [episode_record(r) for r in rows]
    if fmt == "json":
        return json.dumps({"episodes": recs}, indent=2) + "\n"

    def cell(col: str, value: Any, missing: str) -> str:
        if value is None:
            return missing
        return f"{value:.2f}" if col.endswith("_h") else str(value)

    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(EPISODE_COLUMNS)
        writer.writerows([cell(c, r[c], "") for c in EPISODE_COLUMNS] for r in recs)
        return buf.getvalue()
    lines = [[cell(c, r[c], "-") for c in EPISODE_COLUMNS] for r in recs]
    return "\n".join(_align(EPISODE_COLUMNS, lines) if lines else ["(no episodes)"]) + "\n"
