"""Trainings of several sessions through the one TensorFlow worker: each gets the losses it gets alone, stops end
the right runs, failures are reported, and repeated trainings do not grow the worker's memory.

Tiny models only (T <= 6, sizes <= 4, <= 64 samples, <= 3 epochs): the machine is shared.
"""

from __future__ import annotations

import threading

import pytest

from core.keras.protocol import Batch
from core.keras.training import train
from core.keras.training_session import TrainingJob, TrainingSettings
from core.keras.worker import shared_worker
from core.model.datasets import make_dataset
from core.model.spec import ModelSpec
from tests.worker_handlers import Fail, Memory, TrainThenHold

TINY = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
JOIN = 180
SPECS = [
    TINY,
    ModelSpec(cell="LSTM", timesteps=5, input_size=2, hidden_size=3, output_size=3, head="dense"),
    ModelSpec(
        cell="SimpleRNN",
        timesteps=4,
        input_size=3,
        hidden_size=4,
        output_size=2,
        return_sequences=False,
        head="dense",
        bidirectional=True,
    ),
    ModelSpec(cell="GRU", timesteps=3, input_size=2, hidden_size=2, output_size=2, reset_after=False),
    ModelSpec(cell="LSTM", timesteps=4, input_size=4, hidden_size=2, output_size=3, activation="linear"),
]


def _settings(spec: ModelSpec = TINY, **options) -> TrainingSettings:
    base = {"task": "recall", "samples": 32, "batch_size": 8, "epochs": 2, "seed": 0, "learning_rate": 0.01}
    return TrainingSettings.for_spec(spec, **{**base, **options})


def test_sessions_training_at_once_all_finish_with_the_losses_they_get_alone() -> None:
    """Three at once here (bench/worker.py runs five): each queues, none is abandoned, each equals its run alone."""
    worker = shared_worker()
    specs = SPECS[:3]
    jobs = [TrainingJob(worker, f"visitor-{index}") for index in range(len(specs))]
    for job, spec in zip(jobs, specs, strict=True):
        job.start(_settings(spec, epochs=3))
    assert sorted(job.snapshot().position or 0 for job in jobs)[-1] >= 2  # they really queue behind each other
    for job in jobs:
        assert job.wait(JOIN)
    for job, spec in zip(jobs, specs, strict=True):
        snap = job.snapshot()
        assert snap.status == "done", snap.error
        (variant,) = snap.variants
        alone = train(spec, make_dataset(spec, "recall", 32, 0), 3, 8, seed=0, learning_rate=0.01)
        assert list(variant.batch_losses) == alone.batch_losses
        assert list(variant.epoch_losses) == alone.epoch_losses


def test_a_stop_during_the_first_model_skips_the_others() -> None:
    worker = shared_worker()
    first_batch = threading.Event()
    settings = TrainingSettings.for_seed_variants(TINY, samples=32, batch_size=8, epochs=3)
    job = worker.submit(
        "comparer",
        TrainThenHold(settings, group="train"),
        listener=lambda e: isinstance(e, Batch) and first_batch.set(),
    )
    assert first_batch.wait(JOIN), job.error
    job.stop("Stopped.")
    assert job.wait(JOIN) and job.status == "stopped"
    assert len(job.result) == 1 and job.result[0].stopped  # models 2 and 3 never started


def test_a_failing_job_is_reported_with_its_reason() -> None:
    job = shared_worker().submit("buggy", Fail())
    assert job.wait(JOIN)
    assert job.status == "failed" and job.error == "ValueError: this handler always fails"


def test_the_same_settings_twice_give_identical_curves_and_reuse_the_model() -> None:
    job = TrainingJob(shared_worker(), "again")
    curves = []
    for _ in range(2):
        job.start(_settings(TINY.replace(output_size=3)), replay=False)  # trained again, not replayed
        assert job.wait(JOIN)
        snap = job.snapshot()
        assert snap.status == "done", snap.error
        curves.append((snap.variants[0].batch_losses, snap.variants[0].result.reused_model))
    assert curves[0][0] == curves[1][0] and curves[1][1]


def test_ten_trainings_grow_the_workers_memory_by_less_than_50_mb() -> None:
    worker = shared_worker()
    job = TrainingJob(worker, "repeater")

    def rss() -> float:
        probe = worker.submit("repeater", Memory())
        assert probe.wait(JOIN) and probe.status == "done", probe.error
        return probe.result

    job.start(_settings())  # warm: the first build and trace
    assert job.wait(JOIN)
    before = rss()
    for seed in range(10):
        job.start(_settings(seed=seed % 3, task="random" if seed % 2 else "recall"))
        assert job.wait(JOIN) and job.snapshot().status == "done"
    growth = rss() - before
    print(f"worker RSS growth over ten trainings: {growth:.1f} MB")
    assert growth < 50


def test_settings_validate_their_values() -> None:
    """Bad settings are refused with a message that names the field."""
    with pytest.raises(ValueError, match="samples"):
        _settings(samples=0)
    with pytest.raises(ValueError, match="learning_rate"):
        _settings(learning_rate=float("nan"))
    with pytest.raises(ValueError, match="task"):
        _settings(task="nonsense")
    with pytest.raises(ValueError, match="TimeDistributed"):
        _settings(TINY.replace(return_sequences=False))
    # The invalid fourth combination is never among the variants offered for comparison.
    invalid = TINY.replace(return_sequences=False, head="time_distributed")
    assert all(spec.is_valid for _, spec in TrainingSettings.for_seed_variants(invalid).variants)
