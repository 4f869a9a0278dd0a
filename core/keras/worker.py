"""One TensorFlow worker process for the whole server: every Keras job of every session goes through it.

Why a process: Streamlit resets Keras's global session (`keras.backend`) after every script run of any session once
Keras is in `sys.modules`, and a training thread in the server then crashes or crawls; Keras in a thread of the
server also fights the server's threads for the GIL. Here the server never imports TensorFlow; this module is
TensorFlow-free.

The shape of it:
- `KerasWorker.submit(session, request)` queues a `Job` (core.keras.job) for a typed request (core.keras.requests:
  its type picks the child's handler, its `group` the priority, and it is its own cache key); a dispatcher thread
  (started on demand) feeds the child process one job at a time (on a 1-2 core host two jobs at once would each run
  at half speed and need twice the memory; TensorFlow already uses both cores for one). Interactive probes go before
  trainings, speculative warm-ups last; among equal priorities sessions take turns (core.keras.fair_queue); a session
  has at most one exclusive job queued or running. Identical requests share one job (core.keras.audience).
- The child (`core.keras.worker_child`, started on demand with `python -m`) streams events back (`Job.events`, and the
  job's listener); `Job.stop()` reaches it at once over a control channel and the job honours it within one batch.
- The child shuts down after `idle_seconds` without work, and is recycled between jobs after `max_jobs` jobs or
  when its anonymous memory stayed above `rss_limit_mb`, so memory comes back. If it dies mid-job, that job fails
  with a plain reason and the next job starts a new child.
- A watchdog: while a job runs the child beats every second; a child silent for `watchdog_seconds` (a stopped or
  hung process) is killed, its job failed with a plain sentence, and the next job gets a new child. During a job
  the child also guards its own memory (`memory_limit_mb`, see core/model/budget.py): above it, it reports and ends
  itself before the container's out-of-memory killer would. A job that holds the worker past its request's
  `time_limit` (core.model.budget.JOB_TIME_LIMIT_SECONDS), even while its child still beats, is failed the same way.
- Stop answers at once (core.keras.job_run, the dispatcher's conversation with the child): a running job is
  "stopped" from the server's view within `STOP_ANSWER_SECONDS` of the request, whatever the child does; a child
  that has not even acknowledged the stop within `stop_grace` is killed.
- Abandonment comes from the session's own liveness (`liveness(session) -> bool | None`, the browser connection),
  never from poll timing: a job whose session has been disconnected for `disconnect_grace` seconds is stopped.

Example:
    >>> worker = KerasWorker()
    >>> job = worker.submit("session-1", Summary(ModelSpec()))
    >>> job.wait(120) and job.status
    'done'
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from core.keras.fair_queue import order_key, turn
from core.keras.job import QUEUED, RESTARTING, EventListener, Job, SessionBusy, WorkerStats
from core.keras.job_run import ChildConversation
from core.keras.protocol import Stage
from core.keras.requests import Request
from core.keras.worker_process import Child
from core.model.budget import WORKER_MEMORY_LIMIT_MB, WORKER_RECYCLE_MB, SpeedCalibration

# Lower runs first. Probes answer a click in seconds; a training may take a minute; a warm-up is only speculative; the
# server's own warming of its cache at start (core.keras.prewarm) runs only when nothing else waits, and gives way.
PRIORITY = {"probe": 0, "train": 1, "warmup": 2, "idle": 3}
IDLE_SESSION = "server:prewarm"
WARM_UPS_WAITING = 2  # speculative jobs waiting server-wide: the newest are the likeliest to be clicked
WARM_KEYS_KEPT = 3  # trainings warmed that the child's model cache (6 models, up to 3 per training) still holds
Liveness = Callable[[str], "bool | None"]


def _queue_order(job: Job) -> tuple[int, int, int]:
    """Priority, then the session's turn, then arrival (core.keras.fair_queue)."""
    return order_key(job.priority, job.turn, job.id)


