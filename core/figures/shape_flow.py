"""The shape flow as a picture: input (None, T, I) → each layer → output → the targets `fit()` needs.

`shape_flow_figure(spec)` draws one box per layer with its output shape as cells (batch, time, features), the axis
the layer acts on highlighted, and under the targets the user's own, marked by the target checker's verdict.
Colours and sizes come from core.figures.theme.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import plotly.graph_objects as go

from core.figures.theme import NORMAL, PALETTE, TRANSPARENT, Theme, arrow, wrap_words
from core.model.anatomy import Shape, describe, format_shape
from core.model.spec import ModelSpec
from core.model.target_checker import target_verdict

# -- the picture ---------------------------------------------------------------------------------------------

# The fill of each kind of axis, and of the axis a layer acts on: the recurrent layer walks along time (the cell's
# colour), a Dense transforms features. Verdict colours are the theme's.
AXIS_FILLS = {
    "batch": PALETTE["batch"],
    "time": PALETTE["time"],
    "feature": PALETTE["feature"],
    "acted": PALETTE["feature_acted"],
    "time_acted": PALETTE["cell"],
}


@dataclass(frozen=True)
class Stage:
    """One box of the flow: a title, the shape it outputs, which axis it acts on and what it does to it."""

    title: str
    shape: Shape | None
    acts_on: int | None  # index into `shape` of the highlighted axis
    note: str
    time_acted: bool = False  # the highlighted axis is the time axis (walked along), not the features
    failed: bool = False


def flow_stages(spec: ModelSpec) -> list[Stage]:
    """The boxes of the shape flow, from the input to the targets, from `describe(spec)`."""
    description = describe(spec)
    stages = []
    for layer in description.layers:
        kind = layer.class_label
        title = f"{layer.name}<br>{kind}"
        if layer.role == "input":
            note = "samples × timesteps × features"
            if kind == "Masking":  # its second output, the mask, is not drawn as a shape: say it
                reach = "it travels to the loss" if spec.sequence_output else "only the recurrent layer uses it"
                note = f"X as is, plus a mask {format_shape(layer.output_shape[:2])}: False at padded steps; {reach}"
            stages.append(Stage(title, layer.output_shape, None, note))
        elif layer.role == "repeat":
            note = f"copies one vector of {layer.output_shape[-1]} to {layer.output_shape[1]} steps: a new time axis"
            stages.append(Stage(title, layer.output_shape, 1, note, time_acted=True))
        elif layer.role in ("recurrent", "decoder"):
            inputs, units = layer.input_shape[-1], layer.output_shape[-1]
            if len(layer.output_shape) == 3:
                note = f"walks along T; features {inputs} → {units} at every step"
                stage = Stage(title, layer.output_shape, 1, note, time_acted=True)
            else:
                note = f"walks along T, keeps only the last state: the T axis is gone ({inputs} → {units})"
                stage = Stage(title, layer.output_shape, len(layer.output_shape) - 1, note)
            if layer.state_shapes:
                states = ", ".join(format_shape(shape) for shape in layer.state_shapes)
                stage = replace(stage, note=stage.note + f"; return_state adds its final states {states}")
            if layer.role == "decoder" and spec.return_state:
                stage = replace(stage, note=stage.note + "; starts from the encoder's states (initial_state)")
            stages.append(stage)
        elif layer.role == "head":
            last = len(layer.output_shape) - 1
            if spec.head == "time_distributed":
                note = "slices along T; one shared Dense on the last axis: "
                note += f"{layer.input_shape[-1]} → {spec.output_size}"
            elif len(layer.input_shape) == 3:
                note = "Dense acts on the last axis only, at every step: "
                note += f"{layer.input_shape[-1]} → {spec.output_size}"
            else:
                note = f"Dense on the last axis, once per sample: {layer.input_shape[-1]} → {spec.output_size}"
            stages.append(Stage(title, layer.output_shape, last, note))
        else:
            note = f"{spec.activation} over the last axis"
            stages.append(Stage(title, layer.output_shape, len(layer.output_shape) - 1, note))
    if (refusal := description.refusal) is not None:
        stages.append(Stage(f"{refusal.layer}<br>{refusal.layer_class}", None, None, refusal.flow_note, failed=True))
    else:
        note = "what fit() compares the output with"
        stages.append(Stage("targets Y<br>must be", description.target_shape, None, note))
    return stages


def _axis_kind(shape: Shape, index: int) -> str:
    if index == 0:
        return "batch"
    if len(shape) == 3 and index == 1:
        return "time"
    return "feature"


AXIS_NAMES = {"batch": "batch", "time": "time", "feature": "features"}
CHAR_EM = 0.6  # a character's width in font sizes (generous for plotly's sans-serif), to tell when labels collide


def _names_collide(shape: Shape, box_w: float, unit_px: float, size: int) -> bool:
    """Whether neighbouring axis names under a shape's cells would run together ("timefeatures") at `unit_px`."""
    cell_px = (box_w - 0.4) / len(shape) * unit_px
    names = [AXIS_NAMES[_axis_kind(shape, axis)] for axis in range(len(shape))]
    widths = [CHAR_EM * size * len(name) for name in names]
    return any((a + b) / 2 + 6 > cell_px for a, b in zip(widths, widths[1:], strict=False))


