"""One home per rule: the frame <-> page accessors, and the one place random batches are drawn."""

from __future__ import annotations

import numpy as np
import pytest

from core import ModelSpec
from core.model.datasets import make_dataset, random_batch
from tests.conftest import page_text, run_view

ALONE = """
import streamlit as st
from views.common import current_spec, talk_mode
st.session_state["seen"] = (current_spec(), talk_mode())
"""


def _accessors_with(state: dict) -> tuple[ModelSpec, bool]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(ALONE, default_timeout=30)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    return at.session_state["seen"]


def test_accessors_read_what_the_frame_put() -> None:
    spec = ModelSpec(cell="LSTM", timesteps=5)
    assert _accessors_with({"spec": spec, "talk_mode": True}) == (spec, True)


@pytest.mark.parametrize("state", [{}, {"spec": None, "talk_mode": None}, {"spec": {"cell": "LSTM"}, "talk_mode": 1}])
def test_accessors_fall_back_to_the_seed_model_and_talk_off(state: dict) -> None:
    assert _accessors_with(state) == (ModelSpec(), False)


def test_a_page_run_without_the_frame_shows_the_seed_model() -> None:
    at = run_view("views/unrolled.py")
    at.run()
    assert not at.exception
    assert "64** timesteps" in page_text(at)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_random_batch_is_shaped_by_the_spec_and_float32(return_sequences: bool) -> None:
    spec = ModelSpec(timesteps=6, input_size=3, output_size=2, return_sequences=return_sequences, head="dense")
    x, y = random_batch(spec, 5, np.random.default_rng(0))
    assert x.shape == spec.input_shape(5) == (5, 6, 3)
    assert y.shape == spec.target_shape(5)
    assert x.dtype == y.dtype == np.float32
    assert 0.0 <= x.min() and x.max() < 1.0
    per_sequence = random_batch(spec, 5, np.random.default_rng(0), per_timestep=False)[1]
    assert per_sequence.shape == (5, 2)


def test_the_random_task_is_a_random_batch() -> None:
    spec = ModelSpec(timesteps=4, input_size=2, output_size=3)
    x, y = make_dataset(spec, "random", samples=7, seed=3)
    expected_x, expected_y = random_batch(spec, 7, np.random.default_rng(3))
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
