"""Plotly figures of the Training page, as pure functions of the numbers `core.keras.training` produced.

Curves are drawn against the epoch axis so that per-batch and per-epoch losses share one chart: batch i of an
epoch with B batches sits at epoch + (i + 1) / B, and Keras's epoch loss (the mean of that epoch's batches) at the
epoch's end.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures.theme import HEATMAP_SCALES, MODEL_COLOURS, NORMAL, SERIES_COLOURS, Theme


def _colour(label: str, index: int) -> str:
    """ "Model 1/2/3" keep their colour on every page; other series take the theme's series colours in order."""
    return MODEL_COLOURS.get(label, SERIES_COLOURS[index % len(SERIES_COLOURS)])


def _style(fig: go.Figure, theme: Theme, height: int) -> go.Figure:
    fig.update_layout(height=height, margin=theme.margin(top=3), font={"size": theme.font})
    return fig


def batch_positions(count: int, batches_per_epoch: int) -> list[float]:
    """Where `count` batch losses sit on the epoch axis: batch i of epoch e at e + (i + 1) / batches_per_epoch."""
    per = max(1, batches_per_epoch)
    return [(k // per) + (k % per + 1) / per for k in range(count)]


def loss_figure(
    curves: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    batches_per_epoch: int,
    loss_name: str = "loss",
    theme: Theme = NORMAL,
    title: str = "Training loss",
    dashed: Sequence[str] = (),
    first_color: int = 0,
) -> go.Figure:
    """One chart of the loss of every variant: a thin line per batch and markers per epoch, one colour per variant.

    `curves` holds (label, batch losses, epoch losses); it may be partial (a run in progress), which makes the chart
    grow from one poll to the next. Labels in `dashed` are drawn dashed with open markers, so that a curve drawn
    exactly over another (models 1 and 2) leaves both visible. `first_color` offsets the colours, so that a variant
    keeps its colour when it is drawn on a chart of its own.
    """
    fig = go.Figure()
    width = theme.line * 0.75
    for index, (label, batch_losses, epoch_losses) in enumerate(curves):
        color = _colour(label, first_color + index)
        over = label in dashed
        fig.add_trace(
            go.Scatter(
                x=batch_positions(len(batch_losses), batches_per_epoch),
                y=list(batch_losses),
                mode="lines",
                name=f"{label} · per batch",
                legendgroup=label,
                line={"color": color, "width": width * (1.6 if over else 1), "dash": "dash" if over else "solid"},
                opacity=0.9 if over else 0.55,
                hovertemplate="epoch %{x:.2f}<br>batch loss %{y:.4f}<extra>" + label + "</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(epoch_losses) + 1)),
                y=list(epoch_losses),
                mode="lines+markers",
                name=f"{label} · per epoch",
                legendgroup=label,
                line={"color": color, "width": width * 1.6, "dash": "dash" if over else "dot"},
                marker={
                    "size": theme.label + (2 if over else -4),
                    "color": color,
                    "symbol": "circle-open" if over else "circle",
                    "line": {"width": 3 if over else 0, "color": color},
                },
                hovertemplate="end of epoch %{x}<br>epoch loss %{y:.4f}<extra>" + label + "</extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="epoch",
        yaxis_title=loss_name,
        legend={"orientation": "h", "y": -0.2},
        hovermode="closest",
    )
    fig.update_xaxes(rangemode="tozero")
    return _style(fig, theme, theme.chart_height)


def timestep_heatmap(
    timestep_losses: Sequence[Sequence[float]], loss_name: str = "loss", theme: Theme = NORMAL, title: str = ""
) -> go.Figure:
    """Loss per timestep (columns) after each epoch (rows): where in the sequence the model learns, and when."""
    z = np.asarray(timestep_losses, dtype=float)
    epochs, steps = z.shape
    fig = go.Figure(
        go.Heatmap(
            z=z.tolist(),
            x=list(range(steps)),
            y=list(range(1, epochs + 1)),
            colorscale=HEATMAP_SCALES["loss"],
            reversescale=True,  # light = high loss, dark = learned
            colorbar={"title": loss_name},
            hovertemplate="timestep %{x}<br>after epoch %{y}<br>loss %{z:.4f}<extra></extra>",
        )
    )
    fig.update_layout(title=title or f"{loss_name} per timestep and epoch", xaxis_title="timestep t")
    fig.update_yaxes(title="after epoch", autorange="reversed", dtick=1 if epochs <= 20 else None)
    return _style(fig, theme, theme.heatmap_height(2 * min(epochs, 15)))


def prediction_figure(prediction: np.ndarray, target: np.ndarray, theme: Theme = NORMAL, title: str = "") -> go.Figure:
    """The model's output for one sample beside its target, as timesteps × classes heatmaps on one colour scale.

    A per-sequence model (return_sequences=False) outputs one row: its prediction for the last step.
    """
    pred = np.atleast_2d(np.asarray(prediction, dtype=float))
    tgt = np.atleast_2d(np.asarray(target, dtype=float))
    steps, classes = pred.shape
    rows = list(range(steps)) if steps > 1 else ["last step"]
    low = float(min(pred.min(), tgt.min(), 0.0))
    high = float(max(pred.max(), tgt.max(), 1e-9))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("prediction", "target"), horizontal_spacing=0.08)
    for col, (name, z) in enumerate((("prediction", pred), ("target", tgt)), start=1):
        fig.add_trace(
            go.Heatmap(
                z=z.tolist(),  # lists, not numpy: the figure's JSON stays plain numbers
                x=list(range(classes)),
                y=rows,
                zmin=low,
                zmax=high,
                colorscale=HEATMAP_SCALES["probability"],
                showscale=col == 2,
                name=name,
                hovertemplate="timestep %{y}<br>class %{x}<br>" + name + " %{z:.3f}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="class", dtick=1 if classes <= 20 else None, row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col)
    fig.update_yaxes(title_text="timestep t" if steps > 1 else "", row=1, col=1)
    fig.update_layout(title=title or "One sample: prediction and target")
    return _style(fig, theme, theme.heatmap_height(min(steps, 30)))


MASKED_ROWS = 16  # samples shown in the masked heatmap: enough to see every real length of the cycle at T ≤ 32


def masked_step_heatmap(
    step_losses: np.ndarray, mask: np.ndarray, loss_name: str = "loss", theme: Theme = NORMAL
) -> go.Figure:
    """The loss at every step (columns) of the first samples (rows), padded steps left blank: they are not in the
    loss. Hover names a blank cell as padding, so nobody reads it as a missing number."""
    losses = np.asarray(step_losses, dtype=float)[:MASKED_ROWS]
    real = np.asarray(mask, dtype=bool)[:MASKED_ROWS]
    rows, steps = losses.shape
    z = np.where(real, losses, np.nan)
    words = np.where(real, np.char.mod("%.4f", losses), "padding (masked, not in the loss)").tolist()
    fig = go.Figure(
        go.Heatmap(
            z=[[None if np.isnan(value) else float(value) for value in row] for row in z],
            x=list(range(steps)),
            y=list(range(rows)),
            text=words,
            colorscale=HEATMAP_SCALES["loss"],
            reversescale=True,
            colorbar={"title": "loss" if theme.compact else loss_name},
            hovertemplate="sample %{y}, step %{x}<br>%{text}<extra></extra>",
        )
    )
    title = f"{loss_name} per step of the first {rows} samples; blank: padding"
    fig.update_layout(title="loss per step; blank: padding" if theme.compact else title, xaxis_title="timestep t")
    fig.update_yaxes(title="sample", autorange="reversed", dtick=1 if rows <= 16 else None)
    return _style(fig, theme, theme.heatmap_height(2 * rows))


def masked_heatmap_alt(step_losses: np.ndarray, mask: np.ndarray, loss_name: str) -> str:
    """The masked heatmap in words: how many real and padded steps, and the loss's range over the real ones."""
    losses = np.asarray(step_losses, dtype=float)[:MASKED_ROWS]
    real = np.asarray(mask, dtype=bool)[:MASKED_ROWS]
    kept, padded = losses[real], int((~real).sum())
    return (
        f"{loss_name} at each step of the first {len(losses)} samples: {int(real.sum()):,} real steps, from "
        f"{kept.min():.4g} to {kept.max():.4g}, and {padded:,} padded step{'s' * (padded != 1)} left blank, not in "
        "the loss."
    )
