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
them (see core.theme): x₀ … x_{T-1}, ticks t=0 … t=T-1.

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

from core.anatomy import Description, Layer, Shape, Weight, fmt, format_shape
from core.theme import NORMAL, PALETTE, TALK, TRANSPARENT, Theme, step_label, theme_for

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
    "steps_drawn",
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
        """The column of a drawn step (or of the ellipsis, for None)."""
        return self.x0 + self.steps.index(step)

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
    timesteps: int, max_columns: int = NORMAL.max_columns, first: int = NORMAL.first, last: int = NORMAL.last
) -> list[int | None]:
    """The timesteps (from 0) drawn as columns, with None for the ellipsis column that stands for the hidden ones."""
    if timesteps <= max_columns:
        return list(range(timesteps))
    return [*range(first), None, *range(timesteps - last, timesteps)]


def steps_drawn(timesteps: int, talk_mode: bool = False) -> list[int | None]:
    """The columns `unrolled_figure` draws for T steps (talk mode draws fewer, larger ones)."""
    theme = theme_for(talk_mode)
    return visible_steps(timesteps, theme.max_columns, theme.first, theme.last)


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
    """The facts of a description the layout needs, read once."""

    description: Description
    T: int
    bidirectional: bool
    cell_kind: str
    returns_sequences: bool
    invalid: bool
    state_names: tuple[str, ...]  # ("h", "c") for an LSTM
    x_shape: str
    state_shape: str
    merged_shape: str

    @property
    def spec(self):
        return self.description.spec

    @property
    def recurrent(self) -> Layer:
        return self.description.recurrent

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


def _model(description: Description) -> _Model:
    recurrent = description.recurrent
    bidirectional = recurrent.kind == "Bidirectional"
    cell_kind = recurrent.inner_kind if bidirectional else recurrent.kind
    assert cell_kind is not None
    return _Model(
        description=description,
        T=description.spec.timesteps,
        bidirectional=bidirectional,
        cell_kind=cell_kind,
        returns_sequences=len(recurrent.output_shape) == 3,
        invalid=description.error is not None,
        state_names=("h", "c") if cell_kind == "LSTM" else ("h",),
        x_shape=format_shape(step_shape(description.layers[0].output_shape)),
        state_shape=format_shape((None, _units(recurrent))),
        merged_shape=format_shape(step_shape(recurrent.output_shape)),
    )


