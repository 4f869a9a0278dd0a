"""One job's conversation with the TensorFlow child, from the dispatcher's side: send it, read what the child
streams, send a stop and answer it on time, and judge the child's silence (the watchdog) and the job's time limit.

A mixin of `core.keras.worker.KerasWorker`, kept apart because it is the part that talks to the child process, while
the worker module keeps the queue. TensorFlow-free.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from core.keras.job import FINAL, Job
from core.keras.protocol import Done, Event, Failed, MemoryExceeded, Ready, RunJob, StopJob, Stopping
from core.keras.worker_process import Child

STOP_ANSWER_SECONDS = 0.5  # a running job's Stop shows on the page within this (plus one poll of the page)


@dataclass
class _Watch:
    """What the dispatcher knows about the running job's child: when it was last heard, and the stop's progress."""

    heard: float
    began: float  # on the worker's `clock`: the job's time limit counts from here
    stop_sent: float | None = None
    acknowledged: bool = False
    liveness_checked: float = 0.0


class ChildConversation:
    """The dispatcher's side of running one job in the child. The worker provides the attributes and the child
    management these methods use (`liveness`, `stop_grace`, `watchdog_seconds`, `clock`, `_start_timeout`,
    `_last_memory`, `_abandoned`, `_ensure_child`, `_discard_child`)."""

    def _run(self, job: Job) -> None:
        with job._lock:
            if job.status in FINAL:  # stopped while it was being taken off the queue
                return
            job.status = "running"
            job.started = time.monotonic()
            job.position = None
        if self.liveness is not None and self._abandoned(job.session):
            job._finish("stopped")
            return
        try:
            child = self._ensure_child(job)
        except RuntimeError as error:
            job._finish("failed", error=str(error))
            return
        assert child.control is not None and child.events is not None
        try:
            child.control.send(RunJob(job.id, job.request))
        except (OSError, ValueError):
            job._finish("failed", error=f"The TensorFlow worker could not take the job: {child.exit_reason()}.")
            self._discard_child()
            return
        child.jobs += 1
        watch = _Watch(time.monotonic(), self.clock())
        while True:
            verdict = self._check(job, child, watch)
            if verdict is not None:
                self._discard_child()
                job._finish("stopped" if job.stop_requested else "failed", error=verdict)
                return
            try:
                ready = child.events.poll(0.05)
                message = child.events.recv() if ready else None
            except (EOFError, OSError):
                message = None
                ready = True
            if message is None:
                if ready or not child.alive():
                    reason = child.exit_reason()
                    self._discard_child()
                    job._finish(
                        "failed",
                        error=f"The TensorFlow worker stopped during this job: {reason}. Nothing else was lost; "
                        "the next request starts a new worker.",
                    )
                    return
                continue
            now = time.monotonic()
            job.longest_silence = max(job.longest_silence, now - watch.heard)
            watch.heard = now
            if self._take(job, child, watch, message):
                return

    def _check(self, job: Job, child: Child, watch: _Watch) -> str | None:
        """Between two reads of the child: send a requested stop, answer it on time, and judge the child's silence.
        Returns why the child must be killed now, or None."""
        now = time.monotonic()
        if job.stop_requested and watch.stop_sent is None:
            watch.stop_sent = now
            try:
                child.control.send(StopJob(job.id))
            except (OSError, ValueError):
                pass
        if watch.stop_sent is not None:
            if now - watch.stop_sent >= STOP_ANSWER_SECONDS:
                job._finish("stopped")  # the page shows Stop's answer now; the child may still be letting go
            if not watch.acknowledged and now - watch.stop_sent >= self.stop_grace:
                return "The TensorFlow worker did not answer the stop, so it was ended."
            if now - watch.stop_sent >= self.watchdog_seconds:
                return "The TensorFlow worker did not let go of a stopped job, so it was ended."
        limit = job.request.time_limit
        if child.ready and watch.stop_sent is None and self.clock() - watch.began >= limit:
            return (
                f"This job ran past the server's limit of {limit:g} s per job, so it was ended and the next visitor's "
                "job started; try a smaller model, fewer samples or fewer epochs."
            )
        limit = self.watchdog_seconds if child.ready else self._start_timeout
        if now - watch.heard >= limit:
            return (
                f"The TensorFlow worker stopped responding for {limit:g} s, so this job was ended and the worker "
                "restarted; nothing else was lost, and you can try again."
            )
        if self.liveness is not None and now - watch.liveness_checked >= 1.0 and watch.stop_sent is None:
            watch.liveness_checked = now
            reason = self._abandoned(job.session)
            if reason:
                job.stop(reason)
        return None

    def _take(self, job: Job, child: Child, watch: _Watch, message: object) -> bool:
        """Handle one message from the child (core.keras.protocol); True when the job has ended."""
        if isinstance(message, Ready):
            child.ready = True
            watch.began = self.clock()  # a fresh child's start (importing Keras) is not the job's time
            return False
        if getattr(message, "job_id", None) != job.id:  # a late word about an earlier job, or a heartbeat
            return False
        if isinstance(message, Stopping):
            watch.acknowledged = True
        elif isinstance(message, Event):
            job._deliver(message.event)
        elif isinstance(message, MemoryExceeded):
            self._discard_child()
            job._finish(
                "failed",
                error=f"This job needed more memory than this server can give (over {message.anon_mb:,.0f} MB in the "
                "TensorFlow worker), so it was ended before the server ran out; try a smaller model or fewer samples.",
            )
            return True
        elif isinstance(message, Done | Failed):
            self._last_memory = tuple(message.memory)
            job.peak_mb = message.memory.peak_rss
            job.peak_anon_mb = message.memory.peak_anon
            if isinstance(message, Done):
                job._finish("stopped" if message.stopped else "done", result=message.result)
                job._keep_late_result(message.result)
            else:
                job._finish("failed", error=message.error)
            return True
        return False
