"""What a click on the unrolled figure points at, read from the Diagram the figure was drawn from: `render` puts its
traces in a fixed order (`clickable` follows it), so `clicked_element` needs no figure; `column_of` finds a step's
column on a figure, `mark_focus` bands it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from core.figures.theme import PALETTE, step_label
from core.figures.unrolled.model import Diagram
from core.figures.unrolled.render import FIRST_NODE_TRACE, PASSED_LABELS_TRACE, series

BAND = "focus"  # the name of the focused step's band: a browser script moves it (views/step_script.py)


@dataclass(frozen=True)
class Focus:
    """What a click on the unrolled diagram pointed at: a timestep, the element's role and direction, and the
    recurrent layer (0 reads the input; the decoder comes after the stack) and time axis ("time" or "decoder")."""

    step: int
    role: str
    direction: str | None = None
    layer: int = 0
    axis: str = "time"


def clickable(diagram: Diagram) -> list[tuple[Focus | None, ...]]:
    """What a click picks on each trace of `render(diagram)`, by trace then point: the passed-state labels (a click
    names the cell that passed the state on) and every node; empty for a trace a click cannot pick, None for a point
    without a timestep."""
    traces: list[tuple[Focus | None, ...]] = [() for _ in range(FIRST_NODE_TRACE)]
    traces[PASSED_LABELS_TRACE] = tuple(
        Focus(edge.step, "cell", None, edge.layer, edge.axis) if edge.step is not None else None
        for edge in diagram.edges_of("passed")
    )
    for group in series(diagram.nodes):
        traces.append(tuple(Focus(node.step, node.role, node.direction, node.layer, node.axis) for node in group))
    return traces


def clicked_element(diagram: Diagram, points: Sequence[dict[str, Any]]) -> Focus | None:
    """The element of the drawn `diagram` that a plotly selection event on `render(diagram)` names (a point's
    `curve_number` and `point_index`, or its timestep in `customdata`); None for an empty selection or a point on no
    element. Read from the Diagram, so a click needs no figure drawn again."""
    traces = clickable(diagram)
    for point in points:
        if not isinstance(point, dict):
            continue
        curve = point.get("curve_number")
        # The event is JSON from the browser: a crafted one may hold a bool, a string, NaN or infinity.
        if type(curve) is not int or not 0 <= curve < len(traces) or not traces[curve]:
            continue
        elements = traces[curve]
        index = point.get("point_index", point.get("point_number"))
        if type(index) is int and 0 <= index < len(elements):
            if elements[index] is not None:
                return elements[index]
            continue
        step = point.get("customdata")
        step = step[0] if isinstance(step, list | tuple) and step else step
        found = next((element for element in elements if element is not None and element.step == step), None)
        if found is not None:
            return found
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


def mark_focus(figure: go.Figure, x: float | None) -> go.Figure:
    """Make the unrolled figure clickable without fading: keep unselected nodes opaque, and band the column `x`
    (the timestep the panel shows; None when it is hidden in the ellipsis)."""
    figure.update_traces(unselected={"marker": {"opacity": 1}}, selector={"type": "scatter"})
    if x is not None:
        figure.add_vrect(
            x0=x - 0.45, x1=x + 0.45, fillcolor=PALETTE["now"], opacity=0.18, line_width=0, layer="below", name=BAND
        )
    return figure


def play_at(figure: go.Figure, diagram: Diagram, step: int, axis: str = "time") -> go.Figure:
    """Put the Play control of `render(diagram)` on timestep `step` of time axis `axis` (the step panel's step): its
    slider shows that frame, and the "now computing" trace (the first, the one each frame moves) is drawn where that
    frame draws it, so the diagram and the panel show one current step. Unchanged when the step has no frame."""
    label = step_label(step) if axis == "time" else f"{axis} {step_label(step)}"
    index = next((i for i, frame in enumerate(diagram.frames) if frame.label == label), None)
    frames = figure.frames or ()
    if index is None or index >= len(frames):
        return figure
    if figure.layout.sliders:
        figure.layout.sliders[0].active = index
    now = frames[index].data[0]
    figure.data[0].update(x=now.x, y=now.y, marker={"size": now.marker.size})
    return figure


def focused(figure: go.Figure, diagram: Diagram, focus: tuple[str, int] | None) -> go.Figure:
    """The unrolled figure of `diagram` made clickable, with the `focus` (axis, step) banded and the Play control on
    it (one current step), and each play frame's name under its column's label in `layout.meta["frames"]`, so that
    a script in the browser can move both to another drawn step without the figure being sent again."""
    names = [frame.name for frame in figure.frames or ()]
    figure.layout.meta = {
        "frames": {frame.label: [name, i] for i, (frame, name) in enumerate(zip(diagram.frames, names, strict=False))}
    }
    if focus is None:
        return mark_focus(figure, None)
    play_at(figure, diagram, focus[1], focus[0])
    return mark_focus(figure, column_of(figure, focus[1], focus[0]))
