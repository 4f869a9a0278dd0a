"""The TensorFlow worker process: `python -m core.keras.worker_child`, started and fed by
`core.keras.worker.KerasWorker`.

It connects back to the server over two Unix-socket channels (authenticated with a per-process key), imports Keras
once, then runs jobs one at a time. A reader thread takes jobs and stop requests off the control channel, so a stop
arrives while `fit()` runs (and is acknowledged at once with `Stopping`); the main thread runs the job and
streams its events up the events channel. The messages are core.keras.protocol's named tuples.

While a job runs, a pulse thread (`Pulse`) sends a `Beat` every `TDE_WORKER_BEAT_SECONDS`
(the server's watchdog fails a job whose child falls silent) and samples the process's anonymous memory every 50 ms:
above `TDE_WORKER_MEMORY_LIMIT_MB` it reports `MemoryExceeded` and kills the process, before the
container's out-of-memory killer would (which would take the job without a word, and perhaps the server).
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any

from core.keras.protocol import (
    Beat,
    Done,
    Event,
    Exit,
    Failed,
    Memory,
    MemoryExceeded,
    Ready,
    RunJob,
    Stage,
    StopJob,
    Stopping,
)

SAMPLE_SECONDS = 0.05  # memory sampling while a job runs: a training's batches allocate tens of MB at a time


class Channel:
    """The events connection, shared by the job's thread, the control reader and the pulse: one message at a time."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()

    def send(self, message: Any) -> None:
        """Send one message whole (two threads writing at once would interleave their bytes)."""
        with self._lock:
            self._connection.send(message)


class JobContext:
    """What a handler gets besides its request: `emit` events, `stage` labels, `should_stop()`, the model cache."""

    def __init__(self, job_id: int, events: Channel, stops: set[int], cache: Any) -> None:
        self.job_id = job_id
        self._events = events
        self._stops = stops
        self.cache = cache
        self.stop_seen = False

    def emit(self, event: tuple) -> None:
        """Send one event (a job event of core.keras.protocol) to the server, delivered to the job's listener."""
        self._events.send(Event(self.job_id, event))

    def stage(self, text: str) -> None:
        """Say what the job does now ("Tracing…"), for the page's progress line."""
        self.emit(Stage(text))

    def should_stop(self) -> bool:
        """True once the server asked this job to stop."""
        if self.job_id in self._stops:
            self.stop_seen = True
        return self.stop_seen


def _memory() -> tuple[float, float, float]:
    """(resident MB now, peak resident MB since the last reset, anonymous MB now); a job's reply adds its peak
    anonymous MB as sampled by the pulse."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    kb = lambda name: float(fields.get(name, "0 kB").split()[0]) / 1024  # noqa: E731
    return kb("VmRSS"), kb("VmHWM"), kb("RssAnon")


def _anon_mb() -> float:
    """Anonymous resident memory now, in MB: what the container cannot reclaim (file pages it can re-read)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"RssAnon:"):
                    return float(line.split()[1]) / 1024
    except OSError:  # not Linux: no guard, the kernel's limits apply
        pass
    return 0.0


class Pulse:
    """The job's heartbeat and memory guard, on its own thread (see the module docstring)."""

    def __init__(self, events: Channel, beat_seconds: float, limit_mb: float | None) -> None:
        self._events = events
        self._beat_seconds = beat_seconds
        self._limit_mb = limit_mb
        self._job: int | None = None
        self.peak_anon_mb = 0.0  # the current (or last) job's highest sample
        self._busy = threading.Event()
        threading.Thread(target=self._run, name="pulse", daemon=True).start()

    def job(self, job_id: int | None) -> None:
        """The job the process works on now (None: idle, silent)."""
        if job_id is None:
            self._job = None
            self._busy.clear()
        else:
            self.peak_anon_mb = _anon_mb()
            self._job = job_id
            self._busy.set()

    def _run(self) -> None:
        last_beat = 0.0
        while True:
            self._busy.wait()
            job_id = self._job
            if job_id is None:
                time.sleep(SAMPLE_SECONDS)
                continue
            anon = _anon_mb()
            self.peak_anon_mb = max(self.peak_anon_mb, anon)
            if self._limit_mb is not None and anon > self._limit_mb:
                self._events.send(MemoryExceeded(job_id, anon))
                save_coverage()
                os.kill(os.getpid(), signal.SIGKILL)  # nothing of this job is worth finishing
            now = time.monotonic()
            if now - last_beat >= self._beat_seconds:
                last_beat = now
                self._events.send(Beat(job_id, _memory()[0], anon))
            time.sleep(SAMPLE_SECONDS)


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS mark so that each job reports its own peak (Linux 4.0+; ignored elsewhere)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _run(request: Any, context: JobContext) -> Any:
    """The request's handler, by its type: the app's are registered by importing core.keras.jobs, a test's by the
    import that unpickling its request made."""
    import core.keras.jobs  # noqa: F401, PLC0415 - registers the app's handlers
    from core.keras.requests import handler_for  # noqa: PLC0415

    return handler_for(request)(request, context)


