"""Where the unrolled diagram's parts go: the time axes, the rows bottom to top, and one block per recurrent layer."""

from __future__ import annotations

from dataclasses import dataclass

from core.figures.theme import Theme
from core.figures.unrolled.facts import (
    LayerFacts,
    layer_facts,
)
from core.figures.unrolled.model import (
    AXIS_GAP,
    Row,
    TimeAxis,
    step_shape,
    visible_steps,
)
from core.model.anatomy import Description, format_shape


# -- layout -----------------------------------------------------------------------------------------------------------
def _cell_row_label(m: LayerFacts, direction: str, name: str | None = None) -> str:
    label = name or m.layer.name
    label += f" {direction}" if m.bidirectional else ""
    return f"{label}<br>{m.state_name} {m.state_shape}"


@dataclass(frozen=True)
class Block:
    """One recurrent layer placed: its facts, its time axis, its rows, and the row it reads from."""

    m: LayerFacts
    axis: TimeAxis
    cell_y: dict[str, float]  # direction -> y
    state_y: float
    source_y: float
    source_faded: tuple[int, ...] = ()  # steps whose source node is faded (the layer below did not return them)


@dataclass(frozen=True)
class Plan:
    """Where everything goes: the axes, the rows, the recurrent blocks, and the special rows."""

    description: Description
    axes: tuple[TimeAxis, ...]
    rows: tuple[Row, ...]
    blocks: tuple[Block, ...]
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
    def top(self) -> Block:
        return self.blocks[-1]

    @property
    def encoder_top(self) -> Block:
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


def make_plan(description: Description, style: Theme, focus: tuple[str, int] | None = None) -> Plan:
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
    first = layer_facts(description)
    rows: list[Row] = [Row("input", 0.0, f"input x<sub>t</sub><br>{first.x_shape}")]
    repeat_y = None
    if spec.repeat == "input":
        rows[0] = Row("input", 0.0, f"input x<br>{format_shape(step_shape(description.layers[0].output_shape))}")
        repeat_y = 1.0
        rows.append(Row("repeat", repeat_y, "RepeatVector<br>x at every step"))
    blocks: list[Block] = []
    source_y, source, faded_steps = rows[-1].y, "x", ()
    for layer in description.recurrent_layers:
        axis = axes[-1] if layer.role == "decoder" else time
        if layer.role == "decoder":
            repeat_y = float(len(rows))
            rows.append(Row("repeat", repeat_y, "RepeatVector<br>the summary at every step", layer.index))
            source_y, source, faded_steps = repeat_y, "s", ()
        m = layer_facts(description, layer, source)
        cell_y = {}
        for direction in m.directions():
            y = float(len(rows))
            rows.append(Row("cell", y, _cell_row_label(m, direction), layer.index, direction))
            cell_y[direction] = y
        state_y = float(len(rows))
        state_label = ("merged" if m.bidirectional else "returned h<sub>t</sub>") + f"<br>{m.merged_shape}"
        rows.append(Row("state", state_y, state_label, layer.index))
        blocks.append(Block(m, axis, cell_y, state_y, source_y, faded_steps))
        faded_steps = tuple(step for step in axis.shown if not m.returned(step))
        source_y, source = state_y, f"h{'′' * (layer.index + 1)}"
    head_y = output_y = broken_y = None
    refusal = description.refusal
    if refusal is not None and refusal.before_head:
        broken_y = float(len(rows))
        rows.append(Row("broken", broken_y, f"{refusal.name}<br>refused", len(blocks)))
    else:
        head_y = float(len(rows))
        rows.append(Row("head", head_y, spec.head_label))
        head = description.head
        output = format_shape(step_shape(head.output_shape)) if head is not None else "not built"
        output_y = float(len(rows))
        rows.append(Row("output", output_y, f"output y<br>{output}"))
        if refusal is not None:  # TimeDistributed refuses: the head's row is where it breaks
            broken_y = head_y
    return Plan(description, tuple(axes), tuple(rows), tuple(blocks), 0.0, repeat_y, head_y, output_y, broken_y)
