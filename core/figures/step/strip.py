"""Every step's returned state of one sample as one strip (units × time): the whole sequence at a glance, the step
panel's step outlined."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.figures.step.scale import MAX_MATRIX, SCALE
from core.figures.theme import NORMAL, PALETTE, TRANSPARENT, Theme
from core.model.stepper import LayerTrace, Trace

STEP_OUTLINE = "step"  # the name of the strip's outline of step t (the step panel's browser script moves it)


def states_strip(trace: Trace | LayerTrace, t: int | None, theme: Theme = NORMAL) -> go.Figure:
    """Every step's returned state h_0 … h_{T-1} of the sample as one strip (units × time), step t outlined: the
    whole sequence at a glance, each column computed from the one before it. With t None the strip is the same at
    every step (the page then outlines its step in the browser, so that a step does not redraw the strip)."""
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
    if t is not None:
        figure.add_shape(
            type="rect",
            x0=t - 0.5,
            x1=t + 0.5,
            y0=-0.5,
            y1=states.shape[0] - 0.5,
            line={"color": PALETTE["now"], "width": theme.line + 1},
            name=STEP_OUTLINE,
        )
    figure.update_layout(
        height=int(theme.font * 7),  # on a slide it has a tab of its own, under the cell
        margin={"l": 10, "r": 10, "t": int(theme.font * 1.8), "b": int(theme.font * 1.6)},
        title={
            "text": "h<sub>t</sub> at every step of this sample ("
            + ("the panel's step outlined)" if t is None else f"t={t} outlined)"),
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
