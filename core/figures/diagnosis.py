"""The shape flow of a diagnosis: X → layers → output → Y as boxes top to bottom, the step where it breaks in red.

A compact picture of its own (not `core.shape_flow`'s figure): a diagnosis can be about models the app's spec does
not hold (stacked layers, RepeatVector), so it draws the `FlowStep`s the diagnosis lists.
"""

from __future__ import annotations

import plotly.graph_objects as go

from core.diagnosis import Diagnosis, FlowStep
from core.figures.theme import arrow, wrap_words
from core.model.anatomy import format_shape

OK_LINE = "#636363"
BAD = "#de2d26"
TEXT = "#252525"


def _wrap(text: str, width: int) -> str:
    """Break a label into lines; a comma counts as a word boundary (shapes such as (None,64,16) may break there)."""
    return wrap_words(text.replace(",", ", "), width)


def _box(y0: float, y1: float, broken: bool) -> dict:
    """One step's box; the broken step's has a red border and tint."""
    return {
        "type": "rect",
        "x0": 0,
        "x1": 10,
        "y0": y0,
        "y1": y1,
        "line": {"color": BAD if broken else OK_LINE, "width": 4 if broken else 2},
        "fillcolor": "rgba(222,45,38,0.08)" if broken else "rgba(0,0,0,0)",
    }


def _labels(step: FlowStep, y: float, font: int, small: int) -> list[dict]:
    """One step's name (with where it breaks) on the left and its shape on the right, at height `y`."""
    note = f"breaks here: {step.note}" if step.broken and step.note else ("breaks here" if step.broken else step.note)
    label = f"<b>{_wrap(step.label, 30)}</b>"
    if note:
        label += f"<br><span style='font-size:{small}px'>{_wrap(note, 34)}</span>"
    name = {"x": 0.25, "y": y, "xanchor": "left", "align": "left", "text": label, "showarrow": False}
    shape = {"x": 9.75, "y": y, "xanchor": "right", "showarrow": False}
    shape["text"] = format_shape(step.shape) if step.shape is not None else "—"
    name["font"] = {"size": font, "color": BAD if step.broken else TEXT}
    shape["font"] = {"size": font + 1, "color": TEXT, "family": "monospace"}
    return [name, shape]


def diagnosis_figure(diagnosis: Diagnosis, talk_mode: bool = False) -> go.Figure:
    """The diagnosis's flow top to bottom, one box per step with its shape; the broken step has a red border.

    Vertical, so that it reads the same in a phone's width as in a laptop's column.
    """
    steps = diagnosis.flow
    font, small = (17, 14) if talk_mode else (13, 11)
    row, gap = 1.0, 0.45
    shapes: list[dict] = []
    annotations: list[dict] = []
    top = len(steps) * (row + gap) - gap
    for index, step in enumerate(steps):
        y1 = top - index * (row + gap)
        y0 = y1 - row
        shapes.append(_box(y0, y1, step.broken))
        annotations.extend(_labels(step, (y0 + y1) / 2, font, small))
        if index:
            width, colour = (3 if talk_mode else 2), (BAD if step.broken else OK_LINE)
            annotations.append(arrow((5, y1 + gap - 0.02), (5, y1 + 0.02), width, colour))
    figure = go.Figure()
    figure.update_layout(
        shapes=shapes,
        annotations=annotations,
        xaxis={"visible": False, "range": [-0.05, 10.05], "fixedrange": True},
        yaxis={"visible": False, "range": [-0.05, top + 0.05], "fixedrange": True},
        height=int((95 if talk_mode else 78) * len(steps)) + 10,
        margin={"l": 4, "r": 4, "t": 4, "b": 4},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
    )
    return figure
