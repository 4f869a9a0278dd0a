"""The shape flow of a diagnosis: X → layers → output → Y as boxes, the step where it breaks in red.

A compact picture of its own (not `core.shape_flow`'s figure): a diagnosis can be about models the app's spec does
not hold (stacked layers, RepeatVector), so it draws the `FlowStep`s the diagnosis lists.
"""

from __future__ import annotations

import plotly.graph_objects as go

from core.anatomy import format_shape
from core.diagnose import Diagnosis

OK_LINE = "#636363"
BAD = "#de2d26"
TEXT = "#252525"


def _wrap(text: str, width: int) -> str:
    """Break a label into lines of about `width` characters (plotly needs <br>)."""
    lines: list[str] = []
    current = ""
    for word in text.replace(",", ", ").split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return "<br>".join(lines)


def diagnosis_figure(diagnosis: Diagnosis, talk_mode: bool = False) -> go.Figure:
    """The diagnosis's flow as a row of boxes with their shapes; the broken step has a red border and a ✗."""
    steps = diagnosis.flow
    font = 17 if talk_mode else 13
    small = 14 if talk_mode else 11
    box_w, gap = 3.0, 0.8
    shapes: list[dict] = []
    annotations: list[dict] = []
    for index, step in enumerate(steps):
        left = index * (box_w + gap)
        color = BAD if step.broken else OK_LINE
        shapes.append(
            {
                "type": "rect",
                "x0": left,
                "x1": left + box_w,
                "y0": 0,
                "y1": 3,
                "line": {"color": color, "width": 4 if step.broken else 2},
                "fillcolor": "rgba(222,45,38,0.08)" if step.broken else "rgba(0,0,0,0)",
            }
        )
        title = ("✗ " if step.broken else "") + step.label
        annotations.append(
            {
                "x": left + box_w / 2,
                "y": 2.3,
                "text": f"<b>{_wrap(title, 22)}</b>",
                "showarrow": False,
                "font": {"size": font, "color": BAD if step.broken else TEXT},
            }
        )
        annotations.append(
            {
                "x": left + box_w / 2,
                "y": 1.1,
                "text": format_shape(step.shape) if step.shape is not None else "—",
                "showarrow": False,
                "font": {"size": font + 2, "color": TEXT, "family": "monospace"},
            }
        )
        if step.note:
            annotations.append(
                {
                    "x": left + box_w / 2,
                    "y": 0.4,
                    "text": _wrap(step.note, 26),
                    "showarrow": False,
                    "font": {"size": small, "color": BAD if step.broken else TEXT},
                }
            )
        if index:
            annotations.append(
                {
                    "x": left - 0.05,
                    "y": 1.5,
                    "ax": left - gap + 0.05,
                    "ay": 1.5,
                    "xref": "x",
                    "yref": "y",
                    "axref": "x",
                    "ayref": "y",
                    "text": "",
                    "showarrow": True,
                    "arrowhead": 3,
                    "arrowwidth": 3 if talk_mode else 2,
                    "arrowcolor": BAD if step.broken else OK_LINE,
                }
            )
    right = max(len(steps), 1) * (box_w + gap) - gap
    figure = go.Figure()
    figure.update_layout(
        shapes=shapes,
        annotations=annotations,
        xaxis={"visible": False, "range": [-0.1, right + 0.1], "fixedrange": True},
        yaxis={"visible": False, "range": [-0.1, 3.1], "fixedrange": True, "scaleanchor": None},
        height=190 if talk_mode else 160,
        margin={"l": 4, "r": 4, "t": 4, "b": 4},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
    )
    return figure
