"""The sentences under the unrolled diagram: what the ellipses hide, how Keras computes the head, what the pattern
adds to one layer.
"""

from __future__ import annotations

from core.figures.unrolled.facts import (
    compact_weights,
)
from core.figures.unrolled.model import (
    Diagram,
)
from core.model.anatomy import Description, fmt, format_shape


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
    return "Too many steps to draw: " + "; ".join(parts) + ". The hidden ones are the same cell with the same weights."


def head_caption(description: Description) -> str:
    """How Keras computes the head, Dense against TimeDistributed(Dense), and why both give the same numbers."""
    spec = description.spec
    head = description.head
    if description.refusal is not None:
        return description.refusal.no_head
    assert head is not None
    if not spec.sequence_output:
        return (
            f"Dense is applied once, to the last state {format_shape(head.input_shape)}: one output per sequence, "
            f"shaped {format_shape(head.output_shape)}."
        )
    steps = spec.output_steps
    return (
        "Dense and TimeDistributed(Dense) draw the same because they are the same maths: "
        f"{compact_weights(head.weights)}, one set of weights applied at each of the {fmt(steps)} steps. "
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
    if description.refusal is not None and description.refusal.before_head:
        parts.append(f"The ✕ marks where Keras stops: **{description.refusal.layer}**.")
    return " ".join(parts) or None
