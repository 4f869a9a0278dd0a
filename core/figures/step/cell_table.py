"""One timestep's vectors as HTML tables: x_t, the incoming state(s), every gate with its equation, the outgoing
state(s), and a bidirectional layer's merge. Each number sits on its colour (the panel's diverging scale), rounded to
2 decimals, its full float32 value in the cell's title.

Tables, not plotly heatmaps: the cell is what changes at every step, and a browser sets a table's HTML in a few
milliseconds where plotly redraws a figure in a few hundred (docs/performance.md, "The step panel's ▶"). A screen
reader reads a table as one. Two layouts of the same numbers: `cell_table`, one row per vector and one column per unit
(a screen, a slide), and `vectors_by_gate`, transposed, one column per vector (a phone)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from plotly.colors import sample_colorscale

from core.figures.step.scale import MAX_MATRIX, MAX_TEXT_COLUMNS, SCALE
from core.model.stepper import MERGE_EQUATIONS, CellStep, LayerTrace, Trace

MASKED = " · masked: Keras skips it"  # the title says the state is kept
Row = tuple[str, str, np.ndarray]  # (label HTML, plain name for the hover, values)

CELL_CSS = (
    ".tde-cell { overflow-x: auto; }"
    ".tde-cell table { border-collapse: separate; border-spacing: 2px; width: 100%; font-size: 0.75rem; }"
    ".tde-cell caption { caption-side: top; text-align: left; padding-bottom: 0.3rem; }"
    ".tde-cell th, .tde-cell td { padding: 0.15rem 0.2rem; text-align: center; white-space: nowrap; border: none; }"
    ".tde-cell th[scope=row] { color: #4a5260; font-weight: normal; text-align: left; white-space: normal; }"
    ".tde-cell.by-unit th[scope=row] { min-width: 9rem; }"
    ".tde-cell.by-unit td { min-width: 2.6em; }"
    ".tde-cell.by-unit.dense td { min-width: 0.6em; padding: 0.45rem 0; }"
    ".tde-cell.talk table { font-size: 16px; border-spacing: 2px 1px; }"
    ".tde-cell.talk th, .tde-cell.talk td { padding: 1px 2px; line-height: 1.25; }"
    ".tde-cell.talk th[scope=row] { white-space: nowrap; font-size: 14px; min-width: 0; }"
    ".tde-cell.talk caption { padding-bottom: 2px; }"
)


@lru_cache(maxsize=512)
def _colour(rounded: float) -> tuple[str, str]:
    """A value's cell colour on the panel's diverging scale (-1 … 1) and a text colour that reads on it."""
    fraction = (min(max(rounded, -1.0), 1.0) + 1) / 2
    background = sample_colorscale(SCALE, [fraction])[0]
    red, green, blue = (int(part) / 255 for part in background[4:-1].split(","))
    channel = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    luminance = 0.2126 * channel[0] + 0.7152 * channel[1] + 0.0722 * channel[2]
    # The text colour with the higher WCAG contrast on this background: black or white, one of which always reaches
    # 4.58:1 (WCAG AA's 4.5:1 for small text), whatever the background.
    return background, "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def _td(value: float, hover: str, written: bool = True) -> str:
    """One number on its colour (cached per 2 decimals: a 64-unit LSTM step has 600 of them); its title the name
    and the full value."""
    background, text = _colour(round(value, 2))
    title = html.escape(f"{hover}: {float(np.float32(value))!r}", quote=True)
    shown = f"{value:.2f}" if written else ""
    return f'<td title="{title}" style="background:{background};color:{text}">{shown}</td>'


def plain(equation: str, name: str) -> str:
    """A quantity's equation (or, for an input, its name) as plain text for a hover."""
    text = name if equation.startswith(("X[", "zeros")) else equation
    return re.sub(r"<[^>]+>", "", text)


def _label(symbol: str, equation: str, name: str) -> str:
    if equation.startswith(("X[", "zeros")):
        return f"<b>{symbol}</b> ({name})"
    return f"<b>{symbol}</b> = {equation}"


def _step_rows(step: CellStep) -> list[Row]:
    return [(_label(q.symbol, q.equation, q.name), plain(q.equation, q.name), q.values) for q in step.quantities]


def _title(step: CellStep, bidirectional: bool, layer: str | None) -> str:
    arrow = "→ forward" if step.direction == "forward" else "← backward"
    return (
        f"Cell at t={step.t}"
        + (f" of '{layer}'" if layer else "")
        + (f" ({arrow})" if bidirectional else "")
        + (MASKED if step.masked else "")
    )


