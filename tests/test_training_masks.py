"""The Training page's padded-steps and per-step-weights part (issue 27): the masked fit in the worker, the formula,
Keras's loss equal to the numpy hand computation, and the heatmap with the padded steps blank."""

from __future__ import annotations

import json

import numpy as np

from core.figures.training import masked_heatmap_alt, masked_step_heatmap
from core.model.sequence_fields import real_steps
from tests.conftest import page_text, run_app, settle

PADDED = {"timesteps": "6", "input_size": "3", "hidden_size": "4", "output_size": "2", "padding": "masking"}


def _set_small(at):
    at.number_input(key="training_samples").set_value(32)
    at.number_input(key="training_batch").set_value(8)
    at.number_input(key="training_epochs").set_value(2)
    return at.run()


def test_the_masked_fit_shows_kerass_loss_equal_to_the_hand_computation():
    at = _set_small(run_app("training", {**PADDED, "sample_weight": "rising"}))
    assert not at.exception
    at.button(key="masked_train").click().run()
    at = settle(at)
    assert not at.exception, [e.value for e in at.exception]
    assert any("w_t" in latex.value and "m_{n,t}" in latex.value for latex in at.latex)
    numbers = next(frame.value for frame in at.dataframe if "loss" in frame.value.columns)
    keras_loss, hand = numbers["value"][0], numbers["value"][1]
    assert abs(keras_loss - hand) <= 1e-5 * abs(hand)
    assert all(abs(keras_loss - other) > 1e-4 * abs(hand) for other in numbers["value"][2:])  # the wrong readings
    assert "passed the mask on" in page_text(at) or "dropped the mask" in page_text(at)
    heatmap = next(json.loads(chart.proto.spec) for chart in at.get("plotly_chart") if "padding" in chart.proto.spec)
    z = np.array(heatmap["data"][0]["z"], dtype=float)
    assert np.array_equal(np.isnan(z), ~real_steps(len(z), 6))


def test_one_output_per_sequence_says_weights_are_not_used():
    at = run_app("training", {**PADDED, "return_sequences": "false", "head": "dense", "sample_weight": "rising"})
    assert not at.exception
    assert "per-step weights are not used" in page_text(at)


def test_the_masked_heatmap_leaves_padding_blank_and_says_so():
    losses = np.arange(12, dtype=float).reshape(3, 4)
    mask = real_steps(3, 4)
    figure = masked_step_heatmap(losses, mask)
    z = np.array(figure.data[0].z, dtype=float)
    assert np.isnan(z[1, 3]) and z[1, 2] == 6.0 and not np.isnan(z[0]).any()
    assert figure.data[0].text[1][3].startswith("padding")
    assert "and 1 padded step left blank" in masked_heatmap_alt(losses, mask, "mse")


def test_a_refused_padded_model_gets_no_masked_part():
    at = run_app("training", {**PADDED, "return_sequences": "false"})  # TimeDistributed after the last step
    assert not at.exception
    assert "Padded steps and per-step weights" not in page_text(at)
