"""`layout(description, theme) -> Diagram`: the plan, its elements, the headings and notes, and the play frames."""

from __future__ import annotations

from core.figures.theme import NORMAL, Theme
from core.figures.unrolled.elements import passed_links, place_nodes, up_links
from core.figures.unrolled.facts import (
    compact_weights,
    direction_weights,
    times,
)
from core.figures.unrolled.model import (
    Diagram,
    Note,
    PlayFrame,
    Stop,
)
from core.figures.unrolled.plan import Block, Plan, make_plan
from core.model.anatomy import Description, fmt


def _stack_heading(plan: Plan) -> str:
    """What the recurrent layers share and how often: one set of weights per layer."""
    description = plan.description
    first = plan.blocks[0].m
    copies = "two copies (forward, backward), each" if first.bidirectional else "one set of weights,"
    if len(plan.blocks) == 1:
        return (
            f"<b>{first.cell_kind} cell</b> {compact_weights(direction_weights(first.layer, 'forward'))}: {copies} "
            f"used {times(first.T)} ({fmt(first.layer.params)} parameters)"
        )
    del copies  # the cell rows say forward and backward; the heading lists each layer's own count
    parts = [f"{block.m.layer.name} {fmt(block.m.layer.params)}" for block in plan.blocks]
    lines = [" · ".join(parts[index : index + 2]) for index in range(0, len(parts), 2)]
    return (
        f"<b>{len(description.recurrent_layers)} {first.cell_kind} layers</b>, each its own weights, used at every "
        "step:<br>" + "<br>".join(lines) + " parameters"
    )


def _notes(plan: Plan) -> list[Note]:
    """The headings (what is shared and how often), the ellipses, and the pointer to the break."""
    spec, head, refusal = plan.spec, plan.description.head, plan.description.refusal
    notes = [Note("cell_label", _stack_heading(plan))]
    if head is not None:
        notes.append(
            Note(
                "head_label",
                f"<b>{spec.head_label}</b> {compact_weights(head.weights)}: one set of weights, "
                f"used {times(head.applications)} ({fmt(head.params)} parameters)",
            )
        )
    elif refusal is not None:
        notes.append(Note("error_label", refusal.breaks, error=True))
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
    if refusal is not None and plan.broken_y is not None:
        top = plan.top
        notes.append(Note("error_pointer", refusal.needs, top.axis.x(top.axis.last), plan.broken_y, error=True))
    return notes


def _play_frames(plan: Plan) -> list[PlayFrame]:
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


def _above(plan: Plan, block: Block, x: float) -> list[Stop]:
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
    plan = make_plan(description, style, focus)
    return Diagram(
        axes=plan.axes,
        rows=plan.rows,
        nodes=tuple(place_nodes(plan)),
        edges=(*up_links(plan), *passed_links(plan)),
        notes=tuple(_notes(plan)),
        frames=tuple(_play_frames(plan)),
    )
