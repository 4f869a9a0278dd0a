"""The training job behind the Training page: isolation between sessions, stopping, reproducibility, memory.

Tiny models only (T <= 6, sizes <= 4, <= 64 samples, <= 3 epochs): the machine is shared.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from core.spec import ModelSpec
from core.training_session import TrainingJob, TrainingSettings, estimate_work

TINY = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
JOIN = 120  # seconds: generous, the machine is shared; a hang still fails instead of blocking forever


def _job() -> TrainingJob:
    """A job that never counts as abandoned: nothing polls it in these tests (the heartbeat has its own test)."""
    return TrainingJob(heartbeat_timeout=math.inf)


def _settings(spec: ModelSpec = TINY, **options) -> TrainingSettings:
    base = {"task": "recall", "samples": 32, "batch_size": 8, "epochs": 2, "seed": 0, "learning_rate": 0.01}
    return TrainingSettings.for_spec(spec, **{**base, **options})


def _run(job: TrainingJob, settings: TrainingSettings):
    job.start(settings)
    assert job.join(JOIN), "training did not finish"
    snap = job.snapshot()
    assert snap.status == "done", snap.error
    return snap


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_two_trainings_at_once_get_the_losses_they_get_alone():
    """Two sessions training different models at the same time must not see each other's models or losses."""
    a = _settings(TINY, seed=1)
    b = _settings(TINY.replace(cell="LSTM", head="dense"), seed=2, task="random", learning_rate=0.003)
    alone_a = _run(_job(), a).variants[0]
    alone_b = _run(_job(), b).variants[0]

    jobs = {"a": _job(), "b": _job()}
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def session(name: str, settings: TrainingSettings) -> None:
        barrier.wait()
        outcome[name] = _run(jobs[name], settings).variants[0]

    threads = [threading.Thread(target=session, args=args) for args in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN)
    together_a, together_b = outcome["a"], outcome["b"]
    assert together_a.batch_losses == alone_a.batch_losses
    assert together_b.batch_losses == alone_b.batch_losses
    assert together_a.epoch_losses == alone_a.epoch_losses
    assert together_b.epoch_losses == alone_b.epoch_losses
    # The two runs really differ: identical lists would make the comparison above meaningless.
    assert alone_a.batch_losses != alone_b.batch_losses


def test_same_seed_gives_same_curves_even_with_the_reused_model():
    """Training again reuses the compiled model (reset, not rebuilt) and reproduces the first run exactly."""
    job = _job()
    first = _run(job, _settings()).variants[0]
    second = _run(job, _settings()).variants[0]
    other_seed = _run(job, _settings(seed=5)).variants[0]
    assert not first.result.reused_model and second.result.reused_model
    assert second.batch_losses == first.batch_losses
    assert second.epoch_losses == first.epoch_losses
    np.testing.assert_array_equal(second.result.sample_prediction, first.result.sample_prediction)
    assert other_seed.batch_losses != first.batch_losses
    # A fresh session (new cache, new build) gets the same curve as the reused model.
    assert _run(_job(), _settings()).variants[0].batch_losses == first.batch_losses


def test_stop_takes_effect_within_one_batch():
    """A stop requested before the first batch ends the run after that batch, with fewer batches than planned."""
    settings = _settings(epochs=3, samples=64, batch_size=4)  # 48 batches planned
    job = _job()
    job.start(settings)
    job.stop("test stop")
    assert job.join(JOIN)
    snap = job.snapshot()
    assert snap.status == "stopped"
    assert snap.stop_reason == "test stop"
    assert snap.variants[0].result.stopped
    assert 1 <= snap.batches_done <= 1 < settings.planned_batches
    assert len(snap.variants[0].batch_losses) == snap.batches_done