def _by_unit(rows: Sequence[Row], title: str, colour: str, talk: bool) -> str:
    """Rows of different lengths, one per vector, one column per unit (the first MAX_MATRIX); numbers written
    while they fit (MAX_TEXT_COLUMNS), else colour only, with the value in each cell's title."""
    width = max(len(np.ravel(values)) for _, _, values in rows)
    shown = min(width, MAX_MATRIX)
    written = shown <= MAX_TEXT_COLUMNS[talk]
    cut = f" (units 0–{shown - 1} of {width} shown)" if shown < width else ""
    # The units' numbers head the columns on a screen; a slide gives their row to the cell (a cell's title names it).
    units = "".join(f"<th scope='col'>{unit}</th>" for unit in range(shown))
    head = f"<thead><tr><th scope='col'>vector</th>{units}</tr></thead>" if written and not talk else ""
    body = []
    for label, hover, values in rows:
        flat = np.ravel(values)[:shown]
        cells = "".join(_td(float(v), f"{hover} [{unit}]", written) for unit, v in enumerate(flat))
        cells += "<td></td>" * (shown - len(flat))
        body.append(f"<tr><th scope='row'>{label}</th>{cells}</tr>")
    classes = "tde-cell by-unit" + ("" if written else " dense") + (" talk" if talk else "")
    return (
        f"<style>{CELL_CSS}</style><div class='{classes}'><table>"
        f"<caption style='border-left:4px solid {colour};padding-left:0.4rem'>"
        f"<b>{html.escape(title)}</b>{cut}</caption>"
        f"{head}<tbody>{''.join(body)}</tbody></table></div>"
    )


def cell_table(
    step: CellStep, colour: str, bidirectional: bool = False, layer: str | None = None, talk: bool = False
) -> str:
    """One direction's step t for a screen or a slide: one row per vector, in the order the cell computes them; the
    caption names the direction when the layer has two and the `layer` when the model has several."""
    return _by_unit(_step_rows(step), _title(step, bidirectional, layer), colour, talk)


def merge_table(trace: Trace | LayerTrace, t: int, colour: str, talk: bool = False) -> str:
    """A bidirectional layer's merge at step t (the top layer's for a Trace): both directions' states and what the
    layer returns."""
    assert trace.backward is not None
    spec = trace.spec
    last = len(trace.forward) - 1
    merged_eq = MERGE_EQUATIONS[spec.merge_mode]
    if trace.forward[t].masked and not trace.merged(t).any():  # Bidirectional returns zeros at a masked step
        merged_eq = "0 (masked step)"
    rows = [
        (
            f"<b>h<sup>→</sup><sub>t</sub></b> forward (after x<sub>0</sub>…x<sub>{t}</sub>)",
            "forward h_t",
            trace.forward[t].h,
        ),
        (
            f"<b>h<sup>←</sup><sub>t</sub></b> backward (after x<sub>{last}</sub>…x<sub>{t}</sub>)",
            "backward h_t",
            trace.backward[t].h,
        ),
        (f"<b>{spec.merge_mode}</b> = {merged_eq}", re.sub(r"<[^>]+>", "", merged_eq), trace.merged(t)),
    ]
    return _by_unit(rows, f"Merge at t={t} ({spec.merge_mode})", colour, talk)


def vectors_by_gate(step: CellStep, layer: str | None = None) -> str:
    """Step t for a phone: the same numbers transposed, one column per vector (x_t, the states, each gate) and one
    row per unit (the first MAX_MATRIX), so that a 16-unit cell reads gate by gate in 400 px instead of 16 columns
    of numbers side by side."""
    columns = [np.ravel(q.values)[:MAX_MATRIX] for q in step.quantities]
    length = max(len(np.ravel(q.values)) for q in step.quantities)
    title = _title(step, step.direction == "backward", layer)  # a phone names the backward direction only
    cut = f", units 0–{MAX_MATRIX - 1} of {length}" if length > MAX_MATRIX else ""
    head = "".join(f"<th scope='col'>{q.symbol}</th>" for q in step.quantities)
    rows = []
    for unit in range(max(len(values) for values in columns)):
        cells = [f"<th scope='row'>{unit}</th>"]
        for quantity, values in zip(step.quantities, columns, strict=True):
            if unit >= len(values):
                cells.append("<td></td>")
                continue
            cells.append(_td(float(values[unit]), plain(quantity.equation, quantity.name)))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<style>{CELL_CSS}</style>"
        f"<div class='tde-cell by-gate'><table><caption><b>{html.escape(title)}</b>: one row per unit{cut}</caption>"
        f"<thead><tr><th scope='col'>unit</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
