"""Datasets shaped for a spec: the seed's random data, and tasks a recurrent network can actually learn.

Every task makes X of the shape the model reads ((N, T, I), or (N, I) for one-to-many) and targets of the shape it
outputs: per timestep (N, T, O) (T_out after a decoder), per sequence (N, O) (the last step's target). Each sequence
pattern has tasks it can learn (`tasks_for`): a sequence's class (many-to-one), unrolling a vector into a sequence
(one-to-many), the input reversed to the decoder's length (sequence to sequence). Targets are probability vectors, so
categorical cross-entropy (softmax) and MSE (linear) both make sense. Pure numpy: no TensorFlow.

Example:
    >>> x, y = make_dataset(ModelSpec(), "recall", samples=10, seed=0)
    >>> x.shape, y.shape
    ((10, 64, 15), (10, 64, 8))
"""

from __future__ import annotations

import numpy as np

from core.model.sequence_fields import pad
from core.model.spec import ModelSpec, whole_number
from core.model.video_data import MOTION_TASK, make_video_dataset

TASKS: dict[str, str] = {
    "random": "The seed's data: uniform random X and Y. Nothing to learn; the loss only fits the noise's average.",
    "recall": "Recall the previous token: each step shows one token, out of as many as the model has outputs; the "
    "target is the token one step earlier (with return_sequences=False, the token before the last). Needs memory of "
    "the previous step.",
    "first": "A sequence's class: the class is the token shown at step 0, to be told at the end of the sequence (or "
    "at every step). Many-to-one: the network must carry step 0 through the whole sequence.",
    "count": "Unroll a vector into a sequence: X is one token; the target at step t is that token plus t (counting "
    "round again after the last token). One-to-many: RepeatVector hands the same vector to every step; the state "
    "must count.",
    "reverse": "The input reversed, to the decoder's length: the target at decoder step t is the token at input step "
    "T-1-t. Sequence to sequence: the encoder's last state must hold the whole sequence.",
}
TASKS["motion"] = MOTION_TASK  # frames only (core.model.video_data)
FRAME_TASKS = ("motion", "random")
FRAME_ONLY_TASKS = ("motion",)
# The tasks each pattern can learn (by `ModelSpec.repeat`), the first one the default.
PATTERN_TASKS = {
    "none": ("recall", "first", "reverse", "random"),
    "input": ("count", "random"),
    "encoder": ("reverse", "first", "random"),
}


def tasks_for(spec: ModelSpec) -> tuple[str, ...]:
    """The tasks whose data fits the spec's pattern, the one that teaches it best first (many-to-one: a class)."""
    if spec.input_kind == "frames":
        return FRAME_TASKS
    if spec.repeat == "none" and not spec.return_sequences:
        return ("first", "recall", "random")
    return PATTERN_TASKS[spec.repeat]


MAX_SAMPLES = 20_000


def random_batch(
    spec: ModelSpec, samples: int, rng: np.random.Generator, per_timestep: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The seed's kind of data: uniform random float32 X and Y shaped for the spec (Y as `spec.target_shape` says).

    The one place random batches are drawn (datasets, Keras probes, equivalence checks), so that X is always drawn
    before Y from the same generator. `per_timestep` overrides the target kind, as `ModelSpec.target_shape` does.
    """
    x = rng.random(spec.input_shape(samples), dtype=np.float32)
    y = rng.random(spec.target_shape(samples, per_timestep), dtype=np.float32)
    return x, y


def _codes(spec: ModelSpec) -> np.ndarray:
    """The input vector of each of the O tokens (O, I): one-hot with at least as many features as tokens, else a
    fixed random ±1 code, so that any input size can carry any number of tokens."""
    if spec.input_size >= spec.output_size:
        return np.eye(spec.output_size, spec.input_size, dtype=np.float32)
    codes = np.random.default_rng(12345).choice([-1.0, 1.0], size=(spec.output_size, spec.input_size))
    return codes.astype(np.float32)


def _tokens_and_inputs(spec: ModelSpec, samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random tokens (N, T) in [0, O) and their input vectors (N, T, I)."""
    tokens = rng.integers(0, spec.output_size, size=(samples, spec.timesteps))
    return tokens, _codes(spec)[tokens]


def _one_hot(tokens: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype=np.float32)[tokens]


def make_dataset(
    spec: ModelSpec, task: str = "random", samples: int = 1000, seed: int = 0, normalise_targets: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) float32 arrays for the spec: X as `spec.input_shape(N)`, Y as `spec.target_shape(N)`.

    With `spec.padding="masking"` each sample's steps after its real length are zeros in X (see
    `core.model.sequence_fields`); Y keeps its targets there, which the mask leaves out of the loss.
    """
    x, y = _make_dataset(spec, task, samples, seed, normalise_targets)
    return pad(x, spec), y


def _make_dataset(
    spec: ModelSpec, task: str, samples: int, seed: int, normalise_targets: bool
) -> tuple[np.ndarray, np.ndarray]:
    """`make_dataset` before padding.

    Tasks are listed in `TASKS`; `tasks_for(spec)` says which fit the spec's pattern (others raise ValueError).
    The same arguments always give the same arrays. With `normalise_targets`, the seed's random targets are divided
    by their sum so that each is a probability distribution (what categorical cross-entropy assumes;
    the seed's verbatim targets are not, which is why its loss can rise while it trains).
    """
    if task not in TASKS:
        raise ValueError(f"task: got {task!r}; allowed: {' | '.join(TASKS)}.")
    whole_number("samples", samples, 1, MAX_SAMPLES)
    if spec.input_kind == "frames" and task not in FRAME_TASKS:
        raise ValueError(f"task: got {task!r}; allowed for frames: {' | '.join(FRAME_TASKS)}.")
    if task == "motion":
        return make_video_dataset(spec, samples, seed)
    rng = np.random.default_rng(seed)
    O = spec.output_size
    if task == "random":
        x, y = random_batch(spec, samples, rng)
        if normalise_targets:
            y = y / y.sum(axis=-1, keepdims=True)
        return x, y

    allowed = PATTERN_TASKS[spec.repeat]
    if task not in allowed:
        raise ValueError(f"task: got {task!r}; allowed for repeat={spec.repeat!r}: {' | '.join(allowed)}.")
    if task == "count":
        start = rng.integers(0, O, size=samples)
        x = _codes(spec)[start]
        y = _one_hot((start[:, None] + np.arange(spec.timesteps)[None, :]) % O, O)
    else:
        tokens, x = _tokens_and_inputs(spec, samples, rng)
        steps = np.arange(spec.output_steps)
        if task == "recall":
            # At step t the target is the token of step t-1; step 0 has nothing to recall: a uniform target.
            uniform = np.full((samples, 1, O), 1.0 / O, dtype=np.float32)
            y = np.concatenate([uniform, _one_hot(tokens[:, :-1], O)], axis=1)
        elif task == "first":
            y = _one_hot(np.repeat(tokens[:, :1], len(steps), axis=1), O)
        else:  # reverse: decoder step t reads input step T-1-t (round again when the decoder is longer)
            y = _one_hot(tokens[:, (spec.timesteps - 1 - steps) % spec.timesteps], O)
    if not spec.sequence_output:
        y = y[:, -1, :]
    return x, np.ascontiguousarray(y, dtype=np.float32)
