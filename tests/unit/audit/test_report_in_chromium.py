"""The HTML report opens in headless Chromium without errors and its screenshot shows the charts."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.audit.charts import PALETTE
from services.audit.html import to_html
from tests.unit.audit.browser import render
from tests.unit.audit.pngcheck import read_png
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
