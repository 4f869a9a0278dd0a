"""The Weights page's figure: how parameters and work grow with T, the hidden size and the input size.

Drawn from `core.figures.tables.growth_data` (numbers from `core.describe`, proven equal to Keras) in the app's theme.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures.tables import GROWTH_AXES, growth_data
from core.figures.theme import CELL_KIND_COLOURS, CELL_KIND_DASHES, NORMAL, PALETTE, TRANSPARENT, Theme
from core.model.spec import CELLS, ModelSpec


def growth_figure(spec: ModelSpec, axis: str, theme: Theme = NORMAL) -> go.Figure:
    """Two panels, parameters and multiply-adds against `axis`, one line per cell, the current spec marked."""
    data = growth_data(spec, axis)
    label = GROWTH_AXES[axis]
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=("Parameters (weights stored)", "Multiply-adds per sample (work done)")
    )
    for column, metric in enumerate(("params", "macs"), start=1):
        for cell in CELLS:
            rows = data[data["cell"] == cell]
            figure.add_trace(
                go.Scatter(
                    x=rows[axis],
                    y=rows[metric],
                    mode="lines",
                    name=cell,
                    legendgroup=cell,
                    showlegend=column == 1,
                    line={"color": CELL_KIND_COLOURS[cell], "width": theme.line, "dash": CELL_KIND_DASHES[cell]},
                    hovertemplate=f"{cell}<br>{label} %{{x}}<br>%{{y:,}}<extra></extra>",
                ),
                row=1,
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
                showlegend=column == 1,
                marker={
                    "size": theme.marker / 3,
                    "color": PALETTE["now"],
                    "symbol": "diamond",
                    "line": {"width": 1, "color": PALETTE["ink"]},
                },
                hovertemplate=f"current spec<br>{label} %{{x}}<br>%{{y:,}}<extra></extra>",
            ),
            row=1,
            col=column,
        )
        figure.update_xaxes(title_text=label, row=1, col=column)
    figure.update_yaxes(rangemode="tozero")
    figure.update_layout(
        font={"size": theme.font},
        height=theme.chart_height,
        margin=theme.margin(top=2),
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        legend={"orientation": "h", "y": -0.2, "font": {"size": theme.label}},
    )
    return figure
