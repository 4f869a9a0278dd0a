"""A Keras job's state on a page (views/common.keras_result): its status box while it waits or runs, gone with the job,
and the plain wording of a replayed answer. AppTest, with the job held at a gate by another visitor's job."""

from __future__ import annotations

import threading

from core.keras.requests import Summary
from core.keras.worker import shared_worker
from core.model.spec import ModelSpec
from tests.conftest import page_text, run_app
from tests.worker_handlers import HELD, Hold

JOIN = 300
LINK = {"timesteps": "9", "input_size": "2", "hidden_size": "3", "output_size": "2"}  # a model no other test asks about


def _boxes(at) -> list[str]:
    return [str(box.value) for box in at.info]


def test_the_queued_box_leaves_with_its_job(tmp_path):
    """Issue 25: a "Queued: 1 job ahead of yours…" box stayed on the page after the run finished."""
    worker = shared_worker()
    gate, held = tmp_path / "gate", threading.Event()
    blocker = worker.submit("another visitor", Hold(str(gate)), listener=lambda e: e == HELD and held.set())
    assert held.wait(JOIN), blocker.error
    at = run_app("shapes", LINK).button(key="shapes_summary_button").click().run()
    assert "Your model summary: queued, 1 job ahead of it…" in _boxes(at), _boxes(at)
    spec = ModelSpec(timesteps=9, input_size=2, hidden_size=3, output_size=2)
    (job,) = at.session_state["keras_jobs_shapes_summary"].values()
    assert job.job.request == Summary(spec)
    gate.touch()
    assert blocker.wait(JOIN) and job.wait(JOIN) and job.status == "done", job.error
    at.run()
    assert not [box for box in _boxes(at) if "Your model summary" in box or "queue" in box], _boxes(at)
    assert any("Total params" in str(code.value) for code in at.code)
    assert "Cached: computed at" not in page_text(at)  # this visitor's own run, not a replay


def _six_requests() -> None:
    """AppTest's script: a learner asking one page slot about six models in turn."""
    from core.keras.requests import Summary
    from core.model.budget import summary_work
    from core.model.spec import ModelSpec
    from views import common

    for steps in range(5, 11):
        spec = ModelSpec(timesteps=steps)
        common.keras_job("slot_test", Summary(spec), start=True, work=summary_work(spec))


def test_a_page_slot_keeps_only_its_latest_finished_answers(monkeypatch):
    """A learner trying many models must not pile up every answer (a lab's is megabytes) in the session: a slot keeps
    its last SLOT_RESULTS_KEPT finished jobs (an older one is replayed by the server's cache if asked again)."""
    from streamlit.testing.v1 import AppTest

    import views.common

    class Finished:
        active, status = False, "done"

    class Audience:
        def join(self, session, request, exclusive=True):
            return Finished()

    monkeypatch.setattr(views.common, "audience_for", lambda worker, connected=None: Audience())
    at = AppTest.from_function(_six_requests).run()
    assert not at.exception
    kept = list(at.session_state["keras_jobs_slot_test"])
    assert [request.spec.timesteps for request in kept] == list(range(11 - views.common.SLOT_RESULTS_KEPT, 11))


def _before_click() -> None:
    """AppTest's script: what the Equivalence page says before the click, for a request the server holds or not."""
    import streamlit as st

    from core.keras.requests import EquivalenceLab
    from core.model.budget import lab_work
    from core.model.spec import ModelSpec
    from views import common

    for steps in (5, 6):
        spec = ModelSpec(timesteps=steps)
        st.write(common.before_click(EquivalenceLab(spec, 1e-3), lab_work(spec)))


def test_before_the_click_a_page_says_an_answer_the_server_holds_shows_at_once(monkeypatch):
    """Issue 25: a cached lab appeared in 0.3 s under "About 34 s". Held answers say so, with when they were computed;
    the others keep the estimate (the cost model's until this server has timed such a job)."""
    from streamlit.testing.v1 import AppTest

    import views.common
    from core.keras.audience import Finished
    from core.keras.requests import EquivalenceLab

    class Audience:
        def cached(self, request):
            held = request == EquivalenceLab(ModelSpec(timesteps=5), 1e-3)
            return Finished((), {}, 0.0, 10) if held else None  # computed at 00:00:00 UTC

    monkeypatch.setenv("TDE_CALIBRATE", "1")
    monkeypatch.setattr(views.common, "audience_for", lambda worker, connected=None: Audience())
    at = AppTest.from_function(_before_click).run()
    held, other = [str(text.value) for text in at.markdown]
    assert held == "Ready at once: the server computed it at 00:00:00 UTC for an identical request."
    assert other.startswith("About ") and "s and " in other


def test_a_status_line_names_its_job_and_says_when_it_waits_for_the_workers_restart():
    """Issue 25: after a training, the fit() check's box read "Next in the queue…" while nothing ran: the worker was
    replacing its process. Each line names its job, and a queued one says when it waits for that restart."""
    from core.keras.job import QUEUED, RESTARTING
    from core.keras.training_session import TrainingSnapshot
    from core.keras.worker import Job
    from views.common import job_status_text
    from views.training import _where

    job = Job(1, "s", Summary(ModelSpec()), 0, position=1)
    assert job_status_text(job) == "Your model summary: next in the queue…"
    job.stage = RESTARTING
    assert job_status_text(job) == f"Your model summary: next in the queue · {RESTARTING}"
    job.position, job.stage = 3, QUEUED
    assert job_status_text(job) == "Your model summary: queued, 2 jobs ahead of it…"
    job.status, job.position = "running", None  # the child has not said what it does yet
    assert job_status_text(job).startswith("Your model summary: running · ")
    queued = TrainingSnapshot(1, "queued", None, (), None, 0, 0, 0, 0.0, stage=RESTARTING, position=1)
    assert _where(queued) == f"Next in the server's queue · {RESTARTING}"
    assert _where(TrainingSnapshot(1, "queued", None, (), None, 0, 0, 0, 0.0, stage=QUEUED, position=2)) == (
        "Queued: 1 job(s) of other visitors first…"
    )
