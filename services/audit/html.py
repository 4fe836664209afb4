"""The self-contained HTML audit report: run charts, the summary table, breached episodes.

One file, inline CSS and SVG, no script and no external URL, so it can be mailed to a quality
meeting and opened offline. Episode ids only: no names and no patient ids anywhere in the page.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from html import escape

from services.audit.charts import day_label, period_label, period_of, run_chart
from services.audit.queries import ALL_FACILITIES
from services.audit.render import (
    COLUMNS,
    PAGING_COLUMNS,
    duration,
    format_cell,
    paging_records,
    record,
)
from services.audit.shapes import (
    DEFINITIONS,
    TIMED_MEASURES,
    AuditReport,
    BreachRow,
    Measure,
    SummaryRow,
)

_LABEL = {
    Measure.STEROIDS: "steroids",
    Measure.SURGICAL_EVALUATION: "surgical evaluation",
    Measure.RADIOTHERAPY: "radiotherapy start",
    Measure.SURGERY: "surgery",
}

# Column headings a quality meeting reads; the code names stay in CSV and JSON.
HEADINGS = {
    "period": "Period",
    "facility": "Facility",
    "measure": "Measure",
    "episodes": "Episodes",
    "n": "Intervals (n)",
    "median_h": "Median (hours)",
    "p90_h": "90th centile (hours)",
    "compliance_pct": "On time (%)",
    "on_time": "Met on time",
    "decided": "Decided timers",
    "breaches": "Breaches",
    "retracted": "Breach alerts retracted",
    "open": "Still open",
}
# The definition behind each heading, shown on hover.
_HEADING_DEFINITION = {
    "period": "period",
    "n": "interval",
    "median_h": "median",
    "p90_h": "p90",
    "compliance_pct": "compliance",
    "breaches": "breaches",
    "retracted": "retracted",
    "open": "open",
}
BREACH_HEADINGS = (
    ("episode_id", "Episode"),
    ("facility", "Facility"),
    ("measure", "Measure"),
    ("suspected_at", "Suspected"),
    ("due_at", "Due"),
    ("met_at", "Met"),
    ("late_by", "Late by"),
)

_CSS = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th { background: #f0f0f0; vertical-align: bottom; } td.t { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
dl { font-size: 12px; } dt { font-weight: bold; } dd { margin: 0 0 4px 12px; }
"""


def _series(
    rows: list[SummaryRow], periods: list[str], measures: list[Measure], value: str
) -> dict[str, list[float | None]]:
    cell = {(r.period, r.measure): r for r in rows}
    out: dict[str, list[float | None]] = {}
    for m in measures:
        points: list[float | None] = []
        for p in periods:
            r = cell.get((p, m))
            if r is None:
                points.append(None)
            elif value == "compliance":
                points.append(None if r.compliance is None else round(100 * r.compliance, 1))
            else:
                points.append(None if r.median_s is None else round(r.median_s / 3600, 2))
        out[_LABEL[m]] = points
    return out


def when(moment: datetime) -> str:
    """A timestamp as people read it: ``3 Feb 2026 04:05 UTC``, or the date alone at midnight."""
    utc = moment.astimezone(UTC)
    day = day_label(utc.date())
    return day if utc.time() == time(0) else f"{day} {utc:%H:%M} UTC"


def charts(report: AuditReport) -> str:
    """The two run charts over the pooled figures: compliance and median time to treatment."""
    periods = sorted({r.period for r in report.overall})
    if not periods:
        return "<p>No episodes in range: nothing to chart.</p>"
    spans = [period_of(p, report.by) for p in periods]
    timed = [m for m in Measure if m in TIMED_MEASURES]
    compliance = run_chart(
        title="Compliance within the policy window (%)",
        periods=spans,
        series=_series(report.overall, periods, timed, "compliance"),
        unit="% of decided timers met on time",
        y_max=100.0,
        chart_id="chart-compliance",
    )
    medians = run_chart(
        title="Median time from suspicion (hours)",
        periods=spans,
        series=_series(report.overall, periods, list(Measure), "median"),
        unit="hours",
        chart_id="chart-median",
    )
    return f'<div class="charts">{compliance}{medians}</div>'


