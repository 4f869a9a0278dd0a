"""Equivalence lab: Dense and TimeDistributed(Dense) as twins with one set of weights; what differs is the graph.

Everything here builds real Keras models, so it runs only when the user clicks, and results are cached per spec.
"""

import streamlit as st

from core import describe
from core.equivalence import graph_op_counts, time_forward_and_trace, train_twins, twin_outputs, versions
from core.equivalence_figures import counts_table, loss_figure, op_counts_figure, output_heatmaps, timing_table
from core.spec import DEFAULTS

SAMPLES = 4  # one tiny batch: the comparison is exact, more samples would prove nothing more
PERTURB = 1e-3  # the control: one weight of the TimeDistributed twin moved by this much
# Above this, tracing TimeDistributed (one Dense call per timestep, with gradients) takes minutes and hundreds of
# MB on a one-core server; the lab already shows T MatMuls against one at any smaller T.
MAX_LAB_T = 128

# The frame sets the spec; the defaults keep a page usable if it ever runs without the frame.
spec = st.session_state.get("spec", DEFAULTS)
talk_mode = st.session_state.get("talk_mode", False)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_outputs(spec, perturb):
    """Twin outputs for a spec (cached: the same spec gives the same numbers)."""
    return twin_outputs(spec, samples=SAMPLES, perturb=perturb)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_training(spec):
    """Both twins trained from the same weights (cached per spec)."""
    return train_twins(spec)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_counts(spec):
    """Ops and MatMuls in each twin's traced graphs (cached per spec)."""
    return graph_op_counts(spec)


@st.cache_data(show_spinner=False, max_entries=16, ttl=600)
def cached_timings(spec):
    """Forward-pass and first-call times (cached briefly: they are measurements, not facts)."""
    return time_forward_and_trace(spec)


@st.cache_data(show_spinner=False)
def cached_versions():
    """The installed Keras and TensorFlow versions."""
    return versions()


st.title("Equivalence lab")
st.markdown(
    "After a recurrent layer with `return_sequences=True`, **`Dense` and `TimeDistributed(Dense)` compute the same "
    "function with the same weights.** Here both twins of your model are built for real: the "
    "TimeDistributed twin gets an exact copy of the Dense twin's weights, then both run on one batch, train from "
    "the same start, and are traced to see how Keras computes each."
)

if not spec.return_sequences:
    invalid = describe(spec.replace(head="time_distributed"))
    st.warning(
        "**No twin to compare.** With `return_sequences=False` only the `Dense` model exists: "
        "`TimeDistributed(Dense)` cannot be built."
    )
    st.markdown(invalid.error)
    st.markdown("Keras says so itself when it builds the model:")
    st.code(f"ValueError: {invalid.keras_error}", language="text", wrap_lines=True)
    st.info(
        "Dense here is applied once, to the last state only: one output vector per sequence. "
        "Switch `return_sequences` on in the sidebar to build both twins."
    )
