"""Shape flow: (None, T, I) through each layer to the output, the targets it needs, and what fit() says about yours.

The picture (`core.figures.shape_flow`) and the verdict (`core.model.target_checker`) are analytic: instant, no
TensorFlow. Keras is asked only when the user clicks: a one-step `fit()` on a tiny batch, and `model.summary()`, both
run by the server's TensorFlow worker; their answers are shared by every visitor (the same spec gives the same answer).
"""

from __future__ import annotations

import streamlit as st

from core import describe, format_shape
from core.figures.alt_text import shape_flow_alt
from core.figures.shape_flow import shape_flow_figure
from core.figures.tables import summary_table, summary_totals
from core.keras.requests import FitProbe, Summary
from core.model.anatomy import Description
from core.model.budget import probe_work, summary_work
from core.model.spec import ModelSpec
from core.model.target_checker import TargetVerdict, probe_batch_size, target_verdict
from views import cache, common, navigation

# Built once per input for the whole server (views/cache.py).
shape_flow_figure = cache.once(shape_flow_figure)
summary_table = cache.once(summary_table)

TARGET_KINDS = {
    "per_timestep": "One target per timestep: Y shaped (N, T, O)",
    "per_sequence": "One target per sequence: Y shaped (N, O)",
}


def render() -> None:
    """The page: the shapes through each layer, whether fit() takes the learner's targets (and what Keras says), and
    Keras's summary beside this app's table."""
    spec = common.current_spec()
    description = describe(spec)
    st.title("Shape flow")
    with common.intro(
        "Each box is a layer with the shape it outputs. **None** is the batch axis: Keras leaves it open, so the same "
        f"model takes 1 sample or 10,000; here a sample is a sequence of T={spec.timesteps} steps of "
        f"{spec.input_size} features. The highlighted cell is the axis the layer acts on.",
        f"The shape of the data through each layer, from (None, {spec.timesteps}, {spec.input_size}) to the targets",
    ):
        navigation.link("fix", "Got an error? Paste it on Fix my error", ":material/build:")
    per_timestep = _targets_choice(spec)
    _picture(spec, description, per_timestep)
    st.header("Will fit() accept my targets?")
    verdict = _verdict(spec, per_timestep)
    explain, keras_side = st.columns(2, gap="medium")
    with explain:
        _why(verdict)
    with keras_side:
        _what_keras_says(spec, per_timestep, verdict)
    _summaries(spec)


def _targets_choice(spec: ModelSpec) -> bool:
    """Which targets the learner has: True for one per timestep. On a slide the question's label is left to screen
    readers (the two answers say it), so that the picture under it fits the 1280x720 screen."""
    kind = st.radio(
        "Which targets do you have?",
        options=list(TARGET_KINDS),
        format_func=TARGET_KINDS.get,
        index=0 if spec.sequence_output else 1,
        horizontal=True,
        key="shapes_target_kind",
        label_visibility="collapsed" if common.talk_mode() else "visible",
    )
    return kind == "per_timestep"


def _picture(spec: ModelSpec, description: Description, per_timestep: bool) -> None:
    """The boxes from the input to the targets, and the target shape fit() needs."""
    # On a phone the boxes keep their width and the picture scrolls sideways (assets/layout.css: "scroll-"), and a
    # line over it says so: a figure cut at the screen's edge looks finished.
    st.container(key="narrow-shapes_scroll_hint").caption(
        ":material/swipe_left: Wider than the screen: scroll the picture sideways to see every layer."
    )
    with common.key_picture("shapes_picture"), st.container(key="scroll-shapes"):
        common.chart(shape_flow_figure(spec, per_timestep, common.theme()), key="shapes_flow", alt=shape_flow_alt(spec))
    if description.target_shape is not None:
        st.markdown(
            f"The model outputs `{format_shape(description.output_shape)}`, so `fit()` needs targets shaped "
            f"`{format_shape(description.target_shape)}`: N samples, "
            + (f"{spec.output_steps} timesteps, " if spec.sequence_output else "")
            + f"{spec.output_size} values each."
        )


