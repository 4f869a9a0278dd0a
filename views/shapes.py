"""Shape flow: (None, T, I) through each layer to the output, the targets it needs, and what fit() says about yours.

The picture and the verdict are analytic (`core.shape_flow`, instant, no TensorFlow). Keras is asked only when
the user clicks: a one-step `fit()` on a tiny batch, and `model.summary()`; both are cached per spec.
"""

import streamlit as st

from core import ModelSpec, describe, format_shape
from core.shape_flow import probe_batch_size, shape_flow_figure, target_verdict
from core.tables import summary_table, summary_totals, with_separators

TARGET_KINDS = {
    "per_timestep": "One target per timestep: Y shaped (N, T, O)",
    "per_sequence": "One target per sequence: Y shaped (N, O)",
}


@st.cache_data(show_spinner=False, max_entries=256)
def fit_probe(spec: ModelSpec, per_timestep_targets: bool, samples: int) -> str | None:
    """Keras's real answer to fit(X, Y) on a tiny batch: None, or its error message (deterministic per spec)."""
    from core.models import fit_error  # loads TensorFlow: only on request

    return fit_error(spec, per_timestep_targets, samples=samples)


@st.cache_data(show_spinner=False, max_entries=256)
def summary_probe(spec: ModelSpec) -> tuple[str | None, str | None]:
    """Keras's own model.summary() text, or (None, Keras's build error) for the combination it refuses."""
    from core.models import keras_summary  # loads TensorFlow: only on request

    try:
        return keras_summary(spec), None
    except ValueError as error:
        return None, str(error)


def _requested(name: str) -> set:
    """The probes the user asked for in this session (so a result stays on screen across reruns)."""
    return st.session_state.setdefault(name, set())


spec: ModelSpec = st.session_state.get("spec", ModelSpec())
talk_mode: bool = st.session_state.get("talk_mode", False)
description = describe(spec)

st.title("Shape flow")
st.markdown(
    "Each box is a layer with the shape it outputs. **None** is the batch axis: Keras leaves it open, so the same "
    f"model takes 1 sample or 10,000; here a sample is a sequence of T={spec.timesteps} steps of "
    f"{spec.input_size} features. The highlighted cell is the axis the layer acts on."
)

kind = st.radio(
    "Which targets do you have?",
    options=list(TARGET_KINDS),
    format_func=TARGET_KINDS.get,
    index=0 if spec.return_sequences else 1,
    horizontal=True,
    key="shapes_target_kind",
)
per_timestep = kind == "per_timestep"

st.plotly_chart(
    shape_flow_figure(spec, per_timestep_targets=per_timestep, talk_mode=talk_mode),
    width="stretch",
    key="shapes_flow",
    config={"displayModeBar": False},
)
if description.target_shape is not None:
    st.markdown(
        f"The model outputs `{format_shape(description.output_shape)}`, so `fit()` needs targets shaped "
        f"`{format_shape(description.target_shape)}`: N samples, "
        + (f"{spec.timesteps} timesteps, " if spec.return_sequences else "")
        + f"{spec.output_size} values each."
    )

# -- the target checker ------------------------------------------------------------------------------------
st.header("Will fit() accept my targets?")
verdict = target_verdict(spec, per_timestep)
show = {"ok": st.success, "stretched": st.warning, "silent": st.warning, "error": st.error, "build_error": st.error}[
    verdict.status
]
show(f"**{verdict.headline}**", icon=":material/check_circle:" if verdict.status == "ok" else ":material/error:")

explain, keras_side = st.columns(2, gap="medium")
with explain:
    st.subheader("Why")
    st.markdown(verdict.explanation)
    if verdict.caveat:
        st.caption(verdict.caveat)
    if verdict.status != "ok":
        st.subheader("Fix")
        st.markdown(verdict.fix)
with keras_side:
    st.subheader("What Keras says")
    samples = probe_batch_size(spec)
    fit_key = (spec, per_timestep, samples)
    if st.button(
        f"Ask Keras: fit() one step on {samples} random samples",
        icon=":material/play_arrow:",
        key="shapes_fit_button",
        help="Builds the real model and calls fit(X, Y) with these shapes. The first call loads TensorFlow (a few s).",
    ):
        _requested("shapes_fit_requested").add(fit_key)
    if fit_key in _requested("shapes_fit_requested"):
        with st.spinner("Building the model and calling fit()…"):
            message = fit_probe(spec, per_timestep, samples)
        y_shape = (samples, spec.timesteps, spec.output_size) if per_timestep else (samples, spec.output_size)
        st.caption(f"`model.fit(X, Y)` with X {(samples, spec.timesteps, spec.input_size)} and Y {y_shape}:")
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
    else:
        st.caption("Click to get Keras's real answer (loads TensorFlow on the first click).")

# -- Keras's own summary ------------------------------------------------------------------------------------
st.header("Keras's model.summary() and this app's table")
if st.button("Show Keras's model.summary()", icon=":material/terminal:", key="shapes_summary_button"):
    _requested("shapes_summary_requested").add(spec)
# Keras's table is 78 characters wide and its box-drawing characters render wider than the code font: it needs
# the full width, so the app's table sits above it rather than beside it.
st.subheader("This app (computed without Keras)")
app_table, app_totals = st.columns([3, 2], gap="medium")
app_table.dataframe(with_separators(summary_table(spec)), hide_index=True, width="stretch", key="shapes_app_table")
app_totals.markdown("  \n".join(f"{label}: {value}" for label, value in summary_totals(spec).items()))
st.subheader("Keras")
if spec in _requested("shapes_summary_requested"):
    with st.spinner("Building the model…"):
        text, error = summary_probe(spec)
    if text is not None:
        st.code(text, language=None)
    else:
        st.error("Keras cannot build this model, so there is no summary. Keras says:", icon=":material/block:")
        st.code(error, language=None, wrap_lines=True)
else:
    st.caption("Click the button to build the real model and print its summary here.")
