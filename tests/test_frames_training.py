"""The synthetic video task and a frames model trained on it through the worker, within the budget (issue 27)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import ModelSpec
from core.keras.requests import Training
from core.keras.training_session import TrainingSettings
from core.keras.worker import shared_worker
from core.model.budget import fit_cost, training_work
from core.model.datasets import make_dataset, tasks_for
from core.model.frames_budget import frames_fit_extra, wrapped_steps
from core.model.video_data import DIRECTIONS, SQUARE, make_video_dataset

JOIN = 300
MOTION = ModelSpec(
    input_kind="frames",
    timesteps=6,
    output_size=4,
    return_sequences=False,
    head="dense",
    frame_reduction="flatten",
)
SETTINGS = TrainingSettings.for_spec(MOTION, task="motion", samples=128, batch_size=32, epochs=5, learning_rate=0.01)


def _square_position(frame: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(frame[..., 0] > 0.5)
    assert len(rows) == SQUARE * SQUARE
    return int(rows.min()), int(cols.min())


def test_each_sample_is_a_square_moving_one_pixel_per_frame_in_its_label_s_direction() -> None:
    x, y = make_dataset(MOTION, "motion", samples=40, seed=3)
    assert x.shape == (40, 6, 8, 8, 1) and y.shape == (40, 4) and x.dtype == y.dtype == np.float32
    moves = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}
    for frames, target in zip(x, y, strict=True):
        positions = [_square_position(frame) for frame in frames]
        steps = {(b[0] - a[0], b[1] - a[1]) for a, b in zip(positions, positions[1:], strict=False)}
        assert steps == {moves[DIRECTIONS[int(target.argmax())]]}  # 8×8 frames leave room for 6 frames: no bounce
    assert set(y.argmax(axis=1)) == {0, 1, 2, 3}
    again, _ = make_video_dataset(MOTION, samples=40, seed=3)
    assert np.array_equal(x, again)


def test_per_step_targets_bounces_and_refusals() -> None:
    sequences = MOTION.replace(return_sequences=True, head="time_distributed", output_size=2, frame_height=3)
    x, y = make_video_dataset(sequences, samples=5, seed=0)
    assert y.shape == (5, 6, 2) and (y == y[:, :1, :]).all()
    tight = MOTION.replace(frame_width=3, frame_height=3, timesteps=5)
    x, y = make_video_dataset(tight, samples=20, seed=0)  # one pixel of room: the square bounces
    assert x.shape == (20, 5, 3, 3, 1)
    assert tasks_for(MOTION) == ("motion", "random") and make_dataset(MOTION, "random", 3)[0].shape == (3, 6, 8, 8, 1)
    with pytest.raises(ValueError, match="frames"):
        make_dataset(MOTION, "recall", 3)
    with pytest.raises(ValueError, match="output size"):
        make_video_dataset(MOTION.replace(output_size=1), 3)
    with pytest.raises(ValueError, match="larger than"):
        make_video_dataset(MOTION.replace(frame_width=2), 3)
    with pytest.raises(ValueError, match="input_kind"):
        make_video_dataset(ModelSpec(), 3)


def test_the_budget_counts_the_wrapper_s_loops_and_the_maps() -> None:
    assert frames_fit_extra(ModelSpec(), 100, 10, 1, True) == (0.0, 0.0)
    assert wrapped_steps(MOTION) == 12 and wrapped_steps(MOTION.replace(frame_reduction="none")) == 6
    longer = MOTION.replace(timesteps=12)
    assert fit_cost(longer, 128, 32, 5).seconds > fit_cost(MOTION, 128, 32, 5).seconds
    assert fit_cost(MOTION.replace(filters=8), 128, 32, 5).memory_mb > fit_cost(MOTION, 128, 32, 5).memory_mb
    work = training_work(SETTINGS)
    assert work.allowed, work.message
    huge = MOTION.replace(timesteps=512, frame_height=16, frame_width=16, channels=3, filters=8, hidden_size=512)
    assert not training_work(SETTINGS.replace(variants=(("Huge", huge),), samples=5000)).allowed


def test_the_frames_model_learns_which_way_the_square_moves() -> None:
    """Through the worker, as the Training page runs it: the loss falls clearly from chance (ln 4)."""
    job = shared_worker().submit("motion", Training(SETTINGS))
    assert job.wait(JOIN) and job.status == "done", job.error
    (result,) = job.result
    losses = result.epoch_losses
    assert len(losses) == 5 and losses[0] < math.log(4) + 0.1
    assert losses[-1] < 0.3 * losses[0] and losses[-1] < 0.3, losses
