"""Training the spec's real Keras model with `fit()`, reporting progress while it runs.

Reproducible and safe to run from several threads at once: the initial weights come from seeded initializers
(not Keras's global RNG), batches go in a fixed order (Keras's shuffle would draw from TensorFlow's process-wide
seed, shared by every session of a server), and nothing global is reset.

Example:
    >>> spec = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
    >>> result = train(spec, make_dataset(spec, "recall", 64), epochs=2, batch_size=16, seed=0)
    >>> len(result.epoch_losses), len(result.batch_losses)
    (2, 8)
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.keras.env import load_keras
from core.keras.models import build_model
from core.model.spec import ModelSpec

BatchCallback = Callable[[int, int, float], None]  # (epoch, batch, loss of that batch)
EpochCallback = Callable[[int, float], None]  # (epoch, Keras's epoch loss)


@dataclass
class TrainingResult:
    """What one training run produced.

    `batch_losses` are each batch's own loss, `epoch_losses` Keras's epoch loss (the mean over the epoch's batches,
    as `fit()` reports it). `timestep_losses[e][t]` is the loss at timestep t after epoch e, for per-timestep models.
    """

    spec: ModelSpec
    batch_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    epoch_times: list[float] = field(default_factory=list)
    timestep_losses: list[list[float]] = field(default_factory=list)
    time_to_first_loss: float | None = None
    wall_time: float = 0.0
    stopped: bool = False
    reused_model: bool = False
    sample_prediction: np.ndarray | None = None
    sample_target: np.ndarray | None = None
    # The weights at the end of the run, in `model.get_weights()` order (the step panel of the unrolled page).
    final_weights: list[np.ndarray] | None = None


class ModelCache:
    """Compiled models kept for reuse, keyed by spec: training again resets weights instead of rebuilding.

    Rebuilding would make Keras trace `fit()` again, which costs seconds; resetting costs milliseconds. Keep one
    cache per session (models are not shared between sessions, so concurrent trainings cannot touch each other).
    """

    def __init__(self, max_models: int = 4) -> None:
        self._models: OrderedDict[ModelSpec, Any] = OrderedDict()
        self._initial: dict[tuple[ModelSpec, int], list[np.ndarray]] = {}
        self._fresh_optimizer: dict[ModelSpec, list[np.ndarray]] = {}
        self._max = max_models
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._models)

    def model(self, spec: ModelSpec, seed: int) -> tuple[Any, bool]:
        """A compiled model with the seed's initial weights and a fresh optimizer; True if it was reused."""
        with self._lock:
            model = self._models.pop(spec, None)
            reused = model is not None
            if model is None:
                model = build_model(spec, seed=seed)
                self._initial.setdefault((spec, seed), model.get_weights())
                # Build the optimizer now, so its untouched state (zero step, zero averages, the learning
                # rate) can be put back before each later run.
                model.optimizer.build(model.trainable_variables)
                self._fresh_optimizer[spec] = [np.array(v.numpy()) for v in model.optimizer.variables]
            else:
                if (spec, seed) not in self._initial:
                    # Drawing the seed's weights needs only the layers, not a compile or a trace: cheap.
                    self._initial[(spec, seed)] = build_model(spec, seed=seed, compile=False).get_weights()
                model.set_weights(self._initial[(spec, seed)])
                for variable, value in zip(model.optimizer.variables, self._fresh_optimizer[spec], strict=True):
                    variable.assign(value)
            self._models[spec] = model
            while len(self._models) > self._max:
                old, _ = self._models.popitem(last=False)
                self._fresh_optimizer.pop(old, None)
                for key in [key for key in self._initial if key[0] == old]:
                    del self._initial[key]
            return model, reused


PROBE_SAMPLES = 256  # samples on which the per-timestep loss is measured after each epoch


def probe_size(samples: int) -> int:
    """How many samples the per-timestep probe predicts (the warm-up traces exactly this batch shape)."""
    return min(samples, PROBE_SAMPLES)


def timestep_losses(spec: ModelSpec, y_true: np.ndarray, y_pred: np.ndarray) -> list[float]:
    """The model's loss at each timestep, averaged over samples (per-timestep models only)."""
    if spec.loss == "categorical_crossentropy":
        # Keras clips probabilities to [eps, 1 - eps] before the log; so do we.
        eps = 1e-7
        p = np.clip(y_pred / y_pred.sum(axis=-1, keepdims=True), eps, 1 - eps)
        per = -(y_true * np.log(p)).sum(axis=-1)
    else:
        per = ((y_true - y_pred) ** 2).mean(axis=-1)
    return per.mean(axis=0).astype(float).tolist()


