"""Per-step losses computed by hand in numpy: what Keras 3 averages over when a mask or per-step weights are given.

With a mask (Masking, or Embedding(mask_zero=True)) Keras's loss is the mean over the real steps only; with a
(batch, T) `sample_weight` it is sum(w·l) divided by the number of steps, not by the sum of the weights (Keras 3
dropped `sample_weight_mode`). tests/test_masking.py checks both against the installed Keras.
"""

from __future__ import annotations

import numpy as np

EPSILON = 1e-7  # keras.config.epsilon(): categorical cross-entropy clips probabilities to [ε, 1 - ε]


def per_step_loss(targets: np.ndarray, predictions: np.ndarray, loss: str) -> np.ndarray:
    """The loss at every step (batch, T): MSE over the features, or categorical cross-entropy as Keras computes it
    (probabilities renormalised over the last axis, then clipped)."""
    targets = np.asarray(targets, dtype=np.float64)
    predictions = np.asarray(predictions, dtype=np.float64)
    if loss == "mse":
        return np.mean((targets - predictions) ** 2, axis=-1)
    if loss == "categorical_crossentropy":
        probabilities = predictions / np.sum(predictions, axis=-1, keepdims=True)
        probabilities = np.clip(probabilities, EPSILON, 1.0 - EPSILON)
        return -np.sum(targets * np.log(probabilities), axis=-1)
    raise ValueError(f"loss: got {loss!r}; allowed: mse | categorical_crossentropy.")


def masked_mean(step_losses: np.ndarray, mask: np.ndarray) -> float:
    """The mean over the real (unmasked) steps: what Keras reports for padded sequences."""
    mask = np.asarray(mask, dtype=np.float64)
    return float(np.sum(step_losses * mask) / np.sum(mask))


def mean_over_steps(step_losses: np.ndarray, weights: np.ndarray) -> float:
    """sum(w·l) / number of steps: Keras 3's loss with a per-step `sample_weight`."""
    return float(np.sum(step_losses * weights) / step_losses.size)


def mean_over_weights(step_losses: np.ndarray, weights: np.ndarray) -> float:
    """sum(w·l) / sum(w): the weighted mean a learner might expect, which Keras 3 does not compute."""
    return float(np.sum(step_losses * weights) / np.sum(weights))


def padding_mask(lengths: np.ndarray, timesteps: int) -> np.ndarray:
    """(batch, T) booleans: True at the real steps of each sequence (its first `length` steps), False at padding."""
    return np.arange(timesteps)[None, :] < np.asarray(lengths)[:, None]
