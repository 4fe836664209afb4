"""Table-driven additive scores whose unknown inputs widen the result into a range.

Every published score used here (SINS, Rades, Tokuhashi) is a sum of per-factor points read
from a table, followed by a banding of the total. Keeping the tables as data (one ``Row`` per
published row, each with its source) lets one function compute every score, lets
`cordwatch score --explain` print the rows that produced a result, and lets the tests assert
each published row as a literal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from models.scoring import ExplainRow

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Row:
    """One published row: this value of this factor scores these points."""

    factor: str
    value: str
    points: int
    source: str


@dataclass(frozen=True, slots=True)
class Band:
    """One published banding of the total, inclusive at both ends."""

    low: int
    high: int
    label: str
    source: str

    def contains(self, total: int) -> bool:
        """Whether a total falls in this band."""
        return self.low <= total <= self.high


@dataclass(frozen=True, slots=True)
class Table:
    """The rows of one additive score, in published order."""

    score: str
    rows: tuple[Row, ...]

    def factors(self) -> tuple[str, ...]:
        """Factor names in published order, each once."""
        return tuple(dict.fromkeys(r.factor for r in self.rows))

    def row(self, factor: str, value: str) -> Row:
        """The row for one value of one factor; KeyError names only table terms."""
        for r in self.rows:
            if r.factor == factor and r.value == value:
                return r
        raise KeyError(f"{self.score}: no row for {factor}={value}")

    def values(self, factor: str) -> tuple[str, ...]:
        """Every published value of one factor."""
        return tuple(r.value for r in self.rows if r.factor == factor)


@dataclass(frozen=True, slots=True)
class Tally:
    """Total (None when any factor is uncertain), its range, and the rows behind it."""

    total: int | None
    min: int
    max: int
    explanation: tuple[ExplainRow, ...]


# A factor's candidates: None when nothing is known, else the values it may still take
# (one value when known exactly; several when the input only narrows it down).
Candidates = tuple[str, ...] | None


def tally(table: Table, candidates: Mapping[str, Candidates]) -> Tally:
    """Sum the points of every factor; an uncertain factor adds its lowest and highest points."""
    low = high = 0
    certain = True
    explanation: list[ExplainRow] = []
    for factor in table.factors():
        values = candidates.get(factor) or table.values(factor)
        rows = [table.row(factor, v) for v in dict.fromkeys(values)]
        points = [r.points for r in rows]
        low += min(points)
        high += max(points)
        if len(rows) == 1:
            r = rows[0]
            explanation.append(_explain(table.score, factor, r.value, str(r.points), r.source))
            continue
        certain = False
        shown = UNKNOWN if candidates.get(factor) is None else " | ".join(r.value for r in rows)
        sources = "; ".join(dict.fromkeys(r.source for r in rows))
        explanation.append(
            _explain(table.score, factor, shown, f"{min(points)}-{max(points)}", sources)
        )
    return Tally(total=low if certain else None, min=low, max=high, explanation=tuple(explanation))


def band_of(bands: Iterable[Band], low: int, high: int) -> Band | None:
    """The band holding the whole range, or None when the range straddles bands."""
    for band in bands:
        if band.contains(low) and band.contains(high):
            return band
    return None


def explain_band(score: str, band: Band | None, low: int, high: int) -> ExplainRow:
    """The explanation row for the banding step."""
    total = str(low) if low == high else f"{low}-{high}"
    if band is None:
        return _explain(score, "group", total, "indeterminate", "range spans groups")
    return _explain(score, "group", total, band.label, band.source)


def _explain(score: str, factor: str, value: str, points: str, source: str) -> ExplainRow:
    return ExplainRow(score=score, factor=factor, value=value, points=points, source=source)
