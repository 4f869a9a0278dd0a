"""The Equivalence page for a frames spec (issue 27): TimeDistributed(Conv2D) against the reshape it stands for, bit for
bit with a control, and what the wrapper costs (graph ops and first fits), each measured live in the worker."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.keras.requests import FramesEquivalence, WrapperCost
from core.keras.wrapper_cost import HEAD_LABELS, KERAS_2_NOTE, PAGE_TIMESTEPS, wrapper_cost_work
from core.model.budget import summary_work
from core.model.spec import ModelSpec
from views import common


def _equivalence(spec: ModelSpec) -> None:
    """The frames equivalence: one button, then the verdict and the control."""
    clicked = st.button("Run both in Keras", key="frames_lab_run", icon=":material/play_arrow:")
    result = common.keras_result("frames_lab", FramesEquivalence(spec), start=clicked, work=summary_work(spec))
    if result is None:
        return
    verdict = "bit for bit the same" if result["equal"] else f"different (max |diff| {result['max_abs_diff']:.3g})"
    st.success(
        f"TimeDistributed(Conv2D) on {result['input_shape']} and Conv2D on the reshaped {result['merged_shape']}, "
        f"reshaped back to {result['output_shape']}: {verdict} (np.array_equal: {result['equal']})."
    )
    st.markdown(
        f"Control: one kernel weight moved by {result['perturb']:g} gives np.array_equal "
        f"{result['control_equal']}, max |diff| {result['control_max_abs_diff']:.3g}."
    )


def _cost() -> None:
    """The wrapper's cost: one button, then a table of ops and first-fit seconds per head and T."""
    st.subheader("What the wrapper costs")
    st.markdown(KERAS_2_NOTE)
    clicked = st.button("Measure in Keras", key="wrapper_cost_run", icon=":material/timer:")
    costs = common.keras_result("wrapper_cost", WrapperCost(PAGE_TIMESTEPS), start=clicked, work=wrapper_cost_work())
    if costs is None:
        return
    rows = [
        {
            "Head": HEAD_LABELS[row.head],
            "T": row.timesteps,
            "Graph ops": row.ops,
            "First fit (s)": round(row.first_fit_seconds, 2),
        }
        for row in costs
    ]
    common.table(pd.DataFrame(rows), key="wrapper_cost_table")


def render(spec: ModelSpec) -> None:
    """Both measurements, under the frames notice."""
    st.subheader("TimeDistributed(Conv2D) is the reshape to (batch·T, H, W, C)")
    _equivalence(spec)
    _cost()
