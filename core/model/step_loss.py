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


def keras_step_mean(
    step_losses: np.ndarray, mask: np.ndarray | None = None, weights: np.ndarray | None = None
) -> float:
    """Keras 3's loss of one batch from its per-step losses: sum(m·w·l) / sum(m), m the mask (all steps real when
    None) and w the per-step weights (all 1 when None). Without a mask that is sum(w·l) / number of steps; without
    weights, the mean over the real steps (keras/src/losses/loss.py, `apply_mask` and `reduce_values`)."""
    step_losses = np.asarray(step_losses, dtype=np.float64)
    real = np.ones_like(step_losses) if mask is None else np.asarray(mask, dtype=np.float64)
    weight = np.ones_like(step_losses) if weights is None else np.asarray(weights, dtype=np.float64)
    return float(np.sum(step_losses * weight * real) / np.sum(real))


def masked_step_means(step_losses: np.ndarray, mask: np.ndarray) -> list[float | None]:
    """The loss at each step averaged over the samples for which that step is real (None where no sample's is):
    the per-step heatmap's row with the padded steps left out."""
    step_losses = np.asarray(step_losses, dtype=np.float64)
    real = np.asarray(mask, dtype=bool)
    counts = real.sum(axis=0)
    sums = np.where(real, step_losses, 0.0).sum(axis=0)
    return [float(total / count) if count else None for total, count in zip(sums, counts, strict=True)]
