"""Masks and per-step weights (issue 27): Keras's loss equals the numpy hand computation, and whether the installed
TimeDistributed keeps the mask is read from the installed Keras."""

from __future__ import annotations

import numpy as np
import pytest

from core.keras.masking import PAD_TARGET, masked_loss, padded_data, weighted_loss
from core.keras.requests import Masking
from core.keras.worker import shared_worker
from core.model.step_loss import mean_over_steps, mean_over_weights, padding_mask, per_step_loss

JOIN = 180


@pytest.mark.parametrize("padding", ["masking", "mask_zero"])
@pytest.mark.parametrize("loss", ["mse", "categorical_crossentropy"])
def test_a_dense_head_s_loss_is_the_mean_over_real_steps(padding: str, loss: str) -> None:
    result = masked_loss(padding, "dense", loss)
    assert result["keras_loss"] == pytest.approx(result["hand_masked_mean"], rel=1e-5)
    if loss == "mse":  # the padded steps' targets are 10: counting them would multiply the loss
        assert result["hand_all_steps_mean"] > 10 * result["hand_masked_mean"]


@pytest.mark.parametrize("padding", ["masking", "mask_zero"])
def test_whether_time_distributed_keeps_the_mask_is_what_the_installed_keras_says(padding: str) -> None:
    result = masked_loss(padding, "time_distributed", "mse")
    kept = result["keras_loss"] == pytest.approx(result["hand_masked_mean"], rel=1e-5)
    dropped = result["keras_loss"] == pytest.approx(result["hand_all_steps_mean"], rel=1e-5)
    assert kept != dropped  # the measurement tells the two apart
    assert kept == result["time_distributed_supports_masking"]
    if result["keras_version"].startswith("3.15."):  # measured for the issue: the wrapper still passes the mask on
        assert kept


@pytest.mark.parametrize("loss", ["mse", "categorical_crossentropy"])
def test_per_step_weights_divide_by_the_number_of_steps_not_the_weights(loss: str) -> None:
    result = weighted_loss(loss)
    assert result["keras_loss"] == pytest.approx(result["hand_over_steps"], rel=1e-5)
    assert result["keras_loss"] != pytest.approx(result["hand_over_weights"], rel=1e-2)


def test_the_hand_computations_on_numbers_worked_by_hand() -> None:
    targets = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    predictions = np.array([[[0.5, 0.5], [0.0, 1.0]]])
    assert per_step_loss(targets, predictions, "mse").tolist() == [[0.25, 0.0]]
    cross = per_step_loss(targets, predictions, "categorical_crossentropy")
    assert cross[0, 0] == pytest.approx(np.log(2)) and cross[0, 1] == pytest.approx(-np.log(1 - 1e-7))
    steps, weights = np.array([[1.0, 3.0]]), np.array([[2.0, 0.0]])
    assert mean_over_steps(steps, weights) == 1.0 and mean_over_weights(steps, weights) == 1.0
    assert padding_mask(np.array([1, 2]), 3).tolist() == [[True, False, False], [True, True, False]]
    with pytest.raises(ValueError, match="loss"):
        per_step_loss(targets, predictions, "hinge")
    with pytest.raises(ValueError, match="padding"):
        masked_loss("ragged")


def test_padded_data_pads_with_zeros() -> None:
    vectors, tokens, targets, mask = padded_data(8, 5, 3, 2, seed=1)
    assert mask[0].all() and not mask.all()
    assert (vectors[~mask] == 0).all() and (vectors[mask] > 0).all()
    assert (tokens[~mask] == 0).all() and (tokens[mask] > 0).all()
    assert (targets[~mask] == PAD_TARGET).all() and np.allclose(targets[mask].sum(-1), 1.0)


def test_the_worker_runs_the_masking_job() -> None:
    job = shared_worker().submit("masking", Masking("mask_zero", "dense", "mse"))
    assert job.wait(JOIN) and job.status == "done", job.error
    masked, weighted = job.result["masked"], job.result["weighted"]
    assert masked["keras_loss"] == pytest.approx(masked["hand_masked_mean"], rel=1e-5)
    assert weighted["keras_loss"] == pytest.approx(weighted["hand_over_steps"], rel=1e-5)