# -- hover texts ------------------------------------------------------------------------------------------------------
def _input_hover(m: _Model, t: int) -> str:
    whole = format_shape(m.description.layers[0].output_shape)
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
        states_in = f"the initial {m.state_name} (zeros)"
    states_out = ", ".join(_sub(name, t) for name in m.state_names)
    who = f"{m.cell_kind} cell" + (f" ({direction} copy)" if m.bidirectional else "")
    lines = [
        f"<b>{who}</b> at step {t}",
        f"in: {_sub('x', t)} {m.x_shape} and {states_in} {m.state_shape} each",
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


def _error_hover(m: _Model) -> str:
    return (
        f"<b>{m.spec.head_label} cannot be built here</b><br>"
        + "<br>".join(textwrap.wrap(m.description.error or "", 70))
        + f"<br><br>Keras: ValueError: {'<br>'.join(textwrap.wrap(m.description.keras_error or '', 70))}"
    )


# -- layout -----------------------------------------------------------------------------------------------------------
def _rows(m: _Model, layers: int = 1) -> tuple[Row, ...]:
    """The rows bottom to top: input, then per recurrent layer its cell row(s) and state row, then head and output."""
    rows = [Row("input", 0.0, f"input x<sub>t</sub><br>{m.x_shape}")]
    for layer in range(layers):
        for direction in m.directions():
            if direction == "forward":
                label = f"{m.cell_kind}" + (" forward" if m.bidirectional else " cell")
            else:
                label = f"{m.cell_kind} backward"
            label += f"<br>{m.state_name} {m.state_shape}"
            rows.append(Row("cell", float(len(rows)), label, layer, direction))
        state_label = ("merged" if m.bidirectional else "returned h<sub>t</sub>") + f"<br>{m.merged_shape}"
        rows.append(Row("state", float(len(rows)), state_label, layer))
    head = m.head
    rows.append(Row("head", float(len(rows)), m.spec.head_label))
    output = format_shape(step_shape(head.output_shape)) if head is not None else "not built"
    rows.append(Row("output", float(len(rows)), f"output y<br>{output}"))
    return tuple(rows)


def _ys(rows: Sequence[Row]) -> dict[str, float]:
    """Row heights by short key (layer 0): input, cell, cell_backward, state, head, output."""
    ys = {}
    for row in rows:
        if row.layer == 0:
            ys["cell_backward" if row.direction == "backward" else row.role] = row.y
    return ys


def _nodes(m: _Model, axis: TimeAxis, rows: Sequence[Row]) -> Iterator[Node]:
    """Every node, column by column."""
    y = _ys(rows)
    cell_series = f"{m.cell_kind} cell" + (" (forward)" if m.bidirectional else "")
    state_series = f"merged ({m.spec.merge_mode})" if m.bidirectional else "h_t"
    head = m.head
    for t in axis.shown:
        x = axis.x(t)
        yield Node("input", t, x, y["input"], _sub("x", t), _input_hover(m, t), f"input x_t {m.x_shape}", axis.name)
        yield Node(
            "cell", t, x, y["cell"], m.cell_kind, _cell_hover(m, t, "forward"), cell_series, axis.name, 0, "forward"
        )
        if m.bidirectional:
            yield Node(
                "cell",
                t,
                x,
                y["cell_backward"],
                m.cell_kind,
                _cell_hover(m, t, "backward"),
                f"{m.cell_kind} cell (backward)",
                axis.name,
                0,
                "backward",
            )
        returned = m.returned(t)
        series = f"{state_series} returned {m.merged_shape}" if returned else f"{state_series} not returned"
        yield Node(
            "state", t, x, y["state"], _sub("h", t), _state_hover(m, t, returned), series, axis.name, faded=not returned
        )
        if returned and head is not None:
            yield Node("head", t, x, y["head"], "Dense", _head_hover(m, t), f"head: {m.spec.head_label}", axis.name)
            label = _sub("y", t) if m.returns_sequences else "y"
            series = f"output y {format_shape(step_shape(head.output_shape))}"
            yield Node("output", t, x, y["output"], label, _output_hover(m, t), series, axis.name)
    if m.invalid:
        yield Node("error", axis.last, axis.x(axis.last), y["head"], "✕", _error_hover(m), "breaks here", axis.name)


def _up_links(m: _Model, axis: TimeAxis, rows: Sequence[Row]) -> Iterator[Edge]:
    """The data going up each column: x_t into the cell(s), the state out, into the head and the output."""
    y = _ys(rows)
    last_x = axis.x(axis.last)
    for t in axis.shown:
        x = axis.x(t)
        yield Edge("link", ((x, y["input"] + VGAP), (x, y["cell"] - VGAP)), step=t)
        returned = m.returned(t)
        if m.bidirectional:
            # x_t feeds the backward cell too: route beside the forward cell, not through it.
            yield Edge(
                "link",
                (
                    (x + 0.12, y["input"] + VGAP),
                    (x + ELBOW, y["input"] + 0.5),
                    (x + ELBOW, y["cell_backward"] - 0.5),
                    (x + 0.12, y["cell_backward"] - VGAP),
                ),
                step=t,
                direction="backward",
            )
            forward_up = (
                (x - 0.12, y["cell"] + VGAP),
                (x - ELBOW, y["cell"] + 0.5),
                (x - ELBOW, y["state"] - 0.5),
                (x - 0.12, y["state"] - VGAP),
            )
            yield Edge("link", forward_up, faded=not returned, step=t, direction="forward")
            if m.returned(t, "backward") and not m.returns_sequences:
                # The backward copy's final state (after x_0) joins the forward one's at the last column.
                backward_up: tuple[tuple[float, float], ...] = (
                    (x, y["cell_backward"] + VGAP),
                    (x, y["cell_backward"] + 0.5),
                    (last_x + 0.12, y["cell_backward"] + 0.5),
                    (last_x + 0.12, y["state"] - VGAP),
                )
            else:
                backward_up = ((x, y["cell_backward"] + VGAP), (x, y["state"] - VGAP))
            faded = not m.returned(t, "backward")
            yield Edge("link", backward_up, faded=faded, step=t, direction="backward")
        else:
            yield Edge("link", ((x, y["cell"] + VGAP), (x, y["state"] - VGAP)), faded=not returned, step=t)
        if returned and m.head is not None:
            yield Edge("link", ((x, y["state"] + VGAP), (x, y["head"] - VGAP)), step=t)
            yield Edge("link", ((x, y["head"] + VGAP), (x, y["output"] - VGAP)), step=t)
    if m.invalid:
        # The last state does reach the head's place: that is where Keras stops.
        yield Edge("link", ((last_x, y["state"] + VGAP), (last_x, y["head"] - VGAP)), step=axis.last)


def _passed_links(m: _Model, axis: TimeAxis, rows: Sequence[Row]) -> Iterator[Edge]:
    """The state passed from step to step: forward left to right, backward right to left; dotted across the ellipsis."""
    cell_rows = [row for row in rows if row.role == "cell"]
    for index in range(len(axis.steps) - 1):
        left, right = axis.steps[index], axis.steps[index + 1]
        x_left, x_right = axis.column_x(index), axis.column_x(index + 1)
        for row in cell_rows:
            forward = row.direction == "forward"
            a, b = (x_left, x_right) if forward else (x_right, x_left)
            sign = 1 if forward else -1
            points = ((a + sign * GAP, row.y), (b - sign * GAP, row.y))
            if left is None or right is None:
                yield Edge("hidden", points, axis=axis.name, layer=row.layer, direction=row.direction)
                continue
            sender = left if forward else right
            label = ", ".join(_sub(name, sender) for name in m.state_names)
            each = " each" if len(m.state_names) > 1 else ""
            yield Edge(
                "passed",
                points,
                axis=axis.name,
                layer=row.layer,
                direction=row.direction,
                step=sender,
                label=label,
                hover=f"{label}: {m.state_shape}{each}, passed from step {sender} to the next",
            )


def _notes(m: _Model, axis: TimeAxis, rows: Sequence[Row]) -> list[Note]:
    """The headings (what is shared and how often), the ellipsis, and the pointer to the break."""
    spec, head, recurrent = m.spec, m.head, m.recurrent
    copies = "two copies (forward, backward), each" if m.bidirectional else "one set of weights,"
    notes = [
        Note(
            "cell_label",
            f"<b>{m.cell_kind} cell</b> {_compact_weights(_direction_weights(recurrent, 'forward'))}: {copies} used "
            f"{_times(m.T)} ({fmt(recurrent.params)} parameters)",
        )
    ]
    if head is not None:
        notes.append(
            Note(
                "head_label",
                f"<b>{spec.head_label}</b> {_compact_weights(head.weights)}: one set of weights, "
                f"used {_times(head.applications)} ({fmt(head.params)} parameters)",
            )
        )
    elif m.invalid:
        text = f"<b>{spec.head_label}</b> breaks: {format_shape(recurrent.output_shape)} has no time axis"
        notes.append(Note("error_label", text, error=True))
    y = _ys(rows)
    if axis.hidden:
        middle = (y["input"] + y["output"]) / 2
        notes.append(Note("ellipsis", f"… {fmt(axis.hidden)} steps hidden …", axis.x(None), middle))
    if m.invalid:
        text = f"{spec.head_label} needs a time axis"
        notes.append(Note("error_pointer", text, axis.x(axis.last), y["head"], error=True))
    return notes


def _above(m: _Model, x: float, y: dict[str, float]) -> list[Stop]:
    """What a returned state goes through at column x: the state, then the head and output (or the break)."""
    path = [Stop(x, y["state"])]
    if m.head is not None:
        path += [Stop(x, y["head"]), Stop(x, y["output"])]
    elif m.invalid:
        path += [Stop(x, y["head"])]
    return path


def _play_frames(m: _Model, axis: TimeAxis, rows: Sequence[Row]) -> list[PlayFrame]:
    """One frame per column (the forward cell at that step, the backward cell mirrored), then the merge if pending."""
    y = _ys(rows)
    frames = [PlayFrame("start", "start", ())]
    n = len(axis.steps)
    for index, step in enumerate(axis.steps):
        x = axis.column_x(index)
        # The state arriving from the previous step, then x_t coming in and going up as far as it goes.
        path: list[Stop | None] = [Stop(x - 1, y["cell"], ring=False)] if index else []
        path += [Stop(x, y["cell"]), None, Stop(x, y["input"]), Stop(x, y["cell"])]
        if m.bidirectional:
            # The backward copy walks the same columns from the right.
            mirror = axis.column_x(n - 1 - index)
            path += [None] + ([Stop(mirror + 1, y["cell_backward"], ring=False)] if index else [])
            path += [Stop(mirror, y["cell_backward"]), None, Stop(mirror, y["input"]), Stop(mirror, y["cell_backward"])]
        elif step is not None and m.returned(step):
            path += _above(m, x, y)
        label = "hidden steps" if step is None else axis.tick(step)
        frames.append(PlayFrame(f"step {index + 1}", label, tuple(path)))
    if m.bidirectional:
        path = []
        for step in axis.shown:
            if m.returned(step):
                path += [*_above(m, axis.x(step), y), None]
        frames.append(PlayFrame("merge", "head" if m.head is not None else "merge", tuple(path)))
    return frames


def layout(description: Description, style: Theme = NORMAL) -> Diagram:
    """Place every element of `description`'s model unrolled over time; `style` decides how many columns fit.

    Built only from the description, in time bounded by `style.max_columns`, not by T.
    """
    m = _model(description)
    axis = TimeAxis("time", m.T, tuple(visible_steps(m.T, style.max_columns, style.first, style.last)))
    rows = _rows(m)
    edges = (*_up_links(m, axis, rows), *_passed_links(m, axis, rows))
    return Diagram(
        axes=(axis,),
        rows=rows,
        nodes=tuple(_nodes(m, axis, rows)),
        edges=edges,
        notes=tuple(_notes(m, axis, rows)),
        frames=tuple(_play_frames(m, axis, rows)),
    )


# -- rendering --------------------------------------------------------------------------------------------------------
# How each role is drawn: marker symbol and size relative to the theme's marker.
MARKS = {
    "input": ("circle", 0.85),
    "cell": ("square", 1.25),
    "state": ("circle", 0.85),
    "head": ("square", 1.25),
    "output": ("square", 1.0),
    "error": ("x", 1.1),
}
ROLE_ORDER = tuple(MARKS)


def _node_colour(node: Node) -> str:
    if node.role == "cell" and node.direction == "backward":
        return PALETTE["cell_backward"]
    return PALETTE[node.role]


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
        meta={"role": first.role, "faded": first.faded, "direction": first.direction, "layer": first.layer},
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
    traces = [
        now,
        _edge_trace(diagram.edges_of("link", faded=True), "not returned", "link", PALETTE["link"], theme, True, "dot"),
        _edge_trace(diagram.edges_of("link", faded=False), "data flow", "link", PALETTE["link"], theme),
        _edge_trace(passed, "state passed on", "passed", PALETTE["cell"], theme),
        _edge_trace(diagram.edges_of("hidden"), "hidden steps", "hidden", PALETTE["cell"], theme, dash="dot"),
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
            meta={"role": "passed_label", "faded": False},
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
        if note.name == "ellipsis":
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
    on_top = theme.controls_on_top
    buttons = {
        "type": "buttons",
        "direction": "left",
        "x": 1 if on_top else 0,
        "y": 1 if on_top else controls_y,
        "xanchor": "right" if on_top else "left",
        "yanchor": "bottom" if on_top else "top",
        "pad": {"t": 10, "r": 10},
        "showactive": False,
        "font": {"size": theme.label},
        "buttons": [
            {"label": "▶ Play", "method": "animate", "args": [None, play]},
            {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
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
    plot_height = style.row_height * (top + 1)
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
            "range": [min(a.x_range[0] for a in diagram.axes), max(a.x_range[1] for a in diagram.axes)],
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
            "ticktext": [_row_label(row.label, style) for row in diagram.rows],
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


def unrolled_figure(description: Description, talk_mode: bool = False, compact: bool = False) -> go.Figure:
    """Draw `description`'s model unrolled over its timesteps: `render(layout(description))` in the page's theme
    (`compact`: the phone layout, with fewer columns)."""
    theme = theme_for(talk_mode, compact)
    return render(layout(description, theme), theme)


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
