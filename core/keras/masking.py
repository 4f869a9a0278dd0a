"""Masks and per-step weights against Keras (issue 27): padded sequences through Masking or Embedding(mask_zero=True),
a Dense or TimeDistributed(Dense) head, and a (batch, T) `sample_weight`; each loss next to its numpy hand computation.

Whether the installed Keras's TimeDistributed keeps the mask is read here, at run time, never assumed: Keras's main
branch has set `supports_masking = False` on it (keras#23235), so a later release may drop the mask.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.keras.requests import Masking, handles
from core.model.step_loss import masked_mean, mean_over_steps, mean_over_weights, padding_mask, per_step_loss

PADDINGS = ("masking", "mask_zero")
PAD_TARGET = 10.0  # targets at padded steps: far from any prediction, so a loss that counts them shows it


def padded_data(
    samples: int, timesteps: int, features: int, outputs: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Variable-length sequences padded with zeros: float inputs (N, T, F), tokens (N, T) in 1..F with 0 at padding,
    targets (N, T, O) (probability vectors at real steps, PAD_TARGET at padding) and the (N, T) mask."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, timesteps + 1, size=samples)
    lengths[0] = timesteps  # at least one sequence without padding
    mask = padding_mask(lengths, timesteps)
    vectors = rng.random((samples, timesteps, features), dtype=np.float32) + 0.1
    vectors[~mask] = 0.0
    tokens = rng.integers(1, features + 1, size=(samples, timesteps))
    tokens[~mask] = 0
    targets = rng.random((samples, timesteps, outputs), dtype=np.float32)
    targets /= targets.sum(axis=-1, keepdims=True)
    targets[~mask] = PAD_TARGET
    return vectors, tokens, targets, mask


def _model(keras: Any, padding: str, head: str, loss: str, timesteps: int, features: int, outputs: int) -> Any:
    """Masking(0) or Embedding(mask_zero=True) → LSTM(return_sequences=True) → the head → softmax or linear."""
    layers = keras.layers
    if padding == "masking":
        inputs = keras.Input((timesteps, features))
        x = layers.Masking(mask_value=0.0)(inputs)
    else:
        inputs = keras.Input((timesteps,), dtype="int32")
        x = layers.Embedding(features + 1, features, mask_zero=True)(inputs)
    x = layers.LSTM(4, return_sequences=True)(x)
    dense = layers.Dense(outputs, activation="softmax" if loss == "categorical_crossentropy" else "linear")
    model = keras.Model(inputs, (dense if head == "dense" else layers.TimeDistributed(dense))(x))
    model.compile(loss=loss, optimizer="rmsprop")
    return model


def masked_loss(
    padding: str = "masking", head: str = "dense", loss: str = "mse", timesteps: int = 6, seed: int = 0
) -> dict[str, Any]:
    """Keras's loss on padded sequences next to the hand computations: the mean over real steps, and over all."""
    from core.keras.env import load_keras  # noqa: PLC0415

    if padding not in PADDINGS:
        raise ValueError(f"padding: got {padding!r}; allowed: {' | '.join(PADDINGS)}.")
    keras = load_keras()
    features, outputs, samples = 3, 2, 6
    vectors, tokens, targets, mask = padded_data(samples, timesteps, features, outputs, seed)
    if loss == "categorical_crossentropy":
        targets = np.where(mask[..., None], targets, 1.0 / outputs).astype(np.float32)
    x = vectors if padding == "masking" else tokens
    model = _model(keras, padding, head, loss, timesteps, features, outputs)
    keras_loss = float(model.evaluate(x, targets, batch_size=samples, verbose=0))
    steps = per_step_loss(targets, model.predict(x, batch_size=samples, verbose=0), loss)
    wrapper = keras.layers.TimeDistributed(keras.layers.Dense(1))
    return {
        "keras_loss": keras_loss,
        "hand_masked_mean": masked_mean(steps, mask),
        "hand_all_steps_mean": float(steps.mean()),
        "step_losses": steps,
        "mask": mask,
        "time_distributed_supports_masking": bool(wrapper.supports_masking),
        "keras_version": keras.__version__,
    }


def weighted_loss(loss: str = "mse", timesteps: int = 6, seed: int = 0) -> dict[str, Any]:
    """Keras's loss with a (batch, T) `sample_weight` next to sum(w·l)/steps and sum(w·l)/sum(w) by hand."""
    from core.keras.env import load_keras  # noqa: PLC0415

    keras = load_keras()
    features, outputs, samples = 3, 2, 6
    rng = np.random.default_rng(seed)
    x = rng.random((samples, timesteps, features), dtype=np.float32)
    targets = rng.random((samples, timesteps, outputs), dtype=np.float32)
    targets /= targets.sum(axis=-1, keepdims=True)
    weights = rng.random((samples, timesteps)).astype(np.float32) * 2.0
    inputs = keras.Input((timesteps, features))
    hidden = keras.layers.GRU(4, return_sequences=True)(inputs)
    activation = "softmax" if loss == "categorical_crossentropy" else "linear"
    model = keras.Model(inputs, keras.layers.Dense(outputs, activation=activation)(hidden))
    model.compile(loss=loss, optimizer="rmsprop")
    keras_loss = float(model.evaluate(x, targets, sample_weight=weights, batch_size=samples, verbose=0))
    steps = per_step_loss(targets, model.predict(x, batch_size=samples, verbose=0), loss)
    return {
        "keras_loss": keras_loss,
        "hand_over_steps": mean_over_steps(steps, weights),
        "hand_over_weights": mean_over_weights(steps, weights),
    }


@handles(Masking)
def masking_job(request: Masking, context: Any) -> dict[str, Any]:
    """The worker job: the masked loss for (padding, head, loss) and the per-step weights' loss for that loss."""
    context.stage("Fitting nothing: evaluating one padded batch and one weighted batch…")
    return {"masked": masked_loss(request.padding, request.head, request.loss), "weighted": weighted_loss(request.loss)}
