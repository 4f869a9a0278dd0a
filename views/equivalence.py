"""Equivalence lab: Dense and TimeDistributed(Dense) as twins with one set of weights; what differs is the graph.

Everything here builds real Keras models in the server's TensorFlow worker. The lab for the current spec is computed
speculatively when the page opens (at the lowest priority, behind any visitor's real job), so the click usually shows
it at once; results are shared by all visitors, since the same spec gives the same numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core import describe
from core.figures.alt_text import op_counts_alt, twin_losses_alt, twin_outputs_alt
from core.figures.equivalence import counts_table, loss_figure, op_counts_figure, output_heatmaps, timing_table
from core.figures.theme import COMPACT
from core.keras.requests import LAB_PERTURB, EquivalenceLab
from core.model.budget import lab_work
from core.model.refusal import Refusal
from core.model.spec import ModelSpec
from views import common

PERTURB = LAB_PERTURB  # the control: one weight of the TimeDistributed twin moved by this much
SAMPLES = 4  # one tiny batch (core.keras.equivalence's default): exact, more samples prove nothing more


def render() -> None:
    """The page: both twins built for real (or why there are none), their outputs, training and graphs compared."""
    spec = common.current_spec()
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
    if (refusal := describe(spec).refusal) is not None and refusal.before_head:
        _refused(refusal)
    elif not spec.sequence_output:
        _no_twin(spec)
    else:
        results = _lab(spec, picture)
        if "outputs" in results and "control" in results:
            _same_outputs(spec, results, picture)
        if "training" in results:
            _same_training(results)
        if "counts" in results and "timings" in results:
            _what_differs(spec, results)
    _history()


def _refused(refusal: Refusal) -> None:
    """Keras refuses the stack before any head: no twins."""
    st.warning(f"**No twins to build.** Keras refuses this stack at `{refusal.layer}`, before any head.")
    st.markdown(refusal.why)
    st.code(f"ValueError: {refusal.keras_error}", language="text", wrap_lines=True)


def _no_twin(spec: ModelSpec) -> None:
    """return_sequences=False: only the Dense model exists, and Keras says why."""
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


def _lab(spec: ModelSpec, picture: Any) -> dict:
    """The lab's results so far: warmed up speculatively, started by the button, streamed stage by stage."""
    request = EquivalenceLab(spec, PERTURB)
    work = lab_work(spec)
    if work.allowed:
        # Compute the lab in the background now: the learner reads the introduction, then clicks.
        common.speculate(request)
    else:
        st.error(f"Too much for a small server. {work.message}", icon=":material/hourglass_disabled:")
    clicked = picture.button(
        "Build, run, train and trace both twins", type="primary", key="equivalence_run", disabled=not work.allowed
    )
    failed = "Keras could not run the twins for this spec"
    results = common.keras_result("equivalence", request, start=clicked, work=work, failed=failed)
    job = common.keras_job("equivalence", request, start=False, work=work)
    if job is None:
        if work.allowed:
            message = common.before_click(request, work)
            picture.info(f"Click the button: the server's TensorFlow worker builds two small models. {message}")
        return {}
    if results is None:  # the verdict first, the slower stages as they end
        return job.partial_results() if job.active else {}
    took = sum(seconds for _, seconds in results["stages"])
    measured = "when it was computed" if job.computed_at is not None else "just now"
    with st.expander(f"{took:.1f} s in the worker, measured {measured}: each stage"):
        rows = [{"stage": label, "seconds": round(seconds, 2)} for label, seconds in results["stages"]]
        common.table(pd.DataFrame(rows), "equivalence_stages_table")
    return results


def _same_outputs(spec: ModelSpec, results: dict, picture: Any) -> None:
    """The largest output difference of the twins, the control that proves it could fail, and the outputs."""
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
        output_heatmaps(outputs, sample, common.theme()),
        key="equivalence_heatmaps",
        alt=twin_outputs_alt(outputs, sample),
        compact=output_heatmaps(outputs, sample, COMPACT),  # a phone: the panels one above the other
    )


def _same_training(results: dict) -> None:
    """Both twins trained from the same start: their losses and weights."""
    training = results["training"]
    st.header("Same training")
    st.markdown(
        f"Both twins start from the same weights and fit the same {training.samples} random samples in "
        f"the same order ({training.epochs} epochs, batch size {training.batch_size}, no shuffling)."
    )
    left, right = st.columns(2)
    left.metric("Largest loss difference over all epochs", f"{training.max_loss_diff:.3g}")
    right.metric("Largest weight difference after training", f"{training.max_weight_diff:.3g}")
    common.chart(loss_figure(training, common.theme()), key="equivalence_losses", alt=twin_losses_alt(training))
    st.caption(
        "A difference around 1e-8 is float32 round-off: the gradient of the shared kernel is summed over "
        "timesteps in a different order by the two graphs. The function and the weights are the same."
    )


def _what_differs(spec: ModelSpec, results: dict) -> None:
    """How Keras computes each twin: the traced graphs' op counts, and the time each takes."""
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
    common.chart(op_counts_figure(counts, common.theme()), key="equivalence_ops", alt=op_counts_alt(counts))
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


def _history() -> None:
    """Why Keras has both layers."""
    st.header("History, in two sentences")
    st.markdown(
        "In Keras 1, `Dense` accepted only 2D input (batch, features), so applying it to every timestep needed a "
        "separate layer, `TimeDistributedDense`, later replaced by the general `TimeDistributed` wrapper. "
        "Since Keras 2, `Dense` multiplies the last axis of an input of any rank by its kernel, so on a 3D input it "
        "already acts per timestep with one shared weight matrix: the same model as `TimeDistributed(Dense)`."
    )
