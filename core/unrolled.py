"""The unrolled network: every timestep, the one set of shared weights, and where the head applies.

`unrolled_figure(describe(spec))` draws the spec's model unrolled over time as a plotly figure: columns are the
timesteps, rows (bottom to top) the input x_t, the recurrent cell (a backward row too when bidirectional), the
state the recurrent layer returns at each step, the head and the output. Every shape, weight and parameter count in
it comes from the `Description`, so the picture can never disagree with Keras.

Each kind of element is one scatter trace whose `meta` says what it is (`role`, `faded`, `direction`) and whose
`customdata` holds the timestep of every point, so tests count and read elements without a browser. Long sequences
show their first and last steps around an ellipsis column, so the figure stays small at T=512.

Example:
    >>> from core import ModelSpec, describe
    >>> fig = unrolled_figure(describe(ModelSpec(timesteps=6)))
    >>> [len(t.x) for t in fig.data if t.meta["role"] == "head"]
    [6]
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go

from core.anatomy import Description, Layer, Shape, Weight, fmt, format_shape

# Colours chosen to read on both Streamlit's light (white) and dark (#0e1117) backgrounds: mid-tone fills with
# white labels inside, a neutral grey for connections. Red is kept for the one thing that breaks.
COLOURS = {
    "input": "#7c5cbf",
    "cell": "#2f6fd6",
    "cell_backward": "#0f8a80",
    "state": "#d9822b",
    "head": "#2e9e4f",
    "output": "#c43d7f",
    "error": "#e5484d",
    "link": "#8a8f98",
    "now": "#f5c518",
}
LABEL_TEXT = "#ffffff"

# Beyond MAX_COLUMNS steps, draw FIRST_STEPS, one ellipsis column, then LAST_STEPS: bounded however long T is.
MAX_COLUMNS = 12
FIRST_STEPS = 4
LAST_STEPS = 3

# x offset of the elbow lines that route around a cell in the bidirectional layout (in column widths).
ELBOW = 0.3


@dataclass(frozen=True)
class Style:
    """Sizes for normal screens and for talk mode (projectors): text, markers and lines all grow together."""

    font: int
    label: int
    marker: int
    line: int
    row_height: int
    max_columns: int  # beyond this many steps, show `first` steps, an ellipsis, and `last` steps
    first: int
    last: int
    wrap: int  # a heading line longer than this (in characters) breaks after its colon


NORMAL = Style(
    font=13,
    label=12,
    marker=36,
    line=2,
    row_height=92,
    max_columns=MAX_COLUMNS,
    first=FIRST_STEPS,
    last=LAST_STEPS,
    wrap=100,
)
# Larger marks need wider columns: fewer of them on a projector.
TALK = Style(font=19, label=17, marker=50, line=4, row_height=122, max_columns=8, first=3, last=2, wrap=70)


def visible_steps(
    timesteps: int, max_columns: int = MAX_COLUMNS, first: int = FIRST_STEPS, last: int = LAST_STEPS
) -> list[int | None]:
    """The timesteps drawn as columns, with None for the ellipsis column that stands for the hidden ones."""
    if timesteps <= max_columns:
        return list(range(1, timesteps + 1))
    return [*range(1, first + 1), None, *range(timesteps - last + 1, timesteps + 1)]


def steps_drawn(timesteps: int, talk_mode: bool = False) -> list[int | None]:
    """The columns `unrolled_figure` draws for T steps by default (talk mode draws fewer, larger ones)."""
    style = TALK if talk_mode else NORMAL
    return visible_steps(timesteps, style.max_columns, style.first, style.last)


def step_shape(shape: Shape | None) -> Shape | None:
    """The shape of one timestep's slice: (None, T, u) -> (None, u); a shape without a time axis is unchanged."""
    if shape is None or len(shape) < 3:
        return shape
    return (shape[0], *shape[2:])


def _sub(name: str, step: int | str) -> str:
    return f"{name}<sub>{step}</sub>"


def _weights_text(weights: Sequence[Weight]) -> str:
    """'kernel (15, 48), recurrent_kernel (16, 48), bias (2, 48)': the tensors as Keras names them."""
    return ", ".join(f"{w.short_name} {format_shape(w.shape)}" for w in weights)


