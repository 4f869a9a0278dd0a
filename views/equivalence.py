"""Equivalence lab: Dense and TimeDistributed(Dense) as twins with one set of weights; what differs is the graph.

Everything here builds real Keras models in the server's TensorFlow worker. The lab for the current spec is computed
speculatively when the page opens (at the lowest priority, behind any visitor's real job), so the click usually shows
it at once; results are shared by all visitors, since the same spec gives the same numbers.
"""

import pandas as pd
import streamlit as st

from core import describe
from core.figures.alt_text import op_counts_alt, twin_losses_alt, twin_outputs_alt
from core.figures.equivalence import counts_table, loss_figure, op_counts_figure, output_heatmaps, timing_table
from core.model.budget import lab_work
from views import common

PERTURB = 1e-3  # the control: one weight of the TimeDistributed twin moved by this much
SAMPLES = 4  # one tiny batch (core.keras.equivalence's default): exact, more samples prove nothing more

spec = common.current_spec()
talk_mode = common.talk_mode()
LAB_KEY = ("equivalence_lab", spec, PERTURB)

st.title("Equivalence lab")
common.intro(
    "After a recurrent layer with `return_sequences=True`, **`Dense` and `TimeDistributed(Dense)` compute the same "
    "function with the same weights.** Here both twins of your model are built for real: the "
    "TimeDistributed twin gets an exact copy of the Dense twin's weights, then both run on one batch, train from "
    "the same start, and are traced to see how Keras computes each.",
    "Dense and TimeDistributed(Dense), built for real with the same weights",
)
# The key picture of a slide: the button, then the verdict and the difference, right under the title.
picture = common.key_picture("equivalence_picture")

if spec.refused_at in ("stack", "repeat"):
    refused = describe(spec)
    st.warning(f"**No twins to build.** Keras refuses this stack at `{refused.broken_at}`, before any head.")
    st.markdown(refused.error)
    st.code(f"ValueError: {refused.keras_error}", language="text", wrap_lines=True)
elif not spec.sequence_output:
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
    work = lab_work(spec)
    if work.allowed:
        # Compute the lab in the background now: the learner reads the introduction, then clicks.
        common.speculate("equivalence_lab", (spec, PERTURB), key=LAB_KEY)
    else:
        st.error(f"Too much for a small server. {work.message}", icon=":material/hourglass_disabled:")
    clicked = picture.button(
        "Build, run, train and trace both twins", type="primary", key="equivalence_run", disabled=not work.allowed
    )
    job = common.keras_job("equivalence", "equivalence_lab", (spec, PERTURB), LAB_KEY, start=clicked, work=work)
    results: dict = {}
    if job is None:
        if work.allowed:
            picture.info(f"Click the button: the server's TensorFlow worker builds two small models. {work.message}")
    elif not common.finished(job):
        results = job.partial_results()  # the verdict first, the slower stages as they end
    else:
        reason = common.failure(job)
        if reason is not None:
            st.error(f"Keras could not run the twins for this spec: {reason}")
        else:
            results = job.result
            with st.expander(f"Done in {sum(s for _, s in results['stages']):.1f} s: each stage, measured"):
                common.table(
                    pd.DataFrame(
                        [{"stage": label, "seconds": round(seconds, 2)} for label, seconds in results["stages"]]
                    ),
                    "equivalence_stages_table",
                )
    if results:
        if "outputs" in results and "control" in results:
            outputs, control = results["outputs"], results["control"]
            picture.header("Same weights, same outputs")
            left, right = picture.columns(2)
            left.metric("Largest |Dense − TimeDistributed| over the batch", f"{outputs.max_abs_diff:.3g}")
            right.metric(
                f"Control: one TimeDistributed weight moved by {PERTURB:g}",
                f"{control.max_abs_diff:.3g}",
                help="Proves the comparison can fail: a tiny change in one weight shows up in the outputs.",
            )
            if outputs.max_abs_diff == 0.0:
                picture.success(
                    f"Bit-identical: over {SAMPLES} samples × {spec.output_steps} timesteps × {spec.output_size} "
                    "outputs, not one float32 value differs."
                )
            sample = st.slider("Sample shown", 0, SAMPLES - 1, 0, key="equivalence_sample")
            common.chart(
                output_heatmaps(outputs, sample, talk_mode=talk_mode),
                key="equivalence_heatmaps",
                alt=twin_outputs_alt(outputs, sample),
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
            common.chart(
                loss_figure(training, talk_mode=talk_mode), key="equivalence_losses", alt=twin_losses_alt(training)
            )
            st.caption(
                "A difference around 1e-8 is float32 round-off: the gradient of the shared kernel is summed over "
                "timesteps in a different order by the two graphs. The function and the weights are the same."
            )

        if "counts" in results and "timings" in results:
            counts, timings, found = results["counts"], results["timings"], results["versions"]
            st.header("What does differ: how Keras computes them")
            td, dense = counts["time_distributed"]["head"], counts["dense"]["head"]
            st.markdown(
                f"With a static time axis, Keras {found['keras']} unrolls `TimeDistributed` into a Python loop "
                f"over the {spec.output_steps} timesteps of its input: its traced graph holds "
                f"**{td.matmuls} MatMul ops** "
                f"({td.ops} ops in all) where `Dense` holds **{dense.matmuls}** ({dense.ops} ops), one product of "
                "the whole (batch, time, features) tensor with the kernel."
            )
            common.chart(
                op_counts_figure(counts, talk_mode=talk_mode), key="equivalence_ops", alt=op_counts_alt(counts)
            )
            common.table(counts_table(counts), "equivalence_counts_table")
            st.caption(
                "The whole model's graph holds the recurrent loop as a single While op (its body is a separate "
                "function), so its counts differ by the head's alone."
            )
            decoder = f" and a decoder of {spec.output_timesteps}" if spec.repeat == "encoder" else ""
            st.subheader(f"Time, for T = {spec.timesteps}{decoder}")
            common.table(timing_table(timings), "equivalence_timing_table")
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
