"""Benchmark: a room pressing Train at once, in-process through the sessions' own API (`TrainingJob`, one per visitor,
on one real `KerasWorker` and its `Audience`), against one warm visitor alone.

1. The same preset (the seed's model 1 with the Training page's default controls): 12 visitors press Train within
   3 s. Time from the first press until all have the finished curves, against one warm visitor's run alone (target
   <= 1.5x); the final losses must equal the lone run's.
2. 12 different requests (the tiny talk sizes and the seed's, each with its own seed), pressed within 3 s: all
   finish, none stopped, the order they finish in against the order they were pressed; total time against the sum
   of their lone runs.
3. Memory: this process (the server's side of the sessions and the audience; no pages drawn) and the worker child,
   the child's peak per part and both after idling.

The lone run and the room are alternated TRIALS times and the medians compared: on a machine shared with other work
a single pair can differ by 50% either way. Prints the ratios; asserts nothing.
Usage: .venv/bin/python bench/audience.py
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The shipped worker runs at nice 19 so that the web server stays responsive; on this machine, shared with other
# work, that made the lone and the room runs differ by what else ran. Both get the same, normal priority here.
os.environ.setdefault("TDE_WORKER_NICE", "0")

from core import ModelSpec  # noqa: E402
from core.keras.audience import audience_for  # noqa: E402
from core.keras.training_session import TrainingJob, TrainingSettings  # noqa: E402
from core.keras.worker import KerasWorker  # noqa: E402
from core.model.training_controls import TrainingControls  # noqa: E402

ROOM = 12
WITHIN = 3.0  # seconds over which the room presses Train
JOIN = 900
TRIALS = 3


def page_settings(spec: ModelSpec, **changes) -> TrainingSettings:
    """What the Training page's Train runs for `spec` with its default controls (views/training.py `_settings`)."""
    controls = TrainingControls()
    options = {
        "task": controls.task_for(spec),
        "samples": controls.samples,
        "batch_size": controls.batch,
        "epochs": controls.epochs,
        "seed": controls.seed,
        "learning_rate": controls.lr,
    }
    return TrainingSettings.for_spec(spec, **{**options, **changes})


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now, MB (0 when it has gone: the worker replaces its child above its limit)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) / 1024
    return 0.0


def alone(worker: KerasWorker, settings: TrainingSettings, name: str) -> tuple[float, TrainingJob]:
    """One visitor's run with nobody else on the server (trained anew, not replayed): seconds and its job."""
    job = TrainingJob(worker, name)
    started = time.perf_counter()
    job.start(settings, replay=False)
    assert job.wait(JOIN)
    elapsed = time.perf_counter() - started
    assert job.snapshot().status == "done", job.snapshot().error
    return elapsed, job


def room(worker: KerasWorker, settings: list[TrainingSettings]) -> tuple[float, list[TrainingJob], list[int]]:
    """len(settings) visitors pressing Train evenly within WITHIN seconds: seconds from the first press until all
    are done, their jobs, and the order (press indices) in which they finished."""
    jobs = [TrainingJob(worker, f"visitor-{index}") for index in range(len(settings))]
    finished: list[int] = []
    started = time.perf_counter()
    for index, (job, each) in enumerate(zip(jobs, settings, strict=True)):
        time.sleep(max(0.0, started + index * WITHIN / len(settings) - time.perf_counter()))
        job.start(each)
    pending = set(range(len(jobs)))
    while pending:
        for index in sorted(pending):
            if jobs[index].wait(0.02):
                finished.append(index)
                pending.discard(index)
    return time.perf_counter() - started, jobs, finished


def final_losses(job: TrainingJob) -> list[tuple[float, ...]]:
    """Each model's loss per epoch."""
    return [variant.epoch_losses for variant in job.snapshot().variants]


def worker_peak(jobs: list[TrainingJob]) -> float:
    """The worker child's largest resident peak over the jobs these visitors watched, MB."""
    peaks = [job._job.job.peak_mb for job in jobs if job._job is not None and job._job.job is not None]
    return max([peak for peak in peaks if peak is not None], default=0.0)


