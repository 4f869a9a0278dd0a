"""The unrolled page's step panel: one timestep of one sample, with the real numbers (not a page; views/unrolled.py
calls `prepare_figure` before drawing its diagram and `show` after it).

The weights are fetched once per (spec, source) from the TensorFlow worker (`model_weights` job) or taken from this
session's finished training of the spec, and kept in session state; the whole sample is stepped once in numpy
(`core.model.stepper.run`), so moving t only redraws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.figures.step import head_figure, merge_figure, sharing_counts, states_strip, vectors_figure, weights_figure
from core.figures.step_alt_text import head_alt, merge_alt, states_alt, vectors_alt, weights_alt
from core.figures.unrolled.clicks import clicked_element, column_of, mark_focus
from core.model.anatomy import Description, format_shape
from core.model.budget import summary_work
from core.model.datasets import make_dataset, tasks_for
from core.model.spec import ModelSpec
from core.model.stepper import GATE_NAMES, LayerTrace, ModelWeights, Trace, run
from views.common import chart, failure, finished, keras_job

CHART_KEY = "unrolled_figure"
DEFAULT_TASK, DEFAULT_SAMPLES, DEFAULT_SEED = "recall", 1000, 0  # the Training page's defaults
MAX_SAMPLE_CHOICES = 1000


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


def _data_choice(spec: ModelSpec) -> tuple[str, int, int, bool, str, tuple]:
    """(task, samples, seed, normalise, source sentence, source key): the trained run's, else the Training page's
    controls (or their defaults) with the seed's initial weights."""
    trained = _trained(spec)
    if trained is not None:
        result, settings = trained
        epochs = len(result.epoch_losses)
        sentence = (
            f"the weights **after training** on the Training page ({epochs} epoch{'s' * (epochs != 1)}"
            f"{', stopped early' if result.stopped else ''}, seed {settings.seed})"
        )
        key = ("trained", id(result))
        return settings.task, settings.samples, settings.seed, settings.normalise_targets, sentence, key
    controls = st.session_state.get("training_controls", {})
    fitting = tasks_for(spec)  # a sequence pattern has its own tasks, as on the Training page
    task = controls.get("training_task", DEFAULT_TASK)
    task = task if task in fitting else (DEFAULT_TASK if DEFAULT_TASK in fitting else fitting[0])
    samples = int(controls.get("training_samples", DEFAULT_SAMPLES))
    seed = int(controls.get("training_seed", DEFAULT_SEED))
    normalise = bool(controls.get("training_normalise", False))
    sentence = (
        f"the **initial weights** of seed {seed} (what a training starts from; train this model to see learnt ones)"
    )
    return task, samples, seed, normalise, sentence, ("seed", seed)


def _weights(spec: ModelSpec, source: tuple, start: bool) -> ModelWeights | None:
    """The model's weights for `source`, from the session cache, the trained result, or the worker (started now if
    `start`); None while the worker works (its live status line is drawn)."""
    cache: dict = st.session_state.setdefault("step_weights", {})
    if (spec, source) in cache:
        return cache[(spec, source)]
    if source[0] == "trained":
        trained = _trained(spec)
        assert trained is not None
        weights = ModelWeights.from_arrays(spec, trained[0].final_weights)
    else:
        seed = source[1]
        job = keras_job(
            "step_weights",
            "model_weights",
            (spec, seed),
            ("model_weights", spec, seed),
            start=start,
            work=summary_work(spec),
        )
        if job is None or not finished(job):
            return None
        reason = failure(job)
        if reason is not None:
            st.error(f"Could not get the weights from Keras: {reason}", icon=":material/error:")
            return None
        _, arrays = job.result
        weights = ModelWeights.from_arrays(spec, arrays)
    cache.clear()  # one model's weights at a time: a 512-unit model holds megabytes
    cache[(spec, source)] = weights
    return weights


def _trace(weights: ModelWeights, task: str, samples: int, seed: int, normalise: bool, sample: int) -> Trace:
    """The sample stepped through the model, cached for this (weights, data, sample): stepping t is a lookup."""
    key = (id(weights), task, samples, seed, normalise, sample)
    cached = st.session_state.get("step_trace")
    if cached is not None and cached[0] == key:
        return cached[1]
    x, _ = make_dataset(weights.spec, task, max(samples, sample + 1), seed, normalise)
    trace = run(weights, x[sample])
    st.session_state["step_trace"] = (key, trace)
    return trace


