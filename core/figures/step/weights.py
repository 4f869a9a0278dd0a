"""A recurrent cell's weight matrices in the step panel: kernel, recurrent kernel and bias, split per gate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures.step.scale import MAX_MATRIX, SCALE
from core.figures.theme import NORMAL, PALETTE, TRANSPARENT, Theme
from core.model.spec import ModelSpec
from core.model.stepper import GATE_NAMES, CellWeights, ModelWeights


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


def _matrix_trace(label: str, clipped: np.ndarray, keep: list[int], columns: list[str]) -> go.Heatmap:
    """One weight matrix (its drawn rows and columns) as a heatmap whose hover names the real indices and gate."""
    return go.Heatmap(
        z=clipped,
        x=list(range(len(keep))),
        customdata=[
            [f"{label}[{r}, {k}] ({columns[i]}) = {float(v)!r}" for i, (k, v) in enumerate(zip(keep, row, strict=True))]
            for r, row in enumerate(clipped)
        ],
        hovertemplate="%{customdata}<extra></extra>",
        colorscale=SCALE,
        zmid=0,
        showscale=False,
        xgap=1 if len(keep) <= 64 else 0,
        ygap=1 if clipped.shape[0] <= 32 else 0,
    )


def _gate_columns(figure: go.Figure, gates: Sequence[tuple[str, str]], shown_units: int) -> None:
    """Name each gate's block of columns under the matrices and draw the lines between the blocks."""
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


def weights_figure(
    weights: ModelWeights, direction: str, gate: int, theme: Theme = NORMAL, layer: int = -1
) -> go.Figure:
    """Recurrent layer `layer`'s cell (the top by default): kernel, recurrent kernel and bias as heatmaps, one column
    block per gate, the block `gate` uses outlined. Large matrices show their first 64 rows and 64 columns per gate
    (the hover names the real indices)."""
    spec = weights.spec
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
        figure.add_trace(_matrix_trace(label, clipped, keep, columns), row=index, col=1)
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
    _gate_columns(figure, gates, shown_units)
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
