"""Identical requests run once (core/keras/audience.py), with the real worker: every watcher gets the same events and
result, Stop only detaches its watcher, the run stops when nobody watches, and a finished run is replayed with a flag.
Jobs are held by a gate file (tests/worker_handlers.py) and the tests wait on events, never on time."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.keras.audience import Audience
from core.keras.protocol import End, Note
from core.keras.training_session import TrainingJob, TrainingSettings
from core.keras.worker import SessionBusy, shared_worker
from core.model.spec import ModelSpec
from tests.worker_handlers import HELD, Hold

JOIN = 300  # generous: the gate, not this, decides when a job ends


class Seen:
    """A watcher's listener: every event in order, and an event per tag to wait on."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self._flags: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def __call__(self, event: tuple) -> None:
        with self._lock:
            self.events.append(event)
            self._flags.setdefault(type(event).__name__, threading.Event()).set()

    def wait_for(self, kind: type) -> bool:
        with self._lock:
            flag = self._flags.setdefault(kind.__name__, threading.Event())
        return flag.wait(JOIN)


@pytest.fixture
def audience() -> Audience:
    return Audience(shared_worker())


def _two_watchers(audience: Audience, gate: Path):
    first, second = Seen(), Seen()
    a = audience.join("visitor-a", Hold(str(gate)), listener=first)
    assert first.wait_for(Note)  # running: the second visitor joins a run that has already streamed an event
    b = audience.join("visitor-b", Hold(str(gate)), listener=second)
    return a, b, first, second


def test_two_sessions_asking_the_same_get_one_run_and_the_same_result(audience, tmp_path):
    a, b, first, second = _two_watchers(audience, tmp_path / "gate")
    assert audience.runs == 1 and a.job is b.job
    assert second.events == first.events and first.events[-1] == HELD  # replayed to the late watcher
    assert a.others == 1 and b.others == 1
    (tmp_path / "gate").touch()
    assert a.wait(JOIN) and b.wait(JOIN)
    assert a.status == b.status == "done" and a.result == b.result == "released"
    assert first.events == second.events and first.events[-2:] == [HELD, End("done")]
    assert b.others == 1  # at its end, the run says it was shared


def test_one_watcher_stopping_leaves_the_run_to_the_other(audience, tmp_path):
    a, b, _, second = _two_watchers(audience, tmp_path / "gate")
    a.stop("Stopped by you.")
    assert a.status == "stopped" and a.stop_reason == "Stopped by you." and a.wait(0)
    assert b.active and not b.job.stop_requested and b.others == 0
    (tmp_path / "gate").touch()
    assert b.wait(JOIN) and b.status == "done" and b.result == "released"
    assert second.events[-1] == End("done")


def test_the_run_stops_when_nobody_watches(audience, tmp_path):
    a, b, _, _ = _two_watchers(audience, tmp_path / "gate")
    a.stop()
    b.stop("Stopped by you.")
    assert b.job.wait(JOIN)
    assert b.job.status == "stopped" and b.job.result == "stopped"  # the handler saw the stop; the gate never opened
    assert a.status == b.status == "stopped"
    assert audience.cached(Hold(str(tmp_path / "gate"))) is None  # a stopped run is not kept


def test_a_finished_run_is_replayed_at_once_and_says_so(audience, tmp_path):
    gate = tmp_path / "gate"
    gate.touch()
    seen = Seen()
    run = audience.join("visitor-a", Hold(str(gate)), listener=seen)
    assert run.wait(JOIN) and run.status == "done" and run.computed_at is None
    later = Seen()
    replay = audience.join("visitor-b", Hold(str(gate)), listener=later)
    assert replay.status == "done" and replay.wait(0) and replay.result == "released"
    assert replay.computed_at is not None and later.events == seen.events
    assert audience.runs == 1
    again = audience.join("visitor-c", Hold(str(gate)), replay=False)
    assert again.computed_at is None and again.wait(JOIN) and audience.runs == 2


