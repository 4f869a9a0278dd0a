"""The unrolled network: every timestep, the one set of shared weights, and where the head applies.

Two steps, data then picture:
- `layout(describe(spec), theme) -> Diagram` places every element: nodes (input x_t, recurrent cell, returned state,
  head, output, the break of an invalid model) and edges (data going up a column, the state passed to the next step,
  the dotted links through the ellipsis), each with its role, layer, direction, time axis, timestep, position, label
  and hover text, plus the headings and the play control's path. Pure data: tests read what is drawn where.
- `render(diagram, theme) -> go.Figure` draws a Diagram with plotly: one scatter trace per kind of element (its
  `meta` says role, faded, direction; its `customdata` the timesteps) and the play frames from the same Diagram.
`unrolled_figure(description, talk_mode)` is the two composed. Every shape, weight and parameter count comes from the
`Description`, so the picture can never disagree with Keras. Timesteps are numbered from 0, as Keras arrays index
them (see core.figures.theme): x₀ … x_{T-1}, ticks t=0 … t=T-1.

Geometry: columns are timesteps (x = 1, 2, … along a `TimeAxis`), rows are stacked bottom to top (y = 0, 1, …): input,
then for each recurrent layer its forward cell, its backward cell when bidirectional, and the state it returns, then
the head and the output. The model has more room than today's spec uses:
- stacked recurrent layers: each layer adds its own cell row(s) and state row with `layer` = 0, 1, …, above the one
  it reads from (`_rows(..., layers=n)` already stacks them); nodes and edges carry their `layer`;
- two time axes side by side (an encoder of T steps, a decoder of T_out steps): a second `TimeAxis` whose `x0`
  starts after the first axis's last column plus a gap; nodes and edges carry the `axis` name, the renderer draws
  the ticks and x range of every axis. Long sequences show their first and last steps around an ellipsis column, so
  the figure stays small at T=512.

Example:
    >>> from core import ModelSpec, describe
    >>> diagram = layout(describe(ModelSpec(timesteps=6)), NORMAL)
    >>> diagram.steps_of("head")
    [0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import plotly.graph_objects as go

from core.figures.theme import NORMAL, PALETTE, TALK, TRANSPARENT, Theme, step_label, theme_for
from core.model.anatomy import Description, Layer, Shape, Weight, fmt, format_shape

__all__ = [
    "NORMAL",
    "TALK",
    "Diagram",
    "Edge",
    "Node",
    "Note",
    "PlayFrame",
    "Row",
    "Stop",
    "TimeAxis",
    "head_caption",
    "layout",
    "render",
    "step_shape",
    "unrolled_figure",
    "visible_steps",
]

# x offset of the elbow lines that route around a cell in the bidirectional layout (in column widths).
ELBOW = 0.3
GAP = 0.27  # half a marker, in column widths: horizontal lines stop short of the markers they join
VGAP = 0.3  # the same, in row heights
AXIS_GAP = 1.0  # empty columns between two time axes drawn side by side


# -- the data model ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeAxis:
    """One run of timestep columns: `steps` are the drawn timesteps (None = the ellipsis column), the first at `x0`.

    Today's models have one axis, "time"; an encoder-decoder would add a "decoder" axis to the right of it.
    """

    name: str
    timesteps: int
    steps: tuple[int | None, ...]
    x0: float = 1.0

    def x(self, step: int | None) -> float:
        """The column of a drawn step (or of the first ellipsis, for None)."""
        return self.x0 + self.steps.index(step)

    @property
    def gaps(self) -> list[tuple[float, int]]:
        """Each ellipsis column's x and how many timesteps it stands for (two around a focused step)."""
        gaps = []
        for index, step in enumerate(self.steps):
            if step is None:
                before, after = self.steps[index - 1], self.steps[index + 1]
                assert before is not None and after is not None
                gaps.append((self.column_x(index), after - before - 1))
        return gaps

    def column_x(self, index: int) -> float:
        """The x of the `index`-th drawn column."""
        return self.x0 + index

    @property
    def shown(self) -> list[int]:
        """The drawn timesteps, without the ellipsis."""
        return [step for step in self.steps if step is not None]

    @property
    def hidden(self) -> int:
        """How many timesteps the ellipsis stands for."""
        return self.timesteps - len(self.shown)

    @property
    def last(self) -> int:
        """The last timestep, T-1."""
        return self.timesteps - 1

    @property
    def x_range(self) -> tuple[float, float]:
        """The x interval the axis takes, with half a column of room on each side."""
        return self.x0 - 0.65, self.x0 + len(self.steps) - 1 + 0.65

    def tick(self, step: int) -> str:
        """The x tick of a step: 't=3', prefixed by the axis name when there are several axes."""
        return step_label(step) if self.name == "time" else f"{self.name} {step_label(step)}"


@dataclass(frozen=True)
class Row:
    """One horizontal row of the diagram: what it holds (role, layer, direction), its y and its axis label."""

    role: str  # input, cell, state, head, output
    y: float
    label: str
    layer: int = 0  # which recurrent layer (0 = the one reading the input); 0 for input, head and output
    direction: str | None = None  # "forward" / "backward" for cell rows


@dataclass(frozen=True)
class Node:
    """One drawn element: a marker with a label inside, at one timestep of one row."""

    role: str  # input, cell, state, head, output, error
    step: int
    x: float
    y: float
    label: str
    hover: str
    series: str  # the legend entry: nodes of one series are drawn alike
    axis: str = "time"
    layer: int = 0
    direction: str | None = None
    faded: bool = False  # computed but not returned (return_sequences=False)


@dataclass(frozen=True)
class Edge:
    """A polyline between nodes, ending in an arrowhead.

    `role` is "link" (data going up a column), "passed" (the state a cell hands to the next step; `label` is drawn
    above its middle, `step` is the sender) or "hidden" (a link through the ellipsis).
    """

    role: str
    points: tuple[tuple[float, float], ...]
    faded: bool = False
    axis: str = "time"
    layer: int = 0
    direction: str | None = None
    step: int | None = None
    label: str = ""
    hover: str = ""


@dataclass(frozen=True)
class Note:
    """Text without a marker: a heading above the plot (x is None) or a note placed in the plot."""

    name: str  # cell_label, head_label, error_label (headings), ellipsis, error_pointer
    text: str
    x: float | None = None
    y: float | None = None
    error: bool = False  # drawn in the error colour


@dataclass(frozen=True)
class Stop:
    """A point of the play control's highlight; `ring` False where a line starts without a ring around a node."""

    x: float
    y: float
    ring: bool = True


@dataclass(frozen=True)
class PlayFrame:
    """One frame of the play control: the highlighted path (None breaks the line) and the slider's label."""

    name: str
    label: str
    path: tuple[Stop | None, ...]


