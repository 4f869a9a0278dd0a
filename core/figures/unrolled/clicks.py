"""What a click on the unrolled figure points at: the figure writes each point's timestep in `customdata` and its
layer and axis in its trace's `meta` (`render`); `clicked_element` reads them back, `column_of` finds a step's
column, `mark_focus` bands it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from core.figures.theme import PALETTE, step_label


@dataclass(frozen=True)
class Focus:
    """What a click on the unrolled diagram pointed at: a timestep, the element's role and direction, and the
    recurrent layer (0 reads the input; the decoder comes after the stack) and time axis ("time" or "decoder")."""

    step: int
    role: str
    direction: str | None = None
    layer: int = 0
    axis: str = "time"


def clicked_element(figure: go.Figure, points: Sequence[dict[str, Any]]) -> Focus | None:
    """The element of the unrolled figure a plotly selection event names (its trace's `meta`, the point's
    timestep in `customdata` and its layer and axis in the trace's `meta["points"]`); None for an empty selection or
    a point without a timestep."""
    for point in points:
        curve = point.get("curve_number")
        step = point.get("customdata")
        if isinstance(step, list | tuple):
            step = step[0] if step else None
        if curve is None or not isinstance(step, int | float) or not 0 <= curve < len(figure.data):
            continue
        meta = figure.data[curve].meta or {}
        role = meta.get("role", "cell")
        layer, axis = meta.get("layer") or 0, "time"
        index = point.get("point_index", point.get("point_number"))
        per_point = meta.get("points") or []
        if isinstance(index, int) and 0 <= index < len(per_point):
            layer, axis = per_point[index]
        return Focus(int(step), "cell" if role == "passed_label" else role, meta.get("direction"), int(layer), axis)
    return None


def column_of(figure: go.Figure, step: int, axis: str = "time") -> float | None:
    """The x of timestep `step` on the unrolled figure's time axis `axis` (its tick "t=…", or "decoder t=…");
    None when it is not drawn."""
    label = step_label(step) if axis == "time" else f"{axis} {step_label(step)}"
    axis = figure.layout.xaxis
    for x, text in zip(axis.tickvals or (), axis.ticktext or (), strict=False):
        if text == label:
            return float(x)
    return None


def mark_focus(figure: go.Figure, x: float | None, talk_mode: bool = False) -> go.Figure:
    """Make the unrolled figure clickable without fading: keep unselected nodes opaque, and band the column `x`
    (the timestep the panel shows; None when it is hidden in the ellipsis)."""
    figure.update_traces(unselected={"marker": {"opacity": 1}}, selector={"type": "scatter"})
    if x is not None:
        figure.add_vrect(x0=x - 0.45, x1=x + 0.45, fillcolor=PALETTE["now"], opacity=0.18, line_width=0, layer="below")
    return figure
