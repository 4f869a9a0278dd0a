"""Benchmark of the TensorFlow worker: ratios and figures measured in one run (these machines are noisy).

Prints, asserting nothing:
- later-epoch time of the seed's model 1 in the worker / the same `train()` in a plain process (target <= 1.05);
- click -> first loss point with a warm worker (after the page's warm-up; target <= 1 s) and with a cold one;
- five sessions training at once through the one worker: each finishes, with the losses it gets alone;
- the worker's resident memory after 20 trainings from 8 sessions, its high-water mark, and its exit when idle.

Usage: .venv/bin/python bench/worker.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import ModelSpec  # noqa: E402
from core.keras.requests import WarmUp  # noqa: E402
from core.keras.training_session import TrainingJob, TrainingSettings  # noqa: E402
from core.keras.worker import KerasWorker  # noqa: E402

SEED = ModelSpec()
PLAIN = """
import json, sys
sys.path.insert(0, {root!r})
from core.keras.env import load_keras; load_keras()
from core import ModelSpec
from core.model.datasets import make_dataset
from core.keras.training import train
spec = ModelSpec()
result = train(spec, make_dataset(spec, "recall", 1000, 0), 5, 128, seed=0, learning_rate=0.01)
print(json.dumps(result.epoch_times))
"""


def _settings(spec: ModelSpec = SEED, epochs: int = 5) -> TrainingSettings:
    return TrainingSettings.for_spec(spec, samples=1000, batch_size=128, epochs=epochs, learning_rate=0.01)


def _first_loss(worker: KerasWorker, session: str, settings: TrainingSettings) -> tuple[float, TrainingJob]:
    """Seconds from the click (start) to the first batch's loss arriving in the server process (polled every 5 ms)."""
    job = TrainingJob(worker, session)
    started = time.perf_counter()
    job.start(settings)
    while job.snapshot().batches_done == 0 and job.running:
        time.sleep(0.005)
    seconds = time.perf_counter() - started
    job.wait(300)
    return seconds, job


def later_epochs(times: list[float]) -> float:
    return sum(times[1:]) / len(times[1:])


def main() -> None:
    plain = json.loads(
        subprocess.run([sys.executable, "-c", PLAIN.format(root=str(ROOT))], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    worker = KerasWorker(idle_seconds=5.0)
    cold, job = _first_loss(worker, "cold", _settings())
    in_worker = job.snapshot().variants[0].result.epoch_times
    print(
        f"later epoch, worker / plain process: {later_epochs(in_worker):.3f} s / {later_epochs(plain):.3f} s "
        f"= {later_epochs(in_worker) / later_epochs(plain):.2f}"
    )
    print(f"click -> first loss, cold worker (TensorFlow start, build, trace): {cold:.2f} s")
    spec = SEED.replace(hidden_size=17)  # not traced yet
    warm = WarmUp((spec,), 1000, 128, 0)
    worker.warm_up("warm", warm)
    worker.wait_until_idle(300)
    warm_seconds, _ = _first_loss(worker, "warm", _settings(spec))
    unwarmed, _ = _first_loss(worker, "unwarmed", _settings(SEED.replace(hidden_size=18)))
    print(
        f"click -> first loss, warm worker after the warm-up: {warm_seconds:.2f} s "
        f"(without the warm-up: {unwarmed:.2f} s; ratio {warm_seconds / unwarmed:.2f})"
    )

    specs = [SEED.replace(cell=cell, hidden_size=h) for cell in ("GRU", "LSTM", "SimpleRNN") for h in (8, 12)][:5]
    jobs = [TrainingJob(worker, f"visitor-{i}") for i in range(5)]
    started = time.perf_counter()
    for job, spec in zip(jobs, specs, strict=True):
        job.start(_settings(spec, epochs=2))
    for job in jobs:
        job.wait(600)
    statuses = [job.snapshot().status for job in jobs]
    print(f"five concurrent trainings: {statuses} in {time.perf_counter() - started:.1f} s")

    peaks = []
    sessions = [TrainingJob(worker, f"session-{i}") for i in range(8)]
    for index in range(20):
        job = sessions[index % 8]
        job.start(_settings(SEED.replace(hidden_size=8 + index % 5, head=("dense", "time_distributed")[index % 2]), 2))
        job.wait(600)
        peaks.append(worker.stats().last_peak_mb or 0)
    stats = worker.stats()
    print(
        f"after 20 trainings from 8 sessions: worker RSS {stats.last_rss_mb:.0f} MB "
        f"(anonymous {stats.last_anon_mb:.0f} MB), high-water {max(peaks):.0f} MB, "
        f"processes started {stats.processes_started}"
    )
    deadline = time.monotonic() + 60
    while worker.stats().alive and time.monotonic() < deadline:
        time.sleep(0.5)
    print(f"idle for 5 s (TDE_WORKER_IDLE_SECONDS, default 600): worker alive = {worker.stats().alive}")
    worker.shutdown()


if __name__ == "__main__":
    main()
