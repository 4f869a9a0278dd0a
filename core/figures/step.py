"""The step panel's figures: one timestep's vectors, the weight matrices split per gate, the shared head W at two
steps, and what not sharing would cost.

Data first (`core.model.stepper` computes every value, `core.describe` every count), then plotly in the app's theme.
Numbers inside cells are rounded to 2 decimals; the hover gives the full float32 value.

Example:
    >>> spec = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
    >>> [row.what for row in sharing_counts(describe(spec))]
    ['Keras: one Dense, shared by all steps', 'A separate Dense per timestep', 'Flatten → one big Dense']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures.theme import PALETTE, TRANSPARENT, theme_for
from core.model.anatomy import Description, describe, fmt
from core.model.spec import ModelSpec
from core.model.stepper import GATE_NAMES, MERGE_EQUATIONS, CellStep, CellWeights, LayerTrace, ModelWeights, Trace

__all__ = [
    "SharingRow",
    "head_figure",
    "merge_figure",
    "sharing_counts",
    "states_strip",
    "vectors_figure",
    "weights_figure",
]

SCALE = "RdBu"  # diverging around 0: gates (0..1), tanh states (-1..1) and weights read on one scale
MAX_TEXT_COLUMNS = {False: 20, True: 16}  # beyond this many columns, cells are too narrow for a number
MAX_MATRIX = 64  # rows or columns per gate drawn of a weight matrix (a 512-unit kernel stays a light figure)


# -- the vectors of one step ------------------------------------------------------------------------------------------
def _cells(values: np.ndarray, width: int) -> tuple[list[float | None], list[str], list[str]]:
    """One row of a padded heatmap: values, the 2-decimal text, and the full value for the hover."""
    flat = [float(v) for v in np.ravel(values)]
    pad = width - len(flat)
    return (
        flat + [None] * pad,
        [f"{v:.2f}" for v in flat] + [""] * pad,
        [repr(float(np.float32(v))) for v in flat] + [""] * pad,
    )


def _vector_heatmap(
    rows: Sequence[tuple[str, np.ndarray]], talk_mode: bool, title: str, colour: str | None = None
) -> go.Figure:
    """Vectors of different lengths as rows of one heatmap (top to bottom in the order given)."""
    theme = theme_for(talk_mode)
    width = max(len(np.ravel(values)) for _, values in rows)
    z, text, full = [], [], []
    for _, values in reversed(rows):
        a, b, c = _cells(values, width)
        z.append(a)
        text.append(b)
        full.append(c)
    labels = [label for label, _ in reversed(rows)]
    show_text = width <= MAX_TEXT_COLUMNS[talk_mode]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            text=text,
            customdata=full,
            texttemplate="%{text}" if show_text else None,
            textfont={"size": theme.step_number},
            hovertemplate="%{y}<br>[%{x}] = %{customdata}<extra></extra>",
            colorscale=SCALE,
            zmid=0,
            zmin=-1,
            zmax=1,
            showscale=False,
            xgap=1,
            ygap=2,
            y=list(range(len(labels))),
        )
    )
    # On a slide the unit indices above the columns give way to the numbers' rows (the hover names the unit).
    unit_ticks = width <= 24 and not talk_mode
    margin = {"l": 10, "r": 10, "t": int(theme.font * (2.2 if unit_ticks else 1.7)), "b": int(theme.font * 0.4)}
    row_px = theme.step_row
    if theme.step_height is not None:  # a slide: shorter rows for many gates (an LSTM), never shorter than a number
        room = (theme.step_height - margin["t"] - margin["b"]) // len(rows)
        row_px = max(theme.step_number + 6, min(row_px, room))
    figure.update_layout(
        height=row_px * len(rows) + margin["t"] + margin["b"],
        margin=margin,
        title={"text": title, "font": {"size": theme.font, **({"color": colour} if colour else {})}, "x": 0},
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font={"size": theme.label},
        xaxis={
            "showgrid": False,
            "zeroline": False,
            "side": "top",
            "dtick": 1 if width <= 24 else None,
            "fixedrange": True,
            "showticklabels": unit_ticks,
            **({} if unit_ticks else {"ticks": ""}),
        },
        yaxis={
            "tickvals": list(range(len(labels))),
            "ticktext": labels,
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "automargin": True,
        },
    )
    return figure


def _row_label(symbol: str, equation: str, name: str, talk_mode: bool) -> str:
    if equation.startswith(("X[", "zeros")):
        return f"<b>{symbol}</b> ({name})"
    return f"<b>{symbol}</b> = {equation}"


def vectors_figure(
    step: CellStep, talk_mode: bool = False, bidirectional: bool = False, layer: str | None = None
) -> go.Figure:
    """One direction's step t: x_t, the incoming state(s), every gate with its equation, the outgoing state(s);
    the title names the direction when the layer has two, and the `layer` when the model has several."""
    rows = [(_row_label(q.symbol, q.equation, q.name, talk_mode), q.values) for q in step.quantities]
    arrow = "→ forward" if step.direction == "forward" else "← backward"
    colour = PALETTE["cell_backward"] if step.direction == "backward" else PALETTE["cell"]
    title = (
        f"<b>Cell at t={step.t}</b>" + (f" of '{layer}'" if layer else "") + (f" ({arrow})" if bidirectional else "")
    )
    return _vector_heatmap(rows, talk_mode, title, colour)


def merge_figure(trace: Trace | LayerTrace, t: int, talk_mode: bool = False) -> go.Figure:
    """A bidirectional layer's merge at step t (the top layer's for a Trace): both directions' states and what the
    layer returns."""
    assert trace.backward is not None
    spec = trace.spec
    last = len(trace.forward) - 1
    merged_eq = MERGE_EQUATIONS[spec.merge_mode]
    rows = [
        (f"<b>h<sup>→</sup><sub>t</sub></b> forward (after x<sub>0</sub>…x<sub>{t}</sub>)", trace.forward[t].h),
        (
            f"<b>h<sup>←</sup><sub>t</sub></b> backward (after x<sub>{last}</sub>…x<sub>{t}</sub>)",
            trace.backward[t].h,
        ),
        (f"<b>{spec.merge_mode}</b> = {merged_eq}", trace.merged(t)),
    ]
    return _vector_heatmap(rows, talk_mode, f"<b>Merge at t={t}</b> ({spec.merge_mode})", PALETTE["state"])


def states_strip(trace: Trace | LayerTrace, t: int, talk_mode: bool = False) -> go.Figure:
    """Every step's returned state h_0 … h_{T-1} of the sample as one strip (units × time), step t outlined: the
    whole sequence at a glance, each column computed from the one before it."""
    theme = theme_for(talk_mode)
    T = len(trace.forward)
    states = np.stack([trace.merged(step) for step in range(T)]).T[:MAX_MATRIX]
    figure = go.Figure(
        go.Heatmap(
            z=states,
            customdata=[
                [f"h<sub>{step}</sub>[{unit}] = {float(v)!r}" for step, v in enumerate(row)]
                for unit, row in enumerate(states)
            ],
            hovertemplate="%{customdata}<extra></extra>",
            colorscale=SCALE,
            zmid=0,
            zmin=-1,
            zmax=1,
            showscale=False,
        )
    )
    figure.add_shape(
        type="rect",
        x0=t - 0.5,
        x1=t + 0.5,
        y0=-0.5,
        y1=states.shape[0] - 0.5,
        line={"color": PALETTE["now"], "width": theme.line + 1},
    )
    figure.update_layout(
        height=int(theme.font * 7),  # on a slide it has a tab of its own, under the cell
        margin={"l": 10, "r": 10, "t": int(theme.font * 1.8), "b": int(theme.font * 1.6)},
        title={
            "text": f"h<sub>t</sub> at every step of this sample (t={t} outlined)",
            "font": {"size": theme.label},
            "x": 0,
        },
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font={"size": theme.label},
        xaxis={"showgrid": False, "zeroline": False, "fixedrange": True, "title": None},
        yaxis={"showticklabels": False, "showgrid": False, "zeroline": False, "fixedrange": True},
    )
    return figure


# -- the weight matrices ----------------------------------------------------------------------------------------------
def _matrix_rows(weights: CellWeights, spec: ModelSpec) -> list[tuple[str, np.ndarray]]:
    rows = [("kernel W", weights.kernel), ("recurrent kernel U", weights.recurrent_kernel)]
    if weights.bias is not None:
        if weights.bias.ndim == 2:
            rows += [("bias b (input)", weights.bias[0:1]), ("bias b′ (recurrent)", weights.bias[1:2])]
        else:
            rows.append(("bias b", weights.bias[None, :]))
    return rows


def _clip(matrix: np.ndarray, gates: int, units: int) -> tuple[np.ndarray, list[int]]:
    """At most MAX_MATRIX rows, and MAX_MATRIX columns of each gate; returns the clipped matrix and kept columns."""
    keep = [g * units + u for g in range(gates) for u in range(min(units, MAX_MATRIX))]
    return matrix[:MAX_MATRIX][:, keep], keep


def weights_figure(
    weights: ModelWeights, direction: str, gate: int, talk_mode: bool = False, layer: int = -1
) -> go.Figure:
    """Recurrent layer `layer`'s cell (the top by default): kernel, recurrent kernel and bias as heatmaps, one column
    block per gate, the block `gate` uses outlined. Large matrices show their first 64 rows and 64 columns per gate
    (the hover names the real indices)."""
    spec = weights.spec
    theme = theme_for(talk_mode)
    cell = weights.cell(direction, layer)
    gates = GATE_NAMES[spec.cell]
    units = cell.units
    blocks = _matrix_rows(cell, spec)
    heights = [min(MAX_MATRIX, m.shape[0]) for _, m in blocks]
    figure = make_subplots(
        rows=len(blocks),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[max(h, 1) for h in heights],
        subplot_titles=[f"{label} {tuple(m.shape)}" for label, m in blocks],
    )
    shown_units = min(units, MAX_MATRIX)
    for index, (label, matrix) in enumerate(blocks, start=1):
        clipped, keep = _clip(matrix, len(gates), units)
        columns = [f"{gates[k // units][0]}[{k % units}]" for k in keep]
        figure.add_trace(
            go.Heatmap(
                z=clipped,
                x=list(range(len(keep))),
                customdata=[
                    [
                        f"{label}[{r}, {k}] ({columns[i]}) = {float(v)!r}"
                        for i, (k, v) in enumerate(zip(keep, row, strict=True))
                    ]
                    for r, row in enumerate(clipped)
                ],
                hovertemplate="%{customdata}<extra></extra>",
                colorscale=SCALE,
                zmid=0,
                showscale=False,
                xgap=1 if len(keep) <= 64 else 0,
                ygap=1 if clipped.shape[0] <= 32 else 0,
            ),
            row=index,
            col=1,
        )
        figure.update_yaxes(autorange="reversed", showticklabels=False, fixedrange=True, row=index, col=1)
        # The slice this gate uses: every row, this gate's columns.
        figure.add_shape(
            type="rect",
            x0=gate * shown_units - 0.5,
            x1=(gate + 1) * shown_units - 0.5,
            y0=-0.5,
            y1=clipped.shape[0] - 0.5,
            line={"color": PALETTE["now"], "width": theme.line + 1},
            row=index,
            col=1,
        )
    ticks = [g * shown_units + (shown_units - 1) / 2 for g in range(len(gates))]
    figure.update_xaxes(
        tickvals=ticks,
        ticktext=[f"<b>{symbol}</b> {name}" for symbol, name in gates],
        showgrid=False,
        zeroline=False,
        fixedrange=True,
        side="bottom",
    )
    for boundary in range(1, len(gates)):
        figure.add_vline(x=boundary * shown_units - 0.5, line={"color": PALETTE["link"], "width": 1})
    symbol, gate_name = gates[gate]
    name = f" of '{weights.layers[layer].name}'" if len(weights.layers) > 1 else ""
    figure.update_annotations(font={"size": theme.label})
    figure.update_layout(
        height=int(min(theme.max_height, 110 + sum(heights) * (theme.heatmap_row * 0.9) + 40 * len(blocks))),
        margin={"l": 10, "r": 10, "t": int(theme.font * 3), "b": 10},
        title={
            "text": f"<b>Weights of the {direction} cell{name}</b>: the outlined columns make {symbol} ({gate_name})",
            "font": {"size": theme.font},
            "x": 0,
        },
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font={"size": theme.label},
    )
    return figure


# -- the head ---------------------------------------------------------------------------------------------------------
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


def head_figure(trace: Trace, weights: ModelWeights, t: int, other: int | None, talk_mode: bool = False) -> go.Figure:
    """y_t = activation(W·h_t + b) at step t and at step `other`: the same W (outlined in the head's colour) both
    times. With return_sequences=False the head runs once, on the last state, and one panel is drawn.

    Each panel: h_t as a column, W beside it, and under W the rows b, W·h_t + b and y_t.
    """
    theme = theme_for(talk_mode)
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
    text = O <= MAX_TEXT_COLUMNS[talk_mode] and F <= 24
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
            (np.stack(rows), names, O <= MAX_TEXT_COLUMNS[talk_mode], (w_left, right), (0, split)),
        ]
        for part, (z, labels, show, x_domain, y_domain) in enumerate(parts):
            number = 3 * index + part + 1
            suffix = "" if number == 1 else str(number)
            heatmap = _matrix_heatmap(z, labels, show, theme)
            heatmap.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
            traces.append(heatmap)
            hidden = {"showticklabels": False, "showgrid": False, "zeroline": False, "fixedrange": True}
            layout[f"xaxis{suffix}"] = {"domain": list(x_domain), "anchor": f"y{suffix}", **hidden}
            layout[f"yaxis{suffix}"] = {
                "domain": list(y_domain),
                "anchor": f"x{suffix}",
                "autorange": "reversed",
                **hidden,
            }
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


# -- what sharing saves -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SharingRow:
    """One way to put a Dense after the recurrent layer: its parameters and the formula with the numbers in."""

    what: str
    params: int
    formula: str


def sharing_counts(description: Description) -> list[SharingRow]:
    """Keras's shared head against a separate Dense per timestep and a Flatten → Dense, all from `describe`.

    The two alternatives produce the same (T, O) outputs per sample; only the shared one is independent of T.
    """
    head = description.head
    if head is None:
        return []
    spec = description.spec
    T, O = spec.output_steps, spec.output_size
    F = head.input_shape[-1]
    assert F is not None
    bias = spec.use_bias
    flat = (T * F) * (T * O) + (T * O if bias else 0)
    return [
        SharingRow("Keras: one Dense, shared by all steps", head.params, head.formula),
        SharingRow(
            "A separate Dense per timestep", T * head.params, f"{T} × {fmt(head.params)} = {fmt(T * head.params)}"
        ),
        SharingRow(
            "Flatten → one big Dense",
            flat,
            f"({T}·{F}) × ({T}·{O})" + (f" + {T}·{O}" if bias else "") + f" = {fmt(flat)}",
        ),
    ]


def describe_counts(spec: ModelSpec) -> dict[str, int]:
    """The parameter counts the panel states, straight from `describe(spec)` (recurrent layer, head, total)."""
    description = describe(spec)
    head = description.head
    return {
        "recurrent": description.recurrent.params,
        "head": head.params if head is not None else 0,
        "total": description.total_params,
    }
