"""Datasets shaped for a spec: the seed's random data, and tasks a recurrent network can actually learn.

Every task makes targets of the shape the spec's model outputs: per timestep (N, T, O) with return_sequences=True,
per sequence (N, O) without. Targets are probability vectors, so categorical cross-entropy (softmax) and MSE
(linear) both make sense. Pure numpy: no TensorFlow.

Example:
    >>> x, y = make_dataset(ModelSpec(), "recall", samples=10, seed=0)
    >>> x.shape, y.shape
    ((10, 64, 15), (10, 64, 8))
"""

from __future__ import annotations

import numpy as np

from core.spec import ModelSpec, whole_number

TASKS: dict[str, str] = {
    "random": "The seed's data: uniform random X and Y. Nothing to learn; the loss only fits the noise's average.",
    "recall": "Recall the previous token: each step shows one of O tokens; the target is the token one step earlier "
    "(with return_sequences=False, the token before the last). Needs memory of the previous step.",
}

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


def _tokens_and_inputs(spec: ModelSpec, samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random tokens (N, T) in [0, O) and their input vectors (N, T, I).

    With at least as many input features as tokens a token is one-hot; with fewer, each token gets a fixed random
    code, so that any input size can carry any number of tokens.
    """
    tokens = rng.integers(0, spec.output_size, size=(samples, spec.timesteps))
    if spec.input_size >= spec.output_size:
        codes = np.eye(spec.output_size, spec.input_size, dtype=np.float32)
    else:
        codes = np.random.default_rng(12345).choice([-1.0, 1.0], size=(spec.output_size, spec.input_size))
        codes = codes.astype(np.float32)
    return tokens, codes[tokens]


def _one_hot(tokens: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype=np.float32)[tokens]


def make_dataset(
    spec: ModelSpec, task: str = "random", samples: int = 1000, seed: int = 0, normalise_targets: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y) float32 arrays for the spec: X (N, T, I); Y (N, T, O) with return_sequences=True, else (N, O).

    Tasks are listed in `TASKS`. The same arguments always give the same arrays. With `normalise_targets`, the seed's
    random targets are divided by their sum so that each is a probability distribution (what categorical
    cross-entropy assumes; the seed's verbatim targets are not, which is why its loss can rise while it trains).
    """
    if task not in TASKS:
        raise ValueError(f"task: got {task!r}; allowed: {' | '.join(TASKS)}.")
    whole_number("samples", samples, 1, MAX_SAMPLES)
    rng = np.random.default_rng(seed)
    O = spec.output_size
    if task == "random":
        x, y = random_batch(spec, samples, rng)
        if normalise_targets:
            y = y / y.sum(axis=-1, keepdims=True)
        return x, y

    tokens, x = _tokens_and_inputs(spec, samples, rng)
    # At step t the target is the token of step t-1; step 0 has nothing to recall: a uniform target.
    uniform = np.full((samples, 1, O), 1.0 / O, dtype=np.float32)
    y = np.concatenate([uniform, _one_hot(tokens[:, :-1], O)], axis=1)
    if not spec.return_sequences:
        y = y[:, -1, :]
    return x, np.ascontiguousarray(y, dtype=np.float32)
