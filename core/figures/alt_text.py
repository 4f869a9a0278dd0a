"""Text alternatives of the figures: what each one shows, with its numbers, for a screen reader.

Plotly draws an SVG without an accessible name (plotly.js#6920), so a figure alone tells a screen reader nothing.
Each function here takes what its figure is drawn from (the spec through `describe()`, or the figure's own inputs)
and says in one or two sentences what the picture shows; `views.common.chart(..., alt=...)` puts the text right
before the figure, visually hidden. Pure Python (no plotly, no Keras): the results of Keras jobs are read by their
fields only.

Example:
    >>> from core.model.anatomy import describe
    >>> from core.model.spec import DEFAULTS
    >>> unrolled_alt(describe(DEFAULTS)).split(":")[0]
    'GRU unrolled over 64 steps'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from core.figures.shape_flow import flow_stages
from core.figures.tables import GROWTH_AXES, growth_data
from core.model.anatomy import Description, Layer, fmt, format_shape
from core.model.frame_fields import feature_map
from core.model.frames import conv_params, reduction_label
from core.model.spec import ModelSpec

CELL_KINDS = ("SimpleRNN", "GRU", "LSTM")


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count:,} times"


def _recurrent_part(layer: Layer, steps: int) -> str:
    """One recurrent layer: its cells, its parameters, and that the same weights run at every step."""
    directions = 2 if layer.kind == "Bidirectional" else 1
    cells = "one cell" if directions == 1 else "two cells (one per direction)"
    returned = "returns every step's state" if len(layer.output_shape) == 3 else "returns only its last state"
    return (
        f"{layer.class_label} layer '{layer.name}': {cells}, {layer.params:,} parameters, used at every one of "
        f"{steps:,} steps, {returned} {format_shape(layer.output_shape)}"
    )


def unrolled_alt(description: Description) -> str:
    """The unrolled diagram: each recurrent layer's one cell reused at every step, the head and how often it runs."""
    layers = description.layers
    recurrent = [layer for layer in layers if layer.role in ("recurrent", "decoder")]
    steps = description.spec.timesteps
    kind = recurrent[0].class_label if recurrent else description.spec.cell
    parts = []
    for layer in layers:
        if layer.role in ("recurrent", "decoder"):
            parts.append(_recurrent_part(layer, layer.input_shape[1]))
        elif layer.role == "repeat":
            parts.append(f"RepeatVector copies the encoder's last state to {layer.output_shape[1]:,} decoder steps")
        elif layer.role == "head":
            parts.append(f"{layer.class_label} {layer.params:,} parameters, used {_times(layer.applications)}")
    text = f"{kind} unrolled over {steps:,} steps: " + "; ".join(parts) + "."
    if description.error:
        return text + f" Keras refuses to build it at '{description.broken_at}': {description.error}"
    return text + (
        f" Input {format_shape(layers[0].output_shape)}, output {format_shape(description.output_shape)}; "
        f"{description.total_params:,} parameters in all."
    )


def shape_flow_alt(spec: ModelSpec) -> str:
    """The shape flow: each box's layer and the shape it outputs, in order, ending with the targets or the refusal."""
    boxes = []
    for stage in flow_stages(spec):
        title = stage.title.replace("<br>", " ")
        if stage.failed:
            boxes.append(f"{title} fails: {stage.note}")
        else:
            boxes.append(f"{title} {format_shape(stage.shape)}")
    return "Shape flow, left to right: " + " → ".join(boxes) + "."


def growth_alt(spec: ModelSpec, axis: str) -> str:
    """The growth chart: for each cell kind, parameters and multiply-adds at the smallest and largest value drawn."""
    data = growth_data(spec, axis)
    label = GROWTH_AXES[axis]
    low, high = int(data[axis].min()), int(data[axis].max())
    lines = []
    for cell in CELL_KINDS:
        rows = data[data["cell"] == cell].sort_values(axis)
        first, last = rows.iloc[0], rows.iloc[-1]
        params = f"{int(first['params']):,}"
        params += f" → {int(last['params']):,}" if last["params"] != first["params"] else " throughout"
        lines.append(f"{cell}: parameters {params}, multiply-adds per sample {first['macs']:,} → {last['macs']:,}")
    current = getattr(spec, axis)
    return (
        f"Parameters and multiply-adds per sample as {label} goes from {low:,} to {high:,} (yours: {current:,}). "
        + "; ".join(lines)
        + "."
    )


def loss_curves_alt(curves: Sequence[tuple[str, Sequence[float], Sequence[float]]], loss_name: str) -> str:
    """A training chart: each model's loss after its first and its last epoch (or its first batch, while running)."""
    parts = []
    for label, batch_losses, epoch_losses in curves:
        losses = list(epoch_losses) or list(batch_losses)
        if not losses:
            parts.append(f"{label}: no loss yet")
        elif len(losses) == 1:
            parts.append(f"{label}: {losses[0]:.4g}")
        else:
            what = "epoch" if epoch_losses else "batch"
            first, final = losses[0], losses[-1]
            parts.append(f"{label}: {first:.4g} after the first {what}, {final:.4g} after {what} {len(losses)}")
    return f"Training {loss_name} per batch and epoch. " + "; ".join(parts) + "."


