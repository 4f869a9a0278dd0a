"""The TensorFlow worker process: one queue for the server, stops within a batch, survives crashes, gives memory back.

Jobs are held at gates (tests/worker_handlers.py) so that every test sees the queue in a known state, whatever the
speed of the machine. Tests that need their own limits start their own worker (one TensorFlow import each).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core import ModelSpec
from core.keras.protocol import Batch, Partial, Stage
from core.keras.requests import Summary, Training, WarmUp
from core.keras.training_session import TrainingJob, TrainingSettings
from core.keras.worker import KerasWorker, SessionBusy, shared_worker
from tests.worker_handlers import HELD, Crash, Hold, LabThenHold, Memory, TrainThenHold

TINY = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
JOIN = 180


def _unique(hidden_size: int) -> ModelSpec:
    """A spec no other test of this process asks Keras about: the worker keeps a summary's result (`Summary.kept`),
    so a test that needs its summary to run (or to wait in the queue) asks about a model of its own."""
    return TINY.replace(hidden_size=hidden_size)


def _held(worker: KerasWorker, session: str, gate: Path):
    """Submit a job that holds the worker until `gate` exists; returns it once the child has started it."""
    started = threading.Event()
    job = worker.submit(session, Hold(str(gate)), listener=lambda e: e == HELD and started.set())
    assert started.wait(JOIN), job.error
    return job


def test_queue_order_positions_and_one_job_per_session(tmp_path: Path) -> None:
    worker = shared_worker()
    gate = tmp_path / "gate"
    blocker = _held(worker, "blocker", gate)
    training = worker.submit("learner", Training(TrainingSettings.for_spec(TINY, samples=8, batch_size=4, epochs=1)))
    probe = worker.submit("reader", Summary(_unique(11)))
    worker.warm_up("browser", WarmUp((TINY,), 8, 4, 0))
    # The probe goes first (it answers a click in seconds), the training next; nobody waits for a warm-up.
    assert (probe.position, training.position) == (2, 3)
    assert probe.status == training.status == "queued"
    with pytest.raises(SessionBusy):
        worker.submit("learner", Summary(_unique(12)))
    shared = worker.submit("learner", Summary(_unique(13)), exclusive=False)  # needs no slot
    assert shared.status == "queued"
    gate.touch()
    assert worker.wait_until_idle(JOIN)
    assert blocker.result == "released"
    assert probe.status == training.status == shared.status == "done", (probe.error, training.error)
    assert probe.started < training.started
    assert "Total params" in probe.result.text


def test_a_stop_is_honoured_within_one_batch() -> None:
    worker = shared_worker()
    first_batch = threading.Event()
    settings = TrainingSettings.for_spec(TINY, samples=64, batch_size=4, epochs=50)
    job = worker.submit(
        "stopper",
        TrainThenHold(settings, group="train"),
        listener=lambda e: isinstance(e, Batch) and first_batch.set(),
    )
    assert first_batch.wait(JOIN), job.error
    job.stop("Stopped by the test.")
    assert job.wait(JOIN)
    assert job.status == "stopped" and job.stop_reason == "Stopped by the test."
    # Stop answers within STOP_ANSWER_SECONDS whatever the child does; the child's partial results may come later.
    assert worker.wait_until_idle(JOIN)
    (result,) = job.result
    assert result.stopped and len(result.batch_losses) == 1 < settings.planned_batches
    batches = [e for e in job.events if isinstance(e, Batch)]
    assert len(batches) == 1


def test_a_stopped_queued_job_ends_at_once_and_never_runs(tmp_path: Path) -> None:
    worker = shared_worker()
    gate = tmp_path / "gate"
    _held(worker, "blocker", gate)
    queued = worker.submit("impatient", Summary(_unique(14)))
    queued.stop("Changed my mind.")
    assert queued.status == "stopped" and queued.wait(0)
    gate.touch()
    assert worker.wait_until_idle(JOIN)
    assert queued.started is None and queued.result is None


def test_a_crash_fails_only_that_job_and_the_next_job_gets_a_new_worker(tmp_path: Path) -> None:
    worker = shared_worker()
    gate = tmp_path / "gate"
    _held(worker, "blocker", gate)
    crashing = worker.submit("crasher", Crash())
    waiting = worker.submit("bystander", Memory())
    before = worker.stats().processes_started
    gate.touch()
    assert worker.wait_until_idle(JOIN)
    assert crashing.status == "failed" and "crashed (SIGSEGV)" in crashing.error
    assert "next request starts a new worker" in crashing.error
    assert waiting.status == "done", waiting.error
    assert worker.stats().processes_started == before + 1


def test_results_and_warm_ups_are_shared_not_run_twice(tmp_path: Path) -> None:
    worker = shared_worker()
    gate = tmp_path / "gate"
    _held(worker, "blocker", gate)
    request = Summary(_unique(15))
    worker.warm_up("first", request)
    clicked = worker.submit("second", request)
    assert clicked.priority == 0 and clicked.position == 2  # the warm-up, promoted to the click's place
    gate.touch()
    assert worker.wait_until_idle(JOIN)
    again = worker.submit("third", request)
    assert again.status == "done" and again.started is None  # answered from the finished result
    assert again.result == clicked.result


def test_a_warm_up_traces_the_model_the_training_then_reuses() -> None:
    worker = shared_worker()
    spec = TINY.replace(hidden_size=5)  # a spec no other test trains
    settings = TrainingSettings.for_spec(spec, samples=24, batch_size=8, epochs=2)
    warm = WarmUp((spec,), 24, 8, 0)
    worker.warm_up("warm", warm)
    assert worker.wait_until_idle(JOIN)
    job = TrainingJob(worker, "warm")
    job.start(settings)
    assert job.wait(JOIN)
    snap = job.snapshot()
    assert snap.status == "done", snap.error
    (variant,) = snap.variants
    assert variant.result.reused_model and len(variant.epoch_losses) == 2


def test_an_abandoned_session_is_stopped_and_a_connected_one_is_not(tmp_path: Path) -> None:
    connected = {"gone": True, "frozen": True}
    worker = KerasWorker(liveness=connected.get, disconnect_grace=0.0, preload=False)
    try:
        gate = tmp_path / "gate"
        held = _held(worker, "gone", gate)
        behind = worker.submit("frozen", Memory())
        connected["gone"] = False  # its browser tab closed
        assert held.wait(JOIN)
        assert held.status == "stopped" and "closed or lost its connection" in held.stop_reason
        # A frozen tab keeps its connection: its job runs to the end.
        assert behind.wait(JOIN) and behind.status == "done", behind.error
    finally:
        worker.shutdown()


def test_the_child_is_recycled_by_job_count_and_leaves_when_idle() -> None:
    worker = KerasWorker(max_jobs=2, idle_seconds=0.0, preload=False)
    try:
        stages = []
        job = worker.submit("s", Memory(), listener=lambda e: isinstance(e, Stage) and stages.append(e.text))
        assert job.wait(JOIN) and job.status == "done", job.error
        assert worker.stats().last_peak_mb > 0
        assert worker.wait_until_child_gone(JOIN)  # idle at once (idle_seconds=0): the child left
        assert any("Starting TensorFlow" in stage for stage in stages)  # the page said it was starting one
    finally:
        worker.shutdown()
    worker = KerasWorker(max_jobs=2, preload=False)
    try:
        for _ in range(3):
            job = worker.submit("s", Memory())
            assert job.wait(JOIN) and job.status == "done", job.error
        assert worker.stats().processes_started == 2  # recycled after its second job
        assert worker.stats().alive
    finally:
        worker.shutdown()
    assert not worker.stats().alive


def test_speculative_warm_ups_never_pile_up(tmp_path: Path) -> None:
    from core.keras.worker import PRIORITY, WARM_UPS_WAITING

    worker = shared_worker()
    gate = tmp_path / "gate"
    _held(worker, "blocker", gate)
    for visitor in range(WARM_UPS_WAITING + 2):
        worker.warm_up(f"visitor-{visitor}", Summary(_unique(20 + visitor)))
    waiting = [job for job in worker._queue if job.priority == PRIORITY["warmup"]]
    assert [job.request for job in waiting] == [Summary(_unique(20 + v)) for v in range(2, WARM_UPS_WAITING + 2)]
    gate.touch()
    assert worker.wait_until_idle(JOIN)


def test_a_stopped_lab_ends_between_its_stages_with_what_it_measured() -> None:
    """The lab honours a stop between stages (the server's own warming gives way to a visitor this way): held right
    after its verdict until the stop arrives, it returns the verdict and measures nothing more."""
    worker = shared_worker()
    verdict = threading.Event()
    job = worker.submit(
        "lab-stopper",
        LabThenHold(_unique(9)),
        listener=lambda e: isinstance(e, Partial) and e.key == "outputs" and verdict.set(),
    )
    assert verdict.wait(JOIN), job.error
    job.stop("Stopped by the test.")
    assert job.wait(JOIN) and job.status == "stopped"
    assert worker.wait_until_idle(JOIN)
    assert "outputs" in job.result and "control" not in job.result and "training" not in job.result


def test_on_shutdown_the_child_exits_by_itself_rather_than_being_killed() -> None:
    """The server asks its child to exit (protocol.Exit) and the child leaves on its own, writing its coverage on the
    way; a message the child did not understand left it running until it was killed after a 5 s wait."""
    worker = KerasWorker(preload=False)
    job = worker.submit("s", Memory())
    assert job.wait(JOIN) and job.status == "done", job.error
    process = worker._child.process
    worker.shutdown()
    assert process.returncode == 0  # a killed child would say -9 (SIGKILL)
