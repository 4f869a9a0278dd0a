"""Figures and tables of the equivalence lab, built from computed results (pure functions, testable headless).

Colours, sizes and heights come from core.figures.theme: each twin keeps its model's colour (TimeDistributed(Dense) is
Model 1, Dense is Model 2 on the Training page too), and timesteps are numbered from 0 as in Keras's arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures.theme import HEAD_COLOURS, HEATMAP_SCALES, NORMAL, PALETTE, Theme, step_label
from core.keras.requests import GraphCounts, Timing, TwinOutputs, TwinTraining
from core.model.spec import HEAD_LABELS


def _grid(output: np.ndarray, sample: int) -> np.ndarray:
    """One sample's output as a 2D grid: timesteps × units, or a single row when there is no time axis."""
    one = np.asarray(output[sample], dtype=np.float64)
    return one if one.ndim == 2 else one[np.newaxis, :]


def output_heatmaps(result: TwinOutputs, sample: int = 0, theme: Theme = NORMAL) -> go.Figure:
    """One sample's output of each twin as heatmaps on a shared colour scale, plus their absolute difference."""
    dense = _grid(result.dense, sample)
    panels = [(HEAD_LABELS["dense"], dense)]
    if result.time_distributed is not None:
        distributed = _grid(result.time_distributed, sample)
        panels.append((HEAD_LABELS["time_distributed"], distributed))
        panels.append(("|difference|", np.abs(dense - distributed)))
    if len(panels) == 3:
        # The title carries the computed maximum: an all-zero panel says nothing by colour alone.
        panels[2] = (f"|difference| (max {float(panels[2][1].max()):.3g})", panels[2][1])
    fig = _panels(len(panels), [title for title, _ in panels], theme)
    low = float(min(grid.min() for _, grid in panels[:2]))
    high = float(max(grid.max() for _, grid in panels[:2]))
    has_time = result.dense.ndim == 3
    for col, (title, grid) in enumerate(panels, start=1):
        is_diff = col == 3
        biggest = float(grid.max())
        row, column = (col, 1) if theme.compact else (1, col)
        fig.add_trace(
            go.Heatmap(
                z=grid,
                x=[f"unit {u}" for u in range(grid.shape[1])],
                y=[step_label(t) for t in range(grid.shape[0])] if has_time else ["last step"],
                colorscale=HEATMAP_SCALES["difference" if is_diff else "values"],
                zmin=0.0 if is_diff else low,
                zmax=(biggest if biggest > 0 else 1.0) if is_diff else high,
                showscale=col != 2,
                colorbar=_colour_bar(fig, is_diff, row, theme),
                name=title,
                hovertemplate="%{y}, %{x}: %{z:.7g}<extra>" + title + "</extra>",
            ),
            row=row,
            col=column,
        )
        fig.update_yaxes(autorange="reversed", showticklabels=theme.compact or col == 1, row=row, col=column)
        if theme.compact and col < len(panels):  # stacked panels share their units: named once, under the last
            fig.update_xaxes(showticklabels=False, row=row, col=column)
    fig.update_annotations(font={"size": theme.font})  # the subplot titles
    rows = dense.shape[0]
    fig.update_layout(
        height=_heatmaps_height(theme, rows, len(panels)),
        margin=theme.margin(top=3, bottom=1, left=60, right=70 if theme.compact else 120),
        font={"size": theme.font},
        title=f"Model output for sample {sample}" + (" (softmax)" if result.spec.activation == "softmax" else ""),
    )
    return fig


def _panels(count: int, titles: list[str], theme: Theme) -> go.Figure:
    """The heatmaps' panels: side by side, or one above the other on a phone (COMPACT), where three titles and two
    colour bars side by side would run into each other."""
    if theme.compact:
        return make_subplots(rows=count, cols=1, subplot_titles=titles, vertical_spacing=0.32 / count)
    return make_subplots(rows=1, cols=count, subplot_titles=titles, horizontal_spacing=0.06)


