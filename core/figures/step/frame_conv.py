"""One frame's convolution as a figure (issue 27): the frame with the patch under the kernel outlined, the kernel, the
feature map with the patch's value outlined, and the vector the recurrent layer reads at that step. Every number
comes from `core.model.frame_step` (checked against Keras); the figure only draws them, one channel and one filter at
a time, in a 2 × 2 grid that fits a phone as well as a slide. Its text alternative is `frame_conv_alt`."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures.theme import HEATMAP_SCALES, NORMAL, PALETTE, Theme
from core.model.frame_step import FrameStep

NUMBERS_UP_TO = 64  # cells: a heatmap this small prints its numbers in its cells
PHONE_NUMBERS_UP_TO = 4  # columns: on a phone a wider heatmap's numbers run into each other (hover shows them)


def _heatmap(values: np.ndarray, theme: Theme, scale: str, name: str) -> go.Heatmap:
    """A heatmap of a 2-D array, rows top to bottom, its numbers printed when it is small."""
    small = values.size <= NUMBERS_UP_TO and (not theme.compact or values.shape[1] <= PHONE_NUMBERS_UP_TO)
    return go.Heatmap(
        z=values.tolist(),
        colorscale=scale,
        showscale=False,
        texttemplate="%{z:.2f}" if small else None,
        textfont={"size": theme.label},
        hovertemplate=f"{name}<br>row %{{y}}, col %{{x}}: %{{z:.4f}}<extra></extra>",
        name=name,
    )


def _outline(figure: go.Figure, theme: Theme, row: int, col: int, top: int, left: int, size: int) -> None:
    """A rectangle around `size` × `size` cells from (`top`, `left`) in the subplot (`row`, `col`)."""
    figure.add_shape(
        type="rect",
        x0=left - 0.5,
        x1=left + size - 0.5,
        y0=top - 0.5,
        y1=top + size - 0.5,
        line={"color": PALETTE["now"], "width": theme.line + 1},
        row=row,
        col=col,
    )


def frame_conv_figure(step: FrameStep, channel: int = 0, theme: Theme = NORMAL) -> go.Figure:
    """The 2 × 2 grid: frame and kernel (channel `channel`), feature map and per-frame vector (filter of `step`)."""
    k, f = step.kernel.shape[0], step.filter_index
    titles = (
        f"frame, channel {channel} (patch at row {step.row}, col {step.col})",
        f"kernel, filter {f}, channel {channel}",
        f"feature map {f}: value {step.value:.4f}",
        "pooled vector (one number per filter)" if step.reduction == "pool" else "flattened vector (row-major)",
    )
    if theme.compact:  # half a phone's width per title
        titles = (f"frame, channel {channel}", f"kernel {f}, channel {channel}", f"map {f}: {step.value:.4f}", "vector")
    figure = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.08, vertical_spacing=0.14)
    figure.add_trace(_heatmap(step.frame[:, :, channel], theme, HEATMAP_SCALES["values"], "frame"), row=1, col=1)
    figure.add_trace(_heatmap(step.kernel[:, :, channel, f], theme, "RdBu", "kernel"), row=1, col=2)
    figure.add_trace(_heatmap(step.maps[:, :, f], theme, HEATMAP_SCALES["values"], "feature map"), row=2, col=1)
    figure.add_trace(_heatmap(step.vector[None, :], theme, HEATMAP_SCALES["values"], "vector"), row=2, col=2)
    _outline(figure, theme, 1, 1, step.row, step.col, k)
    _outline(figure, theme, 2, 1, step.row, step.col, 1)
    if step.reduction == "pool":
        _outline(figure, theme, 2, 2, 0, f, 1)
    for row in (1, 2):
        for col in (1, 2):
            figure.update_yaxes(autorange="reversed", showticklabels=False, row=row, col=col)
            figure.update_xaxes(showticklabels=False, row=row, col=col)
    figure.update_annotations(font={"size": theme.label})
    figure.update_layout(
        height=int(theme.chart_height * 1.6),
        margin=theme.margin(top=2),
        font={"size": theme.font},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return figure


def frame_conv_alt(step: FrameStep, channel: int = 0) -> str:
    """The figure in words: the patch, its value, the maps' size and the vector's length."""
    height, width, filters = step.maps.shape
    k = step.kernel.shape[0]
    what = "the mean of each map" if step.reduction == "pool" else "every map value in row-major order"
    return (
        f"The {k}×{k} kernel of filter {step.filter_index} over the frame's patch at row {step.row}, column "
        f"{step.col} (channel {channel} shown) gives {step.value:.4f}, one value of the {height}×{width}×{filters} "
        f"feature maps; the recurrent layer reads {what}, {step.vector.size} numbers."
    )
