"""The unrolled page's step panel: one timestep of one sample, with the real numbers (not a page; views/unrolled.py
reads a click with `take_click`, draws its diagram around `focus(spec)`, bands it with `mark`, then calls `show`).

Its state is one value in one session key (`PanelState` under `STATE_KEY`): the `StepFocus` (core.model.step_focus,
where the pure moves live), the focus the diagram was drawn around (a click is read against that Diagram, with no
figure drawn again), and caches keyed by value. The weights are fetched once per (spec, source) from the TensorFlow
worker (`InitialWeights`) or taken from this session's finished training of the spec; the whole sample is stepped
once in numpy (`core.model.stepper.run`), so moving t only redraws. The panel's widgets keep their own keys (they
are how Streamlit tells widgets apart); each is set from the focus before it is drawn and writes back through its
callback.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.figures.step import head_figure, merge_figure, sharing_counts, states_strip, vectors_figure, weights_figure
from core.figures.step_alt_text import head_alt, merge_alt, states_alt, vectors_alt, weights_alt
from core.figures.theme import theme_for
from core.figures.unrolled import Diagram, layout
from core.figures.unrolled.clicks import clicked_element
from core.keras.requests import InitialWeights
from core.model.anatomy import Description, format_shape
from core.model.budget import summary_work
from core.model.datasets import make_dataset
from core.model.sequence_fields import keras_mask
from core.model.spec import ModelSpec
from core.model.step_focus import (
    MAX_SAMPLE_CHOICES,
    DataSource,
    StepFocus,
    after_click,
    axis_of,
    clamped,
    data_source,
    initial,
    moved,
    steps_on,
)
from core.model.stepper import GATE_NAMES, LayerTrace, ModelWeights, Trace, run
from views import navigation
from views.common import chart, keras_result, training_controls

CHART_KEY = "unrolled_figure"
STATE_KEY = "step_panel"
# The panel's focus widgets: StepFocus field -> widget key.
WIDGETS = {"layer": "step_layer", "t": "step_t", "sample": "step_sample", "other": "step_other"}


@dataclass
class PanelState:
    """Everything the step panel keeps between runs. `focus` is None while the panel is closed; `drawn` is the
    (axis, step) the diagram was last drawn around, since a click's curve and point numbers index that drawing; the
    caches hold one value each, keyed by what it is computed from."""

    focus: StepFocus | None = None
    drawn: tuple[str, int] | None = None
    last_click: list = field(default_factory=list)
    weights: tuple[tuple, ModelWeights] | None = None
    trace: tuple[tuple, Trace] | None = None
    weights_figure: tuple[tuple, go.Figure] | None = None


def state() -> PanelState:
    """This session's panel state (created closed)."""
    panel = st.session_state.get(STATE_KEY)
    if not isinstance(panel, PanelState):
        panel = st.session_state[STATE_KEY] = PanelState()
    return panel


# -- where the weights and the sample come from ------------------------------------------------------------------------
def _trained(spec: ModelSpec) -> tuple[Any, Any] | None:
    """(result, settings) of this session's last training of exactly this spec, when it kept its final weights."""
    job = st.session_state.get("training_job")
    if job is None:
        return None
    snap = job.snapshot()
    for variant in snap.variants:
        result = variant.result
        if variant.spec == spec and result is not None and getattr(result, "final_weights", None) is not None:
            return result, snap.settings
    return None


def _weights(spec: ModelSpec, source: DataSource, start: bool) -> ModelWeights | None:
    """The model's weights for `source`, from the panel's cache, the trained result, or the worker (started now if
    `start`); None while the worker works (its live status line is drawn)."""
    panel = state()
    key = (spec, source.weights_key)
    if panel.weights is not None and panel.weights[0] == key:
        return panel.weights[1]
    if source.run is not None:
        trained = _trained(spec)
        assert trained is not None
        weights = ModelWeights.from_arrays(spec, trained[0].final_weights)
    else:
        request = InitialWeights(spec, source.seed)
        failed = "Could not get the weights from Keras"
        keras = keras_result("step_weights", request, start=start, work=summary_work(spec), failed=failed)
        if keras is None:
            return None
        weights = ModelWeights.from_arrays(spec, keras.arrays)
    panel.weights = (key, weights)  # one model's weights at a time: a 512-unit model holds megabytes
    return weights


def _trace(spec: ModelSpec, source: DataSource, weights: ModelWeights, sample: int) -> Trace:
    """The sample stepped through the model, cached for this (spec, source, sample): stepping t is a lookup."""
    panel = state()
    key = (spec, source, sample)
    if panel.trace is not None and panel.trace[0] == key:
        return panel.trace[1]
    x, _ = make_dataset(spec, source.task, max(source.samples, sample + 1), source.seed, source.normalise)
    trace = run(weights, x[sample], keras_mask(spec, x[sample]))  # padding: Keras skips the masked steps
    panel.trace = (key, trace)
    return trace


