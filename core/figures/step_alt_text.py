"""Text alternatives of the step panel's figures (core/figures/step.py): one timestep's vectors, the merge, the
states over time, the weight matrices and the shared head, with their numbers, for a screen reader.

Pure Python on the stepper's arrays (no plotly, no Keras). A vector of up to MAX_LISTED values is read out value by
value, as its figure prints them (2 decimals); a longer one by its length and range.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from core.model.stepper import GATE_NAMES, LayerTrace, ModelWeights, Trace

MAX_LISTED = 16  # the figures print numbers up to 16-20 columns; beyond, they show colours only
_TAG = re.compile(r"<[^>]*>")  # our own symbols' HTML (<sub>, <b>): no outside text reaches it


def plain(html: str) -> str:
    """A figure label without its HTML tags, a subscript after an underscore ("h<sub>t</sub>" → "h_t")."""
    return " ".join(_TAG.sub("", html.replace("<sub>", "_")).split())


def numbers(values: Iterable[float] | np.ndarray) -> str:
    """A vector as its figure shows it: the values to 2 decimals, or its length and range when it is long."""
    flat = np.ravel(np.asarray(values, dtype=float))
    if flat.size <= MAX_LISTED:
        return "[" + ", ".join(f"{value:.2f}" for value in flat) + "]"
    return f"{flat.size:,} values from {flat.min():.2f} to {flat.max():.2f}"


def states_alt(trace: Trace | LayerTrace, t: int) -> str:
    """The strip of every step's returned state: its size, its range, and step t's state."""
    states = np.stack([trace.merged(step) for step in range(len(trace.forward))])
    steps, units = states.shape
    return (
        f"Every step's returned state of this sample: {units:,} units × {steps:,} steps, values from "
        f"{states.min():.2f} to {states.max():.2f}; step t={t} outlined, h_{t} = {numbers(states[t])}."
    )


def weights_alt(weights: ModelWeights, direction: str, gate: int, layer: int = -1) -> str:
    """The cell's weight matrices: each one's name, shape and range, and the gate whose columns are outlined."""
    cell = weights.cell(direction, layer)
    symbol, name = GATE_NAMES[weights.spec.cell][gate]
    arrays = [cell.kernel, cell.recurrent_kernel] + ([cell.bias] if cell.bias is not None else [])
    parts = [
        f"{name} {' × '.join(str(n) for n in array.shape)}, from {array.min():.2f} to {array.max():.2f}"
        for name, array in zip(cell.names, arrays, strict=True)
    ]
    return (
        f"The {direction} cell's weights, the same at every step: " + "; ".join(parts) + f". The columns of "
        f"{symbol} ({name}) are outlined."
    )


def head_alt(trace: Trace, weights: ModelWeights, t: int, other: int | None) -> str:
    """The shared head: its W's shape, and y at step t (and at `other`), computed with that same W."""
    features, classes = weights.head_kernel.shape
    steps = [t] if other is None or other == t else [t, other]
    if not trace.spec.sequence_output:
        return f"The head's W ({features} × {classes}) applied once, to the last state: y = {numbers(trace.outputs)}."
    outputs = "; ".join(f"y_{step} = {numbers(trace.outputs[step])}" for step in steps)
    where = ", ".join(str(step) for step in steps)
    return f"The same head W ({features} × {classes}) at step{'s' * (len(steps) > 1)} {where}: {outputs}."
