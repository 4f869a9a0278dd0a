"""Benchmark: the frames model's training on the motion task through the app's worker, against the same fit() in a
plain process (issue 27).

Prints, does not assert. (a) a plain Python process: build_model(spec, seed) and model.fit(X, Y) on the motion
task's arrays, nothing else (TensorFlow's import and one warm-up build not counted, as in the worker); (b) the
worker's "train" job with the same settings (what the Training page runs: per-batch progress, the stop check), from
submit to result, on a worker that has already imported TensorFlow. Both print their epoch losses; the ratio b/a is
the app's overhead (target <= 1.3), and the budget's estimate (core.model.budget) is printed next to them.

Run: .venv/bin/python bench/frames_training.py [--epochs 5] [--samples 256]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.keras.requests import Summary, Training, TrainingSettings  # noqa: E402
from core.keras.worker import shared_worker  # noqa: E402
from core.model.budget import training_work  # noqa: E402
from core.model.spec import ModelSpec  # noqa: E402

SPEC = ModelSpec(
    input_kind="frames", timesteps=6, output_size=4, return_sequences=False, head="dense", frame_reduction="flatten"
)
LEARNING_RATE = 0.01
BATCH = 32

PLAIN = """
import json, sys, time
from core.keras.env import load_keras
from core.keras.models import build_model
from core.model.datasets import make_dataset
from core.model.spec import ModelSpec
spec = ModelSpec.from_params(json.loads(sys.argv[1]))
samples, epochs, batch, lr = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
load_keras()
x, y = make_dataset(spec, "motion", samples, 0)
build_model(spec, compile=False)  # as the worker's warm-up does: first-use costs outside the timing
started = time.perf_counter()
model = build_model(spec, seed=0)
model.optimizer.learning_rate.assign(lr)
history = model.fit(x, y, epochs=epochs, batch_size=batch, shuffle=False, verbose=0)
print(json.dumps({"seconds": time.perf_counter() - started, "losses": history.history["loss"]}))
"""


def plain_fit(samples: int, epochs: int) -> dict:
    """The same fit() in a fresh plain Python process (the seconds exclude TensorFlow's import)."""
    args = [json.dumps(SPEC.to_params()), str(samples), str(epochs), str(BATCH), str(LEARNING_RATE)]
    out = subprocess.run(
        [sys.executable, "-c", PLAIN, *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def worker_fit(settings: TrainingSettings) -> dict:
    """The worker's train job (TensorFlow already imported by a warm-up job), from submit to result."""
    worker = shared_worker()
    warm = worker.submit("bench", Summary(SPEC))
    warm.wait(300)
    started = time.perf_counter()
    job = worker.submit("bench", Training(settings))
    job.wait(600)
    seconds = time.perf_counter() - started
    if job.status != "done":
        raise SystemExit(f"the worker's training ended {job.status}: {job.error}")
    return {"seconds": seconds, "losses": job.result[0].epoch_losses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=256)
    options = parser.parse_args()
    settings = TrainingSettings.for_spec(
        SPEC,
        task="motion",
        samples=options.samples,
        batch_size=BATCH,
        epochs=options.epochs,
        learning_rate=LEARNING_RATE,
    )
    plain = plain_fit(options.samples, options.epochs)
    app = worker_fit(settings)
    work = training_work(settings)
    print(f"frames model: {SPEC.to_params(omit_defaults=True)}; {options.samples} samples, {options.epochs} epochs")
    print(f"(a) plain fit():   {plain['seconds']:6.2f} s  losses {[round(v, 3) for v in plain['losses']]}")
    print(f"(b) worker's job:  {app['seconds']:6.2f} s  losses {[round(v, 3) for v in app['losses']]}")
    print(f"ratio b/a: {app['seconds'] / plain['seconds']:.2f} (target <= 1.3)")
    print(f"budget's estimate (one-core server, 1.5x): {work.seconds:.1f} s, {work.memory_mb:.0f} MB; {work.message}")
    shared_worker().shutdown()


if __name__ == "__main__":
    main()
