"""Inline SVG run charts: one line per series over the periods, with its median as the centre line.

A run chart (the quality-improvement chart of Perla, Provost and Murray, BMJ Qual Saf 2011;
20:46-51) plots a measure in time order with the median of the points as the centre line, so a
shift or trend shows without any statistics package. No JavaScript, no external assets: the
report must open offline on a ward PC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from statistics import median

# Colour-blind-safe palette (Okabe and Ito, 2008).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 190, 36, 56


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 12, 24, 48, 72, 96, 168, 336, 720):
        if value <= step:
            return float(step)
    return float(int(value * 1.1) + 1)


def run_chart(
    *,
    title: str,
    periods: Sequence[str],
    series: dict[str, list[float | None]],
    unit: str,
    y_max: float | None = None,
    chart_id: str,
) -> str:
    """An SVG line chart; a ``None`` point leaves a gap, the dashed line is each series' median."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for points in series.values() for v in points if v is not None]
    top = y_max if y_max is not None else _nice_max(max(values, default=0.0))

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if len(periods) == 1 else i * plot_w / (len(periods) - 1))

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
    step = max(1, len(periods) // 12)
    for i, label in enumerate(periods):
        if i % step == 0 or i == len(periods) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" font-size="10" '
                f'text-anchor="end" transform="rotate(-35 {x(i):.1f} {TOP + plot_h + 16})">'
                f"{escape(label)}</text>"
            )
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        f'stroke="#888888"/>'
    )
    for n, (name, points) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        parts += _series(points, colour, x, y)
        present = [v for v in points if v is not None]
        if present:
            centre = y(median(present))
            parts.append(
                f'<line class="centre" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{centre:.1f}" '
                f'y2="{centre:.1f}" stroke="{colour}" stroke-dasharray="5 4" stroke-width="1"/>'
            )
        ly = TOP + 14 + n * 18
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 14}" x2="{WIDTH - RIGHT + 38}" y1="{ly - 4}" '
            f'y2="{ly - 4}" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{WIDTH - RIGHT + 44}" y="{ly}" font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _series(
    points: list[float | None], colour: str, x: Callable[[int], float], y: Callable[[float], float]
) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for i, v in enumerate([*points, None]):
        if v is None:
            if len(run) > 1:
                out.append(
                    f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2.5" '
                    f'points="{" ".join(run)}"/>'
                )
            run = []
            continue
        px, py = x(i), y(v)
        run.append(f"{px:.1f},{py:.1f}")
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>')
    return out
