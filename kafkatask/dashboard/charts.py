"""LineChart: a time series drawn as an SVG polyline, computed here so templates stay plain.

No JavaScript chart library and no build step: the server renders the chart, and the page's
refresh redraws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 600
HEIGHT = 120


@dataclass(frozen=True)
class LineChart:
    title: str
    points: str
    """SVG polyline points, "x,y x,y ...", in a WIDTH x HEIGHT box."""
    peak: float
    latest: float
    unit: str
    span: str
    """What the x axis covers, e.g. "last 15 min"."""
    width: int = WIDTH
    height: int = HEIGHT


def line_chart(title: str, values: Sequence[float], unit: str, span: str) -> LineChart:
    """A chart of `values` (oldest first), scaled so the highest value touches the top."""
    peak = max(values, default=0.0)
    scale = (HEIGHT - 4) / peak if peak > 0 else 0.0
    step = WIDTH / max(len(values) - 1, 1)
    points = " ".join(
        f"{index * step:.1f},{HEIGHT - 2 - value * scale:.1f}" for index, value in enumerate(values)
    )
    latest = values[-1] if values else 0.0
    return LineChart(title, points, peak, latest, unit, span)
