"""The frames model's step panel (issue 27): one frame's convolution as real numbers, under the unrolled frames diagram.

The weights are the model's initial weights with the Training page's seed (the worker's `InitialWeights`, the one
the recurrent step panel asks for); the frame is sample 0 of the motion task (or of random frames when the task does
not fit the spec). `core.model.frame_step` does the arithmetic in numpy, checked against Keras in
tests/test_frame_step.py."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.figures.step.frame_conv import frame_conv_alt, frame_conv_figure
from core.figures.theme import COMPACT
from core.keras.requests import InitialWeights
from core.model.budget import summary_work
from core.model.datasets import make_dataset
from core.model.frame_fields import feature_map
from core.model.frame_step import FrameStep, conv_weights, frame_step
from core.model.spec import ModelSpec
from core.model.video_data import motion_fits
from views import common

SEED = 0
PICKS = ("t", "filter", "row", "col", "channel")


def _picker(name: str, label: str, count: int) -> int:
    """A choice of 0..count-1 kept in range when the spec shrinks (the widget's state is clamped before it is drawn)."""
    key = f"frame_step_{name}"
    if st.session_state.get(key, 0) >= count:
        st.session_state[key] = count - 1
    return int(st.selectbox(label, range(count), key=key))


def _picks(spec: ModelSpec) -> dict[str, int]:
    """Which frame, filter, patch and channel to show."""
    height, width = feature_map(spec)
    counts = {"t": spec.timesteps, "filter": spec.filters, "row": height, "col": width, "channel": spec.channels}
    labels = {"t": "Frame t", "filter": "Filter", "row": "Patch row", "col": "Patch column", "channel": "Channel"}
    columns = st.columns(len(PICKS))
    picks = {}
    for column, name in zip(columns, PICKS, strict=True):
        with column:
            picks[name] = _picker(name, labels[name], counts[name])
    return picks


def _sums(step: FrameStep, channel: int) -> None:
    """The patch's arithmetic and the reduction, in one line each."""
    f = step.filter_index
    k, channels = step.kernel.shape[0], step.kernel.shape[2]
    st.markdown(
        f"map[{step.row}, {step.col}, {f}] = Σ over the {k}×{k}×{channels} patch of (frame × kernel) "
        f"= {step.products.sum():.4f}, + bias b[{f}] = {step.bias[f]:.4f}: **{step.value:.4f}** "
        f"(channel {channel} of the products: {np.round(step.products[:, :, channel], 3).tolist()})."
    )
    if step.reduction == "pool":
        st.markdown(
            f"GlobalAveragePooling2D: the mean of map {f} over its {step.maps.shape[0]}×{step.maps.shape[1]} cells "
            f"= **{step.vector[f]:.4f}**, number {f} of the {step.vector.size} the recurrent layer reads at this step."
        )
    else:
        st.markdown(
            f"Flatten: all {step.maps.size} map values in a row; this one is number "
            f"{(step.row * step.maps.shape[1] + step.col) * step.maps.shape[2] + f} of the vector the recurrent "
            "layer reads at this step."
        )


def render(spec: ModelSpec) -> None:
    """The section: the pickers, then (once Keras sent the weights) the figure and the sums."""
    if not spec.is_valid:
        return
    st.subheader("Inside one frame: the shared kernel in numbers")
    picks = _picks(spec)
    weights = common.keras_result(
        "frame_step", InitialWeights(spec, SEED), start=True, work=summary_work(spec), exclusive=False,
        failed="Could not get the weights from Keras",
    )  # fmt: skip
    if weights is None:
        return
    kernel, bias = conv_weights(weights.paths, weights.arrays)
    task = "motion" if motion_fits(spec) else "random"
    frames, _ = make_dataset(spec, task, samples=1, seed=SEED)
    step = frame_step(frames[0, picks["t"]], kernel, bias, spec.frame_reduction, picks["row"], picks["col"],
                      picks["filter"])  # fmt: skip
    channel = picks["channel"]
    common.chart(frame_conv_figure(step, channel, common.theme()), key="frame_step_figure",
                 alt=frame_conv_alt(step, channel), compact=frame_conv_figure(step, channel, COMPACT))  # fmt: skip
    _sums(step, channel)
    st.caption(
        f"The model's initial weights (seed {SEED}); frame {picks['t']} of sample 0 of the "
        f"{'motion task' if task == 'motion' else 'random frames'}. The same kernel and bias serve every frame."
    )
