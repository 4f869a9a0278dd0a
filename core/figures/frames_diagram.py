"""The unrolled frames model (issue 27): one shared CNN per frame, like the shared recurrent cell.

Columns are frames t=0…T-1 (the first `theme.first` and last `theme.last` when T is long); rows, bottom to top, are the
frame, the Conv2D (one kernel, drawn once at the left and linked to every frame's copy), the per-frame reduction, the
recurrent layer walking along time and the head. A model Keras refuses is drawn up to the layer that refuses, which is
red and says what it needs. Its text alternative is `core.figures.alt_text.frames_alt`.
"""

from __future__ import annotations

import plotly.graph_objects as go

from core.figures.theme import NORMAL, PALETTE, Theme, step_label, wrap_words
from core.model.anatomy import Description, fmt, format_shape
from core.model.frames import conv_params, reduction_label

BOX_WIDTH = 0.8
BOX_HEIGHT = 0.6
KERNEL_X = -1.4


def shown_steps(timesteps: int, first: int, last: int) -> list[int | None]:
    """The frames drawn: all of them, or the first and last few with None (an ellipsis) between."""
    if timesteps <= first + last:
        return list(range(timesteps))
    return [*range(first), None, *range(timesteps - last, timesteps)]


SHORT_REDUCTIONS = {"pool": "Pool", "flatten": "Flatten"}


def _rows(description: Description) -> list[tuple[str, str, str, str]]:
    """(role, box label, row label, colour) of each drawn row, bottom to top; the refused layer in the error colour."""
    spec = description.spec
    roles = {layer.role for layer in description.layers}
    size = f"{spec.frame_height}×{spec.frame_width}×{spec.channels}"
    rows = [("input", f"frame<br>{size}", f"frames {format_shape(spec.input_shape())}", PALETTE["input"])]
    reduction = SHORT_REDUCTIONS.get(spec.frame_reduction, "")
    candidates = [
        ("conv", f"Conv2D<br>{spec.kernel}×{spec.kernel}×{spec.channels}→{spec.filters}", "", PALETTE["feature_acted"]),
        ("reduction", reduction, reduction_label(spec), PALETTE["muted"]),
        ("recurrent", spec.cell, f"{spec.cell}({spec.hidden_size})", PALETTE["cell"]),
        ("head", "Dense", f"{spec.head_label}({spec.output_size})", PALETTE["head"]),
    ]
    for role, box, label, colour in candidates:
        if role == "reduction" and spec.frame_reduction == "none":
            continue
        if role in roles:
            rows.append((role, box, label, colour))
        elif description.keras_error is not None:
            rows.append(("refused", "refused", f"{description.refusal.layer_class} refuses", PALETTE["error"]))
            break
    return rows


def _box(figure: go.Figure, x: float, y: float, text: str, colour: str, size: int) -> None:
    figure.add_shape(
        type="rect",
        x0=x - BOX_WIDTH / 2,
        x1=x + BOX_WIDTH / 2,
        y0=y - BOX_HEIGHT / 2,
        y1=y + BOX_HEIGHT / 2,
        fillcolor=colour,
        line={"color": PALETTE["link"], "width": 1},
    )
    figure.add_annotation(x=x, y=y, text=text, showarrow=False, font={"color": PALETTE["on_fill"], "size": size})


def _line(figure: go.Figure, x0: float, y0: float, x1: float, y1: float, dash: str, width: int) -> None:
    line = {"color": PALETTE["link"], "dash": dash, "width": width}
    figure.add_shape(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=line)


def _kernel(
    figure: go.Figure,
    description: Description,
    row: int,
    columns: list[int],
    size: int,
    width: int,
    short: bool = False,
) -> None:
    """The one kernel at the left, and a dotted bus above the convolutions that drops into every frame's copy."""
    params = conv_params(description.spec)[0]
    label = f"kernel<br>{fmt(params)}" if short else f"one kernel<br>{fmt(params)} params"
    _box(figure, KERNEL_X, row, label, PALETTE["feature_acted"], size)
    bus = row + BOX_HEIGHT / 2 + 0.12
    _line(figure, KERNEL_X, row + BOX_HEIGHT / 2, KERNEL_X, bus, "dot", width)
    _line(figure, KERNEL_X, bus, max(columns) + BOX_WIDTH / 4, bus, "dot", width)
    for column in columns:
        _line(figure, column + BOX_WIDTH / 4, bus, column + BOX_WIDTH / 4, row + BOX_HEIGHT / 2, "dot", width)


def frames_diagram(description: Description, theme: Theme = NORMAL) -> go.Figure:
    """The frames model unrolled over its frames: every frame's Conv2D linked to the one kernel they share. The
    COMPACT theme lays it out for a phone (fewer frames, shorter row labels)."""
    compact = theme.compact
    spec = description.spec
    rows = _rows(description)
    steps = shown_steps(spec.timesteps, theme.first, theme.last)
    figure = go.Figure()
    for column, step in enumerate(steps):
        if step is None:
            figure.add_annotation(x=column, y=(len(rows) - 1) / 2, text="…", showarrow=False, font={"size": theme.font})
            continue
        for row, (role, box, _, colour) in enumerate(rows):
            if role == "head" and not spec.sequence_output and step != spec.timesteps - 1:
                continue
            _box(figure, column, row, f"{box}<br>{step_label(step)}" if role == "input" else box, colour, theme.label)
            if row:
                _line(figure, column, row - 1 + BOX_HEIGHT / 2, column, row - BOX_HEIGHT / 2, "solid", theme.line)
            if role == "recurrent" and column + 1 < len(steps):
                _line(figure, column + BOX_WIDTH / 2, row, column + 1 - BOX_WIDTH / 2, row, "solid", theme.line)
    for row, (role, _, label, _) in enumerate(rows):
        if role == "conv":
            columns = [column for column, step in enumerate(steps) if step is not None]
            _kernel(figure, description, row, columns, theme.label, theme.line, short=compact)
        else:
            font = {"color": PALETTE["ink"], "size": theme.label}
            spaced = label.replace("TimeDistributed(", "TimeDistributed( ")
            if compact:  # a phone's narrow label column: break the longest class name too
                spaced = spaced.replace("GlobalAverage", "GlobalAverage ")
            text = wrap_words(spaced, 10 if compact else 18)
            figure.add_annotation(x=KERNEL_X, y=row, text=text, showarrow=False, font=font)
    figure.update_layout(
        height=min(theme.row_height * (len(rows) + 1), theme.picture_height or 10**6),  # a slide: fit
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"visible": False, "range": [KERNEL_X - 0.6, len(steps) - 0.4]},
        yaxis={"visible": False, "range": [-0.6, len(rows) - 0.3]},
        showlegend=False,
        title={"text": "One shared CNN per frame: the same kernel at every t", "font": {"size": theme.font}},
        font={"size": theme.font},
    )
    return figure