# -- the diagram's side ---------------------------------------------------------------------------------------------
def _layer(spec: ModelSpec) -> int:
    """The recurrent layer the panel shows (0 reads the input; the decoder is `spec.layers`); the top by default."""
    top = spec.recurrent_count - 1
    layer = st.session_state.get("step_layer")
    if not isinstance(layer, int) or not 0 <= layer <= top:
        layer = top
        st.session_state["step_layer"] = layer  # only when not yet set by its widget (or a click) in this run
    return layer


def _length(spec: ModelSpec, layer: int) -> int:
    """How many steps the layer runs: the decoder's output_timesteps, else T."""
    return spec.output_timesteps if spec.repeat == "encoder" and layer == spec.layers else spec.timesteps


def _clamp_t(spec: ModelSpec) -> int:
    steps = _length(spec, _layer(spec))
    t = st.session_state.get("step_t", 0)
    t = t if isinstance(t, int) and 0 <= t < steps else min(max(int(t or 0), 0), steps - 1)
    st.session_state["step_t"] = t
    return t


def focus(spec: ModelSpec) -> tuple[str, int] | None:
    """The (time axis, step) the diagram must keep drawn: the panel's step while it is open, else None."""
    if not st.session_state.get("step_open") or not spec.is_valid:
        return None
    axis = "decoder" if spec.repeat == "encoder" and _layer(spec) == spec.layers else "time"
    return axis, _clamp_t(spec)


def _new_click() -> list[dict]:
    """The points of a selection on the diagram (`CHART_KEY`) not read yet; [] when there is none."""
    selection = st.session_state.get(CHART_KEY)
    points = []
    if selection is not None:
        points = list((selection.get("selection") or {}).get("points") or [])
    return [] if points == st.session_state.get("step_last_click") else points


def _read_click(figure: go.Figure, spec: ModelSpec, points: list[dict]) -> None:
    """A new click on the diagram becomes the panel's layer and step."""
    st.session_state["step_last_click"] = points
    clicked = clicked_element(figure, points)
    if clicked is None:
        return
    top = spec.recurrent_count - 1
    # The head and its output read the top layer; on the decoder's axis everything belongs to the decoder.
    layer = top if clicked.role in ("head", "output") or clicked.axis == "decoder" else clicked.layer
    st.session_state["step_layer"] = min(max(layer, 0), top)
    st.session_state["step_t"] = clicked.step
    st.session_state["step_open"] = True
    st.session_state["step_focus"] = clicked


def take_click(build: Callable[[tuple[str, int] | None], go.Figure], spec: ModelSpec) -> None:
    """Read a new click on the diagram before the page lays itself out (a click opens the panel, and a slide with the
    panel open draws the diagram as a strip): the click is read on the figure the learner clicked, drawn again by
    `build(focus)` around the previous focus, since its traces are what the click's curve numbers index."""
    points = _new_click()
    if points:
        _read_click(build(st.session_state.get("step_drawn_focus")), spec, points)


def prepare_figure(build: Callable[[tuple[str, int] | None], go.Figure], spec: ModelSpec, talk: bool) -> go.Figure:
    """The unrolled figure with the panel's step drawn and banded: `build(focus)` draws the diagram around a focus
    (after `take_click`, which this calls again harmlessly: a click is read once)."""
    take_click(build, spec)
    wanted = focus(spec)
    figure = build(wanted)
    st.session_state["step_drawn_focus"] = wanted
    band = column_of(figure, wanted[1], wanted[0]) if wanted is not None else None
    return mark_focus(figure, band, talk)


def _move(delta: int, last: int) -> None:
    st.session_state["step_t"] = min(max(st.session_state.get("step_t", 0) + delta, 0), last)
    st.session_state["step_open"] = True


def _open() -> None:
    st.session_state["step_open"] = True


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
        key="step_layer",
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


