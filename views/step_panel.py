"""The unrolled page's step panel: one timestep of one sample, with the real numbers (not a page; views/unrolled.py
draws its diagram around `focus(spec)` in the page's fragment, reads a click on it with `step_state.take_click`, then
calls `show`, whose fragment nests in the page's: a click on the diagram reruns both, a step reruns the panel alone).

Its state is one frozen value under one session key (`views/step_state.py`): the `StepFocus` (core.model.step_focus,
where the pure moves live), the pickers' choices, the open tab, and caches keyed by value. The widgets have no keys:
each is drawn from the state and what the learner sets flows back into it. The weights are fetched once per (spec,
source) from the TensorFlow worker (`InitialWeights`) or taken from this session's finished training of the spec;
the whole sample is stepped once in numpy (`core.model.stepper.run`), so moving t only redraws: the cell's tables,
nothing else but what the open tab shows. ◀ ▶ step t; ← → do it too while the keyboard focus is inside the panel
(core/talk/keys.py: a running story owns them elsewhere).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

from core.figures.step import (
    cell_table,
    head_figure,
    merge_table,
    sharing_counts,
    states_strip,
    vectors_by_gate,
    weights_figure,
)
from core.figures.step_alt_text import head_alt, states_alt, weights_alt
from core.figures.theme import PALETTE, theme_for
from core.keras.requests import InitialWeights
from core.model.anatomy import Description, format_shape
from core.model.budget import summary_work
from core.model.datasets import make_dataset
from core.model.sequence_fields import keras_mask
from core.model.spec import ModelSpec
from core.model.step_focus import MAX_SAMPLE_CHOICES, DataSource, StepFocus, axis_of, clamped, data_source, steps_on
from core.model.stepper import GATE_NAMES, CellStep, LayerTrace, ModelWeights, Trace, run
from views import navigation, step_script
from views.common import chart, keras_result, training_controls, training_job
from views.step_state import is_open, move, open_panel, put, rerun_panel, set_focus, state

BOX = "step_panel_box"  # the panel's container: the arrow keys step t while the focus is inside it


# -- where the weights and the sample come from ------------------------------------------------------------------------
def _trained(spec: ModelSpec) -> tuple[Any, Any] | None:
    """(result, settings) of this session's last training of exactly this spec, when it kept its final weights."""
    snap = training_job().snapshot()
    for variant in snap.variants:
        result = variant.result
        if variant.spec == spec and result is not None and getattr(result, "final_weights", None) is not None:
            return result, snap.settings
    return None


def _weights(spec: ModelSpec, source: DataSource, start: bool) -> ModelWeights | None:
    """The model's weights for `source`, from the panel's cache, the trained result, or the worker (started now if
    `start`); None while the worker works (its live status line is drawn)."""
    cached = state().weights
    key = (spec, source.weights_key)
    if cached is not None and cached[0] == key:
        return cached[1]
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
    put(weights=(key, weights))  # one model's weights at a time: a 512-unit model holds megabytes
    return weights


def _trace(spec: ModelSpec, source: DataSource, weights: ModelWeights, sample: int) -> Trace:
    """The sample stepped through the model, cached for this (spec, source, sample): stepping t is a lookup."""
    cached = state().trace
    key = (spec, source, sample)
    if cached is not None and cached[0] == key:
        return cached[1]
    x, _ = make_dataset(spec, source.task, max(source.samples, sample + 1), source.seed, source.normalise)
    trace = run(weights, x[sample], keras_mask(spec, x[sample]))  # padding: Keras skips the masked steps
    put(trace=(key, trace))
    return trace


# -- the diagram's side ---------------------------------------------------------------------------------------------
def focus(spec: ModelSpec) -> tuple[str, int] | None:
    """The (time axis, step) the diagram must keep drawn: the panel's step while it is open, else None."""
    panel = state()
    if panel.focus is None or not spec.is_valid:
        return None
    focus = clamped(panel.focus, spec)
    if focus != panel.focus:
        put(focus=focus)
    return focus.drawn


# -- the panel --------------------------------------------------------------------------------------------------------
def _layer_choice(description: Description, focus: StepFocus) -> None:
    """Which recurrent layer the panel shows, when there are several (a click on the diagram sets it too)."""
    layers = description.recurrent_layers
    if len(layers) < 2:
        return
    chosen = st.segmented_control(
        "Layer",
        list(range(len(layers))),
        format_func=lambda index: f"{layers[index].name}" + (" (decoder)" if layers[index].role == "decoder" else ""),
        default=focus.layer,
        help="The stacked layers bottom first, then the decoder; the head reads the last one",
    )
    if chosen is not None and chosen != focus.layer:
        set_focus(replace(focus, layer=int(chosen)), description.spec)


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


