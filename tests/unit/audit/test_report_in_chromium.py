"""The HTML report opens in headless Chromium without errors and its screenshot shows the charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.audit.charts import PALETTE, RIGHT, WIDTH, period_of, run_chart
from services.audit.html import to_html
from tests.unit.audit.browser import render
from tests.unit.audit.pngcheck import read_pixels, read_png
from tests.unit.audit.sample import sample_report

pytestmark = pytest.mark.slow


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_report_renders_with_both_charts(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    page.write_text(to_html(sample_report()), encoding="utf-8")
    png = tmp_path / "audit.png"

    dom, log = render(page, png=png, size=(1280, 1400))

    # The browser parsed the page: both charts and their lines are in the live DOM.
    assert dom.count("<svg") == 2
    assert 'id="chart-compliance"' in dom
    assert 'id="chart-median"' in dom
    assert dom.count('class="series"') >= 6
    # No console errors, failed loads or blocked resources.
    for marker in ("Uncaught", "CONSOLE", "net::ERR", "Refused to"):
        assert marker not in log, log[-2000:]

    assert png.stat().st_size > 20_000
    width, height, colours = read_png(png)
    assert (width, height) == (1280, 1400)
    white = colours[(255, 255, 255)]
    assert white < width * height * 0.97, "screenshot is (nearly) blank"
    # The series colours of the charts are painted in quantity (lines, points, legends).
    for colour in PALETTE[:4]:
        near = sum(
            count
            for rgb, count in colours.items()
            if all(abs(a - b) <= 24 for a, b in zip(rgb, _rgb(colour), strict=True))
        )
        assert near > 300, f"chart colour {colour} barely visible ({near} px)"


def _painted(png: Path, colour: str) -> dict[int, list[int]]:
    """Per screenshot column, the rows whose pixel is (nearly) the series colour."""
    _, _, rows = read_pixels(png)
    want = _rgb(colour)
    found: dict[int, list[int]] = {}
    for row, line in enumerate(rows):
        for x, rgb in enumerate(line):
            if all(abs(a - b) <= 40 for a, b in zip(rgb, want, strict=True)):
                found.setdefault(x, []).append(row)
    return found


def test_points_are_drawn_at_their_dates_and_a_gap_is_not_joined(
    chromium: str, tmp_path: Path
) -> None:
    # March, April and December: a nine-month gap must look like one.
    periods = [period_of(p, "month") for p in ("2026-03", "2026-04", "2026-12")]
    svg = run_chart(
        title="Median time from suspicion (hours)", periods=periods,
        series={"steroids": [10.0, 20.0, 90.0]}, unit="hours", y_max=100.0, chart_id="c",
    )  # fmt: skip
    page = tmp_path / "chart.html"
    page.write_text(
        f'<!DOCTYPE html><html><body style="margin:0">{svg}</body></html>', encoding="utf-8"
    )
    png = tmp_path / "chart.png"
    dom, _ = render(page, png=png, size=(800, 320))

    # Labels the browser parsed: dated ticks, the legend and the labelled median.
    for text in ("Mar 2026", "Dec 2026", "steroids", "median 20 hours", "without figures"):
        assert f">{text}<" in dom, text
    # Where Chromium painted the points: a disc is about 7 px tall, a line 2-3 px, the dashed
    # median 1 px. Each disc's centre must sit where its date puts it on the axis.
    painted = {  # the plot area only: the legend's swatches are in the right margin
        x: ys for x, ys in _painted(png, PALETTE[0]).items() if x < WIDTH - RIGHT + 8
    }
    discs = sorted(x for x, ys in painted.items() if len(ys) >= 6)
    clusters: list[list[int]] = []
    for x in discs:
        if clusters and x - clusters[-1][-1] <= 2:
            clusters[-1].append(x)
        else:
            clusters.append([x])
    centres = [sum(c) / len(c) for c in clusters]
    expected = {d: float(x) for d, x in re.findall(r'data-date="([\d-]+)" cx="([\d.]+)"', svg)}
    assert len(centres) == 3, centres
    for centre, day in zip(centres, ("2026-03-01", "2026-04-01", "2026-12-01"), strict=True):
        assert abs(centre - expected[day]) <= 2.0, (day, centre, expected[day])
    # March to April is joined by the line; between April and December nothing is painted
    # off the dashed median's row (a joined line would climb from 20 to 90 hours there).
    (median_row,) = re.findall(r'class="centre"[^>]*y1="([\d.]+)"', svg)
    march, april, december = centres
    joined = range(int(march) + 5, int((march + april) / 2))
    assert all(any(abs(r - float(median_row)) > 3 for r in painted.get(x, [])) for x in joined)
    gap = range(int(april) + 6, int(december) - 6)
    assert all(abs(r - float(median_row)) <= 2 for x in gap for r in painted.get(x, []))
