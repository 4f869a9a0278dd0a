"""The server warms its shared cache after the first page (core/keras/prewarm.py): bounded, from the stories and
presets, and never queued beside a visitor's job. A fake worker stands in for the real one (its give-way is tested
with the real worker in test_worker_limits.py)."""

from __future__ import annotations

import threading

from core.keras.job import Job
from core.keras.prewarm import MAX_REQUESTS, Prewarmer, start_requests
from core.keras.requests import EquivalenceLab, InitialWeights, Summary
from core.talk.stories import STORIES


class FakeWorker:
    """Records what was warmed; a job ends when the test says so; `idle` gates `wait_until_idle`."""

    def __init__(self) -> None:
        self.idle = threading.Event()
        self.idle.set()
        self.jobs: list[Job] = []
        self.submitted = threading.Semaphore(0)

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        return self.idle.wait(timeout)

    def prewarm(self, request):
        job = Job(len(self.jobs) + 1, "server:prewarm", request, 3)
        self.jobs.append(job)
        self.submitted.release()
        return job


def test_the_requests_are_the_stories_and_presets_keras_answers_each_once_and_bounded():
    requests = start_requests()
    assert 0 < len(requests) <= MAX_REQUESTS and len(set(requests)) == len(requests)
    lab_steps = [step for story in STORIES.values() for step in story.steps if step.page == "equivalence"]
    lab = EquivalenceLab(lab_steps[0].spec, requests[-1].perturb)
    assert requests[-1] == lab and requests[0].estimate() < 1  # a quick one starts TensorFlow: the lab is timed
    assert all(isinstance(request, EquivalenceLab | Summary | InitialWeights) for request in requests)
    panel_steps = [step for story in STORIES.values() for step in story.steps if step.page == "unrolled"]
    assert InitialWeights(panel_steps[0].spec, 0) in requests  # the step panel's weights, as a click would ask
    assert len(start_requests(limit=2)) == 2


def test_nothing_is_warmed_before_the_first_page_and_it_starts_once():
    worker = FakeWorker()
    requests = start_requests(limit=2)
    prewarmer = Prewarmer(worker, requests)
    assert worker.jobs == []  # created with the server: nothing asked of Keras yet
    assert prewarmer.page_served() and not prewarmer.page_served()  # the first page starts it, once
    assert worker.submitted.acquire(timeout=30)
    worker.jobs[0]._finish("done", result="kept")
    assert worker.submitted.acquire(timeout=30)
    worker.jobs[1]._finish("done", result="kept")
    prewarmer.thread.join(30)
    assert [job.request for job in worker.jobs] == requests and prewarmer.done == requests


def test_a_warming_job_that_gave_way_is_tried_again_only_when_the_worker_is_idle():
    worker = FakeWorker()
    (request,) = start_requests(limit=1)
    prewarmer = Prewarmer(worker, [request])
    prewarmer.page_served()
    assert worker.submitted.acquire(timeout=30)
    worker.idle.clear()  # a visitor's job arrived: the warming job stops, and the next try waits for the worker
    worker.jobs[0].stop("A visitor's job came first.")
    assert not worker.submitted.acquire(timeout=0.2) and len(worker.jobs) == 1
    worker.idle.set()
    assert worker.submitted.acquire(timeout=30)
    worker.jobs[1]._finish("done", result="kept")
    prewarmer.thread.join(30)
    assert prewarmer.done == [request] and len(worker.jobs) == 2


def test_the_frame_starts_the_warming_once_a_page_has_been_drawn(monkeypatch):
    """app.py calls views.common.page_served() after each page: with warming on (TDE_PREWARM unset, as shipped) that
    asks the server's prewarmer, which starts only the first time (tested above); the page itself drew first."""
    import views.common
    from tests.conftest import run_app

    calls = []

    class Recorder:
        def page_served(self):
            calls.append(views.common.st.session_state.get("spec"))  # the frame had already run the page

    monkeypatch.delenv("TDE_PREWARM")
    monkeypatch.setattr(views.common, "prewarmer_for", lambda worker: Recorder())
    at = run_app("weights")  # the Overview, then Weights: two page runs
    assert not at.exception and len(calls) == 2 and all(spec is not None for spec in calls)
    monkeypatch.setenv("TDE_PREWARM", "0")
    at.run()
    assert len(calls) == 2  # turned off: not asked
