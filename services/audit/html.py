"""The self-contained HTML audit report: run charts, the summary table, breached episodes.

One file, inline CSS and SVG, no script and no external URL, so it can be mailed to a quality
meeting and opened offline. Episode ids only: no names and no patient ids anywhere in the page.
"""

from __future__ import annotations

from html import escape

from services.audit.charts import run_chart
from services.audit.queries import ALL_FACILITIES
from services.audit.render import COLUMNS, breach_record, format_cell, record
from services.audit.shapes import DEFINITIONS, TIMED_MEASURES, AuditReport, Measure, SummaryRow

_LABEL = {
    Measure.STEROIDS: "steroids",
    Measure.SURGICAL_EVALUATION: "surgical evaluation",
    Measure.RADIOTHERAPY: "radiotherapy start",
    Measure.SURGERY: "surgery",
}

_CSS = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th { background: #f0f0f0; } td.t { text-align: left; }
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


def charts(report: AuditReport) -> str:
    """The two run charts over the pooled figures: compliance and median time to treatment."""
    periods = sorted({r.period for r in report.overall})
    if not periods:
        return "<p>No episodes in range: nothing to chart.</p>"
    timed = [m for m in Measure if m in TIMED_MEASURES]
    compliance = run_chart(
        title="Compliance within the policy window (%)",
        periods=periods,
        series=_series(report.overall, periods, timed, "compliance"),
        unit="% of decided timers met on time",
        y_max=100.0,
        chart_id="chart-compliance",
    )
    medians = run_chart(
        title="Median time from suspicion (hours)",
        periods=periods,
        series=_series(report.overall, periods, list(Measure), "median"),
        unit="hours",
        chart_id="chart-median",
    )
    return f'<div class="charts">{compliance}{medians}</div>'


def _table(rows: list[SummaryRow]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = []
    for rec in map(record, rows):
        cells = "".join(
            f"<td{' class=t' if c in ('period', 'facility', 'measure') else ''}>"
            f"{escape(format_cell(c, rec[c], '-'))}</td>"
            for c in COLUMNS
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<table id="summary"><tr>{head}</tr>{"".join(body)}</table>'


def _breaches(report: AuditReport) -> str:
    if not report.breaches:
        return "<p>No breached timers in range.</p>"
    cols = ("episode_id", "facility", "measure", "suspected_at", "due_at", "met_at", "late_by")
    head = "".join(f"<th>{c}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f'<td class="t">{escape(str(b[c] or "-"))}</td>' for c in cols) + "</tr>"
        for b in map(breach_record, report.breaches)
    )
    more = report.breaches_total - len(report.breaches)
    note = f"<p>{more} more breached timers not listed.</p>" if more > 0 else ""
    return f'<table id="breaches"><tr>{head}</tr>{body}</table>{note}'


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
<p>Episodes suspected from {escape(report.since.isoformat())} to {escape(report.until.isoformat())}
(exclusive), by {escape(report.by)}; {scope}. Generated {escape(report.generated_at.isoformat())}.
</p>
<h2>Run charts (all facilities in scope)</h2>
{charts(report)}
<h2>Summary by period and facility</h2>
{_table(report.rows + report.overall)}
<h2>Breached timers ({report.breaches_total})</h2>
{_breaches(report)}
<h2>Definitions</h2>
<dl>{defs}</dl>
</body></html>
"""