else:
    runs = st.session_state.setdefault("equivalence_runs", set())
    too_long = spec.timesteps > MAX_LAB_T
    if too_long:
        st.error(
            f"timesteps: {spec.timesteps} is more than this lab runs (up to {MAX_LAB_T}). Tracing TimeDistributed "
            "writes one Dense call per timestep into the graph, which at this length takes minutes on a small "
            f"server. Set T to {MAX_LAB_T} or less in the sidebar: the counts grow with T exactly the same way."
        )
    if st.button("Build, run, train and trace both twins", type="primary", key="equivalence_run", disabled=too_long):
        runs.add(spec)
    if not too_long and spec not in runs:
        st.info("Click the button: it loads TensorFlow and builds two small models (a few seconds).")
    elif not too_long:
        results = {}
        try:
            with st.status("Running the twins…", expanded=False) as status:
                status.update(label="Running both twins on one batch…")
                results["outputs"] = cached_outputs(spec, 0.0)
                results["control"] = cached_outputs(spec, PERTURB)
                status.update(label="Training both twins from the same weights…")
                results["training"] = cached_training(spec)
                status.update(label="Tracing both graphs and timing them…")
                results["counts"] = cached_counts(spec)
                results["timings"] = cached_timings(spec)
                results["versions"] = cached_versions()
                status.update(label="Done: both twins built, run, trained and traced.", state="complete")
        except Exception as error:  # Keras/TensorFlow failures must not crash the page
            st.error(f"Keras could not run the twins for this spec: {error}")

        if "outputs" in results:
            outputs, control = results["outputs"], results["control"]
            st.header("Same weights, same outputs")
            left, right = st.columns(2)
            left.metric("Largest |Dense − TimeDistributed| over the batch", f"{outputs.max_abs_diff:.3g}")
            right.metric(
                f"Control: one TimeDistributed weight moved by {PERTURB:g}",
                f"{control.max_abs_diff:.3g}",
                help="Proves the comparison can fail: a tiny change in one weight shows up in the outputs.",
            )
            if outputs.max_abs_diff == 0.0:
                st.success(
                    f"Bit-identical: over {SAMPLES} samples × {spec.timesteps} timesteps × {spec.output_size} "
                    "outputs, not one float32 value differs."
                )
            sample = st.slider("Sample shown", 0, SAMPLES - 1, 0, key="equivalence_sample")
            st.plotly_chart(
                output_heatmaps(outputs, sample, talk_mode=talk_mode), width="stretch", key="equivalence_heatmaps"
            )

        if "training" in results:
            training = results["training"]
            st.header("Same training")
            st.markdown(
                f"Both twins start from the same weights and fit the same {training.samples} random samples in "
                f"the same order ({training.epochs} epochs, batch size {training.batch_size}, no shuffling)."
            )
            left, right = st.columns(2)
            left.metric("Largest loss difference over all epochs", f"{training.max_loss_diff:.3g}")
            right.metric("Largest weight difference after training", f"{training.max_weight_diff:.3g}")
            st.plotly_chart(loss_figure(training, talk_mode=talk_mode), width="stretch", key="equivalence_losses")
            st.caption(
                "A difference around 1e-8 is float32 round-off: the gradient of the shared kernel is summed over "
                "timesteps in a different order by the two graphs. The function and the weights are the same."
            )

        if "counts" in results:
            counts, timings, found = results["counts"], results["timings"], results["versions"]
            st.header("What does differ: how Keras computes them")
            td, dense = counts["time_distributed"]["head"], counts["dense"]["head"]
            st.markdown(
                f"With a static time axis, Keras {found['keras']} unrolls `TimeDistributed` into a Python loop "
                f"over the {spec.timesteps} timesteps: its traced graph holds **{td.matmuls} MatMul ops** "
                f"({td.ops} ops in all) where `Dense` holds **{dense.matmuls}** ({dense.ops} ops), one product of "
                "the whole (batch, time, features) tensor with the kernel."
            )
            st.plotly_chart(op_counts_figure(counts, talk_mode=talk_mode), width="stretch", key="equivalence_ops")
            st.dataframe(counts_table(counts), hide_index=True)
            st.caption(
                "The whole model's graph holds the recurrent loop as a single While op (its body is a separate "
                "function), so its counts differ by the head's alone."
            )
            st.subheader(f"Time, for T = {spec.timesteps}")
            st.dataframe(timing_table(timings), hide_index=True)
            st.caption(
                "Measured now on this shared server, a batch of 8: the first call of a fresh graph includes tracing it "
                "(the faster of two tries), the later pass is the median of ten. "
                "Wall-clock numbers vary from run to run; the op counts above do not."
            )
            st.caption(f"Keras {found['keras']}, TensorFlow {found['tensorflow']}: the graphs depend on both versions.")

st.header("History, in two sentences")
st.markdown(
    "In Keras 1, `Dense` accepted only 2D input (batch, features), so applying it to every timestep needed a "
    "separate layer, `TimeDistributedDense`, later replaced by the general `TimeDistributed` wrapper. "
    "Since Keras 2, `Dense` multiplies the last axis of an input of any rank by its kernel, so on a 3D input it "
    "already acts per timestep with one shared weight matrix: the same model as `TimeDistributed(Dense)`."
)