def timestep_losses_alt(timestep_losses: Sequence[Sequence[float]], loss_name: str) -> str:
    """The loss-per-timestep heatmap: the first and last epoch's losses, and where the last epoch's is highest."""
    grid = np.asarray(timestep_losses, dtype=float)
    epochs, steps = grid.shape
    last = grid[-1]
    worst = int(np.argmax(last))
    return (
        f"{loss_name} at each of {steps:,} timesteps after each of {epochs:,} epochs. After epoch 1 it ranges "
        f"{grid[0].min():.4g} to {grid[0].max():.4g}; after epoch {epochs} {last.min():.4g} to {last.max():.4g}, "
        f"highest at t={worst}."
    )


def prediction_alt(prediction: Any, target: Any) -> str:
    """One sample's prediction beside its target: at how many steps the most likely class is the target's (steps
    whose target has no single class, such as the recall task's uniform first step, are not counted)."""
    pred = np.atleast_2d(np.asarray(prediction, dtype=float))
    tgt = np.atleast_2d(np.asarray(target, dtype=float))
    steps, classes = pred.shape
    ranked = np.sort(tgt, axis=1)
    decided = ranked[:, -1] > ranked[:, -2] if classes > 1 else np.ones(steps, dtype=bool)
    hits = int(np.sum((pred.argmax(axis=1) == tgt.argmax(axis=1)) & decided))
    where = f"{steps:,} timesteps" if steps > 1 else "the last step"
    counted = int(decided.sum())
    undecided = steps - counted
    note = f" ({undecided:,} step{'s' * (undecided != 1)} with no single target class not counted)" if undecided else ""
    return (
        f"One sample's prediction and target over {where} and {classes:,} classes: the predicted class matches the "
        f"target's at {hits:,} of {counted:,} step{'s' * (counted != 1)}{note}."
    )


def twin_outputs_alt(outputs: Any, sample: int) -> str:
    """The equivalence heatmaps: both twins' outputs for one sample, and their largest difference."""
    grid = np.asarray(outputs.dense)[sample]
    size = " × ".join(f"{n:,}" for n in np.atleast_2d(grid).shape)
    text = f"Model output for sample {sample} ({size} values), Dense head"
    if outputs.time_distributed is None:
        return text + f" only: the TimeDistributed twin does not build. {outputs.error or ''}".rstrip()
    gap = float(np.max(np.abs(grid - np.asarray(outputs.time_distributed)[sample])))
    return text + f" beside TimeDistributed(Dense) and their absolute difference, largest {gap:.3g}."


def twin_losses_alt(training: Any) -> str:
    """The twins' training losses: first and last epoch of each, and the largest difference."""
    dense, distributed = training.dense_loss, training.time_distributed_loss
    return (
        f"Training loss of both twins over {training.epochs} epochs: Dense {dense[0]:.4g} → {dense[-1]:.4g}, "
        f"TimeDistributed(Dense) {distributed[0]:.4g} → {distributed[-1]:.4g}; largest difference "
        f"{training.max_loss_diff:.3g}."
    )


def op_counts_alt(counts: Mapping[str, Mapping[str, Any]]) -> str:
    """The op-count bars: all ops and MatMul ops in each twin's traced head."""
    names = {"time_distributed": "TimeDistributed(Dense)", "dense": "Dense"}
    parts = [
        f"{names.get(head, head)} {parts['head'].ops:,} ops, {parts['head'].matmuls:,} MatMul"
        for head, parts in counts.items()
    ]
    return "Operations in the head's traced graph: " + "; ".join(parts) + "."


def diagnosis_alt(flow: Sequence[Any]) -> str:
    """The error's flow, top to bottom: each step's shape, the one where it breaks marked."""
    parts = []
    for step in flow:
        shape = format_shape(step.shape) if step.shape is not None else "shape unknown"
        parts.append(f"{step.label} {shape}" + (" (breaks here)" if step.broken else ""))
    return "Where the shapes go, top to bottom: " + " → ".join(parts) + "."


def frames_alt(description: Description) -> str:
    """The frames diagram's text alternative: what runs at each frame, what is shared, and where Keras refuses."""
    spec = description.spec
    if spec.refused_at in ("conv", "frame_size"):
        return (
            f"The {spec.timesteps} frames ({spec.frame_height}×{spec.frame_width}×{spec.channels}) reach the Conv2D, "
            f"and Keras refuses the model at '{description.broken_at}': {description.keras_error}"
        )
    params = conv_params(spec)[0]
    height, width = feature_map(spec)
    text = (
        f"At each of the {spec.timesteps} frames ({spec.frame_height}×{spec.frame_width}×{spec.channels}), the same "
        f"Conv2D kernel ({spec.kernel}×{spec.kernel}×{spec.channels}→{spec.filters}, {fmt(params)} parameters stored "
        f"once) makes {height}×{width}×{spec.filters} feature maps"
    )
    if description.keras_error is not None:
        return f"{text}. Keras refuses the model at '{description.broken_at}': {description.keras_error}"
    reduced = format_shape(description.layers[2].output_shape)
    return (
        f"{text}; {reduction_label(spec)} turns them into one vector per frame, {reduced}; the {spec.cell} walks "
        f"along the {spec.timesteps} vectors and {spec.head_label} gives {format_shape(description.output_shape)}."
    )