def main() -> None:
    worker = KerasWorker(idle_seconds=600)
    audience = audience_for(worker)
    preset = page_settings(ModelSpec())

    # Warm: the worker started and the preset's model traced, as the Training page's speculative warm-up leaves it.
    alone(worker, preset.replace(seed=99), "warm")
    alone(worker, preset, "warm-preset")
    lones, rooms, same, statuses, shared, runs, peak = [], [], True, set(), set(), 0, 0.0
    for _ in range(TRIALS):  # alternated, so that the machine's other load falls on both alike
        audience.forget()
        seconds, lone_job = alone(worker, preset, "lone")
        lones.append(seconds)
        audience.forget()  # the room must train, not replay the lone run
        before = audience.runs
        together, jobs, _ = room(worker, [preset] * ROOM)
        rooms.append(together)
        runs = max(runs, audience.runs - before)
        same = same and all(final_losses(job) == final_losses(lone_job) for job in jobs)
        statuses |= {job.snapshot().status for job in jobs}
        shared |= {job.snapshot().shared_with for job in jobs}
        peak = max(peak, worker_peak(jobs))
    lone, together = statistics.median(lones), statistics.median(rooms)
    plan = f"{preset.epochs} epochs of {preset.samples} samples"
    print(f"1. {ROOM} visitors, the same preset ({plan}) within {WITHIN:g} s, median of {TRIALS}:")
    print(f"   one warm visitor alone: {lone:.2f} s; all {ROOM} have their curves after {together:.2f} s")
    print(f"   ratio {together / lone:.2f}x (target <= 1.5x); worker runs per room: {runs}")
    print(f"   final losses identical to the lone run: {same}; statuses: {sorted(statuses)}")
    print(f"   shared with: {sorted(shared)} others; worker peak {peak:.0f} MB")
    print(f"   (alone: {', '.join(f'{x:.2f}' for x in lones)} s; room: {', '.join(f'{x:.2f}' for x in rooms)} s)")

    replay_started = time.perf_counter()
    late = TrainingJob(worker, "late")
    late.start(preset)
    print(
        f"   a later visitor, same preset: replayed in {(time.perf_counter() - replay_started) * 1000:.1f} ms "
        f"(computed_at set: {late.snapshot().computed_at is not None}); kept: {audience.cached_bytes / 1024:.0f} KB"
    )

    # 12 different requests: the tiny talk sizes and the seed's, each with its own seed.
    specs = [ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2), ModelSpec()]
    different = [page_settings(specs[index % 2], seed=index + 1, epochs=5) for index in range(ROOM)]
    lone_times = []
    for index, each in enumerate(different):
        seconds, _ = alone(worker, each, f"lone-{index}")
        lone_times.append(seconds)
    audience.forget()
    total, jobs, order = room(worker, different)
    statuses = [job.snapshot().status for job in jobs]
    print(f"2. {ROOM} visitors, {ROOM} different requests (5 epochs each), within {WITHIN:g} s:")
    print(f"   all done: {all(status == 'done' for status in statuses)} ({statuses.count('stopped')} stopped)")
    print(f"   finish order (press order 0..{ROOM - 1}): {order}")
    print(
        f"   total {total:.2f} s against the sum of lone runs {sum(lone_times):.2f} s: {total / sum(lone_times):.2f}x"
    )
    print(f"   worker peak {worker_peak(jobs):.0f} MB")

    server_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = worker.stats()
    worker_now = rss_mb(child.pid) if child.pid else 0.0
    print("3. Memory:")
    print(f"   this process (sessions' side): peak {server_peak:.0f} MB, now {rss_mb():.0f} MB")
    print(
        f"   worker child: last job's peak {child.last_peak_mb or 0:.0f} MB resident, "
        f"{child.last_peak_anon_mb or 0:.0f} MB anonymous; now {worker_now:.0f} MB "
        f"(processes started: {child.processes_started})"
    )
    time.sleep(5)
    child = worker.stats()
    worker_idle = rss_mb(child.pid) if child.pid else 0.0
    print(f"   after 5 s idle: this process {rss_mb():.0f} MB, worker {worker_idle:.0f} MB")
    worker.shutdown()


if __name__ == "__main__":
    main()
