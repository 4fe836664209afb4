"""Table, CSV and JSON show the same figures; the HTML is self-contained and carries no PHI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest

from services.audit.charts import Period, period_label, period_of, run_chart
from services.audit.html import to_html
from services.audit.render import COLUMNS, duration, to_csv, to_json, to_table
from tests.unit.audit.sample import sample_report


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of the summary block of `to_table` output, keyed by column."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("period "))
    header = lines[start].split()
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        rows.append(dict(zip(header, line.split(), strict=True)))
    return rows


def _num(value: object) -> float | None:
    if value in (None, "", "-"):
        return None
    return float(value)  # type: ignore[arg-type]


def assert_formats_agree(table: str, csv_text: str, json_text: str) -> int:
    """Every cell of the table equals the CSV cell and the JSON value; return the row count."""
    trows = parse_table(table)
    crows = list(csv.DictReader(io.StringIO(csv_text)))
    jrows = json.loads(json_text)["rows"]
    assert len(trows) == len(crows) == len(jrows) > 0
    for t, c, j in zip(trows, crows, jrows, strict=True):
        for col in COLUMNS:
            if col in ("period", "facility", "measure"):
                assert t[col] == c[col] == j[col]
            else:
                assert _num(t[col]) == _num(c[col]) == _num(j[col]), col
    return len(trows)


def test_table_csv_and_json_agree_cell_by_cell() -> None:
    report = sample_report()
    n = assert_formats_agree(to_table(report), to_csv(report), to_json(report))
    assert n == len(report.rows) + len(report.overall)


def test_json_carries_definitions_and_breaches_without_patient_fields() -> None:
    doc = json.loads(to_json(sample_report()))
    assert "nearest rank" in doc["definitions"]["p90"]
    assert doc["breaches_total"] == 5
    assert doc["breaches"][0]["late_by"] == "18h 00m"
    assert not any("patient" in key for b in doc["breaches"] for key in b)


def test_table_lists_breaches_and_says_how_many_are_not_shown() -> None:
    text = to_table(sample_report())
    assert "Breached timers: 5" in text
    assert "ep-0" in text
    assert "... 2 more not shown" in text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0h 00m"), (21_600, "6h 00m"), (4_032_000, "46d 16h 00m"), (3_659, "1h 00m")],
)
def test_duration(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_html_is_self_contained() -> None:
    page = to_html(sample_report())
    assert "<script" not in page.lower()
    assert not re.search(r"""(?:src|href)\s*=""", page, re.IGNORECASE)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert page.count("<svg") == 2
    assert 'id="chart-compliance"' in page
    assert 'id="chart-median"' in page


def _months(*labels: str) -> list[Period]:
    return [period_of(label, "month") for label in labels]


def test_run_chart_leaves_a_gap_for_missing_points_and_draws_the_median() -> None:
    svg = run_chart(
        title="t", periods=_months("2026-01", "2026-02", "2026-03", "2026-04", "2026-05"),
        series={"s": [10.0, 20.0, None, 40.0, 50.0]}, unit="h", y_max=100.0, chart_id="c",
    )  # fmt: skip
    # Two runs either side of the gap, four points.
    assert svg.count('class="series"') == 2
    assert svg.count("<circle") == 4
    # Median of 10, 20, 40, 50 is 30: 30% of the plot height up from the bottom axis.
    (centre,) = re.findall(r'class="centre"[^>]*y1="([\d.]+)"', svg)
    top, plot_h = 36, 300 - 36 - 56
    assert float(centre) == pytest.approx(top + plot_h * 0.7, abs=0.1)
    assert "median 30 h" in svg


def _cx(svg: str) -> dict[str, float]:
    return {d: float(x) for d, x in re.findall(r'data-date="([\d-]+)" cx="([\d.]+)"', svg)}


def test_points_sit_on_a_time_axis_and_a_missing_month_is_a_gap() -> None:
    svg = run_chart(
        title="t", periods=_months("2026-03", "2026-04", "2026-12"),
        series={"s": [10.0, 20.0, 90.0]}, unit="hours", y_max=100.0, chart_id="c",
    )  # fmt: skip
    cx = _cx(svg)
    # March 1 to April 1 is 31 days of the 275 to December 1: not a third of the axis.
    left, right = cx["2026-03-01"], cx["2026-12-01"]
    assert (cx["2026-04-01"] - left) / (right - left) == pytest.approx(31 / 275, abs=0.002)
    # March and April are adjacent months and joined; nothing joins April to December.
    (line,) = re.findall(r'class="series"[^>]*points="([^"]+)"', svg)
    assert len(line.split()) == 2
    ticks = re.findall(r'class="tick-label"[^>]*>([^<]+)<', svg)
    assert ticks[0] == "Mar 2026"
    assert "Dec 2026" in ticks


def test_week_and_day_periods_are_dated() -> None:
    assert period_of("2026-03-02", "week") == Period(date(2026, 3, 2), date(2026, 3, 9))
    assert period_of("2026-12", "month") == Period(date(2026, 12, 1), date(2027, 1, 1))
    assert period_label(period_of("2026-03-02", "week"), "week") == "week of 2 Mar 2026"
    assert period_label(period_of("2026-03", "month"), "month") == "Mar 2026"


def test_html_reads_as_prose_not_code() -> None:
    page = to_html(sample_report())
    # Everything a reader sees above the definitions (which quote the field names on purpose).
    body = page.split("<body>", 1)[1].split("<h2>Definitions", 1)[0]
    visible = re.sub(r"<[^>]+>", " ", body)
    # Dates as dates, headings in words, the median lines explained.
    assert "Generated 1 Jul 2026." in " ".join(visible.split())
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", visible)
    for code in ("median_h", "p90_h", "compliance_pct", "on_time", "episode_id", "suspected_at"):
        assert code not in visible, code
    for heading in ("Median (hours)", "90th centile (hours)", "On time (%)", "Decided timers"):
        assert f">{heading}</th>" in page
    assert "dashed: median of the points;" in visible
    assert "Jan 2026" in visible
    assert "3 Feb 2026 04:05 UTC" in visible  # a breached timer's suspicion time


def test_chart_labels_are_escaped() -> None:
    svg = run_chart(
        title="<b>", periods=_months("2026-01"), series={"x&y": [1.0]}, unit="h", chart_id="c"
    )
    assert "<b>" not in svg
    assert "x&amp;y" in svg
