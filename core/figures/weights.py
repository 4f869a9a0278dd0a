"""The Weights page's figure: how parameters and work grow with T, the hidden size and the input size.

Drawn from `core.figures.tables.growth_data` (numbers from `core.describe`, proven equal to Keras) in the app's theme.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures.tables import GROWTH_AXES, growth_data
from core.figures.theme import CELL_KIND_COLOURS, CELL_KIND_DASHES, NORMAL, PALETTE, TRANSPARENT, Theme
from core.model.spec import CELLS, ModelSpec


def _panels(theme: Theme) -> go.Figure:
    """The two panels: side by side, or one above the other on a phone."""
    titles = ("Parameters (weights stored)", "Multiply-adds per sample (work done)")
    if theme.compact:
        return make_subplots(rows=2, cols=1, subplot_titles=titles, vertical_spacing=0.22)
    return make_subplots(rows=1, cols=2, subplot_titles=titles)


def growth_figure(spec: ModelSpec, axis: str, theme: Theme = NORMAL) -> go.Figure:
    """Two panels, parameters and multiply-adds against `axis`, one line per cell, the current spec marked: side by
    side, or one above the other on a phone (COMPACT), where two titles side by side would run into each other."""
    data = growth_data(spec, axis)
    label = GROWTH_AXES[axis]
    figure = _panels(theme)
    for panel, metric in enumerate(("params", "macs"), start=1):
        row, column = (panel, 1) if theme.compact else (1, panel)
        for cell in CELLS:
            rows = data[data["cell"] == cell]
            figure.add_trace(
                go.Scatter(
                    x=rows[axis],
                    y=rows[metric],
                    mode="lines",
                    name=cell,
                    legendgroup=cell,
                    showlegend=panel == 1,
                    line={"color": CELL_KIND_COLOURS[cell], "width": theme.line, "dash": CELL_KIND_DASHES[cell]},
                    hovertemplate=f"{cell}<br>{label} %{{x}}<br>%{{y:,}}<extra></extra>",
                ),
                row=row,
                col=column,
            )
        current = data[data["current"]]
        figure.add_trace(
            go.Scatter(
                x=current[axis],
                y=current[metric],
                mode="markers",
                name="current spec",
                legendgroup="current",
                showlegend=panel == 1,
                marker={
                    "size": theme.marker / 3,
                    "color": PALETTE["now"],
                    "symbol": "diamond",
                    "line": {"width": 1, "color": PALETTE["ink"]},
                },
                hovertemplate=f"current spec<br>{label} %{{x}}<br>%{{y:,}}<extra></extra>",
            ),
            row=row,
            col=column,
        )
        figure.update_xaxes(title_text=label, row=row, col=column)
    figure.update_yaxes(rangemode="tozero")
    if theme.compact:
        figure.update_annotations(font={"size": theme.font})  # the panel titles, in the phone's body size
    figure.update_layout(
        font={"size": theme.font},
        height=2 * theme.chart_height if theme.compact else theme.chart_height,
        margin=theme.margin(top=2),
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        legend={"orientation": "h", "y": -0.12 if theme.compact else -0.2, "font": {"size": theme.label}},
    )
    return figure
