"""Geometry of the dashboard's SVG charts. Pure: numbers in, coordinates out.

The templates draw the shapes and print the labels (auto-escaped); nothing here builds markup.
Every chart has a y axis from 0 to 1 (shares and agreements).
"""

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 40
# Width of a character of the tick labels (11 px sans-serif), and the slant of bar labels too
# wide for their slot: they are printed whole, slanted, and the chart grows to hold them.
CHAR_PX = 6.5
LABEL_SLANT = 40


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: float = HEIGHT - BOTTOM
    right_x: float = WIDTH - RIGHT
    y_ticks: list[dict] = field(default_factory=list)
    x_ticks: list[dict] = field(default_factory=list)
    bars: list[dict] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    polyline: str = ""
    reference: dict | None = None
    # Degrees the bar labels are turned by (counter-clockwise); 0 keeps them level.
    label_angle: int = 0


def _y(share: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot * (1 - min(max(share, 0.0), 1.0)), 1)


def _y_ticks() -> list[dict]:
    return [{"y": _y(step / 4), "label": f"{step / 4:.0%}"} for step in range(5)]


def _reference(value: float | None, label: str) -> dict | None:
    return None if value is None else {"y": _y(value), "label": label}


def bar_chart(bars: list[dict], *, reference: float | None = None, reference_label: str = "") -> Chart:
    """Bars of `value` (0..1) with an optional 95% interval `ci` [low, high]; `flagged` bars stand out."""
    chart = Chart(y_ticks=_y_ticks(), reference=_reference(reference, reference_label))
    slot = (WIDTH - LEFT - RIGHT) / max(len(bars), 1)
    width = min(48.0, slot * 0.7)
    for index, bar in enumerate(bars):
        x = LEFT + slot * index + (slot - width) / 2
        value = bar.get("value")
        ci = bar.get("ci")
        chart.bars.append(
            {
                "x": round(x, 1),
                "width": round(width, 1),
                "y": _y(value or 0),
                "height": round(_y(0) - _y(value or 0), 1),
                "cx": round(x + width / 2, 1),
                "ci_low": _y(ci[0]) if ci else None,
                "ci_high": _y(ci[1]) if ci else None,
                "label": bar["label"],
                "value": value,
                "title": bar.get("title", ""),
                "flagged": bar.get("flagged", False),
            }
        )
    longest = max((len(str(bar["label"])) for bar in bars), default=0) * CHAR_PX
    if longest > slot:
        chart.label_angle = -LABEL_SLANT
        chart.height = HEIGHT + round(longest * math.sin(math.radians(LABEL_SLANT)) - BOTTOM / 2)
    return chart


def line_chart(points: list[dict], *, reference: float | None = None, reference_label: str = "") -> Chart:
    """A line through `value` (0..1) per `label` (e.g. weeks), left to right; missing values are skipped."""
    chart = Chart(y_ticks=_y_ticks(), reference=_reference(reference, reference_label))
    step = (WIDTH - LEFT - RIGHT) / max(len(points) - 1, 1)
    coordinates = []
    every = max(1, len(points) // 8)
    for index, point in enumerate(points):
        x = round(LEFT + (step * index if len(points) > 1 else (WIDTH - LEFT - RIGHT) / 2), 1)
        if index % every == 0:
            chart.x_ticks.append({"x": x, "label": point["label"]})
        if point.get("value") is None:
            continue
        y = _y(point["value"])
        coordinates.append(f"{x},{y}")
        chart.points.append({"x": x, "y": y, "value": point["value"], "title": point.get("title", "")})
    chart.polyline = " ".join(coordinates)
    return chart


def scatter(points: list[dict], *, reference: float | None = None, reference_label: str = "") -> Chart:
    """Points of `x` (any non-negative scale, e.g. seconds) against `y` (0..1); `flagged` ones stand out."""
    chart = Chart(y_ticks=_y_ticks(), reference=_reference(reference, reference_label))
    shown = [point for point in points if point.get("x") is not None and point.get("y") is not None]
    x_max = max((point["x"] for point in shown), default=1.0) * 1.1 or 1.0
    span = WIDTH - LEFT - RIGHT
    for step in range(5):
        value = x_max * step / 4
        chart.x_ticks.append({"x": round(LEFT + span * step / 4, 1), "label": f"{value:.0f}"})
    for point in shown:
        chart.points.append(
            {
                "x": round(LEFT + span * point["x"] / x_max, 1),
                "y": _y(point["y"]),
                "label": point.get("label", ""),
                "flagged": point.get("flagged", False),
                "title": point.get("title", ""),
            }
        )
    return chart
