"""One session's training: the settings of a click on Train, and a job that follows that training in the worker.

The training itself runs in the TensorFlow worker process (`core.keras.worker`); `TrainingJob` asks for it through the
server's `Audience` (core.keras.audience: sessions asking for equal settings watch one run, and a finished run is
replayed) and folds the events the worker streams back (each batch's loss, each epoch, each model's result) into
immutable snapshots that a page can draw at any moment. It never touches Streamlit and never imports TensorFlow.

Example:
    >>> job = TrainingJob(shared_worker(), session="doc")
    >>> job.start(TrainingSettings.for_spec(ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)))
    >>> job.wait(120)
    True
    >>> job.snapshot().status
    'done'
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from core.keras.audience import audience_for
from core.keras.protocol import Batch, End, EpochEnd, VariantDone, VariantStarted
from core.keras.requests import Training, TrainingSettings
from core.model.spec import ModelSpec


@dataclass(frozen=True)
class VariantProgress:
    """One variant's curves so far, and its `TrainingResult` once it finished (or stopped)."""

    label: str
    spec: ModelSpec
    batch_losses: tuple[float, ...] = ()
    epoch_losses: tuple[float, ...] = ()
    result: Any = None  # core.keras.training.TrainingResult (typed loosely: importing it would load Keras)


@dataclass(frozen=True)
class TrainingSnapshot:
    """A consistent, immutable copy of a job's state at one moment, for drawing."""

    run_id: int
    status: str  # "idle", "queued", "running", "done", "stopped" or "failed"
    settings: TrainingSettings | None
    variants: tuple[VariantProgress, ...]
    current: str | None  # the label of the variant training now
    epoch: int  # 0-based epoch of the last reported batch
    batch: int  # 0-based batch (within its epoch) of the last reported batch
    batches_done: int  # over all variants
    elapsed: float
    stage: str = ""  # what the worker does now, before the first batch ("Starting TensorFlow…")
    position: int | None = None  # place in the server's queue while queued (1 = next)
    stop_reason: str | None = None
    error: str | None = None
    shared_with: int = 0  # other sessions watching the same run (at its end: how many watched it then)
    computed_at: float | None = None  # a replay: when (time.time()) the run was computed for an earlier request

    @property
    def running(self) -> bool:
        """True while the job is queued or trains."""
        return self.status in ("queued", "running")

    @property
    def fraction(self) -> float:
        """Share of the planned batches done, 0..1."""
        if self.settings is None or self.settings.planned_batches == 0:
            return 0.0
        return min(1.0, self.batches_done / self.settings.planned_batches)


@dataclass
class _Variant:
    label: str
    spec: ModelSpec
    batch_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    result: Any = None


class TrainingJob:
    """A session's training, run by the server's worker: `start(settings)`, `snapshot()`, `stop()`, `wait()`.

    One per session (kept in its session state). The worker calls `_on_event` from its dispatcher thread; the page
    reads `snapshot()` from its own thread: both go through one lock.
    """

    def __init__(self, worker: Any, session: str) -> None:
        self._worker = worker
        self._session = session
        self._lock = threading.Lock()
        self._job: Any = None
        self._run_id = 0
        self._settings: TrainingSettings | None = None
        self._variants: list[_Variant] = []
        self._current: str | None = None
        self._epoch = self._batch = self._batches_done = 0

    @property
    def running(self) -> bool:
        """True while the job is queued or trains."""
        job = self._job
        return job is not None and job.active

    @property
    def settings(self) -> TrainingSettings | None:
        """The settings of the current or last run."""
        return self._settings

    def start(self, settings: TrainingSettings, *, replay: bool = True) -> int:
        """Queue a training of `settings` in the worker (stopping this session's previous one); returns the run id.
        An equal training queued or running for another session is joined; a finished one is replayed (unless
        `replay` is False: then it runs again, or joins an equal run).

        Raises `core.keras.worker.SessionBusy` if another Keras job of this session (a probe) is queued or running.
        """
        if self.running:
            self.stop("A new training started.")
            self._job.wait(30)
        with self._lock:
            self._run_id += 1
            self._settings = settings
            self._variants = [_Variant(label, spec) for label, spec in settings.variants]
            self._current = None
            self._epoch = self._batch = self._batches_done = 0
            run_id = self._run_id
        self._job = audience_for(self._worker).join(
            self._session,
            Training(settings),
            listener=lambda event, run=run_id: self._on_event(run, event),
            replay=replay,
        )
        return run_id

    def stop(self, reason: str = "Stopped.") -> None:
        """Ask the worker to stop this training after its current batch (no effect when nothing runs)."""
        if self._job is not None:
            self._job.stop(reason)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the training ended (True) or the timeout passed."""
        return self._job is None or self._job.wait(timeout)

    def _on_event(self, run_id: int, event: tuple) -> None:
        with self._lock:
            if run_id != self._run_id:
                return
            if isinstance(event, VariantStarted):
                self._current = self._variants[event.variant].label
                self._epoch = self._batch = 0
            elif isinstance(event, Batch):
                self._variants[event.variant].batch_losses.append(float(event.loss))
                self._epoch, self._batch = event.epoch, event.batch
                self._batches_done += 1
            elif isinstance(event, EpochEnd):
                self._variants[event.variant].epoch_losses.append(float(event.loss))
            elif isinstance(event, VariantDone):
                self._variants[event.variant].result = event.result
            elif isinstance(event, End):
                self._current = None

    def snapshot(self) -> TrainingSnapshot:
        """An immutable copy of the progress, consistent across all its fields."""
        job = self._job
        if job is None:
            return TrainingSnapshot(0, "idle", None, (), None, 0, 0, 0, 0.0)
        others = job.others  # read outside this job's lock: the audience's lock is taken before it, never after
        with self._lock:
            status = job.status if job.status != "cancelled" else "stopped"
            return TrainingSnapshot(
                run_id=self._run_id,
                status=status,
                settings=self._settings,
                variants=tuple(
                    VariantProgress(v.label, v.spec, tuple(v.batch_losses), tuple(v.epoch_losses), v.result)
                    for v in self._variants
                ),
                current=self._current,
                epoch=self._epoch,
                batch=self._batch,
                batches_done=self._batches_done,
                elapsed=job.elapsed,
                stage=job.stage,
                position=job.position,
                stop_reason=job.stop_reason if status == "stopped" else None,
                error=job.error,
                shared_with=others,
                computed_at=job.computed_at,
            )