def _shape_cells(
    stage: Stage, left: float, box_w: float, cell_h: float, theme: Theme, drop: float = 0.0
) -> tuple[list[dict], list[dict]]:
    """A stage's shape as a row of cells, one per axis (the axis the layer acts on filled), each named under it (the
    second name a line lower, by `drop`, where neighbours would run together), and the whole shape above them."""
    font, small, ink, muted = theme.font, theme.label, PALETTE["ink"], PALETTE["muted"]
    title_font = {"size": font, "color": ink}
    shapes: list[dict] = []
    annotations: list[dict] = []
    assert stage.shape is not None
    dims = len(stage.shape)
    cell_w = (box_w - 0.4) / dims
    for axis, dim in enumerate(stage.shape):
        x0 = left + 0.2 + axis * cell_w
        kind = _axis_kind(stage.shape, axis)
        fill = AXIS_FILLS[kind]
        if stage.acts_on == axis:
            fill = AXIS_FILLS["time_acted"] if stage.time_acted else AXIS_FILLS["acted"]
        shapes.append(
            {
                "type": "rect",
                "x0": x0,
                "x1": x0 + cell_w - 0.05,
                "y0": 1.6,
                "y1": 1.6 + cell_h,
                "line": {"color": muted, "width": 1},
                "fillcolor": fill,
            }
        )
        annotations.append(
            {
                "x": x0 + (cell_w - 0.05) / 2,
                "y": 1.6 + cell_h / 2,
                "text": "None" if dim is None else str(dim),
                "showarrow": False,
                "font": {"size": font, "color": PALETTE["on_fill"] if stage.acts_on == axis else ink},
            }
        )
        annotations.append(
            {
                "x": x0 + (cell_w - 0.05) / 2,
                "y": 1.35 - (drop if axis == 1 else 0.0),
                "text": AXIS_NAMES[kind],
                "showarrow": False,
                "font": {"size": small, "color": muted},
            }
        )
    annotations.append(
        {
            "x": left + box_w / 2,
            "y": 2.65,
            "text": format_shape(stage.shape),
            "showarrow": False,
            "font": title_font,
        }
    )
    return shapes, annotations


@dataclass(frozen=True)
class Frame:
    """Where a stage's parts go, in data units: the boxes' top and bottom, and how far the notes (and a second axis
    name, where names would run together) go down."""

    top: float
    bottom: float
    drop: float
    box_w: float = 3.0
    gap: float = 1.0
    cell_h: float = 0.8


def _stage_marks(stage, index: int, left: float, note: str, theme, frame: Frame) -> tuple[list[dict], list[dict]]:
    """One stage's box: its border, title, shape cells with their axis names, note, and the arrow from the previous."""
    box_w, gap, cell_h = frame.box_w, frame.gap, frame.cell_h
    font, small, ink, muted = theme.font, theme.label, PALETTE["ink"], PALETTE["muted"]
    title_font = {"size": font, "color": ink}  # explicit colours: the Streamlit theme would grey out annotation text
    shapes: list[dict] = []
    annotations: list[dict] = []
    border = PALETTE["error"] if stage.failed else muted
    shapes.append(
        {
            "type": "rect",
            "x0": left,
            "x1": left + box_w,
            "y0": frame.bottom,
            "y1": frame.top,
            "line": {"color": border, "width": theme.line},
            "fillcolor": "rgba(0,0,0,0)",
        }
    )
    annotations.append(
        {
            "x": left + box_w / 2,
            "y": frame.top - 0.05,
            "yanchor": "top",
            "text": _box_title(stage.title, theme.box_chars),
            "showarrow": False,
            "font": title_font,
        }
    )
    if stage.shape is not None:
        cell_shapes, cell_annotations = _shape_cells(stage, left, box_w, cell_h, theme, frame.drop)
        shapes += cell_shapes
        annotations += cell_annotations
    annotations.append(
        {
            "x": left + box_w / 2,
            "y": 1.1 - frame.drop,
            "yanchor": "top",
            "text": note,
            "showarrow": False,
            "font": {"size": small, "color": PALETTE["error"] if stage.failed else ink},
        }
    )
    if index:
        colour = PALETTE["error"] if stage.failed else muted
        annotations.append(arrow((left - gap + 0.05, 2.0), (left - 0.05, 2.0), theme.line, colour, arrowsize=1.5))
    return shapes, annotations


def _your_targets(spec: ModelSpec, per_timestep_targets: bool, x: float, y: float, theme: Theme) -> dict:
    """The learner's targets under the required ones: their shape, green with ✓ when fit() takes them."""
    verdict = target_verdict(spec, per_timestep_targets)
    color, mark = {"ok": (PALETTE["ok"], "✓"), "error": (PALETTE["error"], "✗")}.get(
        verdict.status, (PALETTE["warn"], "⚠")
    )
    return {
        "x": x,
        "y": y,
        "text": f"your Y: {format_shape(verdict.targets_shape)} {mark}",
        "showarrow": False,
        "font": {"size": theme.font, "color": color},
    }