def test_the_kept_results_are_bounded_by_bytes(audience):
    small = Audience(shared_worker(), cache_bytes=3000, entry_bytes=1500)
    for index in range(4):
        small._keep(("kind", index), (("end", "done"),), b"x" * 1000)
    small._keep(("kind", "large"), (), b"x" * 2000)
    assert small.cached_bytes <= 3000
    assert small.cached(("kind", 3)) is not None and small.cached(("kind", 2)) is not None
    assert small.cached(("kind", 0)) is None and small.cached(("kind", "large")) is None


def test_a_session_with_its_own_job_running_cannot_join_another(audience, tmp_path):
    worker = shared_worker()
    own = worker.submit("busy-visitor", Hold(str(tmp_path / "own")))
    try:
        with pytest.raises(SessionBusy):
            audience.join("busy-visitor", Hold(str(tmp_path / "other")))
    finally:
        own.stop()
        assert own.wait(JOIN)


def test_two_sessions_training_the_same_settings_share_one_training():
    spec = ModelSpec(timesteps=4, input_size=2, hidden_size=3, output_size=2)
    settings = TrainingSettings.for_spec(spec, samples=16, batch_size=8, epochs=2, seed=7, learning_rate=0.01)
    worker = shared_worker()
    first, second = TrainingJob(worker, "trainer-a"), TrainingJob(worker, "trainer-b")
    first.start(settings)
    second.start(settings)
    assert first._job.job is second._job.job  # one job in the worker
    assert first.wait(JOIN) and second.wait(JOIN)
    a, b = first.snapshot(), second.snapshot()
    assert a.status == b.status == "done", (a.error, b.error)
    assert a.variants[0].batch_losses == b.variants[0].batch_losses and len(a.variants[0].batch_losses) == 4
    assert a.shared_with == b.shared_with == 1
    third = TrainingJob(worker, "trainer-c")
    third.start(settings)
    c = third.snapshot()  # a replay: finished before start() returned
    assert c.status == "done" and c.computed_at is not None and c.variants == a.variants


def _progress(at) -> str:
    return " ".join(str(bar.proto.text) for bar in at.get("progress"))


def test_two_pages_pressing_train_together_say_they_share_one_run(tmp_path, monkeypatch):
    """Two visitors' Training pages (two AppTest sessions) press Train on the same settings while the worker is held
    by a third visitor's job: both queue on one run, and each page says it is shared with one other visitor; Stop on
    one leaves the other's run going."""
    import uuid

    import streamlit

    import views.common
    from core.keras.audience import audience_for
    from tests.conftest import page_text, run_app, settle

    # AppTest gives every session the same id; a real server gives each visitor its own, as this does.
    monkeypatch.setattr(
        views.common, "session_id", lambda: streamlit.session_state.setdefault("test_visitor", uuid.uuid4().hex)
    )

    worker = shared_worker()
    audience_for(worker).forget()
    gate, held = tmp_path / "gate", threading.Event()
    blocker = worker.submit("third", Hold(str(gate)), listener=lambda e: e == HELD and held.set())
    assert held.wait(JOIN)
    pages = []
    for _ in range(2):
        at = run_app("training", {"timesteps": "5", "input_size": "2", "hidden_size": "3", "output_size": "2"})
        at.number_input(key="training_samples").set_value(16)
        at.number_input(key="training_batch").set_value(8)
        at.number_input(key="training_epochs").set_value(1)
        at.number_input(key="training_seed").set_value(11).run()
        at.button(key="training_train").click().run()
        pages.append(at)
    first, second = pages
    first.run()
    jobs = [at.session_state["training_job"] for at in pages]
    assert jobs[0]._job.job is jobs[1]._job.job
    assert all("shared with 1 other visitor" in _progress(at) for at in pages), [_progress(at) for at in pages]
    first.button(key="training_stop").click().run()
    assert jobs[0].snapshot().status == "stopped" and jobs[1].running
    gate.touch()
    assert blocker.wait(JOIN) and jobs[1].wait(JOIN)
    second = settle(second)
    assert jobs[1].snapshot().status == "done" and "Final loss" in page_text(second)