def _step_button(box: Any, forward: bool, spec: ModelSpec, disabled: bool) -> None:
    """◀ or ▶, in a container keyed step_back / step_forward (the panel's arrow keys press it)."""
    with box.container(key="step_forward" if forward else "step_back"):
        st.button(
            "▶" if forward else "◀",
            on_click=move,
            args=(1 if forward else -1, spec),
            help=("Next" if forward else "Previous") + " step (" + ("→" if forward else "←") + " inside the panel)",
            disabled=disabled,
            width="stretch",
        )


def _controls(spec: ModelSpec, focus: StepFocus, samples: int, boxes: tuple[Any, ...]) -> StepFocus:
    """◀ t ▶, the sample and the head's other step, in `boxes` (see `_boxes`), drawn from `focus`; returns the
    focus with what the learner set in them (a new step reruns the panel's fragment)."""
    last = steps_on(spec, focus.axis) - 1
    left, middle, right, sample_box, other_box = boxes[:5]
    _step_button(left, False, spec, focus.t == 0)
    t = focus.t
    if last > 0:
        t = middle.slider("Timestep t", 0, last, value=focus.t)
    else:
        middle.markdown("Timestep **t = 0** (the only one)")
    _step_button(right, True, spec, focus.t == last)
    sample = sample_box.number_input(
        "Sample",
        min_value=0,
        max_value=min(samples, MAX_SAMPLE_CHOICES) - 1,
        value=focus.sample,
        step=1,
        help="Which sequence of the Training page's dataset",
    )
    other = other_box.number_input(
        "Also at t",
        min_value=0,
        max_value=spec.output_steps - 1,
        value=focus.other,
        step=1,
        help="The head's W at another step: the same matrix",
    )
    chosen = clamped(replace(focus, t=int(t), sample=int(sample), other=int(other)), spec, samples)
    if chosen != focus:  # read below, in this run: the diagram follows a new t in the browser (views/step_script)
        put(focus=chosen)
    return chosen


def _offered(layer: LayerTrace, returns_sequences: bool) -> list[str]:
    """The cell's figures: forward; a bidirectional layer's backward too, and its merge when it returns every step."""
    if layer.backward is None:
        return ["forward"]
    return ["forward", "backward", "merged"] if returns_sequences else ["forward", "backward"]


def _directions(offered: list[str], talk: bool) -> list[str]:
    """Which of the cell's figures to draw: all on a screen; on a slide the one the direction picker names."""
    if not talk or len(offered) == 1:
        return offered
    chosen = state().cell_direction
    return [chosen if chosen in offered else "forward"]


def _cell(step: CellStep, key: str, bidirectional: bool, name: str | None, talk: bool) -> None:
    """One direction's cell at step t as tables (core.figures.step.cell_table): one row per vector on a screen or a
    slide, transposed on a phone (assets/layout.css shows the one that fits the screen)."""
    colour = PALETTE["cell_backward"] if step.direction == "backward" else PALETTE["cell"]
    with st.container(key=f"wide-{key}"), st.container(key=key):
        st.html(cell_table(step, colour, bidirectional, name, talk))
    with st.container(key=f"narrow-{key}"):
        st.html(vectors_by_gate(step, name))


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
        _cell(layer.forward[t], "step_forward_vectors", spec.bidirectional, name, talk)
    if layer.backward is not None:
        if "backward" in shown:
            _cell(layer.backward[t], "step_backward_vectors", True, name, talk)
        if "merged" in shown:
            with st.container(key="step_merge"):
                st.html(merge_table(layer, t, PALETTE["state"], talk))
        if talk:
            picked = st.segmented_control(
                "Direction",
                offered,
                default=shown[0],
                help="A bidirectional layer runs the cell both ways; the merge is what the layer returns",
            )
            if picked is not None and picked != shown[0]:
                put(cell_direction=picked)
                rerun_panel()
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
    panel = state()
    gate = columns[0].segmented_control(
        "Gate",
        list(range(len(gates))),
        format_func=lambda g: f"{gates[g][0]} {gates[g][1]}",
        default=min(panel.gate, len(gates) - 1),
    )
    gate = min(panel.gate, len(gates) - 1) if gate is None else int(gate)
    direction = "forward"
    if spec.bidirectional:
        direction = (
            columns[1].segmented_control("Matrices of", ["forward", "backward"], default=panel.weights_direction)
            or panel.weights_direction
        )
    # The matrices do not change with t: build their figure once per (weights, layer, direction, gate, mode).
    key = (spec, source.weights_key, layer, direction, gate, talk)
    if panel.weights_figure is None or panel.weights_figure[0] != key:
        figure = weights_figure(weights, direction, gate, theme_for(talk), layer)
        panel = put(gate=gate, weights_direction=direction, weights_figure=(key, figure))
    assert panel.weights_figure is not None
    chart(panel.weights_figure[1], key="step_weights_figure", alt=weights_alt(weights, direction, gate, layer))
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