@dataclass
class _Run:
    """One fit()'s bookkeeping, fed by the Keras callback (`_progress`): each batch's own loss, each epoch's loss
    and per-timestep losses, and the stop check."""

    spec: ModelSpec
    result: TrainingResult
    samples: int
    batch_size: int
    started: float
    probe_x: np.ndarray
    probe_y: np.ndarray
    per_timestep: bool
    on_batch: BatchCallback | None
    on_epoch: EpochCallback | None
    should_stop: Callable[[], bool] | None
    last_probe: np.ndarray | None = None
    epoch: int = 0
    seen: int = 0
    total: float = 0.0
    epoch_started: float = 0.0

    def epoch_begins(self, epoch: int) -> None:
        self.epoch, self.seen, self.total = epoch, 0, 0.0
        self.epoch_started = time.perf_counter()

    def batch_ends(self, batch: int, running: float) -> bool:
        """Record the batch's own loss; True when the training must stop."""
        size = min(self.batch_size, self.samples - batch * self.batch_size)
        # Keras reports the epoch's sample-weighted running mean; undo the averaging to get this batch's loss.
        own = (running * (self.seen + size) - self.total) / size
        self.seen += size
        self.total = running * self.seen
        result = self.result
        if result.time_to_first_loss is None:
            result.time_to_first_loss = time.perf_counter() - self.started
        result.batch_losses.append(own)
        if self.on_batch is not None:
            self.on_batch(self.epoch, batch, own)
        if self.should_stop is not None and self.should_stop():
            result.stopped = True
        return result.stopped

    def epoch_ends(self, epoch: int, loss: float, model: Any) -> None:
        result = self.result
        if result.stopped and self.seen < self.samples:
            return  # a partial epoch has no epoch loss
        result.epoch_times.append(time.perf_counter() - self.epoch_started)
        result.epoch_losses.append(loss)
        if self.per_timestep:
            # predict_on_batch runs a traced function; an eager call runs op by op, each op needing the
            # GIL, which a busy server (Streamlit's threads) holds often: eagerly this took seconds per epoch.
            self.last_probe = np.asarray(model.predict_on_batch(self.probe_x))
            result.timestep_losses.append(timestep_losses(self.spec, self.probe_y, self.last_probe))
        if self.on_epoch is not None:
            self.on_epoch(epoch, loss)


def _progress(keras: Any, run: _Run) -> Any:
    """A Keras callback that hands every batch and epoch to `run`, and stops fit() when `run` says so."""

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            run.epoch_begins(epoch)

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if run.batch_ends(batch, float(logs["loss"])):
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            run.epoch_ends(epoch, float(logs["loss"]), self.model)

    return Progress()


def train(
    spec: ModelSpec,
    dataset: tuple[np.ndarray, np.ndarray],
    epochs: int,
    batch_size: int,
    seed: int = 0,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    cache: ModelCache | None = None,
    track_timesteps: bool = False,
    learning_rate: float | None = None,
) -> TrainingResult:
    """Train the spec's model on (X, Y) with `fit()`; report each batch and epoch; stop once `should_stop()` is true.

    The stop check runs after every batch, so a stop takes effect within one batch. With `cache`, a model already
    built for this spec is reset and reused (no retrace). With `track_timesteps`, the loss at each timestep is
    measured after each epoch on up to 256 samples (for the per-timestep heatmap). `learning_rate` overrides
    RMSprop's default (0.001, the seed's).
    """
    keras = load_keras()
    if not spec.is_valid:
        raise ValueError("TimeDistributed needs return_sequences=True: this spec has no model to train.")
    x, y = dataset
    started = time.perf_counter()
    if cache is not None:
        model, reused = cache.model(spec, seed)
    else:
        model, reused = build_model(spec, seed=seed), False
    if learning_rate is not None:
        model.optimizer.learning_rate.assign(learning_rate)
    result = TrainingResult(spec=spec, reused_model=reused)
    probe_x, probe_y = x[: probe_size(len(x))], y[: probe_size(len(y))]
    per_timestep = track_timesteps and spec.sequence_output
    run = _Run(
        spec, result, len(x), batch_size, started, probe_x, probe_y, per_timestep, on_batch, on_epoch, should_stop
    )
    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0, callbacks=[_progress(keras, run)])
    # After a full run the last epoch's probe already holds the first sample's prediction with the final weights;
    # otherwise predict the probe batch (the same batch shape each run, so a reused model does not retrace).
    last_probe = run.last_probe
    if last_probe is None or result.stopped:
        last_probe = np.asarray(model.predict_on_batch(probe_x))
    result.sample_prediction = last_probe[0]
    result.sample_target = y[0]
    result.final_weights = [np.asarray(array) for array in model.get_weights()]
    result.wall_time = time.perf_counter() - started
    return result
