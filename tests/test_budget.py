"""The work estimate every Keras button passes: what it refuses, what it suggests, and that it covers real memory."""

from __future__ import annotations

import re

import pytest

from core.keras.training_session import TrainingSettings
from core.model.budget import (
    JOB_MEMORY_MB,
    fit_cost,
    lab_work,
    largest_passing,
    probe_work,
    summary_work,
    training_work,
)
from core.model.spec import ModelSpec

SEED = ModelSpec()
LARGEST = ModelSpec(cell="LSTM", bidirectional=True, timesteps=512, input_size=512, hidden_size=512, output_size=512)


def _training(spec: ModelSpec = SEED, **options) -> TrainingSettings:
    base = {"samples": 1000, "batch_size": 128, "epochs": 10, "learning_rate": 0.01}
    return TrainingSettings.for_spec(spec, **{**base, **options})


def test_the_seeds_own_comparison_is_allowed_and_work_grows_with_what_is_asked() -> None:
    three = training_work(TrainingSettings.for_seed_variants(SEED, samples=1000, batch_size=128, epochs=10))
    assert three.allowed, three.message
    one = training_work(_training(epochs=5)).cost
    two = training_work(_training(epochs=10)).cost
    assert two.macs == 2 * one.macs and two.seconds > one.seconds
    assert three.cost.macs > two.macs


def test_the_crash_reproduction_is_refused_with_settings_that_pass() -> None:
    """The issue's crash: LSTM, bidirectional, T=512, every size 512, one sample, batch 1, one epoch."""
    work = training_work(_training(LARGEST, samples=1, batch_size=1, epochs=1))
    assert not work.allowed and "MB of memory" in work.message
    suggested = int(re.search(r"T ≤ ([\d,]+)", work.message).group(1).replace(",", ""))
    assert training_work(_training(LARGEST.replace(timesteps=suggested), samples=1, batch_size=1, epochs=1)).allowed
    assert not training_work(
        _training(LARGEST.replace(timesteps=suggested + 1), samples=1, batch_size=1, epochs=1)
    ).allowed


def test_a_long_time_distributed_trace_is_pointed_to_the_dense_head() -> None:
    """TimeDistributed's trace grows with T²: a long sequence that fails for it fits with the Dense head."""
    long = SEED.replace(timesteps=120)
    work = training_work(_training(long, samples=256, batch_size=32))
    assert not work.allowed and "the Dense head" in work.message
    assert training_work(_training(long.replace(head="dense"), samples=256, batch_size=32)).allowed


def test_a_refusal_never_suggests_a_value_that_is_already_at_its_floor() -> None:
    assert largest_passing(1, lambda value: True) is None
    assert largest_passing(10, lambda value: False) is None
    assert largest_passing(10, lambda value: value <= 7) == 7
    # One sample, one epoch, batch 1 and still too big: only model changes can help, never "try 1".
    work = training_work(_training(LARGEST, samples=1, batch_size=1, epochs=1))
    assert "samples ≤" not in work.message and "epochs ≤" not in work.message


def test_every_keras_button_refuses_the_largest_model_with_a_suggestion() -> None:
    for work in (probe_work(LARGEST), lab_work(LARGEST)):
        assert not work.allowed and "It would fit with" in work.message
    assert summary_work(LARGEST).allowed  # building it without a trace is cheap
    assert probe_work(SEED).allowed and lab_work(SEED).allowed and summary_work(SEED).allowed


def test_memory_grows_with_t_squared_for_time_distributed_only() -> None:
    short, long = (fit_cost(SEED.replace(timesteps=t), 64, 32, 1).memory_mb for t in (64, 256))
    dense_short, dense_long = (
        fit_cost(SEED.replace(timesteps=t, head="dense"), 64, 32, 1).memory_mb for t in (64, 256)
    )
    assert long - short > 5 * (dense_long - dense_short)


def test_a_dataset_too_large_for_a_small_server_is_refused_for_its_memory() -> None:
    wide = ModelSpec(timesteps=128, input_size=512, hidden_size=1, output_size=1, head="dense")
    work = training_work(_training(wide, samples=2000, batch_size=200, epochs=1))
    assert not work.allowed and "MB of memory" in work.message and "samples ≤" in work.message


