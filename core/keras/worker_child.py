"""The TensorFlow worker process: `python -m core.keras.worker_child`, started and fed by
`core.keras.worker.KerasWorker`.

It connects back to the server over two Unix-socket channels (authenticated with a per-process key), imports Keras
once, then runs jobs one at a time. A reader thread takes jobs and stop requests off the control channel, so a stop
arrives while `fit()` runs; the main thread runs the job and streams its events up the events channel.
"""

from __future__ import annotations

import importlib
import os
import queue
import sys
import threading
import traceback
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any


class JobContext:
    """What a handler gets besides its payload: `emit` events, `stage` labels, `should_stop()`, the model cache."""

    def __init__(self, job_id: int, events: Connection, stops: set[int], cache: Any) -> None:
        self.job_id = job_id
        self._events = events
        self._stops = stops
        self.cache = cache
        self.stop_seen = False

    def emit(self, *event: Any) -> None:
        """Send one event to the server (delivered to the job's listener)."""
        self._events.send(("event", self.job_id, event))

    def stage(self, text: str) -> None:
        """Say what the job does now ("Tracing…"), for the page's progress line."""
        self.emit("stage", text)

    def should_stop(self) -> bool:
        """True once the server asked this job to stop."""
        if self.job_id in self._stops:
            self.stop_seen = True
        return self.stop_seen


def _memory() -> tuple[float, float, float]:
    """(resident MB now, peak resident MB since the last reset, anonymous MB now)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    kb = lambda name: float(fields.get(name, "0 kB").split()[0]) / 1024  # noqa: E731
    return kb("VmRSS"), kb("VmHWM"), kb("RssAnon")


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS mark so that each job reports its own peak (Linux 4.0+; ignored elsewhere)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _handler(kind: str) -> Any:
    if ":" in kind:  # "module:function": test and extension handlers
        module, _, name = kind.partition(":")
        return getattr(importlib.import_module(module), name)
    from core.keras.jobs import HANDLERS  # noqa: PLC0415

    return HANDLERS[kind]


def save_coverage() -> None:
    """When the test suite measures coverage in this process, write it out: os._exit skips coverage's own exit hook,
    and a test's deliberate crash (tests/worker_handlers.py) would lose it too."""
    coverage = sys.modules.get("coverage")
    current = coverage.Coverage.current() if coverage is not None else None
    if current is not None:
        current.stop()
        current.save()


def main() -> None:
    """Connect, import Keras, then serve jobs until told to exit or the server goes away."""
    address = os.environ["TDE_WORKER_ADDRESS"]
    key = bytes.fromhex(os.environ["TDE_WORKER_KEY"])
    control = Client(address, family="AF_UNIX", authkey=key)
    events = Client(address, family="AF_UNIX", authkey=key)
    jobs: queue.Queue = queue.Queue()
    stops: set[int] = set()

    def read_control() -> None:
        while True:
            try:
                message = control.recv()
            except (EOFError, OSError):
                jobs.put(None)
                return
            if message[0] == "stop":
                stops.add(message[1])
            elif message[0] == "exit":
                jobs.put(None)
                return
            else:
                jobs.put(message)

    threading.Thread(target=read_control, name="control", daemon=True).start()
    # The web server must stay responsive while a job runs: on a 1-2 core host the worker takes what CPU is left.
    # Nice 19, not 10: with three visitors training, another visitor's redraw took 1.8x its idle time at nice 10 and
    # 1.4x at 19 (bench/redraw.py); an epoch on an otherwise idle host is as fast at either.
    try:
        os.nice(int(os.environ.get("TDE_WORKER_NICE", "19")))
    except (AttributeError, OSError):
        pass

    from core.keras.env import load_keras, release_free_memory  # noqa: PLC0415

    load_keras()
    from core.keras.training import ModelCache  # noqa: PLC0415

    cache = ModelCache(max_models=6)
    events.send(("ready", os.getpid()))
    while True:
        message = jobs.get()
        if message is None:
            break
        _, job_id, kind, payload = message
        _reset_peak()
        context = JobContext(job_id, events, stops, cache)
        try:
            result = _handler(kind)(payload, context)
            reply = ("done", job_id, result, context.stop_seen)
        except Exception as error:  # noqa: BLE001 - report every failure to the server, then keep serving
            traceback.print_exc()
            reply = ("error", job_id, f"{type(error).__name__}: {error}", False)
        release_free_memory()
        events.send((*reply, _memory()))
        stops.discard(job_id)
    save_coverage()
    os._exit(0)  # skip TensorFlow's slow and sometimes noisy interpreter teardown


if __name__ == "__main__":
    main()
