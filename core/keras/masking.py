"""Masks and per-step weights against Keras (issue 27): padded sequences through Masking or Embedding(mask_zero=True),
a Dense or TimeDistributed(Dense) head, and a (batch, T) `sample_weight`; each loss next to its numpy hand computation.

Whether the installed Keras's TimeDistributed keeps the mask is read here, at run time, never assumed: Keras's main
branch has set `supports_masking = False` on it (keras#23235), so a later release may drop the mask.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.keras.requests import MaskedTraining, Masking, handles
from core.model.sequence_fields import real_steps, sample_weight_array, step_weights
from core.model.step_loss import (
    keras_step_mean,
    masked_mean,
    mean_over_steps,
    mean_over_weights,
    padding_mask,
    per_step_loss,
)

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


MASKED_PROBE = 64  # samples whose per-step losses the page shows after the fit


def _stopper(keras: Any, context: Any) -> Any:
    """A Keras callback that ends fit() within one batch of a stop request, and reports each epoch's loss."""

    class Stopper(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if context.should_stop():
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            context.stage(f"Epoch {epoch + 1}: loss {float(logs['loss']):.4f}")

    return Stopper()


@handles(MaskedTraining)
def masked_training(request: MaskedTraining, context: Any) -> dict[str, Any]:
    """Fit the settings' one spec with its padding and per-step weights (`sample_weight` in fit()), then Keras's loss
    on a probe batch next to the numpy hand computation sum(m·w·l) / sum(m), and the per-step losses with the mask.

    `request.settings` is the Training page's `TrainingSettings` (one variant): a new job beside the plain training,
    which passes no `sample_weight` and averages its per-step heatmap over padded steps too.
    """
    from core.keras.env import load_keras  # noqa: PLC0415
    from core.keras.models import build_model  # noqa: PLC0415
    from core.model.datasets import make_dataset  # noqa: PLC0415

    keras = load_keras()
    settings = request.settings
    ((_, spec),) = settings.variants
    context.stage("Building the model and padding the data…")
    x, y = make_dataset(spec, settings.task, settings.samples, settings.seed, settings.normalise_targets)
    weights = sample_weight_array(spec, len(x))
    model = build_model(spec, seed=settings.seed)
    model.optimizer.learning_rate.assign(settings.learning_rate)
    history = model.fit(
        x, y, sample_weight=weights, epochs=settings.epochs, batch_size=settings.batch_size, shuffle=False,
        verbose=0, callbacks=[_stopper(keras, context)],
    )  # fmt: skip
    probe = min(len(x), MASKED_PROBE)
    probe_x, probe_y = x[:probe], y[:probe]
    probe_w = None if weights is None else weights[:probe]
    steps = per_step_loss(probe_y, np.asarray(model.predict_on_batch(probe_x)), spec.loss)
    mask = real_steps(probe, spec.timesteps) if spec.padding == "masking" else np.ones_like(steps, dtype=bool)
    keras_loss = model.evaluate(probe_x, probe_y, sample_weight=probe_w, batch_size=probe, verbose=0)
    return {
        "epoch_losses": [float(loss) for loss in history.history["loss"]],
        "step_losses": steps,
        "mask": mask,
        "weights": None if probe_w is None else step_weights(spec.output_steps),
        "keras_loss": float(keras_loss),
        "hand_loss": keras_step_mean(steps, mask, probe_w),
        "hand_all_steps": keras_step_mean(steps, None, probe_w),
        "hand_over_weights": None if probe_w is None else mean_over_weights(steps * mask, probe_w * mask),
        "time_distributed_keeps_mask": bool(keras.layers.TimeDistributed(keras.layers.Dense(1)).supports_masking),
        "keras_version": keras.__version__,
    }