@pytest.mark.parametrize("head", ["time_distributed", "dense"])
def test_the_estimate_covers_the_memory_the_worker_really_used(head: str) -> None:
    """Train the seed's model in the worker and compare its measured peak (anonymous memory, what a container cannot
    reclaim, sampled through the job) with the estimate: the estimate must not be below what happened."""
    from core.keras.requests import Training
    from core.keras.worker import shared_worker
    from tests.worker_handlers import Memory

    worker = shared_worker()
    idle = worker.submit(f"budget-{head}", Memory("RssAnon"))
    assert idle.wait(300) and idle.status == "done"
    settings = _training(SEED.replace(head=head, hidden_size=19), samples=1000, batch_size=128, epochs=2)
    job = worker.submit(f"budget-{head}", Training(settings))
    assert job.wait(300) and job.status == "done", job.error
    used = job.peak_anon_mb - idle.result
    estimate = training_work(settings).memory_mb
    print(f"{head}: peak {used:.0f} MB above idle, estimate {estimate:.0f} MB (limit {JOB_MEMORY_MB})")
    assert used <= estimate


def test_the_limits_follow_from_the_containers_memory() -> None:
    """TDE_MEMORY_MB sets the worker's guard, its recycling and the job limit, so that a job the budget allows, started
    in any child the recycling kept, stays under the guard, and the guard leaves the server its share."""
    import json
    import os
    import subprocess
    import sys

    names = ("WORKER_MEMORY_LIMIT_MB", "SERVER_MB", "WORKER_RECYCLE_MB", "JOB_MEMORY_MB", "WORKER_IDLE_ANON_MB")
    code = f"import json, core.model.budget as b; print(json.dumps([getattr(b, n) for n in {names!r}]))"
    for memory in (690, 1024):  # read at import: a fresh interpreter for each setting
        env = dict(os.environ, TDE_MEMORY_MB=str(memory))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        guard, server, recycle, job, idle = json.loads(out.stdout)
        assert guard + server < memory
        assert recycle + job <= guard and recycle > idle and job > 0


def test_an_estimate_shown_before_a_click_is_this_servers_once_it_has_timed_such_a_job():
    """Issue 25: the Equivalence lab said "About 34 s" and took 5 s. The cost model keeps the one-core guard (refusals),
    and the estimate a person reads is scaled by what the worker measured on this server, per kind of job."""
    from core.model.budget import SpeedCalibration, lab_work, training_work

    spec = ModelSpec()
    lab = lab_work(spec)
    speed = SpeedCalibration()
    assert speed.message(lab, "EquivalenceLab") == lab.message  # nothing timed yet: the cost model's one-core guess
    for measured in (lab.seconds / 6, lab.seconds / 7, lab.seconds * 3):  # the median is not moved by one outlier
        speed.record("EquivalenceLab", lab.seconds, measured)
    shown = speed.message(lab, "EquivalenceLab")
    assert shown.startswith(f"About {lab.seconds / 6:,.0f} s on this server (timed on its last 3 such jobs)"), shown
    training = training_work(_training(spec, samples=256, batch_size=32, epochs=5))
    by_labs = speed.message(training, "Training")  # not timed yet: judged by the server's other jobs
    assert by_labs.startswith(
        f"About {training.seconds / 6:,.0f} s on this server (judged by its last 3 other jobs it timed)"
    ), by_labs
    speed.record("Training", training.seconds, training.seconds / 2)
    assert speed.message(training, "Training").startswith(f"About {training.seconds / 2:,.0f} s on this server")
    refused = training_work(_training(spec, samples=10_000, batch_size=1, epochs=500))
    assert not refused.allowed and speed.message(refused, "Training") == refused.message  # the guard is unchanged
    speed.record("Training", 0.0, 1.0)  # a job without an estimate teaches nothing
    quick = SpeedCalibration()
    quick.record("Summary", 100.0, 1.0)  # a hundred times faster than the cost model: the lab's 34 s become 0.34 s
    assert quick.message(lab, "EquivalenceLab").startswith("Under 1 s on this server (judged by one other job it")
    assert speed.timed("Training") == 1 and speed.timed() == 4
