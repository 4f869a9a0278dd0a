"""Requests and handlers the tests give the TensorFlow worker: gates that hold a job until the test releases it, so that
a test sees a job queued or running without depending on how fast the machine is.

Each request type registers its handler (`@handles`) when this module is imported: in the child, unpickling the
request imports it. A test request's `group`, `kept`, `label` and `time_limit` are fields, so one test can ask for a
training-priority hold, or one the worker keeps and shares."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.keras.protocol import Batch, Note, Partial
from core.keras.requests import Request, handles
from core.model.budget import JOB_TIME_LIMIT_SECONDS

HELD = Note("held")  # a handler's sign that it holds the worker now


@dataclass(frozen=True)
class TestRequest(Request):
    """A test's request: its class attributes as keyword fields (not shared by the worker unless `kept`)."""

    __test__ = False  # not a pytest test class
    group: str = field(default="probe", kw_only=True)
    kept: bool = field(default=False, kw_only=True)
    label: str = field(default="test job", kw_only=True)
    time_limit: float = field(default=JOB_TIME_LIMIT_SECONDS, kw_only=True)
    seconds: float | None = field(default=None, kw_only=True)  # the cost model's estimate the test pretends

    def estimate(self) -> float | None:
        return self.seconds


@dataclass(frozen=True)
class Hold(TestRequest):
    gate: str


@dataclass(frozen=True)
class HoldAndMark(TestRequest):
    started: str
    gate: str


@dataclass(frozen=True)
class Memory(TestRequest):
    field: str | None = None


@dataclass(frozen=True)
class TrainThenHold(TestRequest):
    settings: Any


@dataclass(frozen=True)
class LabThenHold(TestRequest):
    spec: Any


@dataclass(frozen=True)
class Crash(TestRequest):
    pass


@dataclass(frozen=True)
class Fail(TestRequest):
    pass


@dataclass(frozen=True)
class Allocate(TestRequest):
    total_mb: int


@dataclass(frozen=True)
class Keep(TestRequest):
    total_mb: int


@dataclass(frozen=True)
class IgnoreStops(TestRequest):
    pass


@handles(Hold)
def hold(request: Hold, context: Any) -> str:
    """Say "held", then wait until the file `gate` exists or a stop arrives."""
    return _hold(request.gate, context)


def _hold(gate: str, context: Any) -> str:
    context.emit(HELD)
    path = Path(gate)
    while not path.exists() and not context.should_stop():
        time.sleep(0.01)  # polling a gate, not measuring time: the outcome does not depend on this interval
    return "released" if path.exists() else "stopped"


class _HoldAfterFirstBatch:
    """A job context whose first batch event waits until the server's stop request has arrived."""

    def __init__(self, context: Any) -> None:
        self._context = context
        self.cache = context.cache
        self._batches = 0

    def emit(self, event: tuple) -> None:
        self._context.emit(event)
        if isinstance(event, Batch):
            self._batches += 1
            while self._batches == 1 and not self._context.should_stop():
                time.sleep(0.01)

    def stage(self, text: str) -> None:
        self._context.stage(text)

    def should_stop(self) -> bool:
        return self._context.should_stop()


class _HoldAtVerdict(_HoldAfterFirstBatch):
    """A job context that, once the lab's verdict (its "outputs" measurement) is out, waits for the server's stop."""

    def emit(self, event: tuple) -> None:
        self._context.emit(event)
        if isinstance(event, Partial) and event.key == "outputs":
            while not self._context.should_stop():
                time.sleep(0.01)


@handles(LabThenHold)
def lab_then_hold(request: LabThenHold, context: Any) -> dict:
    """The real Equivalence lab, held right after its verdict until the test asks it to stop."""
    from core.keras.jobs import equivalence_lab
    from core.keras.requests import EquivalenceLab

    return equivalence_lab(EquivalenceLab(request.spec, 1e-3), _HoldAtVerdict(context))


@handles(TrainThenHold)
def train_then_hold(request: TrainThenHold, context: Any) -> list:
    """The real training handler, held right after its first batch until the test asks it to stop."""
    from core.keras.jobs import train_settings
    from core.keras.requests import Training

    return train_settings(Training(request.settings), _HoldAfterFirstBatch(context))


@handles(Crash)
def crash(_: Crash, context: Any) -> None:
    """Kill the worker process the hard way, as a segfault in TensorFlow would. First write what coverage measured in
    this process: it may be a test process's shared worker, whose earlier jobs (other test files') would be lost."""
    import os
    import signal

    from core.keras.worker_child import save_coverage

    save_coverage()
    context.emit(HELD)
    os.kill(os.getpid(), signal.SIGSEGV)


@handles(Fail)
def fail(_: Fail, context: Any) -> None:
    """Raise, as a handler with a bug would."""
    raise ValueError("this handler always fails")


@handles(Memory)
def memory(request: Memory, context: Any) -> float:
    """The worker's resident memory now, in MB (`field` "RssAnon": its anonymous part)."""
    name = (request.field or "VmRSS") + ":"
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name):
            return float(line.split()[1]) / 1024
    return 0.0


@handles(HoldAndMark)
def hold_and_mark(request: HoldAndMark, context: Any) -> str:
    """`hold` on `gate`, after writing a line to `started`: a sign another process (a test) can see, or wait for
    when `started` is a named pipe it reads."""
    with open(request.started, "a") as started:
        started.write("started\n")
    return _hold(request.gate, context)


@handles(Allocate)
def allocate(request: Allocate, context: Any) -> str:
    """Say "allocating", then fill `total_mb` MB, 10 MB at a time, and keep it: a job whose memory keeps growing.
    The worker's memory guard must end it; if it does not, the job never ends (and the test fails)."""
    context.emit(Note("allocating"))
    # bytearray writes its zeros: the pages are resident
    kept = [bytearray(10 * 2**20) for _ in range(request.total_mb // 10)]
    while kept:
        time.sleep(0.01)  # waiting to be ended, not measuring time
    return "never"


_KEPT: list[bytearray] = []


@handles(Keep)
def keep(request: Keep, context: Any) -> int:
    """Allocate `total_mb` MB and keep it after the job (as a model cache would): the child's memory stays up."""
    _KEPT.append(bytearray(request.total_mb * 2**20))
    return len(_KEPT)


@handles(IgnoreStops)
def ignore_stops(_: IgnoreStops, context: Any) -> str:
    """Say "held", then never end (a job stuck in one long call): the process stays alive and keeps beating."""
    context.emit(HELD)
    while True:
        time.sleep(0.01)
