"""The worker's watchdog, Stop and memory guard: a stopped (SIGSTOP) or greedy child never blocks the queue.

Each test starts its own worker whose child skips the Keras import (`preload=False`: these handlers need no Keras),
so a replaced child costs a Python start, not TensorFlow's. Every wait is gated on a job's end or a handler's event;
the timeouts are only failure bounds.
"""

from __future__ import annotations

import os
import select
import signal
import threading
from pathlib import Path

from core.keras.worker import KerasWorker
from core.keras.worker_process import _remove_children
from tests.worker_handlers import HELD, Allocate, Hold, IgnoreStops, Keep, Memory

JOIN = 120
STOP_BOUND = 5.0  # Stop must answer within about 1 s whatever the child does; 5 s leaves room for a loaded machine


def _held(worker: KerasWorker, session: str, gate: Path):
    """A job that holds the child until `gate` exists (never, here); returned once the child runs it."""
    started = threading.Event()
    job = worker.submit(session, Hold(str(gate)), listener=lambda e: e == HELD and started.set())
    assert started.wait(JOIN), job.error
    return job


def _frozen(worker: KerasWorker, tmp_path: Path):
    """A running job whose child has been stopped with SIGSTOP (a hung process); returns (job, child pid)."""
    job = _held(worker, "frozen", tmp_path / "never")
    pid = worker.stats().pid
    os.kill(pid, signal.SIGSTOP)
    return job, pid


def _gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its parent to reap it has ended too)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def test_a_silent_child_fails_its_job_with_a_plain_sentence_and_the_queue_moves_on(tmp_path: Path) -> None:
    worker = KerasWorker(watchdog_seconds=3.0, preload=False)
    try:
        frozen, pid = _frozen(worker, tmp_path)
        behind = worker.submit("another visitor", Memory())
        assert frozen.wait(JOIN), "a stopped child blocked its job for good"
        assert frozen.status == "failed"
        assert frozen.error.startswith("The TensorFlow worker stopped responding for 3 s")
        assert behind.wait(JOIN) and behind.status == "done", behind.error
        assert _gone(pid)
        assert worker.stats().processes_started == 2 and worker.stats().pid != pid
    finally:
        worker.shutdown()


def test_stop_answers_at_once_when_the_child_does_not_and_the_next_job_runs(tmp_path: Path) -> None:
    worker = KerasWorker(watchdog_seconds=600.0, stop_grace=1.0, preload=False)
    try:
        frozen, pid = _frozen(worker, tmp_path)
        behind = worker.submit("another visitor", Memory())
        frozen.stop("Stopped by the test.")
        assert frozen.wait(STOP_BOUND), f"Stop did not answer within {STOP_BOUND} s: {frozen.status}"
        assert frozen.status == "stopped" and frozen.stop_reason == "Stopped by the test."
        assert behind.wait(JOIN) and behind.status == "done", behind.error
        assert _gone(pid)
        assert worker.stats().processes_started == 2
    finally:
        worker.shutdown()


def test_a_stopped_job_whose_child_answers_keeps_its_child(tmp_path: Path) -> None:
    worker = KerasWorker(preload=False)
    try:
        held = _held(worker, "stopper", tmp_path / "never")
        held.stop("Stopped by the test.")
        assert held.wait(STOP_BOUND) and held.status == "stopped"
        after = worker.submit("stopper", Memory())
        assert after.wait(JOIN) and after.status == "done", after.error
        assert worker.stats().processes_started == 1  # a child that answers is not killed for it
    finally:
        worker.shutdown()


def test_a_job_that_outgrows_the_memory_limit_is_ended_before_the_container_would(tmp_path: Path) -> None:
    worker = KerasWorker(memory_limit_mb=200, preload=False)
    try:
        greedy = worker.submit("greedy", Allocate(1500))
        behind = worker.submit("another visitor", Memory())
        assert greedy.wait(JOIN), "the memory guard did not end the job"
        assert greedy.status == "failed" and "more memory than this server can give" in greedy.error
        assert behind.wait(JOIN) and behind.status == "done", behind.error
        assert behind.result < 200  # a fresh child: the greedy one's memory went with it
        assert worker.stats().processes_started == 2
    finally:
        worker.shutdown()