def _heading(column: str) -> str:
    definition = DEFINITIONS.get(_HEADING_DEFINITION.get(column, column))
    title = f' title="{escape(definition)}"' if definition else ""
    return f'<th scope="col" data-column="{column}"{title}>{escape(HEADINGS[column])}</th>'


def _cell(column: str, rec: dict[str, object], by: str) -> str:
    value = rec[column]
    if column == "period" and isinstance(value, str) and not value.startswith("("):
        text = period_label(period_of(value, by), by)
    elif column == "measure" and isinstance(value, str):
        text = _LABEL[Measure(value)]
    else:
        text = format_cell(column, value, "-")
    cls = ' class="t"' if column in ("period", "facility", "measure") else ""
    return f"<td{cls}>{escape(text)}</td>"


def _table(rows: list[SummaryRow], by: str) -> str:
    head = "".join(_heading(c) for c in COLUMNS)
    body = [
        "<tr>" + "".join(_cell(c, rec, by) for c in COLUMNS) + "</tr>" for rec in map(record, rows)
    ]
    return f'<table id="summary"><tr>{head}</tr>{"".join(body)}</table>'


def _breach_cells(b: BreachRow) -> list[str]:
    return [
        b.episode_id,
        b.facility or "-",
        _LABEL[b.measure],
        when(b.suspected_at),
        when(b.due_at),
        when(b.met_at) if b.met_at else "not met",
        duration(b.late_by_s),
    ]


def _breaches(report: AuditReport) -> str:
    if not report.breaches:
        return "<p>No breached timers in range.</p>"
    head = "".join(f'<th scope="col" data-column="{c}">{h}</th>' for c, h in BREACH_HEADINGS)
    body = "".join(
        "<tr>" + "".join(f'<td class="t">{escape(c)}</td>' for c in _breach_cells(b)) + "</tr>"
        for b in report.breaches
    )
    more = report.breaches_total - len(report.breaches)
    note = f"<p>{more} more breached timers not listed.</p>" if more > 0 else ""
    return f'<table id="breaches"><tr>{head}</tr>{body}</table>{note}'


def _paging(report: AuditReport) -> str:
    if not report.paging:
        return "<p>No pages in range.</p>"
    head = "".join(
        f'<th scope="col" data-column="{c}">{escape(c.replace("_", " "))}</th>'
        for c in PAGING_COLUMNS
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td>{escape(format_cell(c, r[c], '-'))}</td>" for c in PAGING_COLUMNS)
        + "</tr>"
        for r in paging_records(report)
    )
    return f'<table id="paging"><tr>{head}</tr>{body}</table>'


def to_html(report: AuditReport) -> str:
    """The whole report as one HTML document."""
    scope = (
        f"facility {escape(report.facility)}"
        if report.facility
        else f"all facilities (pooled rows: {ALL_FACILITIES})"
    )
    defs = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in DEFINITIONS.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Cordwatch MESCC time-to-treatment audit</title><style>{_CSS}</style></head>
<body>
<h1>MESCC time-to-treatment audit</h1>
<p>Episodes suspected from {escape(when(report.since))} up to {escape(when(report.until))}
(not included), by {escape(report.by)}; {scope}. Generated {escape(when(report.generated_at))}.
Times are UTC.</p>
<h2>Run charts (all facilities in scope)</h2>
{charts(report)}
<h2>Summary by period and facility</h2>
{_table(report.rows + report.overall, report.by)}
<h2>Breached timers ({report.breaches_total})</h2>
{_breaches(report)}
<h2>Pages: alert to delivered and to acknowledged</h2>
{_paging(report)}
<h2>Definitions</h2>
<dl>{defs}</dl>
</body></html>
"""
