"""Inline SVG run charts on a time axis: one line per series, its median as the centre line.

A run chart (the quality-improvement chart of Perla, Provost and Murray, BMJ Qual Saf 2011;
20:46-51) plots a measure in time order with the median of the points as the centre line, so a
shift or trend shows without any statistics package. The horizontal axis is calendar time:
each point sits at the start of its period, and a line joins two points only when their periods
are adjacent, so months without episodes show as a gap, not as a trend. No JavaScript, no
external assets: the report must open offline on a ward PC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from statistics import median

# Colour-blind-safe palette (Okabe and Ito, 2008).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 190, 36, 56
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Period:
    """One audit period: [start, end) in UTC calendar dates."""

    start: date
    end: date


def period_of(label: str, by: str) -> Period:
    """The period an audit label names: ``YYYY-MM`` (month) or ``YYYY-MM-DD`` (day, week)."""
    if by == "month":
        start = date.fromisoformat(f"{label}-01")
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return Period(start, end)
    start = date.fromisoformat(label)
    return Period(start, start + timedelta(days=7 if by == "week" else 1))


def day_label(day: date) -> str:
    """``2 Mar 2026``: a date a reader does not have to decode."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def period_label(period: Period, by: str) -> str:
    """``Mar 2026``, ``week of 2 Mar 2026`` or ``2 Mar 2026``."""
    if by == "month":
        return f"{_MONTHS[period.start.month - 1]} {period.start.year}"
    return f"week of {day_label(period.start)}" if by == "week" else day_label(period.start)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 12, 24, 48, 72, 96, 168, 336, 720):
        if value <= step:
            return float(step)
    return float(int(value * 1.1) + 1)


def _ticks(first: date, last: date) -> list[tuple[date, str]]:
    """Month starts (every 1, 2, 3, 6 or 12 months) or days, at most about a dozen labels."""
    days = (last - first).days
    if days <= 62:
        step = max(1, days // 10)
        return [
            (first + timedelta(days=d), day_label(first + timedelta(days=d)))
            for d in range(0, days + 1, step)
        ]
    months = (last.year - first.year) * 12 + last.month - first.month
    every = next(n for n in (1, 2, 3, 6, 12, 24) if months / n <= 12)
    ticks = []
    year, month = first.year, first.month
    if first.day != 1:
        year, month = year + month // 12, month % 12 + 1
    while date(year, month, 1) <= last:
        if (month - 1) % every == 0:
            ticks.append((date(year, month, 1), f"{_MONTHS[month - 1]} {year}"))
        year, month = year + month // 12, month % 12 + 1
    return ticks


def run_chart(
    *,
    title: str,
    periods: Sequence[Period],
    series: dict[str, list[float | None]],
    unit: str,
    y_max: float | None = None,
    chart_id: str,
) -> str:
    """An SVG line chart over calendar time; a ``None`` point or a missing period leaves a gap,
    the dashed line (labelled) is each series' median."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for points in series.values() for v in points if v is not None]
    top = y_max if y_max is not None else _nice_max(max(values, default=0.0))
    first = min((p.start for p in periods), default=date(1970, 1, 1))
    last = max((p.start for p in periods), default=first)
    span = max(1, (last - first).days)

    def x(day: date) -> float:
        if last == first:
            return LEFT + plot_w / 2
        return LEFT + (day - first).days / span * plot_w

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="run-chart" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for k in range(5):
        v = top * k / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#dddddd"/><text x="{LEFT - 6}" y="{y(v) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{v:g}</text>'
        )
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="11" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})" text-anchor="middle">'
        f"{escape(unit)}</text>"
    )
    for day, label in _ticks(first, last) if periods else []:
        tx = x(day)
        parts.append(
            f'<line class="tick" x1="{tx:.1f}" x2="{tx:.1f}" y1="{TOP + plot_h}" '
            f'y2="{TOP + plot_h + 4}" stroke="#888888"/>'
            f'<text class="tick-label" data-date="{day.isoformat()}" x="{tx:.1f}" '
            f'y="{TOP + plot_h + 16}" font-size="10" text-anchor="end" '
            f'transform="rotate(-35 {tx:.1f} {TOP + plot_h + 16})">{escape(label)}</text>'
        )
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        f'stroke="#888888"/>'
    )
    # The legend names each series and, beneath it, its median (the dashed line): labels in
    # the margin, so none can sit on a point.
    short_unit = escape(unit.split()[0])
    for n, (name, points) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        parts += _series(name, periods, points, colour, x, y)
        ly = TOP + 14 + n * 36
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 14}" x2="{WIDTH - RIGHT + 38}" y1="{ly - 4}" '
            f'y2="{ly - 4}" stroke="{colour}" stroke-width="3"/>'
            f'<text class="legend" x="{WIDTH - RIGHT + 44}" y="{ly}" font-size="11">'
            f"{escape(name)}</text>"
        )
        present = [v for v in points if v is not None]
        if present:
            middle = median(present)
            centre = y(middle)
            parts.append(
                f'<line class="centre" data-series="{escape(name)}" x1="{LEFT}" '
                f'x2="{LEFT + plot_w}" y1="{centre:.1f}" y2="{centre:.1f}" stroke="{colour}" '
                f'stroke-dasharray="5 4" stroke-width="1"/>'
                f'<line x1="{WIDTH - RIGHT + 14}" x2="{WIDTH - RIGHT + 38}" y1="{ly + 10}" '
                f'y2="{ly + 10}" stroke="{colour}" stroke-dasharray="5 4"/>'
                f'<text class="centre-label" x="{WIDTH - RIGHT + 44}" y="{ly + 14}" '
                f'font-size="10">median {middle:g} {short_unit}</text>'
            )
    ly = TOP + 14 + len(series) * 36
    parts.append(
        f'<text class="legend" x="{WIDTH - RIGHT + 14}" y="{ly}" font-size="10" '
        f'fill="#555555">dashed: median of the points;</text>'
        f'<text class="legend" x="{WIDTH - RIGHT + 14}" y="{ly + 12}" font-size="10" '
        f'fill="#555555">no line across a period</text>'
        f'<text class="legend" x="{WIDTH - RIGHT + 14}" y="{ly + 24}" font-size="10" '
        f'fill="#555555">without figures</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _series(
    name: str,
    periods: Sequence[Period],
    points: list[float | None],
    colour: str,
    x: Callable[[date], float],
    y: Callable[[float], float],
) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    previous: Period | None = None

    def close() -> None:
        if len(run) > 1:
            out.append(
                f'<polyline class="series" data-series="{escape(name)}" fill="none" '
                f'stroke="{colour}" stroke-width="2.5" points="{" ".join(run)}"/>'
            )
        run.clear()

    for period, v in zip(periods, points, strict=True):
        if v is None or (previous is not None and previous.end != period.start):
            close()  # no figure, or periods without figures in between: a gap
        if v is None:
            previous = None
            continue
        px, py = x(period.start), y(v)
        run.append(f"{px:.1f},{py:.1f}")
        out.append(
            f'<circle class="point" data-series="{escape(name)}" '
            f'data-date="{period.start.isoformat()}" cx="{px:.1f}" cy="{py:.1f}" r="3.5" '
            f'fill="{colour}"/>'
        )
        previous = period
    close()
    return out