def test_stop_between_variants_skips_the_rest():
    """Comparing the seed's models, a stop ends the whole comparison, not only the current model."""
    settings = TrainingSettings.for_seed_variants(
        TINY, task="recall", samples=16, batch_size=8, epochs=1, seed=0, learning_rate=0.01
    )
    assert [label for label, _ in settings.variants] == ["Model 1", "Model 2", "Model 3"]
    job = _job()
    job.start(settings)
    job.stop()
    assert job.join(JOIN)
    snap = job.snapshot()
    assert snap.status == "stopped"
    assert [v.result is not None for v in snap.variants] == [True, False, False]


def test_a_job_nobody_polls_stops_itself():
    """The heartbeat: when the page stops polling (it was left, the tab closed), the job stops within one batch."""
    now = [0.0]
    job = TrainingJob(heartbeat_timeout=5.0, clock=lambda: now[0])
    settings = _settings(epochs=3, samples=64, batch_size=4)
    job.start(settings)
    job.heartbeat()
    assert not job.abandoned()
    now[0] = 5.5  # no poll for 5.5 s of the job's clock
    assert job.abandoned()
    assert job.join(JOIN)
    snap = job.snapshot()
    assert snap.status == "stopped"
    assert "Nobody watched" in snap.stop_reason
    assert snap.batches_done < settings.planned_batches


def test_a_polled_job_runs_to_the_end():
    """Polls keep the job alive: with a heartbeat before every batch it trains every planned batch."""
    now = [0.0]
    job = TrainingJob(heartbeat_timeout=5.0, clock=lambda: now[0])
    settings = _settings()
    snap = _run(job, settings)
    assert snap.batches_done == settings.planned_batches == len(snap.variants[0].batch_losses)
    assert len(snap.variants[0].epoch_losses) == settings.epochs
    assert snap.fraction == 1.0


def test_a_failing_training_is_reported_not_raised():
    """An error inside the worker becomes the snapshot's error; the thread ends."""
    job = TrainingJob(cache=object(), heartbeat_timeout=math.inf)  # not a ModelCache: train() fails
    job.start(_settings())
    assert job.join(JOIN)
    snap = job.snapshot()
    assert snap.status == "failed"
    assert "AttributeError" in snap.error


def test_ten_trainings_grow_memory_by_less_than_50_mb():
    """Ten repeated trainings in one session (one job, as the page keeps it) must not leak."""
    job = _job()
    _run(job, _settings())  # warm-up: TensorFlow, the first build and trace
    before = _rss_mb()
    for seed in range(10):
        _run(job, _settings(seed=seed % 3, task="random" if seed % 2 else "recall"))
    growth = _rss_mb() - before
    print(f"RSS growth over ten trainings: {growth:.1f} MB")
    assert growth < 50


def test_settings_validate_their_values():
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


def test_work_estimate_refuses_what_a_small_server_cannot_train():
    """Tiny trainings pass; the seed's model on the maximum samples and many epochs is refused with a suggestion."""
    tiny = estimate_work(_settings())
    assert tiny.allowed
    seed_sizes = ModelSpec()
    huge = estimate_work(_settings(seed_sizes, samples=20_000, epochs=200, batch_size=128))
    assert not huge.allowed
    assert "fewer epochs" in huge.message
    # More epochs, more samples or more models: never less work.
    one = estimate_work(_settings(seed_sizes, samples=1000, epochs=5, batch_size=128))
    more = estimate_work(_settings(seed_sizes, samples=1000, epochs=10, batch_size=128))
    assert more.macs == 2 * one.macs and more.seconds > one.seconds
    three = estimate_work(
        TrainingSettings.for_seed_variants(seed_sizes, samples=1000, epochs=5, batch_size=128, learning_rate=0.01)
    )
    assert three.macs > one.macs
    # The seed's own setup (three models, 1000 samples, a few epochs) must stay trainable.
    assert three.allowed
    # A dataset too large for 1 GB is refused even when the time would pass.
    wide = ModelSpec(timesteps=512, input_size=512, hidden_size=1, output_size=1, head="dense")
    big_data = estimate_work(_settings(wide, samples=200, epochs=1, batch_size=200))
    assert big_data.data_bytes == 200 * 512 * (512 + 1) * 4
    assert not big_data.allowed and "MB" in big_data.message
