"""The shared head in the step panel: y_t = activation(W·h_t + b) at two steps, the same W outlined both times."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.figures.step.scale import MAX_MATRIX, MAX_TEXT_COLUMNS, SCALE
from core.figures.theme import NORMAL, PALETTE, TRANSPARENT, Theme
from core.model.spec import ModelSpec
from core.model.stepper import ModelWeights, Trace


def _matrix_heatmap(z: np.ndarray, names: Sequence[str], text: bool, theme: Any) -> go.Heatmap:
    """A small matrix on the shared -1..1 scale, 2-decimal text when it fits, the full value on hover."""
    z = z[:MAX_MATRIX, :MAX_MATRIX]
    return go.Heatmap(
        z=z,
        text=[[f"{v:.2f}" for v in row] for row in z],
        texttemplate="%{text}" if text else None,
        textfont={"size": theme.label - 1},
        customdata=[[f"{names[i]}[{j}] = {float(v)!r}" for j, v in enumerate(row)] for i, row in enumerate(z)],
        hovertemplate="%{customdata}<extra></extra>",
        colorscale=SCALE,
        zmid=0,
        zmin=-1,
        zmax=1,
        showscale=False,
        xgap=1,
        ygap=1,
    )


def head_title(spec: ModelSpec, t: int | None, bias: bool) -> str:
    """The head's equation at step t (None: on the last state, the only time a last-step model's head runs)."""
    sub = f"<sub>{t}</sub>" if t is not None else ""
    where = f"<b>at t={t}</b>" if t is not None else "<b>on the last state</b>"
    return f"{where}: y{sub} = {spec.activation}(W·h{sub}{' + b' if bias else ''})"


def _panel_marks(
    spec: ModelSpec, step: int | None, bias: bool, names: Sequence[str], left: float, refs: tuple, theme: Any
) -> tuple[list[dict], dict]:
    """One head panel's labels (its equation, h's name, the rows under W) and the outline of the one shared W."""
    h_ref, w_ref, bottom_ref = refs
    sub = f"<sub>{step}</sub>" if step is not None else ""
    annotations: list[dict] = []
    # The step's equation above, h's name under its column, the rows under W named to their left.
    annotations.append(
        {
            "text": head_title(spec, step, bias),
            "xref": "paper",
            "yref": "paper",
            "x": left,
            "y": 1,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": theme.font},
        }
    )
    annotations.append(
        {
            "text": f"h{sub}",
            "xref": f"x{h_ref} domain",
            "yref": f"y{h_ref} domain",
            "x": 0.5,
            "y": 0,
            "yanchor": "top",
            "showarrow": False,
            "font": {"size": theme.label},
        }
    )
    for row_index, name in enumerate(names):
        annotations.append(
            {
                "text": name,
                "xref": f"x{bottom_ref} domain",
                "yref": f"y{bottom_ref} domain",
                "x": 0,
                "xshift": -4,
                "y": 1 - (row_index + 0.5) / len(names),
                "xanchor": "right",
                "showarrow": False,
                "font": {"size": theme.label},
            }
        )
    # The one shared W, outlined in the head's colour at every step it is drawn.
    outline = {
        "type": "rect",
        "xref": f"x{w_ref} domain",
        "yref": f"y{w_ref} domain",
        "x0": 0,
        "x1": 1,
        "y0": 0,
        "y1": 1,
        "line": {"color": PALETTE["head"], "width": theme.line + 2},
    }
    return annotations, outline


def _place(parts: Sequence[tuple], first: int, theme: Theme, layout: dict[str, Any]) -> list[go.Heatmap]:
    """Each part (matrix, row names, whether its numbers show, x and y domains) as a heatmap on axes of its own,
    numbered from `first`; the axes go into `layout`."""
    hidden = {"showticklabels": False, "showgrid": False, "zeroline": False, "fixedrange": True}
    traces = []
    for part, (z, labels, show, x_domain, y_domain) in enumerate(parts):
        number = first + part
        suffix = "" if number == 1 else str(number)
        heatmap = _matrix_heatmap(z, labels, show, theme)
        heatmap.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        traces.append(heatmap)
        layout[f"xaxis{suffix}"] = {"domain": list(x_domain), "anchor": f"y{suffix}", **hidden}
        layout[f"yaxis{suffix}"] = {"domain": list(y_domain), "anchor": f"x{suffix}", "autorange": "reversed", **hidden}
    return traces


def head_figure(trace: Trace, weights: ModelWeights, t: int, other: int | None, theme: Theme = NORMAL) -> go.Figure:
    """y_t = activation(W·h_t + b) at step t and at step `other`: the same W (outlined in the head's colour) both
    times. With return_sequences=False the head runs once, on the last state, and one panel is drawn.

    Each panel: h_t as a column, W beside it, and under W the rows b, W·h_t + b and y_t.
    """
    spec = trace.spec
    steps: list[int | None] = [None]
    if spec.sequence_output:
        steps = [t] if other is None or other == t else [t, other]
    F, O = weights.head_kernel.shape
    bias = weights.head_bias is not None
    bottom_rows = 3 if bias else 2
    # Axes laid out by hand (make_subplots costs more than the rest of the figure): per panel, h's column, W, and
    # the rows under W; the top part F rows high, the bottom part `bottom_rows`.
    rows_f = min(F, MAX_MATRIX)
    split = bottom_rows / (rows_f + bottom_rows)
    gap_y = 0.03
    panel = 1 / len(steps)
    h_share = 1 / (1 + min(O, MAX_MATRIX))
    text = O <= MAX_TEXT_COLUMNS[theme.talk_mode] and F <= 24
    traces: list[go.Heatmap] = []
    layout: dict[str, Any] = {}
    annotations: list[dict] = []
    shapes: list[dict] = []
    for index, step in enumerate(steps):
        sub = f"<sub>{step}</sub>" if step is not None else ""
        h = trace.layer_output[step] if step is not None else trace.layer_output
        logits = trace.logits[step] if step is not None else trace.logits
        outputs = trace.outputs[step] if step is not None else trace.outputs
        left = index * panel + (0.02 if index else 0)
        right = (index + 1) * panel - (0.02 if index + 1 < len(steps) else 0)
        h_right = left + (right - left) * h_share * 1.4
        w_left = h_right + 0.01
        rows = ([weights.head_bias] if bias else []) + [logits, outputs]
        names = (["b"] if bias else []) + [f"W·h{sub}" + (" + b" if bias else ""), f"y{sub}"]
        parts = [
            (h[:, None], [f"h{sub}[{i}]" for i in range(F)], F <= 24, (left, h_right), (split + gap_y, 1)),
            (weights.head_kernel, [f"W[{i}]" for i in range(F)], text, (w_left, right), (split + gap_y, 1)),
            (np.stack(rows), names, O <= MAX_TEXT_COLUMNS[theme.talk_mode], (w_left, right), (0, split)),
        ]
        traces += _place(parts, 3 * index + 1, theme, layout)
        h_ref, w_ref, bottom_ref = (str(3 * index + k) if 3 * index + k > 1 else "" for k in (1, 2, 3))
        panel_annotations, w_outline = _panel_marks(spec, step, bias, names, left, (h_ref, w_ref, bottom_ref), theme)
        annotations += panel_annotations
        shapes.append(w_outline)
    row_px = theme.heatmap_row * 1.6
    height = 60 + theme.font * 2 + row_px * (rows_f + bottom_rows)
    layout.update(
        height=int(min(theme.max_height, height)),
        margin={"l": 10, "r": 10, "t": int(theme.font * 2.4), "b": 10},
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font={"size": theme.label},
        annotations=annotations,
        shapes=shapes,
    )
    return go.Figure(data=traces, layout=layout)