def _compact_weights(weights: Sequence[Weight]) -> str:
    """'W 16×8, b 8': the short form used in the figure's labels."""
    letters = {"kernel": "W", "recurrent_kernel": "U", "bias": "b"}
    return ", ".join(f"{letters.get(w.short_name, w.short_name)} {'×'.join(map(str, w.shape))}" for w in weights)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{fmt(count)} times"


@dataclass
class _Points:
    """The points of one trace as they are collected, column by column."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    hover: list[str] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)

    def add(self, x: float, y: float, text: str, hover: str, step: int) -> None:
        self.x.append(x)
        self.y.append(y)
        self.text.append(text)
        self.hover.append(hover)
        self.steps.append(step)


@dataclass
class _Lines:
    """Polylines of one trace, separated by None so that one trace holds any number of them."""

    x: list[float | None] = field(default_factory=list)
    y: list[float | None] = field(default_factory=list)
    arrow: list[int] = field(default_factory=list)  # 1 where a polyline ends: an arrowhead goes there

    def add(self, points: Sequence[tuple[float, float]]) -> None:
        for index, (px, py) in enumerate(points):
            self.x.append(px)
            self.y.append(py)
            self.arrow.append(1 if index == len(points) - 1 else 0)
        self.x.append(None)
        self.y.append(None)
        self.arrow.append(0)


def _direction_weights(recurrent: Layer, direction: str) -> tuple[Weight, ...]:
    """The forward or backward copy's weights of a Bidirectional layer (all weights of a plain one)."""
    if recurrent.kind != "Bidirectional":
        return recurrent.weights
    return tuple(w for w in recurrent.weights if f"/{direction}_" in w.name)


def _units(recurrent: Layer) -> int:
    """The recurrent layer's units, read off its recurrent kernel (units × gates·units)."""
    kernel = next(w for w in recurrent.weights if w.short_name == "recurrent_kernel")
    return kernel.shape[0]


def head_caption(description: Description) -> str:
    """How Keras computes the head, Dense against TimeDistributed(Dense), and why both give the same numbers."""
    spec = description.spec
    head = description.head
    if head is None:
        return (
            "No head is drawn: with return_sequences=False there is no time axis for TimeDistributed to walk along. "
            "A plain Dense on the last state works (the seed's model 3)."
        )
    if not spec.return_sequences:
        return (
            f"Dense is applied once, to the last state {format_shape(head.input_shape)}: one output per sequence, "
            f"shaped {format_shape(head.output_shape)}."
        )
    steps = spec.timesteps
    return (
        "Dense and TimeDistributed(Dense) draw the same because they are the same maths: "
        f"{_compact_weights(head.weights)}, one set of weights applied at each of the {fmt(steps)} steps. "
        f"Keras computes Dense as one matrix product over the last axis of the {format_shape(head.input_shape)} "
        f"input; TimeDistributed calls the wrapped Dense once per timestep ({fmt(steps)} calls) and stacks the "
        "results. With the same kernel and bias both give identical numbers."
    )


