"""The server warms its shared result cache when it starts: the Keras answers the stories and presets will ask for.

In a talk the room follows a story; its lab verdict (the seed's step 5), Keras's summaries on Shape flow and the step
panel's initial weights on the unrolled network are the same for every visitor, so the worker computes them once,
ahead, and the first visitor who asks is answered at once from the worker's kept results (`KerasWorker.prewarm`).
Bounded (`MAX_REQUESTS`, each within the budget), at idle priority, and only after the first page has been served
(`Prewarmer.page_served`), so a fresh server draws its first page without TensorFlow starting beside it. A visitor's
job never waits for it: a job queued while a warming job runs stops that job, which is tried again (up to `RETRIES`
times) once the worker is idle. TensorFlow-free.

Example:
    >>> [type(request).__name__ for request in start_requests()][-2:]
    ['Summary', 'EquivalenceLab']
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from core.keras.requests import LAB_PERTURB, EquivalenceLab, InitialWeights, Request, Summary
from core.model.anatomy import describe
from core.model.budget import lab_work, summary_work
from core.model.spec import PRESETS, ModelSpec
from core.model.training_controls import TrainingControls
from core.talk.stories import STORIES, Story

MAX_REQUESTS = 20  # under a minute of one idle core (all but the lab take a second or less), and a few MB kept
RETRIES = 3  # a warming job that gave way to visitors is tried again at most this often


def _for_step(page: str, spec: ModelSpec) -> Request | None:
    """What a story step's page will ask Keras for, when it asks for something the same for everyone."""
    if spec.input_kind == "frames" or not spec.is_valid:
        return None
    if page == "equivalence":
        refusal = describe(spec).refusal
        if spec.sequence_output and (refusal is None or not refusal.before_head) and lab_work(spec).allowed:
            return EquivalenceLab(spec, LAB_PERTURB)
        return None
    if page == "shapes" and summary_work(spec).allowed:
        return Summary(spec)
    if page == "unrolled" and summary_work(spec).allowed:  # the step panel's numbers, before a training of the spec
        return InitialWeights(spec, TrainingControls().seed)
    return None


def start_requests(
    stories: Mapping[str, Story] = STORIES, presets: Mapping[str, ModelSpec] = PRESETS, limit: int = MAX_REQUESTS
) -> list[Request]:
    """The requests to warm: every story's steps, then each preset's summary, each once, at most `limit`; the quick
    ones (under a second by the cost model) first, since the first job starts TensorFlow and a job that starts it is
    not timed (core.model.budget.SpeedCalibration): the lab after them teaches the server its speed."""
    wanted: list[Request | None] = [
        _for_step(step.page, step.spec) for story in stories.values() for step in story.steps
    ]
    wanted += [_for_step("shapes", spec) for spec in presets.values()]
    unique: dict[Request, None] = {}
    for request in wanted:
        if request is not None:
            unique.setdefault(request, None)
    chosen = list(unique)[:limit]
    return sorted(chosen, key=lambda request: (request.estimate() or 0.0) >= 1.0)  # stable: talk order otherwise


class Prewarmer:
    """Feeds `requests` to the worker's idle priority one at a time, once, after the first page was served."""

    def __init__(self, worker: Any, requests: Iterable[Request], retries: int = RETRIES) -> None:
        self.worker = worker
        self.requests = list(requests)
        self.retries = retries
        self.done: list[Request] = []  # warmed (or already kept), in order
        self._started = False
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def page_served(self) -> bool:
        """Start warming (the first call only); True when this call started it."""
        with self._lock:
            if self._started:
                return False
            self._started = True
        self.thread = threading.Thread(target=self._run, name="prewarm", daemon=True)
        self.thread.start()
        return True

    def _run(self) -> None:
        for request in self.requests:
            for _ in range(self.retries):
                self.worker.wait_until_idle()  # never queue beside a visitor's job
                job = self.worker.prewarm(request)
                if job is None:  # kept already, or an equal job is under way (a visitor asked first)
                    self.done.append(request)
                    break
                job.wait()
                if job.status == "done":
                    self.done.append(request)
                    break
                if job.status != "stopped":  # failed: not worth trying again
                    break


_prewarmers: dict[int, Prewarmer] = {}
_prewarmers_lock = threading.Lock()


def prewarmer_for(worker: Any) -> Prewarmer:
    """The server's one `Prewarmer` of `worker` (created on first use, with `start_requests()`)."""
    with _prewarmers_lock:
        prewarmer = _prewarmers.get(id(worker))
        if prewarmer is None or prewarmer.worker is not worker:
            prewarmer = _prewarmers[id(worker)] = Prewarmer(worker, start_requests())
        return prewarmer