def _colour_bar(fig: go.Figure, is_diff: bool, row: int, theme: Theme) -> dict:
    """A heatmap's colour bar: right of the panels, the difference's further out; on a phone beside its own panel
    (the values' bar beside the first two, which share its scale), so that the two bars never overlap."""
    title = {"text": "|diff|" if is_diff else "value"}
    if not theme.compact:
        return {"x": 1.1 if is_diff else 1.01, "len": 0.9, "title": title}
    low, high = fig.get_subplot(row, 1).yaxis.domain
    if not is_diff:  # the first two panels share the values' scale
        low = fig.get_subplot(row + 1, 1).yaxis.domain[0] if row == 1 and _has_row(fig, 2) else low
    return {"x": 1.02, "y": (low + high) / 2, "yanchor": "middle", "len": high - low, "title": title, "thickness": 12}


def _has_row(fig: go.Figure, row: int) -> bool:
    """Whether the figure's grid has a `row`-th row."""
    return len(fig._grid_ref) >= row


def _heatmaps_height(theme: Theme, rows: int, panels: int) -> int:
    """Tall enough for every panel's rows: one heatmap's height side by side, one per panel stacked on a phone."""
    if not theme.compact:
        return theme.heatmap_height(rows)
    each = max(140, min(theme.max_height // 2, theme.heatmap_row * rows + 40))
    return panels * each + 6 * theme.font


def loss_figure(training: TwinTraining, theme: Theme = NORMAL) -> go.Figure:
    """Both twins' training losses per epoch, overlaid: the dashed line lies on the solid one."""
    epochs = list(range(1, training.epochs + 1))
    width = theme.line * 1.5
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=epochs,
            y=list(training.dense_loss),
            name=HEAD_LABELS["dense"],
            mode="lines+markers",
            line={"width": width, "color": HEAD_COLOURS["dense"]},
            marker={"size": theme.marker / 4},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=epochs,
            y=list(training.time_distributed_loss),
            name=HEAD_LABELS["time_distributed"],
            mode="lines+markers",
            line={"width": width, "dash": "dash", "color": HEAD_COLOURS["time_distributed"]},
            marker={"symbol": "x", "size": theme.marker / 3.6},
        )
    )
    fig.update_layout(
        xaxis_title="epoch",
        yaxis_title=f"training loss ({training.spec.loss})",
        height=theme.chart_height,
        margin=theme.margin(top=1, bottom=2, left=60, right=20),
        font={"size": theme.font},
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def op_counts_figure(counts: dict[str, dict[str, GraphCounts]], theme: Theme = NORMAL) -> go.Figure:
    """Grouped bars: all ops and MatMul ops in the head layer's traced graph, for each twin."""
    heads = list(counts)
    labels = [HEAD_LABELS[head] for head in heads]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=labels,
            y=[counts[h]["head"].ops for h in heads],
            name="all ops",
            texttemplate="%{y}",
            marker_color=PALETTE["link"],
        )
    )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=[counts[h]["head"].matmuls for h in heads],
            name="MatMul ops",
            texttemplate="%{y}",
            marker_color=PALETTE["head"],
        )
    )
    fig.update_layout(
        barmode="group",
        yaxis_title="operations in the head's traced graph",
        height=theme.chart_height,
        margin=theme.margin(top=1, bottom=2, left=60, right=20),
        font={"size": theme.font},
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def counts_table(counts: dict[str, dict[str, GraphCounts]]) -> pd.DataFrame:
    """One row per twin: ops and MatMuls in the head's graph and in the whole model's top-level graph."""
    rows = []
    for head, graphs in counts.items():
        rows.append(
            {
                "head": HEAD_LABELS[head],
                "head graph: ops": graphs["head"].ops,
                "head graph: MatMul": graphs["head"].matmuls,
                "model graph: ops": graphs["model"].ops,
                "model graph: MatMul": graphs["model"].matmuls,
                "most frequent ops in the head graph": ", ".join(f"{k} ×{n}" for k, n in graphs["head"].top_types[:5]),
            }
        )
    return pd.DataFrame(rows)


def timing_table(timings: dict[str, Timing]) -> pd.DataFrame:
    """One row per twin: first (tracing) call and a later forward pass, in milliseconds."""
    return pd.DataFrame(
        [
            {
                "head": HEAD_LABELS[head],
                "first call, tracing included (ms)": round(t.first_call * 1000, 1),
                "later forward pass (ms)": round(t.forward * 1000, 2),
            }
            for head, t in timings.items()
        ]
    )