# -- the diagram's side ---------------------------------------------------------------------------------------------
def focus(spec: ModelSpec) -> tuple[str, int] | None:
    """The (time axis, step) the diagram must keep drawn: the panel's step while it is open, else None."""
    panel = state()
    if panel.focus is None or not spec.is_valid:
        return None
    panel.focus = clamped(panel.focus, spec)
    return panel.focus.drawn


def _new_click() -> list[dict]:
    """The points of a selection on the diagram (`CHART_KEY`) not read yet; [] when there is none."""
    selection = st.session_state.get(CHART_KEY)
    points = []
    if selection is not None:
        points = list((selection.get("selection") or {}).get("points") or [])
    return [] if points == state().last_click else points


def take_click(description: Description, talk: bool) -> None:
    """Read a new click on the diagram before the page lays itself out (a click opens the panel, and a slide with the
    panel open draws the diagram as a strip): the click is read against the Diagram the learner clicked, laid out
    again around the focus it was drawn with (its layout is pure and small; no figure is drawn)."""
    points = _new_click()
    if not points:
        return
    panel = state()
    panel.last_click = points
    diagram: Diagram = layout(description, theme_for(talk), panel.drawn)
    clicked = clicked_element(diagram, points)
    if clicked is not None:
        spec = description.spec
        panel.focus = after_click(panel.focus or initial(spec), spec, clicked)


def remember_drawn(drawn: tuple[str, int] | None) -> None:
    """The unrolled figure was drawn around `drawn` (the panel's `focus`, its step banded): the next click on it is
    read against that drawing."""
    state().drawn = drawn


def _open() -> None:
    """Open the panel (the button, or another page's link); it keeps the step it had."""
    panel = state()
    if panel.focus is None:
        panel.focus = StepFocus(layer=-1, axis="time", t=0)  # the top layer, once a spec clamps it


def _move(delta: int, spec: ModelSpec) -> None:
    """◀ / ▶ callback."""
    panel = state()
    panel.focus = moved(panel.focus or initial(spec), spec, delta)


def _take(name: str) -> None:
    """A focus widget changed: its value becomes the focus's field `name` (clamped on the run)."""
    panel = state()
    value = st.session_state.get(WIDGETS[name])
    if panel.focus is not None and isinstance(value, int | float) and not isinstance(value, bool):
        panel.focus = replace(panel.focus, **{name: int(value)})


def _set_widgets(focus: StepFocus) -> None:
    """Give each focus widget the focus's value, before it is drawn in this run."""
    for name, key in WIDGETS.items():
        st.session_state[key] = getattr(focus, name)


# -- the panel --------------------------------------------------------------------------------------------------------
def _layer_choice(description: Description) -> None:
    """Which recurrent layer the panel shows, when there are several (a click on the diagram sets it too)."""
    layers = description.recurrent_layers
    if len(layers) < 2:
        return
    st.segmented_control(
        "Layer",
        list(range(len(layers))),
        format_func=lambda index: f"{layers[index].name}" + (" (decoder)" if layers[index].role == "decoder" else ""),
        key=WIDGETS["layer"],
        on_change=_take,
        args=("layer",),
        help="The stacked layers bottom first, then the decoder; the head reads the last one",
    )


def _boxes(talk: bool) -> tuple[Any, ...]:
    """Where the panel's parts go: (◀, slider, ▶, sample, other step, cell). On a screen the controls are one row
    above the states strip and the cell has a tab (cell None); on a slide ◀ and ▶ flank the cell, right under the
    diagram strip, so that the gates' numbers are on the first 1280×720 screen, and the other controls follow."""
    if not talk:
        columns = st.columns([1.2, 5, 1.2, 2, 2], vertical_alignment="bottom")
        return (*columns, None)
    back, cell, forward = st.columns([1, 12, 1], vertical_alignment="center")
    slider, sample, other = st.columns([6, 2, 2], vertical_alignment="bottom")
    return back, slider, forward, sample, other, cell