def _controls(spec: ModelSpec, samples: int, boxes: tuple[Any, ...]) -> tuple[int, int]:
    """◀ t ▶ (keyboard ← →), the sample and the head's other step, in `boxes` (see `_boxes`); returns
    (sample, other step)."""
    last = _length(spec, _layer(spec)) - 1
    head_last = spec.output_steps - 1
    left, middle, right, sample_box, other_box = boxes[:5]
    left.button(
        "◀",
        key="step_back",
        shortcut="Left",
        on_click=_move,
        args=(-1, last),
        help="Previous step (←)",
        disabled=st.session_state["step_t"] == 0,
        width="stretch",
    )
    if last > 0:
        middle.slider("Timestep t", 0, last, key="step_t")
    else:
        middle.markdown("Timestep **t = 0** (the only one)")
    right.button(
        "▶",
        key="step_forward",
        shortcut="Right",
        on_click=_move,
        args=(1, last),
        help="Next step (→)",
        disabled=st.session_state["step_t"] == last,
        width="stretch",
    )
    sample = sample_box.number_input(
        "Sample",
        min_value=0,
        max_value=min(samples, MAX_SAMPLE_CHOICES) - 1,
        step=1,
        key="step_sample",
        help="Which sequence of the Training page's dataset",
    )
    other = st.session_state.get("step_other")
    if not isinstance(other, int) or not 0 <= other <= head_last:
        st.session_state["step_other"] = min(40, head_last)
    other = other_box.number_input(
        "Also at t",
        min_value=0,
        max_value=head_last,
        step=1,
        key="step_other",
        help="The head's W at another step: the same matrix",
    )
    return int(sample), int(other)


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
            vectors_figure(layer.forward[t], talk, spec.bidirectional, name),
            key="step_forward_vectors",
            alt=vectors_alt(layer.forward[t], name),
        )
    if layer.backward is not None:
        if "backward" in shown:
            chart(
                vectors_figure(layer.backward[t], talk, True, name),
                key="step_backward_vectors",
                alt=vectors_alt(layer.backward[t], name),
            )
        if "merged" in shown:
            chart(merge_figure(layer, t, talk), key="step_merge", alt=merge_alt(layer, t))
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


def _weights_tab(weights: ModelWeights, layer: int, talk: bool) -> None:
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
    key = (id(weights), layer, direction, gate if gate is not None else 0, talk)
    cached = st.session_state.get("step_weights_figure_cache")
    if cached is None or cached[0] != key:
        cached = (key, weights_figure(weights, direction, key[3], talk, layer))
        st.session_state["step_weights_figure_cache"] = cached
    figure = cached[1]
    chart(figure, key="step_weights_figure", alt=weights_alt(weights, direction, key[3], layer))
    cell = weights.cell(direction, layer)
    st.caption(
        "The same three matrices at every one of the "
        f"{_length(spec, layer)} steps: "
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
    chart(head_figure(trace, weights, t, other, talk), key="step_head", alt=head_alt(trace, weights, t, other))
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
    if not talk or not st.session_state.get("step_open"):
        st.subheader("Inside one timestep: the real numbers")  # on a slide the open panel needs the room
    if not st.session_state.get("step_open"):
        st.markdown(
            "Click any element of the diagram, or press the button, to see that step of one sample in numbers: "
            "every gate, the states, and the one shared head W. Keras starts once (a few seconds); stepping is instant."
        )
        st.button("Show the numbers", key="step_open_button", on_click=_open, icon=":material/calculate:")
        return
    task, samples, seed, normalise, sentence, source = _data_choice(spec)
    weights = _weights(spec, source, start=True)
    if weights is None:
        return
    if not talk:
        _layer_choice(description)
    layer = _layer(spec)
    t = _clamp_t(spec)
    boxes = _boxes(talk)
    sample, other = _controls(spec, samples, boxes)
    if talk:  # a slide: the cell's numbers come first, right under the diagram strip; the layer picker follows them
        _layer_choice(description)
    trace = _trace(weights, task, samples, seed, normalise, sample)
    shown = trace.layers[layer]
    several = len(trace.layers) > 1
    cell_box = boxes[5]
    if cell_box is not None:  # a slide: the cell first, the states over time in a tab
        with cell_box:
            _cell_tab(shown, t, talk, several)
        strip_tab, weights_tab, head_tab = st.tabs(["Every step's h", "Weights per gate", "The shared head"])
        with strip_tab:
            chart(states_strip(shown, t, talk), key="step_strip", alt=states_alt(shown, t))
    else:
        chart(states_strip(shown, t, talk), key="step_strip", alt=states_alt(shown, t))
        cell_tab, weights_tab, head_tab = st.tabs(["Inside the cell", "Weights per gate", "The shared head"])
        with cell_tab:
            _cell_tab(shown, t, talk, several)
    with weights_tab:
        _weights_tab(weights, layer, talk)
    with head_tab:
        head_t = min(t, spec.output_steps - 1)
        if shown is not trace.top:
            st.caption(
                f"The head reads the top layer '{trace.top.name}', not '{shown.name}': its step t={head_t} is shown."
            )
        _head_tab(description, weights, trace, head_t, other, talk)
    st.caption(
        f"Sample {sample} of the Training page's *{task}* data (seed {seed}), {sentence}. Numbers are rounded to "
        "2 decimals; hover for the full value. ← → step t."
    )


def link(key: str) -> None:
    """A button for other pages ("see the shared W in numbers"): opens this panel on the unrolled page."""
    if st.button(
        "See the shared W in numbers: one timestep of a real sample, step by step",
        key=key,
        on_click=_open,
        icon=":material/calculate:",
        type="tertiary",
    ):
        st.switch_page("views/unrolled.py")