def show(spec: ModelSpec, description: Description, talk: bool, slide_with_panel: bool = False) -> None:
    """The panel under the diagram: closed until a click (or the button), then the numbers of step t."""
    if description.error is not None:
        return
    _panel_fragment(spec, description, talk, slide_with_panel)


@st.fragment
def _panel_fragment(spec: ModelSpec, description: Description, talk: bool, slide_with_panel: bool) -> None:
    """The panel as a fragment inside the unrolled page's: ◀ ▶ (and every control of the panel) run the panel
    alone, so that a step redraws the step's numbers and not the diagram. A step the diagram does not draw is drawn
    after the panel has answered: the panel's script then presses the page fragment's hidden button."""
    if talk and is_open() != slide_with_panel:
        st.rerun(scope="app")  # opened or closed on a slide: the page around the panel changes too
    with st.container(key=BOX):
        _panel(spec, description, talk)


def _panel(spec: ModelSpec, description: Description, talk: bool) -> None:
    panel = state()
    if not talk or panel.focus is None:
        st.subheader("Inside one timestep: the real numbers")  # on a slide the open panel needs the room
    if panel.focus is None:
        st.markdown(
            "Click or tap any node of the diagram (on a phone, the step buttons under it too), or press the button, "
            "to see that step of one sample in numbers: every gate, the states, and the one shared head W. Keras "
            "sends the weights once (a few seconds); each step after that is computed here, without Keras."
        )
        with st.container(key="step_open_button"):
            st.button("Show the numbers", on_click=open_panel, icon=":material/calculate:")
        return
    source = data_source(spec, training_controls(), _trained(spec))
    weights = _weights(spec, source, start=True)
    if weights is None:
        return
    focus = clamped(panel.focus, spec, source.samples)
    if not talk:
        _layer_choice(description, focus)
    boxes = _boxes(talk)
    focus = _controls(spec, focus, source.samples, boxes)
    if talk:  # a slide: the cell's numbers come first, right under the diagram strip; the layer picker follows them
        _layer_choice(description, focus)
    trace = _trace(spec, source, weights, focus.sample)
    _tabs(description, weights, source, trace, focus, boxes[5], talk)
    # frames2: a frames spec's per-frame convolution view goes here (one call).
    st.caption(
        f"Sample {focus.sample} of the Training page's *{source.task}* data (seed {source.seed}), {source.sentence}. "
        "Numbers are rounded to 2 decimals; hover for the full value. ◀ ▶ step t (← → too, inside this panel)."
    )
    step_script.follow(panel.opened, focus.axis, focus.t, talk, focus.drawn not in state().diagram_steps)


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
        (first, show_first), (weights_tab, show_weights), (head_tab, show_head) = _lazy_tabs(
            ["Every step's h", "Weights per gate", "The shared head"]
        )
        if show_first:
            with first:
                chart(states_strip(shown, None, theme_for(talk)), key="step_strip", alt=states_alt(shown, t))
    else:
        chart(states_strip(shown, None, theme_for(talk)), key="step_strip", alt=states_alt(shown, t))
        (first, show_first), (weights_tab, show_weights), (head_tab, show_head) = _lazy_tabs(
            ["Inside the cell", "Weights per gate", "The shared head"]
        )
        if show_first:
            with first:
                _cell_tab(shown, t, talk, several)
    if show_weights:
        with weights_tab:
            _weights_tab(weights, source, focus.layer, talk)
    if show_head:
        with head_tab:
            head_t = min(t, spec.output_steps - 1)
            if shown is not trace.top:
                top = trace.top.name
                st.caption(f"The head reads the top layer '{top}', not '{shown.name}': its step t={head_t} is shown.")
            _head_tab(description, weights, trace, head_t, focus.other, talk)


def _lazy_tabs(labels: list[str]) -> list[tuple[Any, bool]]:
    """The panel's tabs, each with whether to run its content: only the open one's (a step then redraws one tab, not
    three); the open tab is kept in the panel's state, so that it stays open across steps and pages."""
    kept = state().tab
    tabs = st.tabs(labels, default=kept if kept in labels else labels[0], on_change="rerun")
    opened = [label for label, tab in zip(labels, tabs, strict=True) if tab.open]
    if opened and opened[0] != kept:
        put(tab=opened[0])
    return [(tab, tab.open is not False) for tab in tabs]


def link(key: str) -> None:
    """A button for other pages ("see the shared W in numbers"): opens this panel on the unrolled page."""
    if st.button(
        "See the shared W in numbers: one timestep of a real sample, step by step",
        key=key,
        on_click=open_panel,
        icon=":material/calculate:",
        type="tertiary",
    ):
        navigation.switch("unrolled")