def _controls(spec: ModelSpec, focus: StepFocus, samples: int, boxes: tuple[Any, ...]) -> None:
    """◀ t ▶ (keyboard ← →), the sample and the head's other step, in `boxes` (see `_boxes`), showing `focus`."""
    last = steps_on(spec, focus.axis) - 1
    left, middle, right, sample_box, other_box = boxes[:5]
    left.button(
        "◀",
        key="step_back",
        shortcut="Left",
        on_click=_move,
        args=(-1, spec),
        help="Previous step (←)",
        disabled=focus.t == 0,
        width="stretch",
    )
    if last > 0:
        middle.slider("Timestep t", 0, last, key=WIDGETS["t"], on_change=_take, args=("t",))
    else:
        middle.markdown("Timestep **t = 0** (the only one)")
    right.button(
        "▶",
        key="step_forward",
        shortcut="Right",
        on_click=_move,
        args=(1, spec),
        help="Next step (→)",
        disabled=focus.t == last,
        width="stretch",
    )
    sample_box.number_input(
        "Sample",
        min_value=0,
        max_value=min(samples, MAX_SAMPLE_CHOICES) - 1,
        step=1,
        key=WIDGETS["sample"],
        on_change=_take,
        args=("sample",),
        help="Which sequence of the Training page's dataset",
    )
    other_box.number_input(
        "Also at t",
        min_value=0,
        max_value=spec.output_steps - 1,
        step=1,
        key=WIDGETS["other"],
        on_change=_take,
        args=("other",),
        help="The head's W at another step: the same matrix",
    )


def _offered(layer: LayerTrace, returns_sequences: bool) -> list[str]:
    """The cell's figures: forward; a bidirectional layer's backward too, and its merge when it returns every step."""
    if layer.backward is None:
        return ["forward"]
    return ["forward", "backward", "merged"] if returns_sequences else ["forward", "backward"]


def _directions(offered: list[str], talk: bool) -> list[str]:
    """Which of the cell's figures to draw: all on a screen; on a slide the one the direction picker names."""
    if not talk or len(offered) == 1:
        return offered
    chosen = st.session_state.get("step_cell_direction")
    if chosen not in offered:
        chosen = "forward"
        st.session_state["step_cell_direction"] = chosen  # before its widget is drawn in this run
    return [chosen]


def _cell_tab(layer: LayerTrace, t: int, talk: bool, several: bool) -> None:
    spec = layer.spec
    name = layer.name if several else None
    last = layer.steps - 1
    returns_sequences = layer.output.ndim == 2
    # One direction under the other: side by side, 16 units leave no room for the numbers. A slide has room for
    # one of them under the diagram strip: a picker after it chooses which.
    offered = _offered(layer, returns_sequences)
    shown = _directions(offered, talk)
    if "forward" in shown:
        chart(
            vectors_figure(layer.forward[t], theme_for(talk), spec.bidirectional, name),
            key="step_forward_vectors",
            alt=vectors_alt(layer.forward[t], name),
        )
    if layer.backward is not None:
        if "backward" in shown:
            chart(
                vectors_figure(layer.backward[t], theme_for(talk), True, name),
                key="step_backward_vectors",
                alt=vectors_alt(layer.backward[t], name),
            )
        if "merged" in shown:
            chart(merge_figure(layer, t, theme_for(talk)), key="step_merge", alt=merge_alt(layer, t))
        if talk:
            st.segmented_control(
                "Direction",
                offered,
                key="step_cell_direction",
                help="A bidirectional layer runs the cell both ways; the merge is what the layer returns",
            )
        if not returns_sequences:
            st.caption(
                f"return_sequences=False: only the forward state after t={last} and the backward state "
                f"after t=0 are merged ({spec.merge_mode}) and returned."
            )
    if not returns_sequences and layer.backward is None and t != last:
        st.caption(
            f"return_sequences=False: h<sub>{t}</sub> is passed on but not returned; only the last is.",
            unsafe_allow_html=True,
        )


def _weights_tab(weights: ModelWeights, source: DataSource, layer: int, talk: bool) -> None:
    spec = weights.spec
    gates = GATE_NAMES[spec.cell]
    columns = st.columns([3, 2] if spec.bidirectional else [1])
    gate = columns[0].segmented_control(
        "Gate",
        list(range(len(gates))),
        format_func=lambda g: f"{gates[g][0]} {gates[g][1]}",
        default=0,
        key="step_gate",
    )
    direction = "forward"
    if spec.bidirectional:
        direction = (
            columns[1].segmented_control("Direction", ["forward", "backward"], default="forward", key="step_direction")
            or "forward"
        )
    # The matrices do not change with t: build their figure once per (weights, layer, direction, gate, mode).
    panel = state()
    key = (spec, source.weights_key, layer, direction, gate if gate is not None else 0, talk)
    if panel.weights_figure is None or panel.weights_figure[0] != key:
        panel.weights_figure = (key, weights_figure(weights, direction, key[4], theme_for(talk), layer))
    figure = panel.weights_figure[1]
    chart(figure, key="step_weights_figure", alt=weights_alt(weights, direction, key[4], layer))
    cell = weights.cell(direction, layer)
    st.caption(
        "The same three matrices at every one of the "
        f"{steps_on(spec, axis_of(spec, layer))} steps: "
        + ", ".join(
            f"`{name}` {format_shape(tuple(a.shape))}" for name, a in zip(cell.names, _arrays(cell), strict=True)
        )
    )


