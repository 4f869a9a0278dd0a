"""Handlers the tests give the TensorFlow worker ("tests.worker_handlers:NAME"): gates that hold a job until the test
releases it, so that a test sees a job queued or running without depending on how fast the machine is."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def hold(gate: str, context: Any) -> str:
    """Say "held", then wait until the file `gate` exists or a stop arrives."""
    context.emit("held")
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

    def emit(self, *event: Any) -> None:
        self._context.emit(*event)
        if event[0] == "batch":
            self._batches += 1
            while self._batches == 1 and not self._context.should_stop():
                time.sleep(0.01)

    def stage(self, text: str) -> None:
        self._context.stage(text)

    def should_stop(self) -> bool:
        return self._context.should_stop()


def train_then_hold(settings: Any, context: Any) -> list:
    """The real training handler, held right after its first batch until the test asks it to stop."""
    from core.keras.jobs import train_settings

    return train_settings(settings, _HoldAfterFirstBatch(context))


def crash(_: Any, context: Any) -> None:
    """Kill the worker process the hard way, as a segfault in TensorFlow would. First write what coverage measured in
    this process: it may be a test process's shared worker, whose earlier jobs (other test files') would be lost."""
    import os
    import signal

    from core.keras.worker_child import save_coverage

    save_coverage()
    context.emit("held")
    os.kill(os.getpid(), signal.SIGSEGV)


def fail(_: Any, context: Any) -> None:
    """Raise, as a handler with a bug would."""
    raise ValueError("this handler always fails")


def memory(field: Any, context: Any) -> float:
    """The worker's resident memory now, in MB (`field` "RssAnon": its anonymous part)."""
    name = (field or "VmRSS") + ":"
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name):
            return float(line.split()[1]) / 1024
    return 0.0


def hold_and_mark(paths: tuple[str, str], context: Any) -> str:
    """`hold` on `paths[1]`, after creating the file `paths[0]`: a sign another process (a test) can see."""
    Path(paths[0]).touch()
    return hold(paths[1], context)


def allocate(total_mb: int, context: Any) -> str:
    """Say "allocating", then fill `total_mb` MB, 10 MB at a time, and keep it: a job whose memory keeps growing.
    The worker's memory guard must end it; if it does not, the job never ends (and the test fails)."""
    context.emit("allocating")
    kept = [bytearray(10 * 2**20) for _ in range(total_mb // 10)]  # bytearray writes its zeros: pages are resident
    while kept:
        time.sleep(0.01)  # waiting to be ended, not measuring time
    return "never"


_KEPT: list[bytearray] = []


def keep(total_mb: int, context: Any) -> int:
    """Allocate `total_mb` MB and keep it after the job (as a model cache would): the child's memory stays up."""
    _KEPT.append(bytearray(total_mb * 2**20))
    return len(_KEPT)


def ignore_stops(_: Any, context: Any) -> str:
    """Say "held", then never end (a job stuck in one long call): the process stays alive and keeps beating."""
    context.emit("held")
    while True:
        time.sleep(0.01)