def unrolled_figure(
    description: Description,
    talk_mode: bool = False,
    max_columns: int | None = None,
    first: int | None = None,
    last: int | None = None,
) -> go.Figure:
    """Draw `description`'s model unrolled over its timesteps, with hover details and a play control.

    Built only from the description (shapes, weights, formulas), in time bounded by `max_columns`, not by T.
    `max_columns`, `first` and `last` default to the style's (12, 4, 3; in talk mode 8, 3, 2).
    """
    style = TALK if talk_mode else NORMAL
    spec = description.spec
    recurrent = description.recurrent
    head = description.head
    T = spec.timesteps
    bidirectional = recurrent.kind == "Bidirectional"
    cell_kind = recurrent.inner_kind if bidirectional else recurrent.kind
    assert cell_kind is not None
    units = _units(recurrent)
    returns_sequences = len(recurrent.output_shape) == 3
    invalid = description.error is not None
    lstm = cell_kind == "LSTM"
    state_name = "h, c" if lstm else "h"

    steps = visible_steps(
        T,
        style.max_columns if max_columns is None else max_columns,
        style.first if first is None else first,
        style.last if last is None else last,
    )
    xs = {step: float(index + 1) for index, step in enumerate(steps)}
    step_columns = [s for s in steps if s is not None]
    last_x = xs[T]

    # Rows, bottom to top.
    rows: dict[str, float] = {"input": 0.0, "cell": 1.0}
    if bidirectional:
        rows["cell_backward"] = 2.0
    rows["state"] = rows.get("cell_backward", rows["cell"]) + 1.0
    rows["head"] = rows["state"] + 1.0
    rows["output"] = rows["head"] + 1.0

    input_layer = description.layers[0]
    activation = next((layer for layer in description.layers if layer.role == "activation"), None)
    x_shape = format_shape(step_shape(input_layer.output_shape))
    state_shape = format_shape((None, units))
    merged_shape = format_shape(step_shape(recurrent.output_shape))

    # -- hover texts ---------------------------------------------------------------------------------------
    def input_hover(t: int) -> str:
        return (
            f"<b>{_sub('x', t)}</b>: timestep {t} of the input<br>"
            f"shape per step {x_shape}; whole input {format_shape(input_layer.output_shape)}<br>"
            "InputLayer: 0 parameters"
        )

    def cell_hover(t: int, direction: str) -> str:
        weights = _direction_weights(recurrent, direction)
        params = sum(w.size for w in weights)
        previous = t - 1 if direction == "forward" else t + 1
        states_in = ", ".join(_sub(name, previous) for name in state_name.split(", "))
        if not 1 <= previous <= T:
            states_in = f"the initial {state_name} (zeros)"
        states_out = ", ".join(_sub(name, t) for name in state_name.split(", "))
        who = f"{cell_kind} cell" + (f" ({direction} copy)" if bidirectional else "")
        lines = [
            f"<b>{who}</b> at step {t}",
            f"in: {_sub('x', t)} {x_shape} and {states_in} {state_shape} each",
            f"out: {states_out} {state_shape} each",
            f"weights: {_weights_text(weights)}",
            f"parameters: {fmt(params)}" + (" (this copy)" if bidirectional else ""),
            f"layer formula: {recurrent.formula}",
            f"the same weights at every step: used {_times(T)} per sample",
        ]
        return "<br>".join(lines)

    def state_hover(t: int, returned: bool) -> str:
        if bidirectional and not returns_sequences:
            # The backward copy reads x_T first and x_1 last: its final state is the one after step 1.
            what = f"{spec.merge_mode} of the forward state after step {T} and the backward state after step 1"
            name = "merged h"
        elif bidirectional:
            what = f"{spec.merge_mode} of the forward and backward states at step {t}"
            name = f"merged {_sub('h', t)}"
        else:
            what = f"the {cell_kind}'s output at step {t}"
            name = _sub("h", t)
        if returned:
            whole = format_shape(recurrent.output_shape)
            part = "one slice of the returned sequence" if returns_sequences else "the only state returned"
            return f"<b>{name}</b>: {what}<br>shape {merged_shape}<br>{part} {whole}"
        if bidirectional:
            return (
                f"<b>{_sub('h', t)}</b>: the forward and backward states at step {t} are computed and passed on,<br>"
                f"but neither returned nor merged (return_sequences=False): the layer outputs only "
                f"{format_shape(recurrent.output_shape)}"
            )
        return (
            f"<b>{name}</b>: computed and passed on to the next step,<br>but not returned "
            f"(return_sequences=False): the layer outputs only the last state {format_shape(recurrent.output_shape)}"
        )

    def head_hover(t: int) -> str:
        assert head is not None
        where = f"at step {t}" if returns_sequences else "on the last state"
        return "<br>".join(
            [
                f"<b>{spec.head_label}</b> {where}",
                f"in {format_shape(step_shape(head.input_shape))} → out {format_shape(step_shape(head.output_shape))}",
                f"weights: {_weights_text(head.weights)}",
                f"parameters: {head.formula}",
                f"one set of weights, used {_times(head.applications)} per sample",
            ]
        )

    def output_hover(t: int) -> str:
        assert activation is not None
        return (
            f"<b>{_sub('y', t) if returns_sequences else 'y'}</b>: {format_shape(step_shape(activation.output_shape))}"
            f" after {spec.activation}<br>model output {format_shape(activation.output_shape)}"
        )

    # -- collect the elements, column by column ---------------------------------------------------------------
    inputs, cells, cells_back = _Points(), _Points(), _Points()
    states, states_faded, heads, outputs = _Points(), _Points(), _Points(), _Points()
    passed, passed_text, hidden_links = _Lines(), _Points(), _Lines()
    up, up_faded = _Lines(), _Lines()
    gap = 0.27  # half a marker, in column widths: lines stop short of the markers they join
    vgap = 0.3

    for t in step_columns:
        x = xs[t]
        inputs.add(x, rows["input"], _sub("x", t), input_hover(t), t)
        cells.add(x, rows["cell"], cell_kind, cell_hover(t, "forward"), t)
        up.add([(x, rows["input"] + vgap), (x, rows["cell"] - vgap)])
        if bidirectional:
            cells_back.add(x, rows["cell_backward"], cell_kind, cell_hover(t, "backward"), t)
            # x_t feeds the backward cell too: route beside the forward cell, not through it.
            up.add(
                [
                    (x + 0.12, rows["input"] + vgap),
                    (x + ELBOW, rows["input"] + 0.5),
                    (x + ELBOW, rows["cell_backward"] - 0.5),
                    (x + 0.12, rows["cell_backward"] - vgap),
                ]
            )
        returned = returns_sequences or t == T
        target = up if returned else up_faded
        if bidirectional:
            target.add(
                [
                    (x - 0.12, rows["cell"] + vgap),
                    (x - ELBOW, rows["cell"] + 0.5),
                    (x - ELBOW, rows["state"] - 0.5),
                    (x - 0.12, rows["state"] - vgap),
                ]
            )
            # Without return_sequences the backward copy's final state is the one after x_1 (it runs T→1).
            backward_returned = returns_sequences or t == 1
            if backward_returned and not returns_sequences:
                up.add(
                    [
                        (x, rows["cell_backward"] + vgap),
                        (x, rows["cell_backward"] + 0.5),
                        (last_x + 0.12, rows["cell_backward"] + 0.5),
                        (last_x + 0.12, rows["state"] - vgap),
                    ]
                )
            elif backward_returned:
                up.add([(x, rows["cell_backward"] + vgap), (x, rows["state"] - vgap)])
            else:
                up_faded.add([(x, rows["cell_backward"] + vgap), (x, rows["state"] - vgap)])
        else:
            target.add([(x, rows["cell"] + vgap), (x, rows["state"] - vgap)])
        (states if returned else states_faded).add(x, rows["state"], _sub("h", t), state_hover(t, returned), t)
        if returned and head is not None:
            heads.add(x, rows["head"], "Dense", head_hover(t), t)
            up.add([(x, rows["state"] + vgap), (x, rows["head"] - vgap)])
            outputs.add(x, rows["output"], _sub("y", t) if returns_sequences else "y", output_hover(t), t)
            up.add([(x, rows["head"] + vgap), (x, rows["output"] - vgap)])

    # The state passed from step to step: forward left to right, backward right to left.
    cell_rows = [("forward", rows["cell"])] + ([("backward", rows["cell_backward"])] if bidirectional else [])
    for index in range(len(steps) - 1):
        left, right = steps[index], steps[index + 1]
        x_left, x_right = float(index + 1), float(index + 2)
        for direction, y in cell_rows:
            a, b = (x_left, x_right) if direction == "forward" else (x_right, x_left)
            sign = 1 if direction == "forward" else -1
            line = [(a + sign * gap, y), (b - sign * gap, y)]
            if left is None or right is None:
                hidden_links.add(line)
                continue
            sender = left if direction == "forward" else right
            passed.add(line)
            label = ", ".join(_sub(name, sender) for name in state_name.split(", "))
            passed_text.add(
                (x_left + x_right) / 2,
                y + 0.2,
                label,
                f"{label}: {state_shape}" + (" each" if lstm else "") + f", passed from step {sender} to the next",
                sender,
            )

    if invalid:
        # The last state does reach the head's place: that is where Keras stops.
        up.add([(last_x, rows["state"] + vgap), (last_x, rows["head"] - vgap)])

    # -- traces ---------------------------------------------------------------------------------------------------
    fig = go.Figure()

    def add_lines(lines: _Lines, name: str, role: str, colour: str, faded: bool = False, dash: str = "solid") -> None:
        fig.add_trace(
            go.Scatter(
                x=lines.x,
                y=lines.y,
                mode="lines+markers",
                name=name,
                line={"color": colour, "width": style.line, "dash": dash},
                marker={
                    "symbol": "arrow",
                    "angleref": "previous",
                    "size": [style.line * 4 + 4 if a else 0 for a in lines.arrow],
                    "color": colour,
                },
                opacity=0.35 if faded else 0.9,
                hoverinfo="skip",
                showlegend=False,
                meta={"role": role, "faded": faded},
            )
        )

    def add_nodes(
        points: _Points,
        name: str,
        role: str,
        colour: str,
        faded: bool = False,
        direction: str | None = None,
        symbol: str = "square",
        size: float = 1.0,
    ) -> None:
        if not points.x:
            return
        fig.add_trace(
            go.Scatter(
                x=points.x,
                y=points.y,
                mode="markers+text",
                name=name,
                text=points.text,
                textposition="middle center",
                textfont={"color": LABEL_TEXT if not faded else colour, "size": style.label},
                hovertext=points.hover,
                hoverinfo="text",
                customdata=points.steps,
                marker={
                    "symbol": symbol + ("-open" if faded else ""),
                    "size": style.marker * size,
                    "color": colour,
                    "line": {"width": style.line, "color": colour},
                },
                opacity=0.45 if faded else 1.0,
                meta={"role": role, "faded": faded, "direction": direction},
            )
        )

    # The highlight of the play control comes first, so it is drawn under the elements it walks through.
    fig.add_trace(
        go.Scatter(
            x=[],
            y=[],
            mode="lines+markers",
            name="now computing",
            line={"color": COLOURS["now"], "width": style.line + 3},
            marker={"symbol": "square-open", "size": style.marker * 1.5, "color": COLOURS["now"], "line": {"width": 3}},
            hoverinfo="skip",
            showlegend=False,
            meta={"role": "now", "faded": False},
        )
    )
    add_lines(up_faded, "not returned", "link", COLOURS["link"], faded=True, dash="dot")
    add_lines(up, "data flow", "link", COLOURS["link"])
    add_lines(passed, f"{state_name} passed on", "passed", COLOURS["cell"])
    add_lines(hidden_links, "hidden steps", "hidden", COLOURS["cell"], dash="dot")
    fig.add_trace(
        go.Scatter(
            x=passed_text.x,
            y=passed_text.y,
            mode="text",
            name=f"{state_name} passed to the next step",
            text=passed_text.text,
            textfont={"size": style.label - 1},
            hovertext=passed_text.hover,
            hoverinfo="text",
            customdata=passed_text.steps,
            showlegend=False,
            meta={"role": "passed_label", "faded": False},
        )
    )
    add_nodes(inputs, f"input x_t {x_shape}", "input", COLOURS["input"], size=0.85, symbol="circle")
    cell_name = f"{cell_kind} cell" + (" (forward)" if bidirectional else "")
    add_nodes(cells, cell_name, "cell", COLOURS["cell"], direction="forward", size=1.25)
    if bidirectional:
        add_nodes(
            cells_back,
            f"{cell_kind} cell (backward)",
            "cell",
            COLOURS["cell_backward"],
            direction="backward",
            size=1.25,
        )
    state_label = f"merged ({spec.merge_mode})" if bidirectional else "h_t"
    add_nodes(states, f"{state_label} returned {merged_shape}", "state", COLOURS["state"], symbol="circle", size=0.85)
    add_nodes(
        states_faded, f"{state_label} not returned", "state", COLOURS["state"], faded=True, symbol="circle", size=0.85
    )
    if head is not None:
        add_nodes(heads, f"head: {spec.head_label}", "head", COLOURS["head"], size=1.25)
        add_nodes(outputs, f"output y {format_shape(step_shape(head.output_shape))}", "output", COLOURS["output"])
    if invalid:
        errors = _Points()
        errors.add(
            last_x,
            rows["head"],
            "✕",
            f"<b>{spec.head_label} cannot be built here</b><br>"
            + "<br>".join(textwrap.wrap(description.error or "", 70))
            + f"<br><br>Keras: ValueError: {'<br>'.join(textwrap.wrap(description.keras_error or '', 70))}",
            T,
        )
        add_nodes(errors, "breaks here", "error", COLOURS["error"], symbol="x", size=1.1)

    # -- annotations: the shared-weights sentences, the ellipsis, the break -------------------------------------
    cell_weights = _direction_weights(recurrent, "forward")
    copies = "two copies (forward, backward), each" if bidirectional else "one set of weights,"
    annotations = [
        {
            "name": "cell_label",
            "text": f"<b>{cell_kind} cell</b> {_compact_weights(cell_weights)}: {copies} used {_times(T)} "
            f"({fmt(recurrent.params)} parameters)",
        }
    ]
    if head is not None:
        annotations.append(
            {
                "name": "head_label",
                "text": f"<b>{spec.head_label}</b> {_compact_weights(head.weights)}: one set of weights, "
                f"used {_times(head.applications)} ({fmt(head.params)} parameters)",
            }
        )
    elif invalid:
        annotations.append(
            {
                "name": "error_label",
                "text": f"<b>{spec.head_label}</b> breaks: {format_shape(recurrent.output_shape)} has no time axis",
                "font": {"color": COLOURS["error"], "size": style.font},
            }
        )
    layout_annotations = []
    line_px = style.font + 10
    lines_above = 0
    for note in reversed(annotations):
        # Too long for one line (plotly does not wrap): break after the colon, before the sentence.
        plain = note["text"].replace("<b>", "").replace("</b>", "")
        if len(plain) > style.wrap and ": " in note["text"]:
            note["text"] = note["text"].replace(": ", ":<br>", 1)
        layout_annotations.append(
            {
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1,
                "xanchor": "left",
                "yanchor": "bottom",
                "yshift": 6 + lines_above * line_px,
                "showarrow": False,
                "align": "left",
                "font": {"size": style.font},
                **note,
            }
        )
        lines_above += note["text"].count("<br>") + 1
    if None in steps:
        hidden = T - len(step_columns)
        ellipsis_x = float(steps.index(None) + 1)
        layout_annotations.append(
            {
                "name": "ellipsis",
                "text": f"… {fmt(hidden)} steps hidden …",
                "x": ellipsis_x,
                "y": (rows["input"] + rows["output"]) / 2,
                "textangle": -90,
                "showarrow": False,
                "font": {"size": style.font},
            }
        )
    if invalid:
        layout_annotations.append(
            {
                "name": "error_pointer",
                "text": f"{spec.head_label} needs a time axis",
                "x": last_x,
                "y": rows["head"],
                "xanchor": "right",
                "xshift": -style.marker * 0.8,
                "showarrow": False,
                "font": {"size": style.label, "color": COLOURS["error"]},
            }
        )

    # -- the play control: a highlight walks through the steps ------------------------------------------------------
    frames, labels = _frames(
        steps,
        xs,
        rows,
        T,
        bidirectional,
        returns_sequences,
        head is not None,
        invalid,
        len(fig.data),
        style.marker * 1.5,
    )
    fig.frames = frames

    ticks = {
        "input": f"input x<sub>t</sub><br>{x_shape}",
        "cell": f"{cell_kind}" + (" forward" if bidirectional else " cell") + f"<br>{state_name} {state_shape}",
        "cell_backward": f"{cell_kind} backward<br>{state_name} {state_shape}",
        "state": ("merged" if bidirectional else "returned h<sub>t</sub>") + f"<br>{merged_shape}",
        "head": f"{spec.head_label}",
        "output": "output y<br>" + (format_shape(step_shape(head.output_shape)) if head is not None else "not built"),
    }
    top = rows["output"]
    # Pixel budget: the play control sits under the x ticks and the legend under it, whatever the number of rows.
    plot_height = style.row_height * (top + 1)
    top_margin = 30 + lines_above * line_px
    controls_px = style.font * 2.5
    slider_px = controls_px + style.label * 3.4
    legend_px = slider_px + style.label * 6.5
    bottom_margin = int(legend_px + style.label * 5)
    fig.update_layout(
        height=int(plot_height + top_margin + bottom_margin),
        margin={"l": 10, "r": 10, "t": top_margin, "b": bottom_margin},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": style.font},
        hoverlabel={"font": {"size": style.label}},
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0,
            "y": -legend_px / plot_height,
            "yanchor": "top",
            "font": {"size": style.label},
        },
        annotations=layout_annotations,
        xaxis={
            "range": [0.35, len(steps) + 0.65],
            "tickvals": [xs[s] for s in step_columns],
            "ticktext": [f"t={s}" for s in step_columns],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "side": "bottom",
        },
        yaxis={
            "range": [-0.6, top + 0.6],
            "tickvals": [rows[r] for r in ticks if r in rows],
            "ticktext": [ticks[r] for r in ticks if r in rows],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0,
                "y": -controls_px / plot_height,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 10, "r": 10},
                "showactive": False,
                "font": {"size": style.label},
                "buttons": [
                    {
                        "label": "▶ Play",
                        "method": "animate",
                        "args": [
                            None,
                            {
                                "frame": {"duration": 900, "redraw": False},
                                "fromcurrent": True,
                                "transition": {"duration": 0},
                            },
                        ],
                    },
                    {
                        "label": "❚❚ Pause",
                        "method": "animate",
                        "args": [
                            [None],
                            {
                                "frame": {"duration": 0, "redraw": False},
                                "mode": "immediate",
                                "transition": {"duration": 0},
                            },
                        ],
                    },
                ],
            }
        ],
        sliders=[
            {
                "active": 0,
                "x": 0,
                "y": -slider_px / plot_height,
                "len": 1,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 0},
                "currentvalue": {"visible": False},
                "font": {"size": max(style.label - 2, 9)},
                "steps": [
                    {
                        "label": label,
                        "method": "animate",
                        "args": [[frame.name], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
                    }
                    for frame, label in zip(frames, labels, strict=True)
                ],
            }
        ],
    )
    return fig