def test_a_shared_run_is_alive_while_any_watcher_is_connected(audience, tmp_path):
    a, b, _, _ = _two_watchers(audience, tmp_path / "gate")
    run = a.job.session
    connected = {"visitor-a": False, "visitor-b": True}
    assert audience.alive(run, connected.get) is True
    connected["visitor-b"] = False
    assert audience.alive(run, connected.get) is False  # the worker stops it after its grace
    assert audience.alive("visitor-a", connected.get) is False  # not a shared run: asked directly
    a.stop()
    b.stop()
    assert b.job.wait(JOIN)
    assert audience.watchers(run) is None


def test_a_request_with_a_key_joins_the_workers_warm_up_of_it(audience, tmp_path):
    """A request the worker keeps (`kept`, as a page's probe): a speculative warm-up of an equal request that the
    worker already runs is joined, not run twice, and its watcher still sees it end."""
    gate = tmp_path / "gate"
    worker = shared_worker()
    worker.warm_up("speculator", Hold(str(gate), kept=True))
    watch = audience.join("visitor", Hold(str(gate), kept=True))
    assert watch.job.session == "speculator" and watch.active  # the warm-up's own job
    gate.touch()
    assert watch.wait(JOIN) and watch.status == "done" and watch.result == "released"
    assert audience.join("other", Hold(str(gate), kept=True)).result == "released"


def test_a_page_answered_from_an_earlier_identical_request_says_so():
    """Keras's summary on the Shape flow page, asked by one visitor and then by another: the second is a replay, and
    its page says it was computed earlier."""
    from core.keras.audience import audience_for
    from tests.conftest import page_text, run_app, settle

    audience_for(shared_worker()).forget()
    link = {"timesteps": "7", "input_size": "2", "hidden_size": "3", "output_size": "2"}
    first = settle(run_app("shapes", link).button(key="shapes_summary_button").click().run())
    assert "Total params" in " ".join(str(code.value) for code in first.code)
    assert "Cached: computed at" not in page_text(first)
    second = run_app("shapes", link).button(key="shapes_summary_button").click().run()
    assert "Cached: computed at" in page_text(second)
    assert [c.value for c in second.code if "Total params" in c.value] == [
        c.value for c in first.code if "Total params" in c.value
    ]


class _QuietWorker:
    """Stands in for the worker: its jobs never run, so the test decides what happens (pure, milliseconds)."""

    def __init__(self) -> None:
        self.jobs = []

    def active_job(self, session):
        return None

    def submit(self, session, request, *, listener=None, exclusive=True):
        from core.keras.job import Job

        job = Job(len(self.jobs) + 1, session, request, 0, listener)
        self.jobs.append(job)
        return job


def test_shared_with_counts_only_the_tabs_still_open():
    """A watcher whose browser has been gone for the grace period is detached: "shared with N others" stops counting
    it, the run goes on for the others, and the last watcher is never detached this way (the worker's own liveness
    check ends a run nobody follows)."""
    browsers = {"a": True, "b": True, "c": True}
    now = [0.0]
    audience = Audience(_QuietWorker(), connected=browsers.get, grace=20.0, clock=lambda: now[0])
    a, b, c = (audience.join(name, Hold("shared")) for name in "abc")
    assert a.others == 2
    browsers["b"] = False  # b's tab closed
    assert a.others == 2  # a reconnecting tab gets its grace
    now[0] = 20.0
    assert a.others == 1 and c.others == 1
    assert b.status == "stopped" and b.stop_reason == "The browser tab was closed." and a.active
    assert not a.job.stop_requested  # the run goes on
    browsers["c"] = browsers["a"] = False
    assert c.others == 1
    now[0] = 40.0
    assert c.others == 0 and a.status == "stopped"  # c is left, watching alone
    assert c.active and not c.job.stop_requested
