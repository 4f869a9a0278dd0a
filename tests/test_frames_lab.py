"""The frames family's measurements in the worker (issue 27): TimeDistributed(Conv2D) equals the reshape it stands
for, bit for bit, and a control that differs is told apart."""

from __future__ import annotations

import pytest

from core import ModelSpec
from core.keras.frames import frames_equivalence
from core.keras.requests import FramesEquivalence
from core.keras.worker import shared_worker

JOIN = 180
FRAMES = ModelSpec(input_kind="frames", timesteps=4, frame_height=7, frame_width=6, channels=2, filters=3, kernel=3)


@pytest.mark.parametrize(
    "spec",
    [
        FRAMES,
        FRAMES.replace(use_bias=False, kernel=1),
        FRAMES.replace(timesteps=1, kernel=5, frame_height=5, frame_width=5),
    ],
    ids=["3x3", "1x1_no_bias", "one_step_whole_frame"],
)
def test_the_wrapper_is_the_reshape_bit_for_bit(spec: ModelSpec) -> None:
    result = frames_equivalence(spec, seed=5, samples=3)
    steps, height, width, channels = spec.timesteps, spec.frame_height, spec.frame_width, spec.channels
    assert result["input_shape"] == (3, steps, height, width, channels)
    assert result["merged_shape"] == (3 * steps, height, width, channels)
    assert result["output_shape"] == (3, steps, height - spec.kernel + 1, width - spec.kernel + 1, spec.filters)
    assert result["equal"] and result["max_abs_diff"] == 0.0
    # The control: one kernel weight moved by 1e-3 changes the outputs, by at most that much times an input (< 1).
    assert not result["control_equal"] and 0.0 < result["control_max_abs_diff"] <= result["perturb"]


def test_the_worker_runs_the_frames_equivalence() -> None:
    job = shared_worker().submit("frames-lab", FramesEquivalence(FRAMES, 1))
    assert job.wait(JOIN) and job.status == "done", job.error
    assert job.result["equal"] and not job.result["control_equal"]