def _frames(
    steps: list[int | None],
    xs: dict[int | None, float],
    rows: dict[str, float],
    T: int,
    bidirectional: bool,
    returns_sequences: bool,
    has_head: bool,
    invalid: bool,
    trace_count: int,
    ring: float,
) -> tuple[list[go.Frame], list[str]]:
    """One frame per column (the forward cell at that step, the backward cell mirrored), then the head if pending.

    Each frame only moves the "now computing" trace (the first one), so frames stay tiny whatever the figure holds.
    """
    frames: list[go.Frame] = []
    labels: list[str] = []

    def frame(name: str, label: str, path: list[tuple[float, ...] | None]) -> None:
        # A point (x, y, 0) is where a line starts without a ring: the previous step, which is not computing now.
        sizes = [0 if p is None or len(p) > 2 else ring for p in path]
        frames.append(
            go.Frame(
                name=name,
                # Every trace is listed: plotly.js hides the traces a frame leaves out (plotly.js#4596), so the
                # others get an update that changes nothing but keeps them visible.
                traces=list(range(trace_count)),
                data=[
                    go.Scatter(
                        x=[p[0] if p else None for p in path],
                        y=[p[1] if p else None for p in path],
                        marker={"size": sizes},
                    )
                ]
                + [go.Scatter(visible=True) for _ in range(trace_count - 1)],
            )
        )
        labels.append(label)

    frame("start", "start", [])
    n = len(steps)
    for index, step in enumerate(steps):
        x = float(index + 1)
        # The state arriving from the previous step, then x_t coming in and going up as far as it goes.
        path: list[tuple[float, ...] | None] = [(x - 1, rows["cell"], 0)] if index else []
        path += [(x, rows["cell"]), None, (x, rows["input"]), (x, rows["cell"])]
        label = "hidden steps" if step is None else f"t={step}"
        if bidirectional:
            # The backward copy walks the same columns from the right.
            mirror = float(n - index)
            path += [None] + ([(mirror + 1, rows["cell_backward"], 0)] if index else [])
            path += [(mirror, rows["cell_backward"]), None, (mirror, rows["input"]), (mirror, rows["cell_backward"])]
        elif step is not None and (returns_sequences or step == T):
            path += [(x, rows["state"])]
            if has_head:
                path += [(x, rows["head"]), (x, rows["output"])]
            elif invalid:
                path += [(x, rows["head"])]
        frame(f"step {index + 1}", label, path)
    if bidirectional:
        path = []
        targets = [s for s in steps if s is not None and (returns_sequences or s == T)]
        for step in targets:
            x = xs[step]
            path += [(x, rows["state"])]
            if has_head:
                path += [(x, rows["head"]), (x, rows["output"])]
            elif invalid:
                path += [(x, rows["head"])]
            path.append(None)
        frame("merge", "head" if has_head else "merge", path)
    return frames, labels