def test_the_socket_folder_goes_with_the_worker(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    for ending in ("shutdown", "exit"):
        worker = KerasWorker(preload=False)
        job = worker.submit("s", Memory())
        assert job.wait(JOIN) and job.status == "done", job.error
        assert list(tmp_path.glob("tde-worker-*")), "the test did not see the worker's folder"
        if ending == "shutdown":
            worker.shutdown()
        else:
            _remove_children()  # what atexit runs when the server exits
        assert not list(tmp_path.glob("tde-worker-*")), ending
        worker.shutdown()


BOOT = """
import sys

import streamlit as st
from starlette.middleware import Middleware

sys.path.insert(0, {root!r})
import serve  # noqa: E402 - the shipped entry point, with what it installs at import
from core.keras import worker  # noqa: E402
from tests.worker_handlers import HoldAndMark  # noqa: E402

# A worker whose child runs a job at once (no browser needed to make the server start one).
worker._shared = worker.KerasWorker(preload=False)
worker._shared.submit("boot", HoldAndMark({started!r}, {never!r}))
app = st.App({app!r}, middleware=[Middleware(serve.DeepPathRedirect)])
"""


def _served_with_a_busy_worker(tmp_path: Path):
    """`streamlit run` of serve.py's app whose worker child is running a job; returns (server, temp dir)."""
    import subprocess
    import sys
    import tempfile

    from tests.browser_support import free_port

    root = Path(__file__).resolve().parents[1]
    # A short temp directory: a Unix socket's path has at most 107 bytes, and pytest-xdist's tmp_path is long.
    temp, started = Path(tempfile.mkdtemp(prefix="tde-t-", dir="/tmp")), tmp_path / "started"
    tmp_path.mkdir(parents=True, exist_ok=True)
    os.mkfifo(started)
    reader = os.open(started, os.O_RDONLY | os.O_NONBLOCK)  # open before the writer, so that its open never blocks
    script = tmp_path / "boot_serve.py"
    script.write_text(
        BOOT.format(root=str(root), started=str(started), never=str(tmp_path / "never"), app=str(root / "app.py"))
    )
    env = dict(os.environ, TMPDIR=str(temp), PYTHONPATH=str(root))
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true"]
        + ["--server.port", str(free_port()), "--browser.gatherUsageStats", "false"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # The child's sign of life, waited for as an event: its job writes a line into the pipe this test reads.
        said = select.select([reader], [], [], JOIN)[0] and os.read(reader, 64)
    finally:
        os.close(reader)
    assert said and server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
    assert list(temp.glob("tde-worker-*")), "the worker's socket folder is not where the test looks"
    return server, temp


def _wait_for_exits(pids: list[int], timeout: float) -> None:
    """Block until each process has ended, as an event (its pidfd becomes readable when it exits), at most `timeout`
    seconds in all: the processes are not this test's children, so it cannot wait() for them."""
    import time

    deadline = time.monotonic() + timeout
    for pid in pids:
        try:
            handle = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            select.select([handle], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(handle)


def _children_of(pid: int) -> list[int]:
    from tests.browser_support import child_pids

    return list(child_pids(pid))


def test_stopping_a_real_server_leaves_no_socket_folder_nor_worker(tmp_path: Path) -> None:

    for stop in (signal.SIGTERM, signal.SIGKILL):
        server, temp = _served_with_a_busy_worker(tmp_path / stop.name)
        try:
            children = _children_of(server.pid)
            assert children, "no worker process under the server"
            server.send_signal(stop)
            server.wait(JOIN)
            # After SIGKILL the orphaned child notices its closed channel and leaves by itself: wait for its exit.
            _wait_for_exits(children, JOIN)
            assert all(_gone(pid) for pid in children), f"{stop.name}: the worker outlived the server"
        finally:
            if server.poll() is None:
                server.kill()
        assert not list(temp.glob("tde-worker-*")), f"{stop.name}: the socket folder was left behind"
        temp.rmdir()


def test_a_job_that_leaves_the_child_above_its_recycle_limit_gets_it_replaced_unless_it_was_a_warm_up() -> None:
    worker = KerasWorker(rss_limit_mb=100, preload=False)
    try:
        worker.warm_up("warm", Keep(150))
        assert worker.wait_until_idle(JOIN)
        assert worker.stats().last_anon_mb > 100 and worker.stats().processes_started == 1  # what it warmed stays
        job = worker.submit("s", Keep(150))
        assert job.wait(JOIN) and job.result == 2, job.error
        assert worker.wait_until_idle(JOIN)
        fresh = worker.submit("s", Memory("RssAnon"))
        assert fresh.wait(JOIN) and fresh.status == "done", fresh.error
        assert worker.stats().processes_started == 2 and fresh.result < 100  # replaced after the job that kept 300 MB
    finally:
        worker.shutdown()


def test_a_signal_removes_the_children_and_still_reaches_the_handler_that_was_there(
    tmp_path: Path, monkeypatch
) -> None:
    import tempfile

    from core.keras.worker_process import remove_children_on_signals

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    reached = threading.Event()
    previous = signal.signal(signal.SIGUSR1, lambda *_: reached.set())  # uvicorn's handler, in the server
    worker = KerasWorker(preload=False)
    try:
        job = worker.submit("s", Memory())
        assert job.wait(JOIN) and job.status == "done", job.error
        pid = worker.stats().pid
        remove_children_on_signals(("SIGUSR1", "SIGNOTHERE"))
        os.kill(os.getpid(), signal.SIGUSR1)  # Python runs the handler in the main thread before the next bytecode
        assert reached.wait(JOIN)
        assert _gone(pid) and not list(tmp_path.glob("tde-worker-*"))
    finally:
        signal.signal(signal.SIGUSR1, previous)
        worker.shutdown()


def test_a_stopped_job_that_never_lets_go_has_its_child_replaced() -> None:
    worker = KerasWorker(watchdog_seconds=2.0, preload=False)
    try:
        started = threading.Event()
        stuck = worker.submit("stuck", IgnoreStops(), listener=lambda e: e == HELD and started.set())
        assert started.wait(JOIN), stuck.error
        behind = worker.submit("another visitor", Memory())
        stuck.stop("Stopped by the test.")
        assert stuck.wait(STOP_BOUND) and stuck.status == "stopped"  # answered though the child goes on
        assert behind.wait(JOIN) and behind.status == "done", behind.error
        assert worker.stats().processes_started == 2
    finally:
        worker.shutdown()


def test_a_temp_directory_too_deep_for_a_unix_socket_still_gets_a_worker(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.setattr(tempfile, "tempdir", None)
    worker = KerasWorker(preload=False)
    try:
        job = worker.submit("s", Memory())
        assert job.wait(JOIN) and job.status == "done", job.error
    finally:
        worker.shutdown()
