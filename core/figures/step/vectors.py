"""One timestep's vectors in the step panel: x_t, the gates with their equations, the states; the merge of a
bidirectional layer; and every step's state as one strip. Numbers inside cells are rounded to 2 decimals; the hover
gives the full float32 value."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from core.figures.step.scale import MAX_MATRIX, MAX_TEXT_COLUMNS, SCALE
from core.figures.theme import NORMAL, PALETTE, TRANSPARENT, Theme
from core.model.stepper import MERGE_EQUATIONS, CellStep, LayerTrace, Trace

MASKED = " · masked: Keras skips it"  # the h row says the state is kept


def _cells(values: np.ndarray, width: int) -> tuple[list[float | None], list[str], list[str]]:
    """One row of a padded heatmap: values, the 2-decimal text, and the full value for the hover."""
    flat = [float(v) for v in np.ravel(values)]
    pad = width - len(flat)
    return (
        flat + [None] * pad,
        [f"{v:.2f}" for v in flat] + [""] * pad,
        [repr(float(np.float32(v))) for v in flat] + [""] * pad,
    )


def _vector_trace(rows: Sequence[tuple[str, np.ndarray]], width: int, theme: Theme) -> go.Heatmap:
    """The rows, padded to `width`, as one heatmap (the first row on top); their numbers shown when they fit."""
    z, text, full = [], [], []
    for _, values in reversed(rows):
        a, b, c = _cells(values, width)
        z.append(a)
        text.append(b)
        full.append(c)
    show_text = width <= MAX_TEXT_COLUMNS[theme.talk_mode]
    return go.Heatmap(
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
        y=list(range(len(rows))),
    )


def _vector_heatmap(
    rows: Sequence[tuple[str, np.ndarray]], theme: Theme, title: str, colour: str | None = None
) -> go.Figure:
    """Vectors of different lengths as rows of one heatmap (top to bottom in the order given)."""
    width = max(len(np.ravel(values)) for _, values in rows)
    labels = [label for label, _ in reversed(rows)]
    figure = go.Figure(_vector_trace(rows, width, theme))
    # On a slide the unit indices above the columns give way to the numbers' rows (the hover names the unit).
    unit_ticks = width <= 24 and not theme.talk_mode
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


def _row_label(symbol: str, equation: str, name: str) -> str:
    if equation.startswith(("X[", "zeros")):
        return f"<b>{symbol}</b> ({name})"
    return f"<b>{symbol}</b> = {equation}"


def vectors_figure(
    step: CellStep, theme: Theme = NORMAL, bidirectional: bool = False, layer: str | None = None
) -> go.Figure:
    """One direction's step t: x_t, the incoming state(s), every gate with its equation, the outgoing state(s);
    the title names the direction when the layer has two, and the `layer` when the model has several."""
    rows = [(_row_label(q.symbol, q.equation, q.name), q.values) for q in step.quantities]
    arrow = "→ forward" if step.direction == "forward" else "← backward"
    colour = PALETTE["cell_backward"] if step.direction == "backward" else PALETTE["cell"]
    title = (
        f"<b>Cell at t={step.t}</b>" + (f" of '{layer}'" if layer else "") + (f" ({arrow})" if bidirectional else "")
    ) + (MASKED if step.masked else "")
    return _vector_heatmap(rows, theme, title, colour)


def merge_figure(trace: Trace | LayerTrace, t: int, theme: Theme = NORMAL) -> go.Figure:
    """A bidirectional layer's merge at step t (the top layer's for a Trace): both directions' states and what the
    layer returns."""
    assert trace.backward is not None
    spec = trace.spec
    last = len(trace.forward) - 1
    merged_eq = MERGE_EQUATIONS[spec.merge_mode]
    if trace.forward[t].masked and not trace.merged(t).any():  # Bidirectional returns zeros at a masked step
        merged_eq = "0 (masked step)"
    rows = [
        (f"<b>h<sup>→</sup><sub>t</sub></b> forward (after x<sub>0</sub>…x<sub>{t}</sub>)", trace.forward[t].h),
        (
            f"<b>h<sup>←</sup><sub>t</sub></b> backward (after x<sub>{last}</sub>…x<sub>{t}</sub>)",
            trace.backward[t].h,
        ),
        (f"<b>{spec.merge_mode}</b> = {merged_eq}", trace.merged(t)),
    ]
    return _vector_heatmap(rows, theme, f"<b>Merge at t={t}</b> ({spec.merge_mode})", PALETTE["state"])


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


def _colour(value: float) -> tuple[str, str]:
    """A value's cell colour on the panel's diverging scale (-1 … 1) and a text colour that reads on it."""
    fraction = (min(max(value, -1.0), 1.0) + 1) / 2
    background = sample_colorscale(SCALE, [fraction])[0]
    red, green, blue = (int(part) / 255 for part in background[4:-1].split(","))
    channel = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    luminance = 0.2126 * channel[0] + 0.7152 * channel[1] + 0.0722 * channel[2]
    # The text colour with the higher WCAG contrast on this background: black or white, one of which always reaches
    # 4.58:1 (WCAG AA's 4.5:1 for small text), whatever the background.
    return background, "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


CELL_CSS = (
    ".tde-cell table { border-collapse: separate; border-spacing: 2px; width: 100%; font-size: 0.75rem; }"
    ".tde-cell caption { caption-side: top; text-align: left; padding-bottom: 0.3rem; }"
    ".tde-cell th, .tde-cell td { padding: 0.15rem 0.2rem; text-align: center; white-space: nowrap; border: none; }"
    ".tde-cell th[scope=row] { color: #4a5260; font-weight: normal; }"
)


def vectors_by_gate(step: CellStep, layer: str | None = None) -> str:
    """Step t for a phone, as an HTML table: the same numbers transposed, one column per vector (x_t, the states,
    each gate) and one row per unit, so that a 16-unit cell reads gate by gate in 400 px instead of 16 columns of
    numbers side by side. Each cell's title is the vector's equation and the full value; a table is cheap for the
    browser to draw at every step and a screen reader reads it as a table."""
    columns = [np.ravel(q.values) for q in step.quantities]
    title = (
        f"Cell at t={step.t}"
        + (f" of '{layer}'" if layer else "")
        + (" (← backward)" if step.direction == "backward" else "")
    )
    head = "".join(f"<th scope='col'>{q.symbol}</th>" for q in step.quantities)
    rows = []
    for unit in range(max(len(values) for values in columns)):
        cells = [f"<th scope='row'>{unit}</th>"]
        for quantity, values in zip(step.quantities, columns, strict=True):
            if unit >= len(values):
                cells.append("<td></td>")
                continue
            value = float(values[unit])
            background, text = _colour(value)
            hover = html.escape(f"{plain(quantity.equation, quantity.name)}: {float(np.float32(value))!r}")
            cells.append(f"<td title='{hover}' style='background:{background};color:{text}'>{value:.2f}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<style>{CELL_CSS}</style>"
        f"<div class='tde-cell'><table><caption><b>{html.escape(title)}</b>: one row per unit</caption>"
        f"<thead><tr><th scope='col'>unit</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def plain(equation: str, name: str) -> str:
    """A quantity's equation (or, for an input, its name) as plain text for a hover."""
    text = name if equation.startswith(("X[", "zeros")) else equation
    return re.sub(r"<[^>]+>", "", text)
