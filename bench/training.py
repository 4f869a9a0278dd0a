"""Benchmark: core.train against the seed's own script (in Keras 3), and the app's second click against its first.

Prints, does not assert. For each of the seed's three models (seed sizes, 1000 random samples, batch 128):
  (a) the seed's script translated to Keras 3: Sequential, compile("rmsprop"), model.fit(X, Y) with numpy arrays and
      fit's default shuffle=True;
  (b) core.train (what the Training page runs: seeded initializers, fixed batch order, per-batch progress callback);
  (b') core.train with the per-timestep loss probe the page switches on (track_timesteps=True).
Time to the first epoch (from building the model to the end of epoch 1, tracing included) and the median time of the
later epochs, as ratios b/a (target for the per-epoch ratio: <= 1.05). Then the second click: core.train again on an
unchanged spec with the session's ModelCache (weights reset, no retrace), time to first loss against the first click
(target <= 0.3).

Run: .venv/bin/python bench/training.py [--reps 3] [--epochs 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from core.keras.env import load_keras  # noqa: E402
from core.keras.training import ModelCache, train  # noqa: E402
from core.model.datasets import make_dataset  # noqa: E402
from core.model.spec import PRESETS, ModelSpec  # noqa: E402

SEED_MODELS = {label.split(":")[0]: spec for label, spec in PRESETS.items() if label.startswith("Seed model")}
SAMPLES, BATCH = 1000, 128


def seed_script(spec: ModelSpec, x: np.ndarray, y: np.ndarray, epochs: int) -> list[float]:
    """The seed's script in Keras 3 (keras.Input instead of input_shape=, epochs instead of nb_epoch); returns the
    times, from the start of model building, at which each epoch ended."""
    keras = load_keras()
    started = time.perf_counter()
    model = keras.Sequential()
    model.add(keras.Input(shape=(spec.timesteps, spec.input_size)))
    model.add(keras.layers.GRU(spec.hidden_size, return_sequences=spec.return_sequences))
    if spec.head == "time_distributed":
        model.add(keras.layers.TimeDistributed(keras.layers.Dense(spec.output_size)))
    else:
        model.add(keras.layers.Dense(spec.output_size))
    model.add(keras.layers.Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop")
    ends: list[float] = []

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            ends.append(time.perf_counter() - started)

    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[EpochClock()])
    return ends


def core_train(spec: ModelSpec, x: np.ndarray, y: np.ndarray, epochs: int, seed: int, track: bool) -> list[float]:
    """core.train without a cache (a first click): the times at which each epoch ended, from the call."""
    started = time.perf_counter()
    ends: list[float] = []
    train(
        spec,
        (x, y),
        epochs=epochs,
        batch_size=BATCH,
        seed=seed,
        on_epoch=lambda epoch, loss: ends.append(time.perf_counter() - started),
        track_timesteps=track,
    )
    return ends


def first_and_later(ends: list[float]) -> tuple[float, float]:
    """Time to the end of epoch 1, and the median duration of the later epochs."""
    later = [b - a for a, b in zip(ends, ends[1:], strict=False)]
    return ends[0], statistics.median(later)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()

    started = time.perf_counter()
    load_keras()
    print(f"TensorFlow/Keras import: {time.perf_counter() - started:.1f} s (the page starts it in the background)")
    print(f"{SAMPLES} samples, batch {BATCH}, {args.epochs} epochs, {args.reps} repetitions, medians\n")
    header = (
        f"{'model':<14}{'a: 1st epoch':>13}{'a: later':>10}{'b: 1st epoch':>13}{'b: later':>10}"
        f"{'b/a 1st':>9}{'b/a later':>10}{'b′/a later':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, spec in SEED_MODELS.items():
        a_runs, b_runs, bt_runs = [], [], []
        for rep in range(args.reps):
            x, y = make_dataset(spec, "random", SAMPLES, seed=rep)
            # Interleaved, so that both see the same load on a shared machine.
            a_runs.append(first_and_later(seed_script(spec, x, y, args.epochs)))
            b_runs.append(first_and_later(core_train(spec, x, y, args.epochs, rep, track=False)))
            bt_runs.append(first_and_later(core_train(spec, x, y, args.epochs, rep, track=True)))
        a1, al = (statistics.median(v) for v in zip(*a_runs, strict=True))
        b1, bl = (statistics.median(v) for v in zip(*b_runs, strict=True))
        _, btl = (statistics.median(v) for v in zip(*bt_runs, strict=True))
        ratios = f"{b1 / a1:>9.2f}{bl / al:>10.2f}{btl / al:>11.2f}"
        print(f"{name:<14}{a1:>12.2f}s{al:>9.3f}s{b1:>12.2f}s{bl:>9.3f}s{ratios}")

    print("\nSecond click (ModelCache: reset weights, no retrace), time to first loss:")
    print(f"{'model':<14}{'1st click':>11}{'2nd click':>11}{'ratio':>8}  reused, same losses")
    for name, spec in SEED_MODELS.items():
        x, y = make_dataset(spec, "recall", SAMPLES, seed=0)
        firsts, seconds = [], []
        same = True
        for _ in range(args.reps):
            cache = ModelCache()  # a new session: its first click builds and traces
            first = train(spec, (x, y), epochs=1, batch_size=BATCH, cache=cache, track_timesteps=True)
            second = train(spec, (x, y), epochs=1, batch_size=BATCH, cache=cache, track_timesteps=True)
            same &= second.reused_model and second.batch_losses == first.batch_losses
            firsts.append(first.time_to_first_loss)
            seconds.append(second.time_to_first_loss)
        f, s = statistics.median(firsts), statistics.median(seconds)
        print(f"{name:<14}{f:>10.3f}s{s:>10.3f}s{s / f:>8.3f}  {same}")


if __name__ == "__main__":
    main()
