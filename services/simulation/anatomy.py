"""Vertebral levels for simulated reports: where disease sits and how a radiologist names it."""

from __future__ import annotations

import random

LEVELS: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    *(f"S{i}" for i in range(1, 6)),
)

# Where MESCC occurs: about 60-70% thoracic, 20-30% lumbosacral, 10% cervical
# (Prasad & Schiff, Lancet Oncol 2005;6:15-24). Lumbar levels below the conus (~L1-L2) are
# cauda equina levels.
_REGION_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("T", 0.65),
    ("L", 0.22),
    ("C", 0.10),
    ("S", 0.03),
)
_REGION_RANGE: dict[str, tuple[int, int]] = {"C": (3, 7), "T": (1, 12), "L": (1, 5), "S": (1, 2)}
CAUDA_EQUINA_LEVELS: tuple[str, ...] = ("L2", "L3", "L4", "L5")


def pick_level(rng: random.Random, *, region: str | None = None) -> str:
    """A vertebral level drawn with the regional distribution of spinal metastases."""
    if region is None:
        region = rng.choices([r for r, _ in _REGION_WEIGHTS], [w for _, w in _REGION_WEIGHTS])[0]
    low, high = _REGION_RANGE[region]
    return f"{region}{rng.randint(low, high)}"


def neighbours(level: str, count: int) -> tuple[str, ...]:
    """``count`` contiguous levels starting at ``level`` (clipped at the sacrum)."""
    start = LEVELS.index(level)
    return LEVELS[start : min(start + count, len(LEVELS))]


def region_of(level: str) -> str:
    """'cervical', 'thoracic', 'lumbar' or 'sacral'."""
    return {"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "sacral"}[level[0]]


def spoken_range(rng: random.Random, levels: tuple[str, ...]) -> str:
    """How a report names contiguous levels: 'T9', 'T8 through T10', 'T8-T10', 'T8 to T10'."""
    if len(levels) == 1:
        return levels[0]
    if len(levels) == 2:
        return rng.choice((f"{levels[0]} and {levels[1]}", f"{levels[0]}-{levels[1]}"))
    joiner = rng.choice((" through ", "-", " to "))
    return f"{levels[0]}{joiner}{levels[-1]}"


def exam_region(levels: tuple[str, ...]) -> str:
    """The spine segment an MR exam would be ordered for, given where disease is."""
    regions = {region_of(level) for level in levels}
    if len(regions) > 1:
        return "WHOLE"
    return {"cervical": "CERVICAL", "thoracic": "THORACIC", "lumbar": "LUMBAR", "sacral": "LUMBAR"}[
        regions.pop()
    ]