class KerasWorker(ChildConversation):
    """The server-wide queue in front of one TensorFlow child process (see the module docstring).

    Args:
        idle_seconds: shut the child down after this long without a job (its memory goes back to the OS).
        max_jobs: recycle the child after this many jobs.
        rss_limit_mb: recycle the child after a job that left its anonymous resident memory (RssAnon: what the
            container cannot reclaim) above this (core.model.budget.WORKER_RECYCLE_MB).
        memory_limit_mb: the child ends a job whose anonymous memory passes this, before the container would
            (core.model.budget.WORKER_MEMORY_LIMIT_MB); None for no guard.
        watchdog_seconds: a job whose child sends nothing (no heartbeat, no event) for this long is failed and the
            child replaced (TDE_WORKER_WATCHDOG_SECONDS, default 30: the largest allowed training and lab went at
            most 3.4 s without a message on a host loaded ten times over its two cores; a fresh child gets
            `start_timeout` to import Keras first).
        stop_grace: a stopped job's child that has not acknowledged the stop within this is killed.
        preload: the child imports Keras before its first job (False: on first use; for tests of the machinery).
        liveness: `liveness(session)` is True while the session's browser is connected, False once it is not, None
            when unknown (then the job is never abandoned).
        disconnect_grace: seconds a session may stay disconnected (a reconnecting tab) before its job is stopped.
        result_cache: finished results of `kept` requests, shared by all sessions (deterministic probes).
        clock: what a job's time limit is measured on (time.monotonic; a test's own clock).
        calibrate: time each job against the cost model, so that the pages' estimates are this server's
            (TDE_CALIBRATE=0: not; the tests' shared worker, whose timings would make the pages' text depend on the
            order the tests ran in).
    """

    def __init__(
        self,
        idle_seconds: float = float(os.environ.get("TDE_WORKER_IDLE_SECONDS", 600)),
        max_jobs: int = 100,
        rss_limit_mb: float = float(os.environ.get("TDE_WORKER_RSS_LIMIT_MB", WORKER_RECYCLE_MB)),
        liveness: Liveness | None = None,
        disconnect_grace: float = 20.0,
        result_cache: int = 64,
        start_timeout: float = 120.0,
        memory_limit_mb: float | None = float(os.environ.get("TDE_WORKER_MEMORY_LIMIT_MB", WORKER_MEMORY_LIMIT_MB)),
        watchdog_seconds: float = float(os.environ.get("TDE_WORKER_WATCHDOG_SECONDS", 30)),
        stop_grace: float = 2.0,
        preload: bool = True,
        clock: Callable[[], float] = time.monotonic,
        calibrate: bool = os.environ.get("TDE_CALIBRATE", "1") != "0",
    ) -> None:
        self.clock = clock
        self.calibration = SpeedCalibration()  # this server's measured speed, for the estimates the pages show
        self.calibrate = calibrate
        self.idle_seconds = idle_seconds
        self.max_jobs = max_jobs
        self.rss_limit_mb = rss_limit_mb
        self.watchdog_seconds = watchdog_seconds
        self.stop_grace = stop_grace
        self._child_settings = {
            "TDE_WORKER_BEAT_SECONDS": f"{min(1.0, watchdog_seconds / 4):g}",
            "TDE_WORKER_PRELOAD": "1" if preload else "0",
        }
        if memory_limit_mb is not None:
            self._child_settings["TDE_WORKER_MEMORY_LIMIT_MB"] = f"{memory_limit_mb:g}"
        self.liveness = liveness
        self.disconnect_grace = disconnect_grace
        self._start_timeout = start_timeout
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._queue: list[Job] = []
        self._running: Job | None = None
        self._by_session: dict[str, Job] = {}
        self._warmups: dict[str, tuple[Hashable, Job]] = {}
        self._warm_keys: OrderedDict[Hashable, None] = OrderedDict()
        self._results: OrderedDict[Hashable, Job] = OrderedDict()
        self._result_cache = result_cache
        self._disconnected_since: dict[str, float] = {}
        self._child: Child | None = None
        self._restarting = False  # the dispatcher is replacing the child between jobs
        self._thread: threading.Thread | None = None
        self._closed = False
        self._processes_started = 0
        self._jobs_done = 0
        self._last_memory: tuple[float, ...] | None = None

    # -- the pages' side ----------------------------------------------------------------------------------
    def submit(
        self, session: str, request: Request, *, listener: EventListener | None = None, exclusive: bool = True
    ) -> Job:
        """Queue a job; returns at once. Raises `SessionBusy` if the session has a job queued or running.

        A job that is not `exclusive` (a short, shared probe the page shows on its own) neither needs nor takes the
        session's one slot, so it never keeps the visitor from pressing Train.

        For a `kept` request (core.keras.requests), a finished result of an equal request (a probe's, or a warm-up's)
        is returned as an already finished job, and an equal job already queued or running (a warm-up) is shared
        rather than run twice; a queued warm-up then moves up to the request's priority.
        """
        priority = PRIORITY[request.group]
        with self._cond:
            if request.kept:
                if request in self._results:
                    self._results.move_to_end(request)
                    cached = self._results[request]
                    job = Job(next(self._ids), session, request, priority, listener, computed_at=cached.computed_at)
                    job._finish(cached.status, cached.result, cached.error)
                    return job
                for pending in [self._running, *self._queue]:
                    if pending is not None and pending.cache_key == request and not pending.stop_requested:
                        if pending.priority > priority:
                            others = [j for j in self._queue if j is not pending]
                            pending.priority = priority
                            pending.turn = self._turn(others, pending.session, pending.priority)
                            self._queue.sort(key=_queue_order)
                            self._renumber()
                        return pending
            current = self._by_session.get(session)
            if exclusive and current is not None and current.active:
                raise SessionBusy(current)
            job = Job(next(self._ids), session, request, priority, listener)
            if exclusive:
                self._by_session[session] = job
            self._drop_warmup(session)
            self._enqueue(job)
            return job

    def warm_up(self, session: str, request: Request) -> None:
        """Speculatively run a cheap job (build and trace, or a probe a click will ask for) that a later click will
        need; a no-op if it was warmed already. A session has at most one warm-up waiting: a newer one replaces it."""
        key = request
        with self._cond:
            if key in self._warm_keys:
                return
            waiting = self._warmups.get(session)
            if waiting is not None and waiting[0] == key:
                return
            self._drop_warmup(session)
            if key in self._results or any(j is not None and j.request == key for j in [self._running, *self._queue]):
                return
            job = Job(next(self._ids), session, request, PRIORITY["warmup"])
            self._warmups[session] = (key, job)
            # Speculation must never pile up on a busy server (many visitors opening pages): drop the oldest.
            waiting = [j for j in self._queue if j.priority == PRIORITY["warmup"]]
            for old in waiting[: max(0, len(waiting) + 1 - WARM_UPS_WAITING)]:
                self._drop_warmup(old.session)
            self._enqueue(job)

    def prewarm(self, request: Request, listener: EventListener | None = None) -> Job | None:
        """Run a `kept` request at idle priority, so that its result waits in the cache for the first visitor who asks
        (a story's lab, a preset's summary). It never delays a visitor: it runs only when nothing else waits, and a
        visitor's job queued while it runs stops it (the page sees that within `STOP_ANSWER_SECONDS`). None when the
        result is kept already or an equal job is queued or running. `listener` gets its events, as `submit`'s does."""
        with self._cond:
            if self._closed or not request.kept or request in self._results:
                return None
            if any(j is not None and j.request == request for j in [self._running, *self._queue]):
                return None
            job = Job(next(self._ids), IDLE_SESSION, request, PRIORITY["idle"], listener)
            self._enqueue(job)
            return job

    def kept_at(self, request: Request) -> float | None:
        """When (time.time()) the kept result of an equal request was computed, if the worker holds one."""
        with self._cond:
            kept = self._results.get(request) if request.kept else None
            return kept.computed_at if kept is not None and kept.status == "done" else None

    def active_job(self, session: str) -> Job | None:
        """The session's job that is queued or running, if any."""
        with self._cond:
            job = self._by_session.get(session)
            return job if job is not None and job.active else None

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running (True), or the timeout passed (False): for tests and benchmarks."""
        with self._cond:
            return self._cond.wait_for(self._idle, timeout)

    def _idle(self) -> bool:
        """Nothing runs and nothing waits that will run (a stopped job may still sit in the queue until skipped)."""
        return self._running is None and not any(job.active for job in self._queue)

    def wait_until_child_gone(self, timeout: float | None = None) -> bool:
        """Block until no child process is running (True), or the timeout passed: the idle exit, for the tests."""
        with self._cond:
            return self._cond.wait_for(lambda: self._child is None, timeout)

    def stats(self) -> WorkerStats:
        """Process id, liveness and memory of the child as last measured."""
        with self._cond:
            child = self._child
            memory = self._last_memory
            return WorkerStats(
                pid=child.pid if child else None,
                alive=bool(child and child.alive()),
                processes_started=self._processes_started,
                jobs_done=self._jobs_done,
                last_rss_mb=memory[0] if memory else None,
                last_peak_mb=memory[1] if memory else None,
                last_anon_mb=memory[2] if memory else None,
                last_peak_anon_mb=memory[3] if memory and len(memory) > 3 else None,
            )

    def shutdown(self) -> None:
        """Stop the dispatcher and the child (the tests' and the benchmarks' clean exit)."""
        with self._cond:
            self._closed = True
            for job in self._queue:
                job._finish("cancelled", error="The server is shutting down.")
            self._queue.clear()
            if self._running is not None:
                self._running.stop("The server is shutting down.")
            self._cond.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(30)
        if self._child is not None:
            self._child.close()
            self._child = None

    def kill_child(self) -> None:
        """Kill the child process at once (what an out-of-memory killer would do; used by the tests)."""
        child = self._child
        if child is not None:
            child.process.kill()

    # -- queue ------------------------------------------------------------------------------------------
    def _enqueue(self, job: Job) -> None:
        # Round robin by session among equal priorities: a late visitor goes before an early one's second job.
        job.turn = self._turn(self._queue, job.session, job.priority)
        running = self._running
        if running is not None and running.priority == PRIORITY["idle"] and job.priority < PRIORITY["idle"]:
            running.stop("A visitor's job came first.")  # the server's own warming gives way at once
        self._queue.append(job)
        self._queue.sort(key=_queue_order)
        self._renumber()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._dispatch, name="keras-worker-dispatcher", daemon=True)
            self._thread.start()
        self._cond.notify_all()

    @staticmethod
    def _turn(waiting: list[Job], session: str, priority: int) -> int:
        return turn(waiting, session, priority, session=lambda j: j.session, priority=lambda j: j.priority)

    def _renumber(self) -> None:
        """Each queued job's place (1 = next) and what it waits for: the jobs ahead, or the child's replacement."""
        ahead = 1 if self._running is not None else 0
        for index, job in enumerate(self._queue):
            with job._lock:
                job.position = ahead + index + 1 if job.priority < PRIORITY["warmup"] else None
                job.stage = RESTARTING if self._restarting else QUEUED

    def _drop_warmup(self, session: str) -> None:
        waiting = self._warmups.pop(session, None)
        if waiting is not None and waiting[1] in self._queue:
            self._queue.remove(waiting[1])
            waiting[1]._finish("cancelled")

    def _next_job(self) -> Job | None:
        """Wait for the next job; shut the idle child down meanwhile. None when the worker is closed."""
        with self._cond:
            while True:
                self._sweep_queue()
                if self._closed:
                    return None
                if self._queue:
                    job = self._queue.pop(0)
                    if job.stop_requested or not job.active:
                        job._finish("stopped")
                        self._cond.notify_all()
                        continue
                    self._running = job
                    if self._warmups.get(job.session, (None, None))[1] is job:
                        del self._warmups[job.session]
                    self._renumber()
                    return job
                idle_child = self._child is not None
                self._cond.wait(timeout=1.0 if self.liveness else (self.idle_seconds if idle_child else None))
                if self._child is not None and time.monotonic() - self._last_end >= self.idle_seconds:
                    self._child.close()
                    self._child = None
                    self._cond.notify_all()

    def _sweep_queue(self) -> None:
        """Finish queued jobs that were stopped, or whose session is gone."""
        for job in list(self._queue):
            reason = self._abandoned(job.session)
            if job.stop_requested or reason:
                self._queue.remove(job)
                job.stop_reason = job.stop_reason or reason
                job._finish("stopped")
                self._cond.notify_all()
        self._renumber()

    def _abandoned(self, session: str) -> str | None:
        """Why the session counts as gone (its browser disconnected for longer than the grace), or None. The server's
        own warming has no browser and is never abandoned."""
        if self.liveness is None or session == IDLE_SESSION:
            return None
        alive = self.liveness(session)
        now = time.monotonic()
        if alive is None or alive:
            self._disconnected_since.pop(session, None)
            return None
        since = self._disconnected_since.setdefault(session, now)
        if now - since >= self.disconnect_grace:
            return f"The browser tab was closed or lost its connection for {self.disconnect_grace:g} s."
        return None

    # -- the dispatcher thread ----------------------------------------------------------------------------
    _last_end: float = 0.0

    def _dispatch(self) -> None:
        self._last_end = time.monotonic()
        while True:
            job = self._next_job()
            if job is None:
                return
            try:
                self._run(job)
            except Exception as error:  # noqa: BLE001 - the dispatcher must outlive any one job
                job._finish("failed", error=f"The TensorFlow worker failed: {error}")
                self._discard_child()
            with self._cond:
                self._running = None
                self._jobs_done += 1
                self._last_end = time.monotonic()
                if job.status == "done":
                    self._time(job)
                    if job.priority == PRIORITY["warmup"]:
                        # What a warm-up traced lives in the child's model cache (a few models): remember as many.
                        self._warm_keys[job.request] = None
                        while len(self._warm_keys) > WARM_KEYS_KEPT:
                            self._warm_keys.popitem(last=False)
                    if job.request.kept:
                        self._results[job.request] = job
                        while len(self._results) > self._result_cache:
                            self._results.popitem(last=False)
                self._renumber()
                self._cond.notify_all()
            self._maybe_recycle(warmed=job.priority == PRIORITY["warmup"] and job.status == "done")

    def _time(self, job: Job) -> None:
        """Record how long a finished job took against the cost model's estimate (this server's speed), unless its time
        includes starting TensorFlow."""
        estimate = job.request.estimate()
        if self.calibrate and estimate is not None and not job.fresh_child and job.started is not None:
            self.calibration.record(type(job.request).__name__, estimate, job.elapsed)

    def _ensure_child(self, job: Job) -> Child:
        if self._child is not None and self._child.alive():
            return self._child
        self._discard_child()
        job._deliver(Stage("Starting TensorFlow (a few seconds, once)…"))
        child = Child(self._start_timeout, self._child_settings)
        job.fresh_child = True
        with self._cond:
            self._child = child
            self._processes_started += 1
            self._warm_keys.clear()  # a new process has traced nothing yet
        return child

    def _discard_child(self) -> None:
        child = self._child
        self._child = None
        if child is not None:
            child.kill()

    def _maybe_recycle(self, warmed: bool = False) -> None:
        """Replace the child after `max_jobs` jobs, or when a job left its anonymous memory above `rss_limit_mb`
        (checked after the job: a warm-up's memory is the traced model the next click reuses, so it stays)."""
        child = self._child
        if child is None:
            return
        if not child.alive():
            self._discard_child()
            return
        anon = self._last_memory[2] if self._last_memory else 0.0
        if child.jobs >= self.max_jobs or (anon > self.rss_limit_mb and not warmed):
            self._set_restarting(True)  # a job queued meanwhile waits for this, and its page says so (issue 25)
            try:
                self._replace(child)
            finally:
                self._set_restarting(False)

    def _replace(self, child: Child) -> None:
        """End `child`, then start its replacement now, between jobs, so that the next click does not wait for
        TensorFlow's start (an idle replacement still leaves after idle_seconds)."""
        child.close()
        with self._cond:
            self._child = None
            self._warm_keys.clear()
        try:
            fresh = Child(self._start_timeout, self._child_settings)
        except RuntimeError:
            return
        with self._cond:
            self._child = fresh
            self._processes_started += 1

    def _set_restarting(self, restarting: bool) -> None:
        with self._cond:
            self._restarting = restarting
            self._renumber()


_shared: KerasWorker | None = None
_shared_lock = threading.Lock()


def shared_worker(liveness: Liveness | None = None) -> KerasWorker:
    """The process-wide worker (one per server), created on first use; `liveness` is set on the first call."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = KerasWorker(liveness=liveness)
        elif liveness is not None and _shared.liveness is None:
            _shared.liveness = liveness
        return _shared