@dataclass(frozen=True)
class Diagram:
    """Everything the unrolled figure draws, in data coordinates, before any plotly."""

    axes: tuple[TimeAxis, ...]
    rows: tuple[Row, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    notes: tuple[Note, ...]
    frames: tuple[PlayFrame, ...]

    def nodes_of(
        self, role: str, faded: bool | None = None, direction: str | None = None, layer: int | None = None
    ) -> list[Node]:
        """The nodes of one role, optionally only (not) faded ones, one direction, or one layer."""
        return [
            node
            for node in self.nodes
            if node.role == role
            and (faded is None or node.faded == faded)
            and (direction is None or node.direction == direction)
            and (layer is None or node.layer == layer)
        ]

    def steps_of(self, role: str, **filters) -> list[int]:
        """The timesteps at which nodes of `role` are drawn, sorted."""
        return sorted(node.step for node in self.nodes_of(role, **filters))

    def edges_of(self, role: str, faded: bool | None = None) -> list[Edge]:
        """The edges of one role (optionally only faded or only solid ones)."""
        return [edge for edge in self.edges if edge.role == role and (faded is None or edge.faded == faded)]

    def row(self, role: str, direction: str | None = None, layer: int = 0) -> Row:
        """The row of a role (cell rows by direction)."""
        return next(
            row
            for row in self.rows
            if row.role == role and row.layer == layer and (direction is None or row.direction in (None, direction))
        )

    def note(self, name: str) -> Note | None:
        """The note called `name`, or None."""
        return next((note for note in self.notes if note.name == name), None)


# -- which steps are drawn --------------------------------------------------------------------------------------------
def visible_steps(
    timesteps: int,
    max_columns: int = NORMAL.max_columns,
    first: int = NORMAL.first,
    last: int = NORMAL.last,
    focus: int | None = None,
) -> list[int | None]:
    """The timesteps (from 0) drawn as columns, with None for an ellipsis column that stands for hidden ones.

    With `focus` (the step the step panel shows) hidden by the default window, the window moves to it: a few first
    steps, an ellipsis, the focus with its neighbours, an ellipsis, the last steps, in about as many columns.
    """
    if timesteps <= max_columns:
        return list(range(timesteps))
    default: list[int | None] = [*range(first), None, *range(timesteps - last, timesteps)]
    if focus is None or focus in default or not 0 <= focus < timesteps:
        return default
    budget = first + last + 1
    radius = 1 if budget >= 6 else 0
    spare = max(2, budget + 1 - 2 - (2 * radius + 1))
    tail = max(1, spare // 2)
    head = max(1, spare - tail)
    shown = sorted(
        {*range(head), *range(max(focus - radius, 0), min(focus + radius + 1, timesteps))}
        | set(range(timesteps - tail, timesteps))
    )
    steps: list[int | None] = [shown[0]]
    for previous, step in zip(shown, shown[1:], strict=False):
        if step - previous == 2:
            steps.append(step - 1)  # a gap of one step: draw it rather than an ellipsis as wide
        elif step - previous > 2:
            steps.append(None)
        steps.append(step)
    return steps


def step_shape(shape: Shape | None) -> Shape | None:
    """The shape of one timestep's slice: (None, T, u) -> (None, u); a shape without a time axis is unchanged."""
    if shape is None or len(shape) < 3:
        return shape
    return (shape[0], *shape[2:])


# -- words ------------------------------------------------------------------------------------------------------------
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


def _direction_weights(recurrent: Layer, direction: str) -> tuple[Weight, ...]:
    """The forward or backward copy's weights of a Bidirectional layer (all weights of a plain one)."""
    if recurrent.kind != "Bidirectional":
        return recurrent.weights
    return tuple(w for w in recurrent.weights if f"/{direction}_" in w.name)


def _units(recurrent: Layer) -> int:
    """The recurrent layer's units, read off its recurrent kernel (units × gates·units)."""
    kernel = next(w for w in recurrent.weights if w.short_name == "recurrent_kernel")
    return kernel.shape[0]


@dataclass(frozen=True)
class _Model:
    """The facts the layout needs about one recurrent layer of a description (the stack's layers, the decoder)."""

    description: Description
    layer: Layer
    T: int
    bidirectional: bool
    cell_kind: str
    returns_sequences: bool
    invalid: bool
    state_names: tuple[str, ...]  # ("h", "c") for an LSTM
    x_shape: str
    state_shape: str
    merged_shape: str
    index: int = 0  # the row layer: 0 reads the input, the decoder comes after the stack
    source: str = "x"  # what the layer reads at each step: x, or the layer below's h, or RepeatVector's copy

    @property
    def spec(self):
        return self.description.spec

    @property
    def recurrent(self) -> Layer:
        return self.layer

    @property
    def head(self) -> Layer | None:
        return self.description.head

    @property
    def state_name(self) -> str:
        return ", ".join(self.state_names)

    def directions(self) -> tuple[str, ...]:
        return ("forward", "backward") if self.bidirectional else ("forward",)

    def returned(self, step: int, direction: str = "forward") -> bool:
        """Whether the layer returns this step's state; without return_sequences only each direction's last one."""
        if self.returns_sequences:
            return True
        # The backward copy runs from T-1 down to 0: its final state is the one after x_0.
        return step == (0 if direction == "backward" else self.T - 1)


def _model(description: Description, layer: Layer | None = None, source: str = "x") -> _Model:
    """The layout facts of `layer` (by default the first recurrent layer), reading `source` at each step."""
    recurrent = layer or description.stack[0]
    bidirectional = recurrent.kind == "Bidirectional"
    cell_kind = recurrent.inner_kind if bidirectional else recurrent.kind
    assert cell_kind is not None
    return _Model(
        description=description,
        layer=recurrent,
        T=recurrent.input_shape[1] or 0,
        bidirectional=bidirectional,
        cell_kind=cell_kind,
        returns_sequences=len(recurrent.output_shape) == 3,
        invalid=description.error is not None,
        state_names=("h", "c") if cell_kind == "LSTM" else ("h",),
        x_shape=format_shape(step_shape(recurrent.input_shape)),
        state_shape=format_shape((None, _units(recurrent))),
        merged_shape=format_shape(step_shape(recurrent.output_shape)),
        index=recurrent.index,
        source=source,
    )


# -- hover texts ------------------------------------------------------------------------------------------------------
def _input_hover(m: _Model, t: int) -> str:
    whole = format_shape(m.description.layers[0].output_shape)
    if m.spec.repeat == "input":
        return (
            f"<b>x</b>: one vector per sample, X[:, :], shaped {whole}<br>"
            f"RepeatVector({m.spec.timesteps}) copies it to every step<br>InputLayer: 0 parameters"
        )
    return (
        f"<b>{_sub('x', t)}</b>: timestep {t} of the input, X[:, {t}, :]<br>"
        f"shape per step {m.x_shape}; whole input {whole}<br>"
        "InputLayer: 0 parameters"
    )


def _cell_hover(m: _Model, t: int, direction: str) -> str:
    weights = _direction_weights(m.recurrent, direction)
    previous = t - 1 if direction == "forward" else t + 1
    states_in = ", ".join(_sub(name, previous) for name in m.state_names)
    if not 0 <= previous < m.T:
        handed = m.layer.role == "decoder" and m.spec.return_state
        states_in = (
            f"the encoder's final {m.state_name} (initial_state)" if handed else f"the initial {m.state_name} (zeros)"
        )
    states_out = ", ".join(_sub(name, t) for name in m.state_names)
    who = f"{m.cell_kind} cell" + (f" ({direction} copy)" if m.bidirectional else "")
    lines = [
        f"<b>{who}</b> at step {t} · layer '{m.layer.name}'",
        f"in: {_sub(m.source, t)} {m.x_shape} and {states_in} {m.state_shape} each",
        f"out: {states_out} {m.state_shape} each",
        f"weights: {_weights_text(weights)}",
        f"parameters: {fmt(sum(w.size for w in weights))}" + (" (this copy)" if m.bidirectional else ""),
        f"layer formula: {m.recurrent.formula}",
        f"the same weights at every step: used {_times(m.T)} per sample",
    ]
    return "<br>".join(lines)


def _state_hover(m: _Model, t: int, returned: bool) -> str:
    output = format_shape(m.recurrent.output_shape)
    if m.bidirectional and not m.returns_sequences:
        what = f"{m.spec.merge_mode} of the forward state after step {m.T - 1} and the backward state after step 0"
        name = "merged h"
    elif m.bidirectional:
        what = f"{m.spec.merge_mode} of the forward and backward states at step {t}"
        name = f"merged {_sub('h', t)}"
    else:
        what = f"the {m.cell_kind}'s output at step {t}"
        name = _sub("h", t)
    if returned:
        part = "one slice of the returned sequence" if m.returns_sequences else "the only state returned"
        return f"<b>{name}</b>: {what}<br>shape {m.merged_shape}<br>{part} {output}"
    if m.bidirectional:
        return (
            f"<b>{_sub('h', t)}</b>: the forward and backward states at step {t} are computed and passed on,<br>"
            f"but neither returned nor merged (return_sequences=False): the layer outputs only {output}"
        )
    return (
        f"<b>{name}</b>: computed and passed on to the next step,<br>but not returned "
        f"(return_sequences=False): the layer outputs only the last state {output}"
    )


def _head_hover(m: _Model, t: int) -> str:
    head = m.head
    assert head is not None
    where = f"at step {t}" if m.returns_sequences else "on the last state"
    return "<br>".join(
        [
            f"<b>{m.spec.head_label}</b> {where}",
            f"in {format_shape(step_shape(head.input_shape))} → out {format_shape(step_shape(head.output_shape))}",
            f"weights: {_weights_text(head.weights)}",
            f"parameters: {head.formula}",
            f"one set of weights, used {_times(head.applications)} per sample",
        ]
    )


def _output_hover(m: _Model, t: int) -> str:
    activation = next(layer for layer in m.description.layers if layer.role == "activation")
    name = _sub("y", t) if m.returns_sequences else "y"
    return (
        f"<b>{name}</b>: {format_shape(step_shape(activation.output_shape))} after {m.spec.activation}<br>"
        f"model output {format_shape(activation.output_shape)}"
    )


def _error_hover(description: Description) -> str:
    who = description.broken_kind or description.spec.head_label
    return (
        f"<b>{who} '{description.broken_at}' cannot be built here</b><br>"
        + "<br>".join(textwrap.wrap(description.error or "", 70))
        + f"<br><br>Keras: ValueError: {'<br>'.join(textwrap.wrap(description.keras_error or '', 70))}"
    )


def _repeat_hover(description: Description, copies: int, t: int, source: str) -> str:
    repeat = description.repeat_layer
    assert repeat is not None
    return (
        f"<b>RepeatVector</b>: step {t} gets a copy of {source}<br>"
        f"{format_shape(repeat.input_shape)} → {format_shape(repeat.output_shape)}: a new time axis of {copies} steps, "
        "the same vector at each<br>0 parameters"
    )


# -- layout -----------------------------------------------------------------------------------------------------------
def _cell_row_label(m: _Model, direction: str, name: str | None = None) -> str:
    label = name or m.layer.name
    label += f" {direction}" if m.bidirectional else ""
    return f"{label}<br>{m.state_name} {m.state_shape}"


def _rows(m: _Model, layers: int = 1) -> tuple[Row, ...]:
    """The rows bottom to top of `layers` alike layers: input, then per layer its cell row(s) and state row, then
    head and output. (`_plan` lays out every pattern; this is its plain stack.)"""
    rows = [Row("input", 0.0, f"input x<sub>t</sub><br>{m.x_shape}")]
    for layer in range(layers):
        for direction in m.directions():
            rows.append(Row("cell", float(len(rows)), _cell_row_label(m, direction, m.cell_kind), layer, direction))
        state_label = ("merged" if m.bidirectional else "returned h<sub>t</sub>") + f"<br>{m.merged_shape}"
        rows.append(Row("state", float(len(rows)), state_label, layer))
    head = m.head
    rows.append(Row("head", float(len(rows)), m.spec.head_label))
    output = format_shape(step_shape(head.output_shape)) if head is not None else "not built"
    rows.append(Row("output", float(len(rows)), f"output y<br>{output}"))
    return tuple(rows)


@dataclass(frozen=True)
class _Block:
    """One recurrent layer placed: its facts, its time axis, its rows, and the row it reads from."""

    m: _Model
    axis: TimeAxis
    cell_y: dict[str, float]  # direction -> y
    state_y: float
    source_y: float
    source_faded: tuple[int, ...] = ()  # steps whose source node is faded (the layer below did not return them)


@dataclass(frozen=True)
class _Plan:
    """Where everything goes: the axes, the rows, the recurrent blocks, and the special rows."""

    description: Description
    axes: tuple[TimeAxis, ...]
    rows: tuple[Row, ...]
    blocks: tuple[_Block, ...]
    input_y: float
    repeat_y: float | None  # the RepeatVector row (one-to-many: above the input; seq2seq: below the decoder)
    head_y: float | None
    output_y: float | None
    broken_y: float | None  # the row of the layer Keras refuses

    @property
    def spec(self):
        return self.description.spec

    @property
    def time(self) -> TimeAxis:
        return self.axes[0]

    @property
    def out_axis(self) -> TimeAxis:
        return self.axes[-1]

    @property
    def top(self) -> _Block:
        return self.blocks[-1]

    @property
    def encoder_top(self) -> _Block:
        return [block for block in self.blocks if block.m.layer.role == "recurrent"][-1]


def _axis(name: str, timesteps: int, style: Theme, share: int, x0: float = 1.0, focus: int | None = None) -> TimeAxis:
    """A time axis with the columns the style allows, split between `share` axes side by side, showing `focus`."""
    if share == 1:
        steps = visible_steps(timesteps, style.max_columns, style.first, style.last, focus)
    else:
        # Two axes share the width: 2 + 2 steps around an ellipsis each (1 + 1 in talk mode's larger marks).
        keep = max(1, (style.max_columns - 4) // 3)
        steps = visible_steps(timesteps, 2 * keep + 1, keep, keep, focus)
    return TimeAxis(name, timesteps, tuple(steps), x0)


def _plan(description: Description, style: Theme, focus: tuple[str, int] | None = None) -> _Plan:
    """Rows bottom to top: input, [RepeatVector], each stacked layer's cells and state, [RepeatVector, decoder],
    head, output; a stack Keras refuses stops at the refused layer's row. `focus` (axis name, step) is kept drawn."""
    spec = description.spec
    decoder = description.decoder
    share = 2 if decoder is not None else 1

    def focus_on(axis: str) -> int | None:
        return focus[1] if focus is not None and focus[0] == axis else None

    time = _axis("time", spec.timesteps, style, share, focus=focus_on("time"))
    axes = [time]
    if decoder is not None:
        x0 = time.x_range[1] + AXIS_GAP + 0.65
        axes.append(_axis("decoder", spec.output_timesteps, style, share, x0=x0, focus=focus_on("decoder")))
    first = _model(description)
    rows: list[Row] = [Row("input", 0.0, f"input x<sub>t</sub><br>{first.x_shape}")]
    repeat_y = None
    if spec.repeat == "input":
        rows[0] = Row("input", 0.0, f"input x<br>{format_shape(step_shape(description.layers[0].output_shape))}")
        repeat_y = 1.0
        rows.append(Row("repeat", repeat_y, "RepeatVector<br>x at every step"))
    blocks: list[_Block] = []
    source_y, source, faded_steps = rows[-1].y, "x", ()
    for layer in description.recurrent_layers:
        axis = axes[-1] if layer.role == "decoder" else time
        if layer.role == "decoder":
            repeat_y = float(len(rows))
            rows.append(Row("repeat", repeat_y, "RepeatVector<br>the summary at every step", layer.index))
            source_y, source, faded_steps = repeat_y, "s", ()
        m = _model(description, layer, source)
        cell_y = {}
        for direction in m.directions():
            y = float(len(rows))
            rows.append(Row("cell", y, _cell_row_label(m, direction), layer.index, direction))
            cell_y[direction] = y
        state_y = float(len(rows))
        state_label = ("merged" if m.bidirectional else "returned h<sub>t</sub>") + f"<br>{m.merged_shape}"
        rows.append(Row("state", state_y, state_label, layer.index))
        blocks.append(_Block(m, axis, cell_y, state_y, source_y, faded_steps))
        faded_steps = tuple(step for step in axis.shown if not m.returned(step))
        source_y, source = state_y, f"h{'′' * (layer.index + 1)}"
    head_y = output_y = broken_y = None
    refused = spec.refused_at
    if refused in ("stack", "repeat"):
        broken_y = float(len(rows))
        label = f"{description.broken_at}<br>refused" if refused == "stack" else "RepeatVector<br>refused"
        rows.append(Row("broken", broken_y, label, len(blocks)))
    else:
        head_y = float(len(rows))
        rows.append(Row("head", head_y, spec.head_label))
        head = description.head
        output = format_shape(step_shape(head.output_shape)) if head is not None else "not built"
        output_y = float(len(rows))
        rows.append(Row("output", output_y, f"output y<br>{output}"))
        if refused == "head":
            broken_y = head_y
    return _Plan(description, tuple(axes), tuple(rows), tuple(blocks), 0.0, repeat_y, head_y, output_y, broken_y)


def _block_nodes(block: _Block) -> Iterator[Node]:
    m, axis = block.m, block.axis
    cell_series = f"{m.cell_kind} cell" + (" (forward)" if m.bidirectional else "")
    state_series = f"merged ({m.spec.merge_mode})" if m.bidirectional else "h_t"
    for t in axis.shown:
        x = axis.x(t)
        for direction, y in block.cell_y.items():
            series = cell_series if direction == "forward" else f"{m.cell_kind} cell (backward)"
            hover = _cell_hover(m, t, direction)
            yield Node("cell", t, x, y, m.cell_kind, hover, series, axis.name, m.index, direction)
        returned = m.returned(t)
        series = f"{state_series} returned {m.merged_shape}" if returned else f"{state_series} not returned"
        hover = _state_hover(m, t, returned)
        label = _sub("h", t)
        yield Node("state", t, x, block.state_y, label, hover, series, axis.name, m.index, faded=not returned)


def _nodes(plan: _Plan) -> Iterator[Node]:
    """Every node: the input (or its one vector and RepeatVector's copies), each layer's cells and states, the
    summary copied to the decoder, the head and output, the state outputs of return_state, and the break."""
    description, spec, time = plan.description, plan.spec, plan.time
    first = plan.blocks[0].m
    if spec.repeat == "input":
        x0 = time.x(time.shown[0])
        yield Node("input", 0, x0, plan.input_y, "x", _input_hover(first, 0), f"input x {first.x_shape}", time.name)
        for t in time.shown:
            hover = _repeat_hover(description, spec.timesteps, t, "x")
            yield Node("repeat", t, time.x(t), plan.repeat_y, "x", hover, "RepeatVector copies", time.name)
    else:
        for t in time.shown:
            hover = _input_hover(first, t)
            yield Node(
                "input", t, time.x(t), plan.input_y, _sub("x", t), hover, f"input x_t {first.x_shape}", time.name
            )
    for block in plan.blocks:
        if block.m.layer.role == "decoder":
            summary = _sub("h", spec.timesteps - 1) if not block.m.bidirectional else "merged h"
            for t in block.axis.shown:
                hover = _repeat_hover(description, spec.output_timesteps, t, f"the encoder's last state {summary}")
                x = block.axis.x(t)
                yield Node(
                    "repeat", t, x, block.source_y, "s", hover, "RepeatVector copies", block.axis.name, block.m.index
                )
        yield from _block_nodes(block)
    yield from _state_outputs(plan)
    top, head = plan.top, description.head
    if head is not None and plan.head_y is not None:
        for t in top.axis.shown:
            if not top.m.returned(t):
                continue
            x = top.axis.x(t)
            yield Node(
                "head", t, x, plan.head_y, "Dense", _head_hover(top.m, t), f"head: {spec.head_label}", top.axis.name
            )
            label = _sub("y", t) if top.m.returns_sequences else "y"
            series = f"output y {format_shape(step_shape(head.output_shape))}"
            yield Node("output", t, x, plan.output_y, label, _output_hover(top.m, t), series, top.axis.name)
    if plan.broken_y is not None:
        axis = top.axis
        yield Node(
            "error",
            axis.last,
            axis.x(axis.last),
            plan.broken_y,
            "✕",
            _error_hover(description),
            "breaks here",
            axis.name,
            len(plan.blocks),
        )


STATE_OUT_DX = 0.72  # how far right of its cell a returned final state is drawn (return_state without a decoder)


def _final_state_steps(block: _Block) -> dict[str, int]:
    """The step after which each direction holds its final state: the last for forward, 0 for backward."""
    return {direction: (0 if direction == "backward" else block.axis.last) for direction in block.cell_y}


def _state_outputs(plan: _Plan) -> Iterator[Node]:
    """return_state without a decoder: the top layer's final states as extra outputs, beside the cell that made
    them (with a decoder they are handed over instead, see `_handover_links`)."""
    spec = plan.spec
    if not spec.return_state or spec.repeat == "encoder" or spec.refused_at == "stack":
        return
    block = plan.encoder_top
    layer = block.m.layer
    shapes = ", ".join(format_shape(shape) for shape in layer.state_shapes)
    for direction, step in _final_state_steps(block).items():
        x = block.axis.x(step) + (STATE_OUT_DX if direction == "forward" else -STATE_OUT_DX)
        names = ", ".join(f"{name}" for name in block.m.state_names)
        hover = (
            f"<b>return_state=True</b>: '{layer.name}' also returns its final {names}"
            + (f" ({direction})" if block.m.bidirectional else "")
            + f"<br>after step {step}, {block.m.state_shape} each<br>the layer's outputs: "
            f"{format_shape(layer.output_shape)} then {shapes}<br>unused by this model: it outputs the head's result"
        )
        yield Node(
            "state_out",
            step,
            x,
            block.cell_y[direction],
            names,
            hover,
            "final states (return_state)",
            block.axis.name,
            layer.index,
            direction,
        )


def _block_up_links(block: _Block) -> Iterator[Edge]:
    """The data going up a layer's columns: its input into the cell(s), the state out."""
    m, axis = block.m, block.axis
    fy = block.cell_y["forward"]
    for t in axis.shown:
        x = axis.x(t)
        fed = t not in block.source_faded
        yield Edge(
            "link", ((x, block.source_y + VGAP), (x, fy - VGAP)), faded=not fed, axis=axis.name, layer=m.index, step=t
        )
        returned = m.returned(t)
        if m.bidirectional:
            by = block.cell_y["backward"]
            # x_t feeds the backward cell too: route beside the forward cell, not through it.
            yield Edge(
                "link",
                (
                    (x + 0.12, block.source_y + VGAP),
                    (x + ELBOW, block.source_y + 0.5),
                    (x + ELBOW, by - 0.5),
                    (x + 0.12, by - VGAP),
                ),
                faded=not fed,
                axis=axis.name,
                layer=m.index,
                step=t,
                direction="backward",
            )
            forward_up = (
                (x - 0.12, fy + VGAP),
                (x - ELBOW, fy + 0.5),
                (x - ELBOW, block.state_y - 0.5),
                (x - 0.12, block.state_y - VGAP),
            )
            yield Edge(
                "link", forward_up, faded=not returned, axis=axis.name, layer=m.index, step=t, direction="forward"
            )
            last_x = axis.x(axis.last)
            if m.returned(t, "backward") and not m.returns_sequences:
                # The backward copy's final state (after x_0) joins the forward one's at the last column.
                backward_up: tuple[tuple[float, float], ...] = (
                    (x, by + VGAP),
                    (x, by + 0.5),
                    (last_x + 0.12, by + 0.5),
                    (last_x + 0.12, block.state_y - VGAP),
                )
            else:
                backward_up = ((x, by + VGAP), (x, block.state_y - VGAP))
            faded = not m.returned(t, "backward")
            yield Edge("link", backward_up, faded=faded, axis=axis.name, layer=m.index, step=t, direction="backward")
        else:
            up = ((x, fy + VGAP), (x, block.state_y - VGAP))
            yield Edge("link", up, faded=not returned, axis=axis.name, layer=m.index, step=t)


def _up_links(plan: _Plan) -> Iterator[Edge]:
    """Every edge but the passed states: up each column, RepeatVector's copies, into the head, to the break."""
    spec, time = plan.spec, plan.time
    if spec.repeat == "input":
        x0 = time.x(time.shown[0])
        for t in time.shown:  # one vector, copied to every step
            yield Edge("copy", ((x0, plan.input_y + VGAP), (time.x(t), plan.repeat_y - VGAP)), step=t)
    for block in plan.blocks:
        if block.m.layer.role == "decoder":
            below = plan.encoder_top
            sx, sy = below.axis.x(below.axis.last), below.state_y
            lane = block.axis.x0 - 0.5  # up the gap beside the decoder, then along a bus under the copies
            bus = block.source_y - 0.5
            for t in block.axis.shown:  # the encoder's last state, copied to every decoder step
                x = block.axis.x(t)
                points = ((sx + GAP, sy), (lane, sy), (lane, bus), (x, bus), (x, block.source_y - VGAP))
                yield Edge("copy", points, axis=block.axis.name, layer=block.m.index, step=t)
        yield from _block_up_links(block)
    top = plan.top
    if plan.head_y is not None and plan.description.head is not None:
        for t in top.axis.shown:
            if top.m.returned(t):
                x = top.axis.x(t)
                yield Edge("link", ((x, top.state_y + VGAP), (x, plan.head_y - VGAP)), axis=top.axis.name, step=t)
                yield Edge("link", ((x, plan.head_y + VGAP), (x, plan.output_y - VGAP)), axis=top.axis.name, step=t)
    if plan.broken_y is not None:
        # What the refused layer gets: the last state only (that is where the sequence was lost).
        x = top.axis.x(top.axis.last)
        yield Edge(
            "link", ((x, top.state_y + VGAP), (x, plan.broken_y - VGAP)), step=top.axis.last, layer=len(plan.blocks)
        )
    yield from _handover_links(plan)
    yield from _state_out_links(plan)


def _handover_links(plan: _Plan) -> Iterator[Edge]:
    """return_state with a decoder: the encoder's final states become the decoder's initial_state."""
    spec = plan.spec
    if not spec.return_state or plan.description.decoder is None:
        return
    encoder, decoder = plan.encoder_top, plan.top
    names = encoder.m.state_name
    for direction, step in _final_state_steps(encoder).items():
        sx, sy = encoder.axis.x(step), encoder.cell_y[direction]
        ty = decoder.cell_y[direction]
        if direction == "forward":
            tx = decoder.axis.x(decoder.axis.shown[0])
            lane = sx + 0.5
            points = ((sx + GAP, sy), (lane, sy), (lane, ty), (tx - GAP, ty))
        else:  # the backward decoder starts at its last step
            tx = decoder.axis.x(decoder.axis.last)
            lane_y = ty - 0.5
            points = (
                (sx - GAP, sy),
                (sx - 0.45, sy),
                (sx - 0.45, lane_y),
                (tx + 0.45, lane_y),
                (tx + 0.45, ty),
                (tx + GAP, ty),
            )
        label = f"{names} → initial_state" if direction == "forward" else ""  # one label says it for both
        hover = (
            f"return_state=True: the encoder's final {names}"
            + (f" ({direction})" if encoder.m.bidirectional else "")
            + f", {encoder.m.state_shape} each, start the decoder (initial_state) instead of zeros"
        )
        yield Edge(
            "handover",
            points,
            axis=decoder.axis.name,
            layer=decoder.m.index,
            direction=direction,
            step=step,
            label=label,
            hover=hover,
        )


def _state_out_links(plan: _Plan) -> Iterator[Edge]:
    spec = plan.spec
    if not spec.return_state or spec.repeat == "encoder" or spec.refused_at == "stack":
        return
    block = plan.encoder_top
    for direction, step in _final_state_steps(block).items():
        x, y = block.axis.x(step), block.cell_y[direction]
        sign = 1 if direction == "forward" else -1
        points = ((x + sign * GAP, y), (x + sign * (STATE_OUT_DX - GAP * 0.9), y))
        yield Edge("handover", points, axis=block.axis.name, layer=block.m.index, direction=direction, step=step)


def _passed_links(plan: _Plan) -> Iterator[Edge]:
    """The state passed from step to step: forward left to right, backward right to left; dotted across the ellipsis."""
    for block in plan.blocks:
        m, axis = block.m, block.axis
        for index in range(len(axis.steps) - 1):
            left, right = axis.steps[index], axis.steps[index + 1]
            x_left, x_right = axis.column_x(index), axis.column_x(index + 1)
            for direction, y in block.cell_y.items():
                forward = direction == "forward"
                a, b = (x_left, x_right) if forward else (x_right, x_left)
                sign = 1 if forward else -1
                points = ((a + sign * GAP, y), (b - sign * GAP, y))
                if left is None or right is None:
                    yield Edge("hidden", points, axis=axis.name, layer=m.index, direction=direction)
                    continue
                sender = left if forward else right
                label = ", ".join(_sub(name, sender) for name in m.state_names)
                each = " each" if len(m.state_names) > 1 else ""
                yield Edge(
                    "passed",
                    points,
                    axis=axis.name,
                    layer=m.index,
                    direction=direction,
                    step=sender,
                    label=label,
                    hover=f"{label}: {m.state_shape}{each}, passed from step {sender} to the next",
                )


def _stack_heading(plan: _Plan) -> str:
    """What the recurrent layers share and how often: one set of weights per layer."""
    description = plan.description
    first = plan.blocks[0].m
    copies = "two copies (forward, backward), each" if first.bidirectional else "one set of weights,"
    if len(plan.blocks) == 1:
        return (
            f"<b>{first.cell_kind} cell</b> {_compact_weights(_direction_weights(first.layer, 'forward'))}: {copies} "
            f"used {_times(first.T)} ({fmt(first.layer.params)} parameters)"
        )
    del copies  # the cell rows say forward and backward; the heading lists each layer's own count
    parts = [f"{block.m.layer.name} {fmt(block.m.layer.params)}" for block in plan.blocks]
    lines = [" · ".join(parts[index : index + 2]) for index in range(0, len(parts), 2)]
    return (
        f"<b>{len(description.recurrent_layers)} {first.cell_kind} layers</b>, each its own weights, used at every "
        "step:<br>" + "<br>".join(lines) + " parameters"
    )


def _notes(plan: _Plan) -> list[Note]:
    """The headings (what is shared and how often), the ellipses, and the pointer to the break."""
    description, spec, head = plan.description, plan.spec, plan.description.head
    notes = [Note("cell_label", _stack_heading(plan))]
    if head is not None:
        notes.append(
            Note(
                "head_label",
                f"<b>{spec.head_label}</b> {_compact_weights(head.weights)}: one set of weights, "
                f"used {_times(head.applications)} ({fmt(head.params)} parameters)",
            )
        )
    elif description.error is not None:
        given = format_shape(description.broken_input)
        if spec.refused_at == "stack":
            text = (
                f"<b>{description.broken_at}</b> breaks: it gets {given}, the last step only "
                "(expected ndim=3, found ndim=2)"
            )
        elif spec.refused_at == "repeat":
            text = f"<b>RepeatVector</b> breaks: it gets the whole sequence {given} (expected ndim=2, found ndim=3)"
        else:
            text = f"<b>{spec.head_label}</b> breaks: {given} has no time axis"
        notes.append(Note("error_label", text, error=True))
    top_y = max(row.y for row in plan.rows)
    for axis in plan.axes:
        if axis.hidden:
            blocks = [block for block in plan.blocks if block.axis is axis]
            low = plan.input_y if axis is plan.time else min(block.source_y for block in blocks)
            high = top_y if axis is plan.out_axis else max(block.state_y for block in blocks)
            name = "ellipsis" if axis is plan.time else f"ellipsis_{axis.name}"
            for number, (x, hidden) in enumerate(axis.gaps):
                # The first ellipsis keeps its name; a second one (after a focused step) is numbered.
                notes.append(
                    Note(
                        name + (f"_{number + 1}" if number else ""),
                        f"… {fmt(hidden)} steps hidden …",
                        x,
                        (low + high) / 2,
                    )
                )
    if plan.broken_y is not None:
        top = plan.top
        pointer = {
            "stack": f"{description.broken_at} needs a sequence",
            "repeat": "RepeatVector needs one vector",
            "head": f"{spec.head_label} needs a time axis",
        }[spec.refused_at or "head"]
        notes.append(Note("error_pointer", pointer, top.axis.x(top.axis.last), plan.broken_y, error=True))
    return notes


def _play_frames(plan: _Plan) -> list[PlayFrame]:
    """One frame per column of each axis (every layer's forward cell at that step, bottom to top, and the backward
    cells mirrored), then the merge if pending."""
    frames = [PlayFrame("start", "start", ())]
    for axis in plan.axes:
        blocks = [block for block in plan.blocks if block.axis is axis]
        n = len(axis.steps)
        for index, step in enumerate(axis.steps):
            x = axis.column_x(index)
            path: list[Stop | None] = []
            for block in blocks:
                fy = block.cell_y["forward"]
                # The state arriving from the previous step, then the input coming in and going up as far as it goes.
                path += [Stop(x - 1, fy, ring=False)] if index else []
                path += [Stop(x, fy), None, Stop(x, block.source_y), Stop(x, fy)]
                if block.m.bidirectional:
                    by = block.cell_y["backward"]
                    mirror = axis.column_x(n - 1 - index)
                    path += [None] + ([Stop(mirror + 1, by, ring=False)] if index else [])
                    path += [Stop(mirror, by), None, Stop(mirror, block.source_y), Stop(mirror, by)]
                elif step is not None and block.m.returned(step):
                    path += _above(plan, block, x)
                path.append(None)
            label = "hidden steps" if step is None else axis.tick(step)
            frames.append(PlayFrame(f"step {len(frames)}", label, tuple(path[:-1])))
        if blocks and blocks[-1].m.bidirectional:
            top = blocks[-1]
            path = []
            for step in axis.shown:
                if top.m.returned(step):
                    path += [*_above(plan, top, axis.x(step)), None]
            label = "head" if plan.description.head is not None and top is plan.top else "merge"
            frames.append(PlayFrame("merge" if axis is plan.time else f"merge {axis.name}", label, tuple(path)))
    return frames


def _above(plan: _Plan, block: _Block, x: float) -> list[Stop]:
    """What a returned state goes through at column x: the state, then (top layer) the head and output, or the break."""
    path = [Stop(x, block.state_y)]
    if block is not plan.top:
        return path
    if plan.head_y is not None and plan.description.head is not None:
        path += [Stop(x, plan.head_y), Stop(x, plan.output_y)]
    elif plan.broken_y is not None:
        path += [Stop(x, plan.broken_y)]
    return path


def layout(description: Description, style: Theme = NORMAL, focus: tuple[str, int] | None = None) -> Diagram:
    """Place every element of `description`'s model unrolled over time; `style` decides how many columns fit.

    `focus` ("time" or "decoder", step) is a timestep that must be drawn (the step panel's): a long axis then shows
    it with its neighbours between two ellipses. Built only from the description, in time bounded by
    `style.max_columns` and the number of layers, not by T.
    """
    plan = _plan(description, style, focus)
    return Diagram(
        axes=plan.axes,
        rows=plan.rows,
        nodes=tuple(_nodes(plan)),
        edges=(*_up_links(plan), *_passed_links(plan)),
        notes=tuple(_notes(plan)),
        frames=tuple(_play_frames(plan)),
    )


# -- rendering --------------------------------------------------------------------------------------------------------
# How each role is drawn: marker symbol and size relative to the theme's marker.
MARKS = {
    "input": ("circle", 0.85),
    "repeat": ("circle", 0.7),
    "cell": ("square", 1.25),
    "state": ("circle", 0.85),
    "head": ("square", 1.25),
    "output": ("square", 1.0),
    "error": ("x", 1.1),
    "state_out": ("diamond", 1.0),
}
# Roles drawn in another role's colour: RepeatVector's copies are the input's, returned final states the state's.
COLOUR_OF = {"repeat": "input", "state_out": "state"}
ROLE_ORDER = tuple(MARKS)


def _node_colour(node: Node) -> str:
    if node.role == "cell" and node.direction == "backward":
        return PALETTE["cell_backward"]
    return PALETTE[COLOUR_OF.get(node.role, node.role)]


def _series(nodes: Sequence[Node]) -> list[list[Node]]:
    """Nodes grouped by legend entry, in drawing order: by role, layer, forward before backward, solid before faded."""
    groups: dict[str, list[Node]] = {}
    for node in nodes:
        groups.setdefault(node.series, []).append(node)

    def order(group: list[Node]) -> tuple:
        first = group[0]
        return (ROLE_ORDER.index(first.role), first.layer, first.direction == "backward", first.faded)

    return sorted(groups.values(), key=order)


def _node_trace(nodes: Sequence[Node], theme: Theme) -> go.Scatter:
    first = nodes[0]
    colour = _node_colour(first)
    symbol, size = MARKS[first.role]
    return go.Scatter(
        x=[node.x for node in nodes],
        y=[node.y for node in nodes],
        mode="markers+text",
        name=first.series,
        text=[node.label for node in nodes],
        textposition="middle center",
        textfont={
            "color": colour if first.faded else PALETTE["on_fill"],
            "size": [_label_size(node.label, theme.marker * size, theme) for node in nodes],
        },
        hovertext=[node.hover for node in nodes],
        hoverinfo="text",
        customdata=[node.step for node in nodes],
        marker={
            "symbol": symbol + ("-open" if first.faded else ""),
            "size": theme.marker * size,
            "color": colour,
            "line": {"width": theme.line, "color": colour},
        },
        opacity=0.45 if first.faded else 1.0,
        meta={
            "role": first.role,
            "faded": first.faded,
            "direction": first.direction,
            "layer": first.layer,
            # Per point: layers and axes share a series (a stack's cells are drawn alike), a click needs its own.
            "points": [[node.layer, node.axis] for node in nodes],
        },
    )


def _label_size(label: str, box_px: float, theme: Theme) -> int:
    """The font size of a node's label: the theme's, or smaller when the label would spill out of its marker
    (a narrow marker on a phone or a slide would otherwise print "DenseDenseDense" across its neighbours)."""
    visible = len(re.sub(r"<[^>]+>", "", label)) or 1
    return max(8, min(theme.label, int(box_px * 1.7 / visible)))


def _edge_trace(
    edges: Sequence[Edge],
    name: str,
    role: str,
    colour: str,
    theme: Theme,
    faded: bool = False,
    dash: str = "solid",
) -> go.Scatter:
    """Polylines of one kind in one trace, separated by None, with an arrowhead where each one ends."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    arrows: list[float] = []
    for edge in edges:
        for index, (x, y) in enumerate(edge.points):
            xs.append(x)
            ys.append(y)
            arrows.append(theme.line * 4 + 4 if index == len(edge.points) - 1 else 0)
        xs.append(None)
        ys.append(None)
        arrows.append(0)
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        name=name,
        line={"color": colour, "width": theme.line, "dash": dash},
        marker={"symbol": "arrow", "angleref": "previous", "size": arrows, "color": colour},
        opacity=0.35 if faded else 0.9,
        hoverinfo="skip",
        showlegend=False,
        meta={"role": role, "faded": faded},
    )


def _traces(diagram: Diagram, theme: Theme) -> list[go.Scatter]:
    """The highlight of the play control first (drawn under what it walks through), then edges, then nodes."""
    now = go.Scatter(
        x=[],
        y=[],
        mode="lines+markers",
        name="now computing",
        line={"color": PALETTE["now"], "width": theme.line + 3},
        marker={"symbol": "square-open", "size": theme.marker * 1.5, "color": PALETTE["now"], "line": {"width": 3}},
        hoverinfo="skip",
        showlegend=False,
        meta={"role": "now", "faded": False},
    )
    passed = diagram.edges_of("passed")
    # The hand-over's label sits above its last stretch, just before the decoder's first cell.
    handed = [edge for edge in diagram.edges_of("handover") if edge.label]
    traces = [
        now,
        _edge_trace(diagram.edges_of("link", faded=True), "not returned", "link", PALETTE["link"], theme, True, "dot"),
        _edge_trace(diagram.edges_of("link", faded=False), "data flow", "link", PALETTE["link"], theme),
        _edge_trace(passed, "state passed on", "passed", PALETTE["cell"], theme),
        _edge_trace(diagram.edges_of("hidden"), "hidden steps", "hidden", PALETTE["cell"], theme, dash="dot"),
        _edge_trace(diagram.edges_of("copy"), "RepeatVector copies", "copy", PALETTE["input"], theme, dash="dash"),
        _edge_trace(diagram.edges_of("handover"), "final states", "handover", PALETTE["state"], theme),
        go.Scatter(
            x=[(edge.points[0][0] + edge.points[-1][0]) / 2 for edge in passed],
            y=[edge.points[0][1] + 0.2 for edge in passed],
            mode="text",
            name="state passed to the next step",
            text=[edge.label for edge in passed],
            textfont={"size": theme.label - 1},
            hovertext=[edge.hover for edge in passed],
            hoverinfo="text",
            customdata=[edge.step for edge in passed],
            showlegend=False,
            meta={"role": "passed_label", "faded": False, "points": [[edge.layer, edge.axis] for edge in passed]},
        ),
        go.Scatter(
            x=[edge.points[-2][0] + 0.04 for edge in handed],
            y=[edge.points[-1][1] + 0.3 for edge in handed],
            mode="text",
            name="initial_state",
            text=[edge.label for edge in handed],
            textposition="middle right",
            textfont={"size": theme.label - 1, "color": PALETTE["state"]},
            hovertext=[edge.hover for edge in handed],
            hoverinfo="text",
            showlegend=False,
            meta={"role": "handover_label", "faded": False},
        ),
    ]
    return traces + [_node_trace(group, theme) for group in _series(diagram.nodes)]


def _annotations(diagram: Diagram, theme: Theme) -> tuple[list[dict], int]:
    """The notes as plotly annotations, and how many text lines the headings take above the plot."""
    annotations = []
    lines_above = 0
    line_px = theme.font + 10
    for note in reversed([note for note in diagram.notes if note.x is None]):
        text = note.text
        # Too long for one line (plotly does not wrap): break after the colon, before the sentence.
        plain = text.replace("<b>", "").replace("</b>", "")
        if len(plain) > theme.wrap and ": " in text:
            text = text.replace(": ", ":<br>", 1)
        if theme.compact:
            text = _wrap_markup(text, theme.wrap)
        font = {"size": theme.font, **({"color": PALETTE["error"]} if note.error else {})}
        annotations.append(
            {
                "name": note.name,
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1,
                "xanchor": "left",
                "yanchor": "bottom",
                "yshift": 6 + lines_above * line_px,
                "showarrow": False,
                "align": "left",
                "font": font,
            }
        )
        lines_above += text.count("<br>") + 1
    for note in diagram.notes:
        if note.name.startswith("ellipsis"):
            annotations.append(
                {
                    "name": note.name,
                    "text": note.text,
                    "x": note.x,
                    "y": note.y,
                    "textangle": -90,
                    "showarrow": False,
                    "font": {"size": theme.font},
                }
            )
        elif note.x is not None:
            annotations.append(
                {
                    "name": note.name,
                    "text": note.text,
                    "x": note.x,
                    "y": note.y,
                    "xanchor": "right",
                    "xshift": -theme.marker * 0.8,
                    "showarrow": False,
                    "font": {"size": theme.label, **({"color": PALETTE["error"]} if note.error else {})},
                }
            )
    return annotations, lines_above


def _wrap_markup(text: str, width: int) -> str:
    """Break each line of a heading at word boundaries into lines of about `width` visible characters (plotly
    annotations do not wrap); <b> tags are not counted."""
    lines = []
    for line in text.split("<br>"):
        current, visible = [], 0
        for word in line.split(" "):
            length = len(word.replace("<b>", "").replace("</b>", ""))
            if current and visible + 1 + length > width:
                lines.append(" ".join(current))
                current, visible = [], 0
            current.append(word)
            visible += length + (1 if visible else 0)
        lines.append(" ".join(current))
    return "<br>".join(lines)


def _frames(diagram: Diagram, theme: Theme, trace_count: int) -> list[go.Frame]:
    """The play frames; each only moves the "now computing" trace (the first), so frames stay tiny."""
    ring = theme.marker * 1.5
    frames = []
    for frame in diagram.frames:
        frames.append(
            go.Frame(
                name=frame.name,
                # Every trace is listed: plotly.js hides the traces a frame leaves out (plotly.js#4596), so the
                # others get an update that changes nothing but keeps them visible.
                traces=list(range(trace_count)),
                data=[
                    go.Scatter(
                        x=[stop.x if stop else None for stop in frame.path],
                        y=[stop.y if stop else None for stop in frame.path],
                        marker={"size": [ring if stop and stop.ring else 0 for stop in frame.path]},
                    )
                ]
                + [go.Scatter(visible=True) for _ in range(trace_count - 1)],
            )
        )
    return frames


def _play_controls(diagram: Diagram, theme: Theme, controls_y: float, slider_y: float) -> dict:
    """The ▶ Play / ❚❚ Pause buttons and the slider with one step per frame."""
    play = {"frame": {"duration": 900, "redraw": False}, "fromcurrent": True, "transition": {"duration": 0}}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    # On a slide the buttons sit left of the headings, over the row labels' column, as symbols: at the headings'
    # right end they covered any heading longer than the plot is wide less the buttons, which the renderer cannot
    # measure in pixels (a sequence-to-sequence slide's head heading ran under them).
    on_top = theme.controls_on_top
    buttons = {
        "type": "buttons",
        "direction": "left",
        "x": 0,
        "y": 1 if on_top else controls_y,
        "xanchor": "right" if on_top else "left",
        "yanchor": "bottom" if on_top else "top",
        "pad": {"t": 0, "r": 16} if on_top else {"t": 10, "r": 10},
        "showactive": False,
        "font": {"size": theme.label},
        "buttons": [
            {"label": "▶" if on_top else "▶ Play", "method": "animate", "args": [None, play]},
            {"label": "❚❚" if on_top else "❚❚ Pause", "method": "animate", "args": [[None], pause]},
        ],
    }
    slider = {
        "active": 0,
        "x": 0,
        "y": slider_y,
        "len": 1,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"t": 0},
        "currentvalue": {"visible": False},
        "font": {"size": max(theme.label - 2, 9)},
        "steps": [
            {
                "label": frame.label,
                "method": "animate",
                "args": [[frame.name], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
            }
            for frame in diagram.frames
        ],
    }
    return {"updatemenus": [buttons], "sliders": [slider] if theme.play_slider else []}


def render(diagram: Diagram, style: Theme = NORMAL) -> go.Figure:
    """Draw a Diagram with plotly: hover details on every node, headings above, a play control below.

    The height follows from the theme and the number of rows; the background is transparent for light and dark.
    """
    top = max(row.y for row in diagram.rows)
    style = _fitted(style, _annotations(diagram, style)[1], top + 1)
    fig = go.Figure(_traces(diagram, style))
    annotations, lines_above = _annotations(diagram, style)
    fig.frames = _frames(diagram, style, len(fig.data))
    # Pixel budget: the play control sits under the x ticks and the legend under it, whatever the number of rows.
    # Deep stacks get shorter rows, so that three bidirectional layers and a decoder still fit a screen or two.
    rows = top + 1
    row_px = style.row_height if rows <= 8 else max(style.row_height * 0.62, style.row_height * 8 / rows)
    plot_height = row_px * rows
    top_margin = _top_margin(style, lines_above)
    controls_px = style.font * 2.5
    slider_px = controls_px + (style.label * 3.4 if style.play_slider else 0)
    legend_px = slider_px + (style.label * 6.5 if style.legend else 0)
    bottom_margin = int(_bottom_margin(style))
    ticks = [(axis.x(step), axis.tick(step)) for axis in diagram.axes for step in axis.shown]
    fig.update_layout(
        height=int(plot_height + top_margin + bottom_margin),
        margin={"l": 10, "r": 10, "t": top_margin, "b": bottom_margin},
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font={"size": style.font},
        hoverlabel={"font": {"size": style.label}},
        showlegend=style.legend,
        legend={
            "orientation": "h",
            "x": 0,
            "y": -legend_px / plot_height,
            "yanchor": "top",
            "font": {"size": style.label},
        },
        annotations=annotations,
        xaxis={
            "range": [
                min([a.x_range[0] for a in diagram.axes] + [node.x - 0.45 for node in diagram.nodes]),
                max([a.x_range[1] for a in diagram.axes] + [node.x + 0.45 for node in diagram.nodes]),
            ],
            "tickvals": [x for x, _ in ticks],
            "ticktext": [text for _, text in ticks],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "side": "bottom",
        },
        yaxis={
            "range": [-0.6, top + 0.6],
            "tickvals": [row.y for row in diagram.rows],
            **_row_labels(diagram, style, plot_height / (top + 1.2)),
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        **_play_controls(diagram, style, -controls_px / plot_height, -slider_px / plot_height),
    )
    return fig


def _top_margin(style: Theme, lines_above: int) -> float:
    """Room above the plot for the headings."""
    return 30 + lines_above * (style.font + 10)


def _bottom_margin(style: Theme) -> float:
    """Room under the plot: the x ticks, the Play button, and the slider and legend when the theme has them."""
    if style.controls_on_top and not style.legend and not style.play_slider:
        return style.label * 2.5  # the x ticks only
    below = style.font * 2.5 + (style.label * 3.4 if style.play_slider else 0)
    below += style.label * 6.5 if style.legend else 0
    return below + style.label * (5 if style.legend or style.play_slider else 3)


def _fitted(style: Theme, lines_above: int, rows: int) -> Theme:
    """The theme with rows (and markers) shrunk so that the whole figure fits `style.picture_height` (a slide)."""
    if style.picture_height is None:
        return style
    room = style.picture_height - _top_margin(style, lines_above) - _bottom_margin(style)
    row_height = min(style.row_height, int(room / rows))
    if row_height >= style.row_height:
        return style
    # A marker keeps the share of its row it has in the theme, so the arrows between rows stay visible.
    marker = max(24, min(style.marker, int(row_height * 0.62)))
    return replace(style, row_height=max(row_height, 40), marker=marker)


def _row_label(label: str, style: Theme) -> str:
    """A row's axis label; on a phone only its name, broken before "(", so that the plot keeps its width."""
    if not style.compact:
        return label
    return label.split("<br>")[0].replace("(", "<br>(", 1)


LINE_SPACING = 1.25  # a label's line height, in font sizes


def _row_labels(diagram: Diagram, style: Theme, row_px: float) -> dict:
    """The y axis's row labels, each within its row's `row_px` so that neighbours never overlap: two lines (name,
    shape) when they fit; on a deep stack's short rows one line (RepeatVector's name alone), in a smaller font if
    even one line of the theme's is too tall."""
    labels = [_row_label(row.label, style) for row in diagram.rows]
    lines = max(label.count("<br>") + 1 for label in labels)
    if lines * style.font * LINE_SPACING <= row_px:
        return {"ticktext": labels}
    # Two lines in a slightly smaller font before one long line: one-line labels widen the label column, and the
    # plot and its headings lose that width (a slide's step-panel strip clipped its cell heading).
    smaller = int(row_px / (lines * LINE_SPACING))
    if smaller >= style.label - 2:
        return {"ticktext": labels, "tickfont": {"size": smaller}}
    labels = [
        label.split("<br>")[0] if row.role == "repeat" else label.replace("<br>", " ")
        for row, label in zip(diagram.rows, labels, strict=True)
    ]
    return {"ticktext": labels, "tickfont": {"size": min(style.font, int(row_px / LINE_SPACING))}}


def unrolled_figure(
    description: Description,
    talk_mode: bool = False,
    compact: bool = False,
    focus: tuple[str, int] | None = None,
    height: int | None = None,
) -> go.Figure:
    """Draw `description`'s model unrolled over its timesteps: `render(layout(description))` in the page's theme
    (`compact`: the phone layout, with fewer columns), keeping the `focus` step (axis name, step) drawn; `height`
    (pixels) squeezes the rows into a strip, as a slide with the step panel under it needs."""
    theme = theme_for(talk_mode, compact)
    if height is not None:
        theme = replace(theme, picture_height=height)
    return render(layout(description, theme, focus), theme)


def hidden_steps_caption(diagram: Diagram) -> str | None:
    """What the ellipses stand for, axis by axis, counted from the drawn diagram (None when every step is drawn)."""
    parts = []
    for axis in diagram.axes:
        drawn = sum(step is not None for step in axis.steps)
        if drawn < axis.timesteps:
            name = "decoder steps" if axis.name == "decoder" else "timesteps"
            parts.append(f"of the {axis.timesteps} {name}, {drawn} are drawn and {axis.timesteps - drawn} hidden")
    if not parts:
        return None
    return (
        "Too many steps to draw: "
        + "; ".join(parts)
        + ". The hidden ones are the same cell with the same weights."
    )


def head_caption(description: Description) -> str:
    """How Keras computes the head, Dense against TimeDistributed(Dense), and why both give the same numbers."""
    spec = description.spec
    head = description.head
    if head is None and spec.refused_at in ("stack", "repeat"):
        return f"No head is drawn: Keras stops at '{description.broken_at}', before the head."
    if head is None:
        return (
            "No head is drawn: with return_sequences=False there is no time axis for TimeDistributed to walk along. "
            "A plain Dense on the last state works (the seed's model 3)."
        )
    if not spec.sequence_output:
        return (
            f"Dense is applied once, to the last state {format_shape(head.input_shape)}: one output per sequence, "
            f"shaped {format_shape(head.output_shape)}."
        )
    steps = spec.output_steps
    return (
        "Dense and TimeDistributed(Dense) draw the same because they are the same maths: "
        f"{_compact_weights(head.weights)}, one set of weights applied at each of the {fmt(steps)} steps. "
        f"Keras computes Dense as one matrix product over the last axis of the {format_shape(head.input_shape)} "
        f"input; TimeDistributed calls the wrapped Dense once per timestep ({fmt(steps)} calls) and stacks the "
        "results. With the same kernel and bias both give identical numbers."
    )


def pattern_caption(description: Description) -> str | None:
    """What the picture shows beyond one layer (the stack, RepeatVector, the decoder, return_state); None for the
    seed's single layer."""
    spec = description.spec
    parts = []
    if spec.layers > 1:
        lower = "returns" if spec.inner_return_sequences else "returns only its last state (faded: not returned)"
        parts.append(
            f"**{spec.layers} stacked layers**, one row each: every layer below the top {lower} "
            "and the layer above reads it step by step."
        )
    if spec.repeat == "input":
        parts.append(
            f"**One-to-many**: X is one vector per sample; `RepeatVector({spec.timesteps})` copies it to every step."
        )
    if spec.repeat == "encoder":
        parts.append(
            f"**Encoder–decoder**: the encoder's last state is copied by `RepeatVector({spec.output_timesteps})` to "
            f"each of the decoder's {spec.output_timesteps} steps (the right-hand time axis)."
        )
    if spec.return_state:
        names = "h and c" if spec.cell == "LSTM" else "h"
        if spec.repeat == "encoder":
            parts.append(f"`return_state=True` hands the encoder's final {names} to the decoder as `initial_state`.")
        else:
            parts.append(
                f"`return_state=True` also returns the top layer's final {names} (the diamonds); this model does not "
                "use them."
            )
    if description.broken_at is not None and spec.refused_at in ("stack", "repeat"):
        parts.append(f"The ✕ marks where Keras stops: **{description.broken_at}**.")
    return " ".join(parts) or None