def _verdict(spec: ModelSpec, per_timestep: bool) -> TargetVerdict:
    """The analytic verdict on these targets, as the page's headline box."""
    verdict = target_verdict(spec, per_timestep)
    verdict_box = common.key_picture("shapes_verdict")
    show = {
        "ok": verdict_box.success,
        "stretched": verdict_box.warning,
        "silent": verdict_box.warning,
        "error": verdict_box.error,
        "build_error": verdict_box.error,
    }[verdict.status]
    show(f"**{verdict.headline}**", icon=":material/check_circle:" if verdict.status == "ok" else ":material/error:")
    return verdict


def _why(verdict: TargetVerdict) -> None:
    """The verdict's explanation, its caveat and, when it does not fit, the fix."""
    st.subheader("Why")
    st.markdown(verdict.explanation)
    if verdict.caveat:
        st.caption(verdict.caveat)
    if verdict.status != "ok":
        st.subheader("Fix")
        st.markdown(verdict.fix)


def _what_keras_says(spec: ModelSpec, per_timestep: bool, verdict: TargetVerdict) -> None:
    """One real fit() step in the worker, on a click, and whether Keras agrees with the verdict."""
    st.subheader("What Keras says")
    samples = probe_batch_size(spec)
    clicked = st.button(
        f"Ask Keras: fit() one step on {samples} random samples",
        icon=":material/play_arrow:",
        key="shapes_fit_button",
        help="Builds the real model and calls fit(X, Y) with these shapes in the server's TensorFlow worker.",
    )
    request = FitProbe(spec, per_timestep, samples)
    idle = "Click to get Keras's real answer (the first request of a server starts TensorFlow: a few s)."
    answer = common.keras_result("shapes_fit", request, start=clicked, work=probe_work(spec, samples), idle=idle)
    if answer is None:
        return
    message = answer.error
    st.caption(
        f"`model.fit(X, Y)` with X {spec.input_shape(samples)} and Y {spec.target_shape(samples, per_timestep)}:"
    )
    if message is None:
        st.success("Keras ran the training step without an error.", icon=":material/check:")
    else:
        st.code(message, language=None, wrap_lines=True)
    agrees = (message is None) == verdict.fits and (
        message is None or verdict.keras_phrase is None or verdict.keras_phrase in message
    )
    if agrees:
        st.caption("Keras agrees with the analysis on the left.")
    else:  # never expected: shown rather than hidden, so a disagreement gets noticed
        st.warning("Keras disagrees with the analysis on the left for this configuration; trust Keras.")


def _summaries(spec: ModelSpec) -> None:
    """This app's summary table beside Keras's own model.summary() (on a click)."""
    st.header("Keras's model.summary() and this app's table")
    summary_clicked = st.button("Show Keras's model.summary()", icon=":material/terminal:", key="shapes_summary_button")
    # Keras's table is 78 characters wide and its box-drawing characters render wider than the code font: it needs
    # the full width, so the app's table sits above it rather than beside it.
    st.subheader("This app (computed without Keras)")
    app_table, app_totals = st.columns([3, 2], gap="medium")
    common.table(summary_table(spec), "shapes_app_table", where=app_table)
    app_totals.markdown("  \n".join(f"{label}: {value}" for label, value in summary_totals(spec).items()))
    st.subheader("Keras")
    idle = "Click the button to build the real model and print its summary here."
    summary = common.keras_result(
        "shapes_summary", Summary(spec), start=summary_clicked, work=summary_work(spec), idle=idle
    )
    if summary is not None and summary.text is not None:
        st.code(summary.text, language=None)
    elif summary is not None:
        st.error("Keras cannot build this model, so there is no summary. Keras says:", icon=":material/block:")
        st.code(summary.error, language=None, wrap_lines=True)
