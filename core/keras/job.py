"""A Keras job as the pages see it: its state, the events it streamed and its result (`Job`), what the worker did so
far (`WorkerStats`), and the refusal of a second job while a session's first is active (`SessionBusy`).

Written by the worker's dispatcher thread (core.keras.worker), read by the pages; TensorFlow-free.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from core.keras.protocol import End, Partial, Stage

FINAL = frozenset({"done", "stopped", "failed", "cancelled"})
EventListener = Callable[[tuple], None]


class SessionBusy(RuntimeError):
    """The session already has a job queued or running: one at a time per visitor keeps the queue fair."""

    def __init__(self, job: Job) -> None:
        self.job = job
        super().__init__(f"Your {job.label} is still {job.status}: wait for it to end, or stop it, first.")


@dataclass(frozen=True)
class WorkerStats:
    """What the worker did so far, for the README's measurements and the tests."""

    pid: int | None
    alive: bool
    processes_started: int
    jobs_done: int
    last_rss_mb: float | None
    last_peak_mb: float | None
    last_anon_mb: float | None
    last_peak_anon_mb: float | None = None


QUEUED = "Waiting for the TensorFlow worker…"  # a queued job's stage
# A queued job's stage while the worker replaces its child process between jobs (to give memory back): the job waits for
# that, not for another visitor's job, and its page says so.
RESTARTING = "Waiting for the TensorFlow worker to restart (it frees memory after a large job: a few seconds)…"


@dataclass
class Job:
    """One unit of Keras work for one session: its state, the events it streamed, and its result.

    Written by the dispatcher thread, read by the pages; every field is read and written under `_lock`.
    """

    id: int
    session: str
    request: Any  # a core.keras.requests.Request: what to run, and its own cache key
    priority: int
    listener: EventListener | None = None
    status: str = "queued"  # queued, running, done, stopped, failed, cancelled
    stage: str = QUEUED  # what the worker does for it now (while queued: what it waits for)
    result: Any = None
    error: str | None = None
    stop_reason: str | None = None
    position: int | None = None  # 1 = next; None when not queued
    turn: int = 0  # its session's turn among the waiting jobs of its priority (core.keras.fair_queue)
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    computed_at: float | None = None  # wall time (time.time()) its result was computed; earlier than now for a replay
    peak_mb: float | None = None  # the child's peak resident memory during this job
    peak_anon_mb: float | None = None  # the child's peak anonymous memory during this job (sampled every 50 ms)
    fresh_child: bool = False  # a new child process (TensorFlow's import) started for this job: not a fair timing
    longest_silence: float = 0.0  # the longest the child went without a message (heartbeat or event) in this job
    events: list[tuple] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _stop_requested: bool = False

    @property
    def label(self) -> str:
        """What the pages call this job ("training")."""
        return self.request.label

    @property
    def cache_key(self) -> Hashable | None:
        """The request, when the worker keeps its finished result and shares its run (`Request.kept`); else None."""
        return self.request if self.request.kept else None

    @property
    def active(self) -> bool:
        """True while queued or running."""
        return self.status not in FINAL

    @property
    def elapsed(self) -> float:
        """Seconds since the job started running (0 while queued)."""
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    def stop(self, reason: str = "Stopped.") -> None:
        """Ask for the job to stop: a queued job ends at once, a running one within one batch."""
        with self._lock:
            if self.status in FINAL or self._stop_requested:
                return
            self._stop_requested = True
            self.stop_reason = reason
            queued = self.status == "queued"
        if queued:  # never sent to the child: it ends now (the dispatcher skips finished jobs)
            self._finish("stopped")

    @property
    def stop_requested(self) -> bool:
        """True once `stop()` was called."""
        return self._stop_requested

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (True) or the timeout passed (False)."""
        return self._done.wait(timeout)

    def partial_results(self) -> dict[str, Any]:
        """The results the job has streamed so far as `Partial(key, value)` events (a handler's `context.emit`),
        key -> value: what a page can show before the job ends."""
        with self._lock:
            events = list(self.events)
        return {event.key: event.value for event in events if isinstance(event, Partial)}

    # -- the dispatcher's side ----------------------------------------------------------------------------
    def _deliver(self, event: tuple) -> None:
        with self._lock:
            self.events.append(event)
            if isinstance(event, Stage):
                self.stage = str(event.text)
        if self.listener is not None:
            self.listener(event)

    def _keep_late_result(self, result: Any) -> None:
        """What a stopped job's child sent after the server had already answered Stop (its partial results)."""
        with self._lock:
            if self.status == "stopped" and self.result is None:
                self.result = result

    def _finish(self, status: str, result: Any = None, error: str | None = None) -> None:
        with self._lock:
            if self.status in FINAL:
                return
            self.status = status
            self.result = result
            self.error = error
            self.position = None
            self.finished = time.monotonic()
            self.computed_at = self.computed_at or time.time()
            if status != "stopped" and status != "cancelled":
                self.stop_reason = None
        if self.listener is not None:
            self.listener(End(status))
        self._done.set()
