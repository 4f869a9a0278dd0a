"""A job cannot hold the worker past its time limit, and the server's own warming of its cache gives way to visitors.

Each test starts its own worker whose child skips the Keras import (`preload=False`). Time is the test's own clock
(`KerasWorker(clock=...)`), moved by the test once the job runs; every wait is gated on a job's end or a handler's sign.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.keras.worker import KerasWorker
from tests.worker_handlers import HELD, Hold, Memory

JOIN = 120


class Clock:
    """A clock the test moves by hand, which tells when the worker has read it since it was last moved (the worker
    reads it only to check a running job's time limit)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._read = threading.Event()

    def move_to(self, now: float) -> None:
        self.now = now
        self._read.clear()  # after the move: a read of the new time that raced the clear is simply read again

    def read_since_moved(self) -> bool:
        return self._read.wait(JOIN)

    def __call__(self) -> float:
        self._read.set()
        return self.now


def test_a_job_past_its_time_limit_fails_with_one_sentence_and_the_queue_moves_on(tmp_path: Path) -> None:
    clock = Clock()
    worker = KerasWorker(preload=False, clock=clock)
    try:
        started = threading.Event()
        endless = Hold(str(tmp_path / "never"), time_limit=60.0)  # its child keeps beating: the watchdog is content
        long = worker.submit("long", endless, listener=lambda e: e == HELD and started.set())
        assert started.wait(JOIN), long.error
        behind = worker.submit("next visitor", Memory())
        clock.move_to(59.0)
        assert clock.read_since_moved() and long.status == "running"  # checked within its limit: it runs on
        clock.move_to(60.0)
        assert long.wait(JOIN) and long.status == "failed"
        assert long.error.startswith("This job ran past the server's limit of 60 s per job, so it was ended")
        assert long.error.count(". ") == 0  # one sentence
        assert behind.wait(JOIN) and behind.status == "done", behind.error
    finally:
        worker.shutdown()


def test_the_servers_own_warming_gives_way_to_a_visitors_job(tmp_path: Path) -> None:
    # Only the visitor has a browser: the server's own warming has none, and must not be taken for abandoned.
    worker = KerasWorker(preload=False, liveness=lambda session: session == "visitor", disconnect_grace=0.0)
    try:
        held, checked, reasons = threading.Event(), threading.Event(), []
        abandoned = worker._abandoned

        def looked_at(session: str) -> str | None:
            reasons.append(abandoned(session))
            checked.set()
            return reasons[-1]

        worker._abandoned = looked_at  # a sign that the dispatcher's liveness check has looked at the running job
        warming = worker.prewarm(Hold(str(tmp_path / "never"), kept=True), listener=lambda e: e == HELD and held.set())
        assert warming is not None and held.wait(JOIN), warming.error
        checked.clear()
        assert checked.wait(JOIN) and reasons[-1] is None  # looked at, and not taken for an abandoned tab
        visitor = worker.submit("visitor", Memory())
        assert visitor.wait(JOIN) and visitor.status == "done", visitor.error
        assert warming.status == "stopped" and warming.stop_reason == "A visitor's job came first."
        assert worker.prewarm(Memory()) is None  # only a result the worker keeps is worth warming
    finally:
        worker.shutdown()


def test_the_worker_times_its_jobs_against_the_estimate_except_a_job_that_started_tensorflow() -> None:
    worker = KerasWorker(preload=False, calibrate=True)
    try:
        first = worker.submit("s", Memory(seconds=100.0))  # its time includes starting the child
        assert first.wait(JOIN) and first.status == "done" and first.fresh_child
        assert worker.calibration.timed("Memory") == 0
        second = worker.submit("s", Memory(seconds=100.0))
        assert second.wait(JOIN) and second.status == "done" and not second.fresh_child
        assert worker.wait_until_idle(JOIN)
        assert worker.calibration.timed("Memory") == 1
        assert worker.calibration.seconds("Memory", 50.0) == pytest.approx(50.0 * second.elapsed / 100.0, rel=1e-9)
    finally:
        worker.shutdown()


def test_a_job_queued_while_the_worker_replaces_its_child_says_that_is_what_it_waits_for(tmp_path: Path, monkeypatch):
    """Issue 25: after a training, the Training page's fit() check read "Next in the queue…" for seconds with no job
    ahead of it: the worker was replacing its child (to give memory back) before taking the next job."""
    from core.keras import worker as worker_module
    from core.keras.job import QUEUED, RESTARTING
    from core.keras.worker_process import Child

    replacing, release, started = threading.Event(), threading.Event(), []

    class GatedChild(Child):
        """The second child (the replacement) waits until the test has looked at the queue."""

        def __init__(self, *args, **kwargs) -> None:
            started.append(self)
            if len(started) == 2:
                replacing.set()
                assert release.wait(JOIN)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(worker_module, "Child", GatedChild)
    worker = KerasWorker(max_jobs=1, preload=False)  # the child is replaced after every job
    try:
        gate, held = tmp_path / "gate", threading.Event()
        first = worker.submit("a", Hold(str(gate)), listener=lambda e: e == HELD and held.set())
        assert held.wait(JOIN), first.error
        behind = worker.submit("b", Memory())
        assert (behind.status, behind.position, behind.stage) == ("queued", 2, QUEUED)  # behind another's job
        gate.touch()
        assert replacing.wait(JOIN) and first.status == "done"
        assert (behind.status, behind.position, behind.stage) == ("queued", 1, RESTARTING)
        later = worker.submit("c", Memory())  # queued while the replacement starts: told so too
        assert (later.position, later.stage) == (2, RESTARTING)
        release.set()
        assert behind.wait(JOIN) and behind.status == "done", behind.error
        assert later.wait(JOIN) and later.status == "done", later.error
    finally:
        release.set()
        worker.shutdown()
