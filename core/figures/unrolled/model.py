"""The unrolled diagram as data: time axes, rows, nodes, edges, notes and play frames, in data coordinates.

Columns are timesteps (x = 1, 2, … along a `TimeAxis`), rows are stacked bottom to top (y = 0, 1, …). Pure data:
the tests read what is drawn where, and a click on the figure is decoded against it (`clicks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.figures.theme import NORMAL, step_label
from core.model.anatomy import Shape

# x offset of the elbow lines that route around a cell in the bidirectional layout (in column widths).
ELBOW = 0.3
GAP = 0.27  # half a marker, in column widths: horizontal lines stop short of the markers they join
VGAP = 0.3  # the same, in row heights
AXIS_GAP = 1.0  # empty columns between two time axes drawn side by side


# -- the data model ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeAxis:
    """One run of timestep columns: `steps` are the drawn timesteps (None = the ellipsis column), the first at `x0`.

    Every model has the axis "time"; an encoder-decoder adds its decoder's axis, "decoder", to the right of it.
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
