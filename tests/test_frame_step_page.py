"""The frames step panel on the Unrolled network page (issue 27): the patch's value the page prints equals Keras's
feature map at that place, for the frame, filter and patch the learner picked."""

from __future__ import annotations

import json
import re

import numpy as np

from core import ModelSpec
from core.keras.env import load_keras
from core.keras.models import build_model
from core.model.datasets import make_dataset
from core.model.frames import CONV_WRAPPER
from core.model.url_state import spec_to_query
from tests.conftest import page_text, run_app, settle

FRAMES = ModelSpec(input_kind="frames", timesteps=4, channels=2, filters=3, kernel=3, output_size=4)


def _keras_map_value(t: int, row: int, col: int, filter_index: int) -> float:
    """Keras's own feature map at (t, row, col, filter) for sample 0 of the motion task, the seed's weights."""
    keras = load_keras()
    model = build_model(FRAMES, seed=0, compile=False)
    frames, _ = make_dataset(FRAMES, "motion", samples=1, seed=0)
    maps = keras.Model(model.inputs, model.get_layer(CONV_WRAPPER).output).predict_on_batch(frames)
    return float(np.asarray(maps)[0, t, row, col, filter_index])


def test_the_page_prints_kerass_feature_map_value_for_the_picked_patch():
    at = run_app("unrolled", spec_to_query(FRAMES))
    at = settle(at)
    at.selectbox(key="frame_step_t").set_value(2)
    at.selectbox(key="frame_step_filter").set_value(1)
    at.selectbox(key="frame_step_row").set_value(3)
    at.selectbox(key="frame_step_col").set_value(4).run()
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    shown = re.search(r"map\[3, 4, 1\] = .*?: \*\*(-?[0-9.]+)\*\*", page_text(at))
    assert shown is not None, page_text(at)[-2000:]
    assert abs(float(shown.group(1)) - _keras_map_value(2, 3, 4, 1)) <= 1e-4  # printed to 4 decimals
    figure = next(
        json.loads(chart.proto.spec) for chart in at.get("plotly_chart") if "kernel, filter 1" in chart.proto.spec
    )
    assert np.asarray(figure["data"][1]["z"]).shape == (3, 3)  # the kernel of one channel


def test_a_smaller_spec_clamps_the_picks():
    at = run_app("unrolled", spec_to_query(FRAMES))
    at = settle(at)
    at.selectbox(key="frame_step_row").set_value(5).run()
    at.slider(key="kernel").set_value(5).run()  # the maps shrink to 4 × 4
    at = settle(at)
    assert not at.exception
    assert at.selectbox(key="frame_step_row").value == 3
