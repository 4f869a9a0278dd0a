"""The messages between the server's dispatcher (core.keras.job_run) and the TensorFlow child (core.keras.worker_child).

Both sides import this module, so a message is read by its type and field names, never by position. The control
channel carries `RunJob`, `StopJob` and `Exit` down; the events channel carries everything else up. Each is a
NamedTuple: it pickles small, and a job's result or event travels inside it as it is. TensorFlow-free.
"""

from __future__ import annotations

from typing import Any, NamedTuple


# -- down: the server to the child ------------------------------------------------------------------------------------
class RunJob(NamedTuple):
    """Run `request` (a core.keras.requests.Request) as job `job_id`."""

    job_id: int
    request: Any


class StopJob(NamedTuple):
    """Stop job `job_id` after its current batch."""

    job_id: int


class Exit(NamedTuple):
    """Finish the current job, then exit."""


# -- up: the child to the server --------------------------------------------------------------------------------------
class Ready(NamedTuple):
    """Keras is imported: from now on the child's heartbeats count."""

    pid: int


class Stopping(NamedTuple):
    """The stop of job `job_id` arrived: the child is alive and letting go."""

    job_id: int


class Event(NamedTuple):
    """An event a handler streamed (`context.emit`): ("stage", text), ("batch", …), ("partial", key, value)…"""

    job_id: int
    event: tuple


class Beat(NamedTuple):
    """The child is alive during job `job_id`, with its resident and anonymous memory (MB)."""

    job_id: int
    rss_mb: float
    anon_mb: float


class MemoryExceeded(NamedTuple):
    """Job `job_id` passed the worker's memory guard at `anon_mb`: the child ends itself now."""

    job_id: int
    anon_mb: float


class Memory(NamedTuple):
    """The child's memory after a job (MB): resident now, peak resident, anonymous now, the job's peak anonymous."""

    rss: float
    peak_rss: float
    anon: float
    peak_anon: float


class Done(NamedTuple):
    """Job `job_id` returned `result` (`stopped`: it saw a stop request and returned what it had)."""

    job_id: int
    result: Any
    stopped: bool
    memory: Memory


class Failed(NamedTuple):
    """Job `job_id` raised: `error` is the exception's type and message."""

    job_id: int
    error: str
    memory: Memory
