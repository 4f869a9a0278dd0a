"""The sidebar's input controls (issue 27): vectors or frames (and the frames' CNN and its counterfactuals), padded
sequences and per-step weights. Drawn by app.py's sidebar in one call, with the same rule as its other widgets: each
widget's key is the spec field it shows, app.py writes the spec into every key before drawing ("spec wins"), and an
edit reaches the spec only through the widget's callback (`take`, app.py's `_take`)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.model.frame_fields import FRAME_INT_RANGES, FRAME_REDUCTIONS, INPUT_KINDS, REDUCTION_LABELS
from core.model.sequence_fields import PADDING_LABELS, PADDINGS, SAMPLE_WEIGHT_LABELS, SAMPLE_WEIGHTS
from core.model.spec import ModelSpec

INPUT_LABELS = {"vectors": "vectors (N, T, I)", "frames": "frames (N, T, H, W, C)"}
FRAME_LABELS = {
    "frame_height": "Frame height (H)",
    "frame_width": "Frame width (W)",
    "channels": "Channels (C)",
    "filters": "Conv2D filters",
    "kernel": "Conv2D kernel (k × k)",
}


def _frame_controls(take: Callable[[str], None]) -> None:
    """The frames' sizes, the per-frame reduction, and the two wrappers a learner may take away."""
    for name, label in FRAME_LABELS.items():
        low, high = FRAME_INT_RANGES[name]
        st.slider(label, low, high, step=1, key=name, on_change=take, args=(name,))
    st.selectbox(
        "Per-frame reduction",
        FRAME_REDUCTIONS,
        format_func=REDUCTION_LABELS.get,
        key="frame_reduction",
        on_change=take,
        args=("frame_reduction",),
        help="What turns one frame's feature maps into one vector for the recurrent layer",
    )
    st.toggle(
        "TimeDistributed around Conv2D",
        key="conv_wrapped",
        help="Off: Conv2D meets the 5-D frames, which Keras refuses",
        on_change=take,
        args=("conv_wrapped",),
    )
    st.toggle(
        "TimeDistributed around the reduction",
        key="reduction_wrapped",
        help="Off: the pooling or Flatten meets all frames at once",
        on_change=take,
        args=("reduction_wrapped",),
    )


def _sequence_controls(spec: ModelSpec, take: Callable[[str], None]) -> None:
    """Padding (sequences of vectors read from step 0 only) and per-step weights."""
    if spec.input_kind == "vectors" and spec.repeat == "none":
        st.selectbox(
            "Padded sequences",
            PADDINGS,
            format_func=PADDING_LABELS.get,
            key="padding",
            on_change=take,
            args=("padding",),
            help="Sample n keeps its first T − (n mod ⌈T/2⌉) steps; the rest are zeros, skipped by Masking",
        )
    st.selectbox(
        "Per-step sample_weight",
        SAMPLE_WEIGHTS,
        format_func=SAMPLE_WEIGHT_LABELS.get,
        key="sample_weight",
        on_change=take,
        args=("sample_weight",),
        help="Keras 3 divides sum(w·loss) by the number of steps, not by sum(w)",
    )


def controls(spec: ModelSpec, take: Callable[[str], None]) -> None:
    """The input kind with the frames' controls, and the padding and weights, in one expander."""
    changed = spec.input_kind != "vectors" or spec.padding != "none" or spec.sample_weight != "none"
    with st.expander("Input: frames, padding, per-step weights", expanded=changed):
        st.radio(
            "Input", INPUT_KINDS, format_func=INPUT_LABELS.get, key="input_kind", on_change=take, args=("input_kind",)
        )
        if spec.input_kind == "frames":
            _frame_controls(take)
        _sequence_controls(spec, take)
