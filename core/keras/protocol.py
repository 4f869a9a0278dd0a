"""The messages between the server's dispatcher (core.keras.job_run) and the TensorFlow child (core.keras.worker_child),
and the events a job streams to the pages.

Both sides import this module, so a message is read by its type and field names, never by position. The control
channel carries `RunJob`, `StopJob` and `Exit` down; the events channel carries everything else up. Each is a
NamedTuple: it pickles small, and a job's result travels inside it as it is. A job's own events (`Stage`, `Partial`,
the training's `VariantStarted`, `Batch`, `EpochEnd`, `VariantDone`, a test's `Note`) travel inside `Event`; the
worker adds `End` when the job ends. TensorFlow-free.
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
    """An event a handler streamed (`context.emit`): one of the job events below."""

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


# -- a job's events: what a handler streams (`context.emit`), in order, to the job's listener and the pages ------------
class Stage(NamedTuple):
    """What the job does now ("Tracing…"), for the page's status line."""

    text: str


class Partial(NamedTuple):
    """One measurement of the job, ready before the job ends (the Equivalence lab's verdict first)."""

    key: str
    value: Any


class VariantStarted(NamedTuple):
    """A training's model number `variant` (0-based, in the settings' order) starts."""

    variant: int


class Batch(NamedTuple):
    """A training's batch ended with its loss (`epoch` and `batch` 0-based)."""

    variant: int
    epoch: int
    batch: int
    loss: float


class EpochEnd(NamedTuple):
    """A training's epoch ended with its mean loss."""

    variant: int
    epoch: int
    loss: float


class VariantDone(NamedTuple):
    """A training's model finished (or stopped): its `core.keras.training.TrainingResult`."""

    variant: int
    result: Any


class Note(NamedTuple):
    """A named sign with no data (the tests' handlers say "held" when they hold the worker)."""

    name: str


class End(NamedTuple):
    """The job ended with `status` ("done", "stopped", "failed" or "cancelled"): the last event a listener gets."""

    status: str