def _key(theme: Theme, y: float) -> dict:
    """The line above the boxes that says what None and the two fills mean."""
    return {
        "x": 0,
        "y": y,
        "xanchor": "left",
        "text": (
            "None = the batch axis: any number of samples. "
            f"<span style='color:{AXIS_FILLS['time_acted']}'>■</span> walked along (time) "
            f"<span style='color:{AXIS_FILLS['acted']}'>■</span> transformed (features)"
        ),
        "showarrow": False,
        "font": {"size": theme.label, "color": PALETTE["ink"]},
    }


def shape_flow_figure(spec: ModelSpec, per_timestep_targets: bool | None = None, theme: Theme = NORMAL) -> go.Figure:
    """Input → layers → output → targets, each box with its shape as cells; the axis each layer acts on in colour.

    With `per_timestep_targets`, the user's targets are drawn under the required ones, green if they match.
    """
    stages = flow_stages(spec)
    box_w, gap = 3.0, 1.0
    across_px = theme.narrowest / (len(stages) * (box_w + gap) - gap + 0.4)  # a unit across, at the narrowest
    # A note wraps within its box at the theme's narrowest width, so that neighbouring notes never meet.
    chars = max(10, min(theme.box_chars, int((box_w - 0.2) * across_px / (CHAR_EM * theme.label))))
    notes = [wrap_words(stage.note, chars) for stage in stages]
    # The boxes reach down as far as their longest note: a data unit is 0.6 of the theme's diagram row in pixels.
    unit_px = 0.6 * theme.row_height
    if theme.picture_height is not None:  # a slide: the boxes fit under the page title, with the target line
        unit_px = min(unit_px, theme.picture_height / 7.4)
    frame = _frame(stages, notes, theme, unit_px, across_px)
    figure = go.Figure()
    shapes: list[dict] = []
    annotations: list[dict] = []
    for index, stage in enumerate(stages):
        stage_shapes, stage_annotations = _stage_marks(stage, index, index * (box_w + gap), notes[index], theme, frame)
        shapes += stage_shapes
        annotations += stage_annotations
    right = len(stages) * (box_w + gap) - gap
    bottom = frame.bottom - 0.2
    if per_timestep_targets is not None and stages[-1].shape is not None:
        middle = (len(stages) - 1) * (box_w + gap) + box_w / 2
        annotations.append(_your_targets(spec, per_timestep_targets, middle, frame.bottom - 0.5, theme))
        bottom = frame.bottom - 0.9
    annotations.append(_key(theme, frame.top + 0.5))
    top = frame.top + 0.8
    figure.update_layout(
        shapes=shapes,
        annotations=annotations,
        xaxis={"visible": False, "range": [-0.2, right + 0.2]},
        yaxis={"visible": False, "range": [bottom, top]},
        height=int(unit_px * (top - bottom)),
        margin={"l": 5, "r": 5, "t": 5, "b": 5},
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        showlegend=False,
    )
    return figure


def _frame(stages: list[Stage], notes: list[str], theme: Theme, unit_px: float, across_px: float) -> Frame:
    """The boxes' extent: tall enough above the shapes for the longest title (a class broken after "(" takes a third
    line, which ran over the shape under it), a second axis name a line lower where the names would run together at
    the theme's narrowest width (`across_px` pixels a unit across), and low enough for the longest note."""
    line = 1.3  # a text line's height, in font sizes
    title_px = max(_title_px(stage.title, theme, line) for stage in stages)
    room_px = (3.95 - 2.65) * unit_px - theme.font * line / 2 - 10  # from the box's top to the shape's text, a gap left
    top = 4.0 + max(0.0, title_px - room_px) / unit_px
    collide = any(
        stage.shape is not None and _names_collide(stage.shape, 3.0, across_px, theme.label) for stage in stages
    )
    drop = theme.label * line / unit_px if collide else 0.0
    note_lines = max(note.count("<br>") + 1 for note in notes)
    bottom = min(0.0, 1.1 - drop - note_lines * theme.label * 1.35 / unit_px - 0.15)
    return Frame(top=top, bottom=bottom, drop=drop)


def _title_px(title: str, theme: Theme, line: float) -> float:
    """A box title's height in pixels: its name's lines in the body size, its class's at 0.85 of it."""
    name, _, kind = _box_title(title, theme.box_chars).partition("<br><span")
    kind_lines = kind.count("<br>") + 1 if kind else 0
    return (name.count("<br>") + 1) * theme.font * line + kind_lines * 0.85 * theme.font * line


def _box_title(title: str, width: int) -> str:
    """A box's title in bold: the layer name, then its class, which breaks after "(" when too long for the box
    ("TimeDistributed(" / "Dense)") rather than spilling over the next box; the class goes smaller than the name."""
    name, _, kind = title.partition("<br>")
    if len(kind) > width and "(" in kind:
        kind = kind.replace("(", "(<br>", 1)
    name = name.replace("_", "_<br>", 1) if len(name) > width else name
    lines = f"<b>{name}</b>"
    return lines + (f"<br><span style='font-size:0.85em'>{kind}</span>" if kind else "")
