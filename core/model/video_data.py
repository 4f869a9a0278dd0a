"""A synthetic video task in numpy (issue 27): which way a square moves across small frames.

Each sample is T frames of H × W × C: a bright square (side `SQUARE`) starts at a random place and moves one pixel per
frame left, right, up or down (bouncing off the border); the label is the direction. One frame alone cannot tell it:
the model must compare frames, so the CNN reads each frame and the recurrent layer reads the sequence. Pooling every
map to its mean also throws the square's position away, so a per-frame Flatten learns this task and pooling hardly
does: a lesson of its own. Pure numpy, seeded: the same arguments always give the same arrays.

Example:
    >>> from core.model.spec import ModelSpec
    >>> spec = ModelSpec(input_kind="frames", timesteps=6, output_size=4, return_sequences=False, head="dense")
    >>> x, y = make_video_dataset(spec, samples=10, seed=0)
    >>> x.shape, y.shape
    ((10, 6, 8, 8, 1), (10, 4))
"""

from __future__ import annotations

import numpy as np

from core.model.spec import ModelSpec, whole_number

DIRECTIONS = ("right", "left", "down", "up")
STEPS = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}
SQUARE = 2
NOISE = 0.05
MAX_SAMPLES = 20_000
MOTION_TASK = (
    "Which way a square moves: a 2×2 square crosses the frames one pixel per frame, right, left, down or up "
    "(bouncing off the border); the class is the direction. Needs the frames compared across time."
)


def _path(start: int, step: int, frames: int, room: int) -> np.ndarray:
    """Positions along one axis, moving `step` per frame and bouncing between 0 and `room` (inclusive)."""
    if room == 0 or step == 0:
        return np.full(frames, start)
    period = 2 * room
    raw = (start + step * np.arange(frames)) % period
    return np.where(raw <= room, raw, period - raw)


def _start(rng: np.random.Generator, step: int, frames: int, room: int) -> int:
    """Where the square starts along one axis: anywhere when it does not move along it, else far enough from the
    border it moves towards that it reaches no border (when the frame has room for the whole path)."""
    if step == 0:
        return int(rng.integers(0, room + 1))
    offset = int(rng.integers(0, max(room - (frames - 1), 0) + 1))
    return offset if step > 0 else room - offset


def motion_fits(spec: ModelSpec) -> bool:
    """True when the motion task can be drawn for the spec: frames, at least two classes, frames larger than the
    square along the axes that move."""
    classes = min(len(DIRECTIONS), spec.output_size)
    wide_enough = spec.frame_width > SQUARE and (classes <= 2 or spec.frame_height > SQUARE)
    return spec.input_kind == "frames" and spec.output_size >= 2 and wide_enough


def make_video_dataset(spec: ModelSpec, samples: int = 512, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) float32 for a frames spec: X (N, T, H, W, C), Y one-hot directions per sequence (N, O) or repeated
    at every step (N, T, O), as `spec.target_shape` says. Uses the first min(4, O) directions; O must be at least 2
    and each frame at least SQUARE + 1 pixels along the axes that move."""
    whole_number("samples", samples, 1, MAX_SAMPLES)
    if spec.input_kind != "frames" or spec.output_size < 2:
        raise ValueError("The motion task needs input_kind=frames and an output size of at least 2 (the directions).")
    if not motion_fits(spec):
        raise ValueError(f"The motion task needs frames larger than its {SQUARE}×{SQUARE} square.")
    classes = min(len(DIRECTIONS), spec.output_size)
    rng = np.random.default_rng(seed)
    steps, height, width = spec.timesteps, spec.frame_height, spec.frame_width
    labels = rng.integers(0, classes, size=samples)
    x = rng.random((samples, steps, height, width, spec.channels), dtype=np.float32) * NOISE
    for index in range(samples):
        down, right = STEPS[DIRECTIONS[labels[index]]]
        ys = _path(_start(rng, down, steps, height - SQUARE), down, steps, height - SQUARE)
        xs = _path(_start(rng, right, steps, width - SQUARE), right, steps, width - SQUARE)
        for t in range(steps):
            x[index, t, ys[t] : ys[t] + SQUARE, xs[t] : xs[t] + SQUARE, :] = 1.0
    y = np.eye(spec.output_size, dtype=np.float32)[labels]
    if spec.sequence_output:
        y = np.repeat(y[:, None, :], spec.output_steps, axis=1)
    return x, np.ascontiguousarray(y)
