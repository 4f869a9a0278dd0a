"""The hover text of every element of the unrolled diagram: shapes, weights, parameters and formula, from the
`Description` (so the words can never disagree with Keras).
"""

from __future__ import annotations

import textwrap

from core.figures.unrolled.facts import (
    LayerFacts,
    direction_weights,
    sub,
    times,
    weights_text,
)
from core.figures.unrolled.model import step_shape
from core.model.anatomy import Description, fmt, format_shape
from core.model.refusal import Refusal


# -- hover texts ------------------------------------------------------------------------------------------------------
def input_hover(m: LayerFacts, t: int) -> str:
    whole = format_shape(m.description.layers[0].output_shape)
    if m.spec.repeat == "input":
        return (
            f"<b>x</b>: one vector per sample, X[:, :], shaped {whole}<br>"
            f"RepeatVector({m.spec.timesteps}) copies it to every step<br>InputLayer: 0 parameters"
        )
    return (
        f"<b>{sub('x', t)}</b>: timestep {t} of the input, X[:, {t}, :]<br>"
        f"shape per step {m.x_shape}; whole input {whole}<br>"
        "InputLayer: 0 parameters"
    )


def cell_hover(m: LayerFacts, t: int, direction: str) -> str:
    weights = direction_weights(m.recurrent, direction)
    previous = t - 1 if direction == "forward" else t + 1
    states_in = ", ".join(sub(name, previous) for name in m.state_names)
    if not 0 <= previous < m.T:
        handed = m.layer.role == "decoder" and m.spec.return_state
        states_in = (
            f"the encoder's final {m.state_name} (initial_state)" if handed else f"the initial {m.state_name} (zeros)"
        )
    states_out = ", ".join(sub(name, t) for name in m.state_names)
    who = f"{m.cell_kind} cell" + (f" ({direction} copy)" if m.bidirectional else "")
    lines = [
        f"<b>{who}</b> at step {t} · layer '{m.layer.name}'",
        f"in: {sub(m.source, t)} {m.x_shape} and {states_in} {m.state_shape} each",
        f"out: {states_out} {m.state_shape} each",
        f"weights: {weights_text(weights)}",
        f"parameters: {fmt(sum(w.size for w in weights))}" + (" (this copy)" if m.bidirectional else ""),
        f"layer formula: {m.recurrent.formula}",
        f"the same weights at every step: used {times(m.T)} per sample",
    ]
    return "<br>".join(lines)


def state_hover(m: LayerFacts, t: int, returned: bool) -> str:
    output = format_shape(m.recurrent.output_shape)
    if m.bidirectional and not m.returns_sequences:
        what = f"{m.spec.merge_mode} of the forward state after step {m.T - 1} and the backward state after step 0"
        name = "merged h"
    elif m.bidirectional:
        what = f"{m.spec.merge_mode} of the forward and backward states at step {t}"
        name = f"merged {sub('h', t)}"
    else:
        what = f"the {m.cell_kind}'s output at step {t}"
        name = sub("h", t)
    if returned:
        part = "one slice of the returned sequence" if m.returns_sequences else "the only state returned"
        return f"<b>{name}</b>: {what}<br>shape {m.merged_shape}<br>{part} {output}"
    if m.bidirectional:
        return (
            f"<b>{sub('h', t)}</b>: the forward and backward states at step {t} are computed and passed on,<br>"
            f"but neither returned nor merged (return_sequences=False): the layer outputs only {output}"
        )
    return (
        f"<b>{name}</b>: computed and passed on to the next step,<br>but not returned "
        f"(return_sequences=False): the layer outputs only the last state {output}"
    )


def head_hover(m: LayerFacts, t: int) -> str:
    head = m.head
    assert head is not None
    where = f"at step {t}" if m.returns_sequences else "on the last state"
    return "<br>".join(
        [
            f"<b>{m.spec.head_label}</b> {where}",
            f"in {format_shape(step_shape(head.input_shape))} → out {format_shape(step_shape(head.output_shape))}",
            f"weights: {weights_text(head.weights)}",
            f"parameters: {head.formula}",
            f"one set of weights, used {times(head.applications)} per sample",
        ]
    )


def output_hover(m: LayerFacts, t: int) -> str:
    activation = next(layer for layer in m.description.layers if layer.role == "activation")
    name = sub("y", t) if m.returns_sequences else "y"
    return (
        f"<b>{name}</b>: {format_shape(step_shape(activation.output_shape))} after {m.spec.activation}<br>"
        f"model output {format_shape(activation.output_shape)}"
    )


def error_hover(refusal: Refusal) -> str:
    return (
        f"<b>{refusal.layer_class} '{refusal.layer}' cannot be built here</b><br>"
        + "<br>".join(textwrap.wrap(refusal.why, 70))
        + f"<br><br>Keras: ValueError: {'<br>'.join(textwrap.wrap(refusal.keras_error, 70))}"
    )


def repeat_hover(description: Description, copies: int, t: int, source: str) -> str:
    repeat = description.repeat_layer
    assert repeat is not None
    return (
        f"<b>RepeatVector</b>: step {t} gets a copy of {source}<br>"
        f"{format_shape(repeat.input_shape)} → {format_shape(repeat.output_shape)}: a new time axis of {copies} steps, "
        "the same vector at each<br>0 parameters"
    )