def _arrays(cell: Any) -> list[np.ndarray]:
    return [cell.kernel, cell.recurrent_kernel] + ([cell.bias] if cell.bias is not None else [])


def _head_tab(description: Description, weights: ModelWeights, trace: Trace, t: int, other: int, talk: bool) -> None:
    spec = description.spec
    head = description.head
    assert head is not None
    chart(
        head_figure(trace, weights, t, other, theme_for(talk)), key="step_head", alt=head_alt(trace, weights, t, other)
    )
    kernel_name = weights.head_names[0]
    if spec.sequence_output:
        st.markdown(
            f"**One matrix W** (`{kernel_name}`, {format_shape(weights.head_kernel.shape)}), outlined in green, is "
            f"used at t={t}, at t={other} and at each of the {spec.output_steps} steps: {head.params:,} parameters "
            f"({head.formula}), whatever T is."
        )
    else:
        st.markdown(
            f"With `return_sequences=False` the head runs **once**, on the last state: W (`{kernel_name}`, "
            f"{format_shape(weights.head_kernel.shape)}) and {head.params:,} parameters."
        )
    rows = sharing_counts(description)
    if rows and spec.sequence_output:
        st.dataframe(
            {
                "Head": [r.what for r in rows],
                "Parameters": [f"{r.params:,}" for r in rows],
                "Formula": [r.formula for r in rows],
            },
            hide_index=True,
            width="stretch",
            key="step_sharing",
        )


def show(spec: ModelSpec, description: Description, talk: bool) -> None:
    """The panel under the diagram: closed until a click (or the button), then the numbers of step t."""
    if description.error is not None:
        return
    panel = state()
    if not talk or panel.focus is None:
        st.subheader("Inside one timestep: the real numbers")  # on a slide the open panel needs the room
    if panel.focus is None:
        st.markdown(
            "Click any element of the diagram, or press the button, to see that step of one sample in numbers: "
            "every gate, the states, and the one shared head W. Keras starts once (a few seconds); stepping is instant."
        )
        st.button("Show the numbers", key="step_open_button", on_click=_open, icon=":material/calculate:")
        return
    source = data_source(spec, training_controls(), _trained(spec))
    weights = _weights(spec, source, start=True)
    if weights is None:
        return
    focus = panel.focus = clamped(panel.focus, spec, source.samples)
    _set_widgets(focus)
    if not talk:
        _layer_choice(description)
    boxes = _boxes(talk)
    _controls(spec, focus, source.samples, boxes)
    if talk:  # a slide: the cell's numbers come first, right under the diagram strip; the layer picker follows them
        _layer_choice(description)
    trace = _trace(spec, source, weights, focus.sample)
    _tabs(description, weights, source, trace, focus, boxes[5], talk)
    st.caption(
        f"Sample {focus.sample} of the Training page's *{source.task}* data (seed {source.seed}), {source.sentence}. "
        "Numbers are rounded to 2 decimals; hover for the full value. ← → step t."
    )


def _tabs(
    description: Description,
    weights: ModelWeights,
    source: DataSource,
    trace: Trace,
    focus: StepFocus,
    cell_box: Any,
    talk: bool,
) -> None:
    """The states strip, the cell, the weights per gate and the shared head; on a slide (`cell_box` given) the cell
    comes first, under the diagram strip, and the states over time go into a tab."""
    spec = description.spec
    shown = trace.layers[focus.layer]
    several = len(trace.layers) > 1
    t = focus.t
    if cell_box is not None:
        with cell_box:
            _cell_tab(shown, t, talk, several)
        strip_tab, weights_tab, head_tab = st.tabs(["Every step's h", "Weights per gate", "The shared head"])
        with strip_tab:
            chart(states_strip(shown, t, theme_for(talk)), key="step_strip", alt=states_alt(shown, t))
    else:
        chart(states_strip(shown, t, theme_for(talk)), key="step_strip", alt=states_alt(shown, t))
        cell_tab, weights_tab, head_tab = st.tabs(["Inside the cell", "Weights per gate", "The shared head"])
        with cell_tab:
            _cell_tab(shown, t, talk, several)
    with weights_tab:
        _weights_tab(weights, source, focus.layer, talk)
    with head_tab:
        head_t = min(t, spec.output_steps - 1)
        if shown is not trace.top:
            st.caption(
                f"The head reads the top layer '{trace.top.name}', not '{shown.name}': its step t={head_t} is shown."
            )
        _head_tab(description, weights, trace, head_t, focus.other, talk)


def link(key: str) -> None:
    """A button for other pages ("see the shared W in numbers"): opens this panel on the unrolled page."""
    if st.button(
        "See the shared W in numbers: one timestep of a real sample, step by step",
        key=key,
        on_click=_open,
        icon=":material/calculate:",
        type="tertiary",
    ):
        navigation.switch("unrolled")