def save_coverage() -> None:
    """When the test suite measures coverage in this process, write it out: os._exit skips coverage's own exit hook,
    and a test's deliberate crash (tests/worker_handlers.py) would lose it too."""
    coverage = sys.modules.get("coverage")
    current = coverage.Coverage.current() if coverage is not None else None
    if current is not None:
        current.stop()
        current.save()


def _lower_priority() -> None:
    """The web server must stay responsive while a job runs: on a 1-2 core host the worker takes what CPU is left.
    Nice 19, not 10: with three visitors training, another visitor's redraw took 1.8x its idle time at nice 10 and
    1.4x at 19 (bench/redraw.py); an epoch on an otherwise idle host is as fast at either."""
    try:
        os.nice(int(os.environ.get("TDE_WORKER_NICE", "19")))
    except (AttributeError, OSError):
        pass


def main() -> None:
    """Connect, import Keras, then serve jobs until told to exit or the server goes away."""
    address = os.environ["TDE_WORKER_ADDRESS"]
    key = bytes.fromhex(os.environ["TDE_WORKER_KEY"])
    control = Client(address, family="AF_UNIX", authkey=key)
    events = Channel(Client(address, family="AF_UNIX", authkey=key))
    jobs: queue.Queue = queue.Queue()
    stops: set[int] = set()

    def read_control() -> None:
        while True:
            try:
                message = control.recv()
            except (EOFError, OSError):  # the server is gone: nobody can receive this job's result
                _leave(address)
            if isinstance(message, StopJob):
                stops.add(message.job_id)
                events.send(Stopping(message.job_id))  # alive and listening: the server need not kill this process
            elif isinstance(message, Exit):
                jobs.put(None)
                return
            elif isinstance(message, RunJob):
                jobs.put(message)

    threading.Thread(target=read_control, name="control", daemon=True).start()
    _lower_priority()

    from core.keras.env import load_keras, release_free_memory  # noqa: PLC0415

    if os.environ.get("TDE_WORKER_PRELOAD", "1") != "0":  # the tests' handlers that need no Keras skip its import
        load_keras()
    from core.keras.training import ModelCache  # noqa: PLC0415

    cache = ModelCache(max_models=6)
    limit = os.environ.get("TDE_WORKER_MEMORY_LIMIT_MB")
    pulse = Pulse(events, float(os.environ.get("TDE_WORKER_BEAT_SECONDS", "1")), float(limit) if limit else None)
    events.send(Ready(os.getpid()))
    while True:
        message = jobs.get()
        if message is None:
            break
        job_id = message.job_id
        _reset_peak()
        pulse.job(job_id)
        context = JobContext(job_id, events, stops, cache)
        error = None
        try:
            result = _run(message.request, context)
        except Exception as raised:  # noqa: BLE001 - report every failure to the server, then keep serving
            traceback.print_exc()
            error = f"{type(raised).__name__}: {raised}"
        release_free_memory()
        pulse.job(None)
        memory = Memory(*_memory(), max(pulse.peak_anon_mb, _anon_mb()))
        events.send(Done(job_id, result, context.stop_seen, memory) if error is None else Failed(job_id, error, memory))
        stops.discard(job_id)
    _leave(address)


def _leave(address: str) -> None:
    """Exit now. The server removes its socket folder when it closes this process or exits; if it was killed
    (SIGKILL), this process is the last one that knows the folder: leave none behind."""
    shutil.rmtree(os.path.dirname(address), ignore_errors=True)
    save_coverage()
    os._exit(0)  # skip TensorFlow's slow and sometimes noisy interpreter teardown


if __name__ == "__main__":
    main()
