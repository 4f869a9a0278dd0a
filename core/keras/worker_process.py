"""The TensorFlow worker's process, as the server sees it: started with two private channels, ended with its folder.

`Child` starts `python -m core.keras.worker_child` with a Unix socket in a fresh private folder of the temp directory
(authenticated with a random key) and accepts its two connections (jobs and stops go down, events come up). Whatever
way the server ends, the process and the folder go too: `Child.close`/`kill`, atexit, the signals
(`remove_children_on_signals`), and, when the server was killed outright, the child itself (core.keras.worker_child).
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

from core.keras.protocol import Exit

ROOT = Path(__file__).resolve().parents[2]
SOCKET_FOLDER_BYTES = 100  # the folder's path, leaving room for "/socket" within a Unix socket's 107 bytes


class Child:
    """The running child process and its two channels (jobs and stops go down, events come up)."""

    def __init__(self, started_timeout: float, settings: dict[str, str] | None = None) -> None:
        folder = tempfile.mkdtemp(prefix="tde-worker-")
        if len(os.fsencode(folder)) > SOCKET_FOLDER_BYTES:  # a Unix socket's path has at most 107 bytes
            os.rmdir(folder)
            folder = tempfile.mkdtemp(prefix="tde-worker-", dir="/tmp")
        _live_children.add(self)
        self._folder = folder
        self._listener = None
        self.process = None
        address = os.path.join(folder, "socket")
        key = secrets.token_bytes(16)
        listener = Listener(address, family="AF_UNIX", authkey=key)
        env = dict(os.environ, TDE_WORKER_ADDRESS=address, TDE_WORKER_KEY=key.hex(), **(settings or {}))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self._listener = listener
        self.process = subprocess.Popen([sys.executable, "-m", "core.keras.worker_child"], cwd=ROOT, env=env)
        self.control: Connection | None = None
        self.events: Connection | None = None
        # Accept both connections without blocking forever on a child that died while importing.
        accepted: list[Connection] = []
        thread = threading.Thread(target=lambda: accepted.extend([listener.accept(), listener.accept()]), daemon=True)
        thread.start()
        thread.join(started_timeout)
        if len(accepted) < 2:
            self.kill()
            raise RuntimeError("The TensorFlow worker did not start (it did not connect back).")
        self.control, self.events = accepted
        self.jobs = 0
        self.ready = False  # True once the child has imported Keras and said so: its heartbeats count from then

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def exit_reason(self) -> str:
        try:  # the channel closes a moment before the process is reaped
            code = self.process.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            return "it stopped answering"
        if code < 0:
            import signal  # noqa: PLC0415

            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return {"SIGKILL": "it was killed (SIGKILL, often: out of memory)", "SIGSEGV": "it crashed (SIGSEGV)"}.get(
                name, f"it was ended by {name}"
            )
        return f"it exited with code {code}"

    def close(self, timeout: float = 5.0) -> None:
        """Ask the child to exit, then make sure it has. A child that never ran a job (a replacement started between
        jobs, perhaps still importing Keras, which it would finish first) is simply ended."""
        if not self.ready and self.jobs == 0:
            self.kill()
            return
        try:
            if self.control is not None and self.alive():
                self.control.send(Exit())
        except (OSError, ValueError):
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._cleanup()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL ends a stopped (SIGSTOP) process too
            self.process.wait(10)
        self._cleanup()

    def _cleanup(self) -> None:
        for conn in (self.control, self.events):
            if conn is not None:
                try:
                    conn.close()
                except OSError:
                    pass
        try:
            if self._listener is not None:
                self._listener.close()
        except OSError:
            pass
        shutil.rmtree(self._folder, ignore_errors=True)
        _live_children.discard(self)


_live_children: set[Child] = set()


@atexit.register
def _remove_children() -> None:
    """End the children and remove their socket folders from the temp directory: when the server exits normally
    (atexit) or is told to stop (`remove_children_on_signals`). A child whose server died without either (SIGKILL)
    removes its folder itself when its channel closes (core.keras.worker_child)."""
    for child in list(_live_children):
        child.kill()


def remove_children_on_signals(signals: tuple[str, ...] = ("SIGTERM", "SIGINT", "SIGHUP")) -> None:
    """Remove the children and their folders when one of `signals` arrives, then do what was done before.

    Why not atexit alone: uvicorn (Streamlit's `st.App` server) answers SIGTERM by shutting down gracefully, restoring
    the default handler and raising the signal again, so the process ends without running atexit. Call it from the main
    thread (serve.py, imported inside uvicorn's own handlers: the previous handler is uvicorn's, and it still runs).
    """
    import signal  # noqa: PLC0415

    for name in signals:
        number = getattr(signal, name, None)
        if number is None:
            continue
        previous = signal.getsignal(number)

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            _remove_children()
            if callable(previous):
                previous(signum, frame)
            elif previous != signal.SIG_IGN:  # the default: end the process as the signal would have
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        signal.signal(number, handler)
