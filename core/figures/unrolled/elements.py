"""The unrolled diagram's nodes and edges, placed on a `Plan`: inputs, cells, states, head and output, the data going
up, the states passed along, RepeatVector's copies and return_state's hand-over.
"""

from __future__ import annotations

from collections.abc import Iterator

from core.figures.unrolled.facts import (
    sub,
)
from core.figures.unrolled.hover import (
    cell_hover,
    error_hover,
    head_hover,
    input_hover,
    output_hover,
    repeat_hover,
    state_hover,
)
from core.figures.unrolled.model import (
    ELBOW,
    GAP,
    VGAP,
    Edge,
    Node,
    step_shape,
)
from core.figures.unrolled.plan import Block, Plan
from core.model.anatomy import format_shape
from core.model.sequence_fields import padded_steps_drawn, shortest_length


def _block_nodes(block: Block) -> Iterator[Node]:
    m, axis = block.m, block.axis
    cell_series = f"{m.cell_kind} cell" + (" (forward)" if m.bidirectional else "")
    state_series = f"merged ({m.spec.merge_mode})" if m.bidirectional else "h_t"
    for t in axis.shown:
        x = axis.x(t)
        for direction, y in block.cell_y.items():
            series = cell_series if direction == "forward" else f"{m.cell_kind} cell (backward)"
            hover = cell_hover(m, t, direction)
            yield Node("cell", t, x, y, m.cell_kind, hover, series, axis.name, m.index, direction)
        returned = m.returned(t)
        series = f"{state_series} returned {m.merged_shape}" if returned else f"{state_series} not returned"
        hover = state_hover(m, t, returned)
        label = sub("h", t)
        yield Node("state", t, x, block.state_y, label, hover, series, axis.name, m.index, faded=not returned)


def _padded_input(plan: Plan, t: int, hover: str) -> Node:
    """An input step that is padding in the shortest sequence: drawn faded, its hover saying what the mask does."""
    length = shortest_length(plan.spec.timesteps)
    why = (
        f"<b>Padding (masked)</b> in the shortest sequence (real length {length}): x_t is all zeros, Masking marks "
        "it, the recurrent layer carries its state past it and the loss leaves this step out.<br>"
    )
    series = f"padding (masked) after t={length - 1}"
    return Node("input", t, plan.time.x(t), plan.input_y, sub("x", t), why + hover, series, plan.time.name, faded=True)


def place_nodes(plan: Plan) -> Iterator[Node]:
    """Every node: the input (or its one vector and RepeatVector's copies), each layer's cells and states, the
    summary copied to the decoder, the head and output, the state outputs of return_state, and the break."""
    description, spec, time = plan.description, plan.spec, plan.time
    first = plan.blocks[0].m
    if spec.repeat == "input":
        x0 = time.x(time.shown[0])
        yield Node("input", 0, x0, plan.input_y, "x", input_hover(first, 0), f"input x {first.x_shape}", time.name)
        for t in time.shown:
            hover = repeat_hover(description, spec.timesteps, t, "x")
            yield Node("repeat", t, time.x(t), plan.repeat_y, "x", hover, "RepeatVector copies", time.name)
    else:
        padded = padded_steps_drawn(spec)
        for t in time.shown:
            hover = input_hover(first, t)
            if t in padded:
                yield _padded_input(plan, t, hover)
                continue
            yield Node("input", t, time.x(t), plan.input_y, sub("x", t), hover, f"input x_t {first.x_shape}", time.name)
    for block in plan.blocks:
        if block.m.layer.role == "decoder":
            summary = sub("h", spec.timesteps - 1) if not block.m.bidirectional else "merged h"
            for t in block.axis.shown:
                hover = repeat_hover(description, spec.output_timesteps, t, f"the encoder's last state {summary}")
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
                "head", t, x, plan.head_y, "Dense", head_hover(top.m, t), f"head: {spec.head_label}", top.axis.name
            )
            label = sub("y", t) if top.m.returns_sequences else "y"
            series = f"output y {format_shape(step_shape(head.output_shape))}"
            yield Node("output", t, x, plan.output_y, label, output_hover(top.m, t), series, top.axis.name)
    if plan.description.refusal is not None and plan.broken_y is not None:
        axis = top.axis
        yield Node(
            "error",
            axis.last,
            axis.x(axis.last),
            plan.broken_y,
            "✕",
            error_hover(plan.description.refusal),
            "breaks here",
            axis.name,
            len(plan.blocks),
        )


STATE_OUT_DX = 0.72  # how far right of its cell a returned final state is drawn (return_state without a decoder)


def _final_state_steps(block: Block) -> dict[str, int]:
    """The step after which each direction holds its final state: the last for forward, 0 for backward."""
    return {direction: (0 if direction == "backward" else block.axis.last) for direction in block.cell_y}


def _top_refused(plan: Plan) -> bool:
    """Whether Keras refuses a layer of the stack (then the top layer, whose states return_state returns, is not
    built)."""
    refusal = plan.description.refusal
    return refusal is not None and refusal.kind == "stack"


def _state_outputs(plan: Plan) -> Iterator[Node]:
    """return_state without a decoder: the top layer's final states as extra outputs, beside the cell that made
    them (with a decoder they are handed over instead, see `_handover_links`)."""
    spec = plan.spec
    if not spec.return_state or spec.repeat == "encoder" or _top_refused(plan):
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


def _block_up_links(block: Block) -> Iterator[Edge]:
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


def up_links(plan: Plan) -> Iterator[Edge]:
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


def _handover_links(plan: Plan) -> Iterator[Edge]:
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


def _state_out_links(plan: Plan) -> Iterator[Edge]:
    spec = plan.spec
    if not spec.return_state or spec.repeat == "encoder" or _top_refused(plan):
        return
    block = plan.encoder_top
    for direction, step in _final_state_steps(block).items():
        x, y = block.axis.x(step), block.cell_y[direction]
        sign = 1 if direction == "forward" else -1
        points = ((x + sign * GAP, y), (x + sign * (STATE_OUT_DX - GAP * 0.9), y))
        yield Edge("handover", points, axis=block.axis.name, layer=block.m.index, direction=direction, step=step)


def passed_links(plan: Plan) -> Iterator[Edge]:
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
                label = ", ".join(sub(name, sender) for name in m.state_names)
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
