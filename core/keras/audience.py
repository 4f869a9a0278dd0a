"""Identical requests run once: every session that asks for the same job while it is queued or running watches it.

In a talk the whole room presses Train on the same preset; a training is deterministic for its settings (spec, seed,
data, optimisation), so one run serves them all. `Audience.join(session, request)` (a core.keras.requests request,
its own key) returns a `Watch`:

- the first watcher of a request submits it to the worker (under a session of its own, "audience:N", so no one
  visitor owns it); later watchers of an equal request (same type, equal fields) attach to that job and are first
  given every event it streamed so far, then the rest as it comes, in order; a watcher whose browser has been
  disconnected for `grace` seconds is detached, so "shared with N others" counts only the tabs still open;
- `Watch.stop()` detaches that watcher only; the job itself stops when its last watcher leaves (Stop, or the worker's
  liveness check: the job's session is alive while any watcher's browser is);
- a finished deterministic job's events and result are kept in a cache bounded by bytes (pickled size), so a later
  equal request is answered at once by a replay that says when it was computed.

TensorFlow-free, Streamlit-free; the worker (`core.keras.worker.KerasWorker`) is used through its public API only.
"""

from __future__ import annotations

import itertools
import logging
import pickle
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from core.keras.job import QUEUED
from core.keras.protocol import End, Partial
from core.keras.requests import Request
from core.keras.worker import SessionBusy

SESSION_PREFIX = "audience:"
CACHE_BYTES = 32 * 2**20  # finished results kept server-wide (a 3-model comparison's result is ~0.1-1 MB pickled)
ENTRY_BYTES = 8 * 2**20  # a larger result is not kept
EventListener = Callable[[tuple], None]
Connected = Callable[[str], "bool | None"]
DISCONNECT_GRACE = 20.0  # seconds a watcher's browser may be away (a reconnecting tab) before it stops counting


@dataclass(frozen=True)
class Finished:
    """A finished job's record in the cache: what a replay gives a later equal request."""

    events: tuple[tuple, ...]
    result: Any
    computed_at: float  # wall-clock time (time.time()) the run ended
    nbytes: int


class _Pending:
    """The job of a request whose submission to the worker is under way (a few microseconds)."""

    status = "queued"
    stage = QUEUED
    position: int | None = None
    elapsed = 0.0
    stop_reason: str | None = None
    error: str | None = None
    result: Any = None
    active = True
    stop_requested = False


PENDING = _Pending()


@dataclass
class _Shared:
    """One worker job and the watchers of its request."""

    key: Hashable
    session: str
    job: Any = None
    log: list[tuple] = field(default_factory=list)
    watchers: list[Watch] = field(default_factory=list)
    ever: int = 0  # watchers who ever attached
    ended: str | None = None  # the job's final status, once it ended
    fanned: bool = True  # the job streams its events to this audience (False: a job the worker already had)


class Watch:
    """One session's view of a job it requested: the job's status, stage, position and result, with this watcher's
    own Stop (a detached watcher's status is "stopped"; the job may go on for the others)."""

    def __init__(self, audience: Audience, session: str, listener: EventListener | None, label: str = "job") -> None:
        self._audience = audience
        self.session = session
        self.listener = listener
        self.label = label
        self._shared: _Shared | None = None
        self._replay: Finished | None = None
        self._detached_reason: str | None = None
        self._away_since: float | None = None  # on the audience's clock: when its browser was first seen disconnected
        self._others_at_end = 0
        self._done = threading.Event()

    # -- what the pages read -------------------------------------------------------------------------------
    @property
    def job(self) -> Any:
        """The worker's job this watch follows (a placeholder while it is being submitted; None for a replay)."""
        if self._shared is None:
            return None
        return self._shared.job if self._shared.job is not None else PENDING

    @property
    def status(self) -> str:
        """queued, running, done, stopped, failed or cancelled (stopped once this watcher detached)."""
        if self._replay is not None:
            return "done"
        if self._detached_reason is not None:
            return "stopped"
        return self.job.status

    @property
    def active(self) -> bool:
        """True while queued or running for this watcher."""
        return self.status in ("queued", "running")

    @property
    def stop_reason(self) -> str | None:
        """Why it stopped for this watcher."""
        if self._detached_reason is not None:
            return self._detached_reason
        return None if self._replay is not None else self.job.stop_reason

    @property
    def error(self) -> str | None:
        """Why it failed, if it did."""
        return None if self._replay is not None else self.job.error

    @property
    def result(self) -> Any:
        """The job's result once done."""
        return self._replay.result if self._replay is not None else self.job.result

    @property
    def stage(self) -> str:
        """What the worker does now."""
        return "Computed earlier" if self._replay is not None else self.job.stage

    @property
    def position(self) -> int | None:
        """Place in the server's queue while queued (1 = next)."""
        return None if self._replay is not None or self._detached_reason is not None else self.job.position

    @property
    def elapsed(self) -> float:
        """Seconds the job has run (0 for a replay)."""
        return 0.0 if self._replay is not None else self.job.elapsed

    @property
    def computed_at(self) -> float | None:
        """For a replay (the audience's, or the worker's kept result of an equal request, a warm-up's perhaps): when
        (time.time()) the result was computed for an earlier request; None for a run this watcher followed."""
        if self._replay is not None:
            return self._replay.computed_at
        job = self.job
        replayed = job is not None and job is not PENDING and job.status == "done" and job.started is None
        return job.computed_at if replayed else None

    @property
    def others(self) -> int:
        """How many other sessions watch the same run now (at its end: how many watched it then)."""
        shared = self._shared
        if shared is None:
            return 0
        if not self.active:
            return self._others_at_end
        with self._audience._lock:
            self._audience._drop_departed(shared)
            return sum(1 for watch in shared.watchers if watch is not self)

    @property
    def events(self) -> list[tuple]:
        """Every event the run streamed so far, in order (a replay's: all of them)."""
        if self._replay is not None:
            return list(self._replay.events)
        job = self.job
        return list(job.events) if job is not None and job is not PENDING else []

    def partial_results(self) -> dict[str, Any]:
        """The `Partial(key, value)` events streamed so far, key -> value."""
        if self._replay is None:
            job = self.job
            return job.partial_results() if job is not None and job is not PENDING else {}
        return {event.key: event.value for event in self._replay.events if isinstance(event, Partial)}

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has ended for this watcher (True) or the timeout passed."""
        shared = self._shared
        if self._done.is_set() or shared is None or shared.fanned or shared.job is None:
            return self._done.wait(timeout)
        return self.job.wait(timeout) or self._done.is_set()

    def stop(self, reason: str = "Stopped.") -> None:
        """Stop watching: the run goes on for the others, and stops when nobody watches it any more."""
        self._audience._detach(self, reason)

    # -- the audience's side -------------------------------------------------------------------------------
    def _deliver(self, event: tuple) -> None:
        try:
            if self.listener is not None:
                self.listener(event)
        finally:
            if isinstance(event, End):
                self._done.set()


class Audience:
    """Joins equal requests onto one worker job and replays finished ones (see the module docstring).

    Args:
        worker: the `KerasWorker` that runs the jobs.
        cache_bytes: finished results kept, by their pickled size, least recently used out first.
        entry_bytes: a result larger than this is not kept.
        connected: `connected(session)` is True while the session's browser is connected, False once it is not, None
            when unknown (never detached); set later by the pages (views/common.py) when None here.
        grace: seconds a watcher may stay disconnected before it is detached.
        clock: what `grace` is measured on (time.monotonic; a test's own clock).
    """

    def __init__(
        self,
        worker: Any,
        cache_bytes: int = CACHE_BYTES,
        entry_bytes: int = ENTRY_BYTES,
        *,
        connected: Connected | None = None,
        grace: float = DISCONNECT_GRACE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.worker = worker
        self.connected = connected
        self.grace = grace
        self.clock = clock
        self.cache_bytes = cache_bytes
        self.entry_bytes = entry_bytes
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._running: dict[Hashable, _Shared] = {}
        self._by_session: dict[str, _Shared] = {}
        self._finished: OrderedDict[Hashable, Finished] = OrderedDict()
        self._exclusive: dict[str, Watch] = {}  # each session's exclusive watch (its one job at a time)
        self._cached_bytes = 0
        self.runs = 0  # jobs submitted to the worker (the tests and benches count them)

    def join(
        self,
        session: str,
        request: Request,
        *,
        listener: EventListener | None = None,
        replay: bool = True,
        exclusive: bool = True,
    ) -> Watch:
        """Watch the run of `request`: a replay of a finished equal run (unless `replay` is False), the equal run
        already queued or running, or a new one. The worker is given the request too, so that a speculative warm-up
        of an equal request (or the worker's own kept result) is reused. Raises `SessionBusy` if the session already
        watches an `exclusive` run, or has an exclusive job of its own in the worker (one job at a time per visitor
        keeps the queue fair)."""
        key: Hashable = request
        try:
            hash(key)
        except TypeError:  # a request that cannot be compared is run on its own, neither joined nor kept
            key, replay = object(), False
        watch = Watch(self, session, listener, request.label)
        busy = self.worker.active_job(session)  # the worker is never called under this audience's lock (its
        if busy is not None:  # dispatcher may call a job's listener, `_fan_out`, while holding its own)
            raise SessionBusy(busy)
        with self._lock:
            own = self._exclusive.get(session)
            if exclusive and own is not None and own.active:
                raise SessionBusy(own)
            finished = self._finished.get(key) if replay else None
            if finished is not None:
                self._finished.move_to_end(key)
                watch._replay = finished
                for event in finished.events:
                    watch._deliver(event)
                return watch
            self._prune()
            if exclusive:
                self._exclusive[session] = watch
            shared = self._running.get(key)
            if shared is not None and (shared.job is None or (shared.job.active and not shared.job.stop_requested)):
                self._attach(shared, watch)
                for event in shared.log:
                    watch._deliver(event)
                return watch
            shared = _Shared(key, f"{SESSION_PREFIX}{next(self._ids)}")
            self._running[key] = shared
            self._by_session[shared.session] = shared
            self._attach(shared, watch)
            self.runs += 1
        self._start(shared, request)
        return watch

    def _start(self, shared: _Shared, request: Request) -> None:
        """Submit a new shared run to the worker (outside the lock), its events fanned out to every watcher."""
        fan_out = lambda event, s=shared: self._fan_out(s, event)  # noqa: E731
        job = self.worker.submit(shared.session, request, listener=fan_out, exclusive=False)
        with self._lock:
            shared.job = job
            # The worker may answer with a job of its own (a warm-up of the same request, queued or running): it
            # streams nothing here, so its watchers follow its state and its end instead of its events.
            shared.fanned = job.listener is fan_out
            if shared.ended == "done":  # it ended before this thread got here
                self._keep(shared.key, tuple(shared.log), job.result)
            nobody = not shared.watchers
        if nobody:  # the only watcher left while the job was being submitted
            job.stop("Nobody watches this run any more.")

    def _prune(self) -> None:
        """Forget runs that ended without telling (a worker's own job, which streams nothing here)."""
        for request, shared in list(self._running.items()):
            if shared.job is not None and not shared.job.active:
                del self._running[request]
                self._by_session.pop(shared.session, None)
        for session, watch in list(self._exclusive.items()):
            if not watch.active:
                del self._exclusive[session]

    def watchers(self, session: str) -> list[str] | None:
        """The sessions watching the job submitted under `session` (None when it is not one of this audience's)."""
        with self._lock:
            shared = self._by_session.get(session)
            return None if shared is None else [watch.session for watch in shared.watchers]

    def alive(self, session: str, connected: Callable[[str], bool | None]) -> bool | None:
        """The worker's liveness for `session`: a shared run's session is alive while any watcher is `connected`
        (None when none can tell); any other session is asked directly."""
        watchers = self.watchers(session)
        if watchers is None:
            return connected(session)
        answers = [connected(watcher) for watcher in watchers]
        if any(answers):
            return True
        return None if any(answer is None for answer in answers) else False

    def cached(self, request: Request) -> Finished | None:
        """The kept record of a finished equal run, if any."""
        with self._lock:
            return self._finished.get(request)

    def forget(self) -> None:
        """Drop every kept result (a test that needs a click to run again)."""
        with self._lock:
            self._finished.clear()
            self._cached_bytes = 0

    @property
    def cached_bytes(self) -> int:
        """Bytes (pickled) the kept results take."""
        return self._cached_bytes

    def _drop_departed(self, shared: _Shared) -> None:
        """Detach the watchers whose browser has been disconnected for `grace` (a closed tab), but never the last one:
        the worker's own liveness check ends a run nobody's browser follows."""
        connected = self.connected
        if connected is None:
            return
        now = self.clock()
        for watch in list(shared.watchers):
            if connected(watch.session) is not False:
                watch._away_since = None
                continue
            if watch._away_since is None:
                watch._away_since = now
            if now - watch._away_since >= self.grace and len(shared.watchers) > 1:
                shared.watchers.remove(watch)
                watch._detached_reason = "The browser tab was closed."
                watch._others_at_end = len(shared.watchers)
                watch._deliver(End("stopped"))

    def _attach(self, shared: _Shared, watch: Watch) -> None:
        watch._shared = shared
        shared.watchers.append(watch)
        shared.ever += 1

    def _fan_out(self, shared: _Shared, event: tuple) -> None:
        """An event of the shared job: logged (for later watchers) and passed to every watcher, in order."""
        with self._lock:
            shared.log.append(event)
            watchers = list(shared.watchers)
            if isinstance(event, End):
                for watch in watchers:
                    watch._others_at_end = len(watchers) - 1
                self._end(shared, event.status)
            for watch in watchers:
                try:
                    watch._deliver(event)
                except Exception:  # noqa: BLE001 - one watcher's bug must not reach the worker's dispatcher thread
                    logging.getLogger(__name__).exception("A watcher's listener failed on %s", type(event).__name__)

    def _end(self, shared: _Shared, status: str) -> None:
        if self._running.get(shared.key) is shared:
            del self._running[shared.key]
        self._by_session.pop(shared.session, None)
        shared.ended = status
        if status == "done" and shared.job is not None:
            self._keep(shared.key, tuple(shared.log), shared.job.result)

    def _keep(self, key: Hashable, events: tuple[tuple, ...], result: Any) -> None:
        try:
            nbytes = len(pickle.dumps((events, result), protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:  # noqa: BLE001 - a result that cannot be measured is simply not kept
            return
        if nbytes > self.entry_bytes:
            return
        old = self._finished.pop(key, None)
        if old is not None:
            self._cached_bytes -= old.nbytes
        self._finished[key] = Finished(events, result, time.time(), nbytes)
        self._cached_bytes += nbytes
        while self._cached_bytes > self.cache_bytes:
            _, dropped = self._finished.popitem(last=False)
            self._cached_bytes -= dropped.nbytes

    def _detach(self, watch: Watch, reason: str) -> None:
        with self._lock:
            shared = watch._shared
            if watch._replay is not None or shared is None or not watch.active:
                return
            shared.watchers.remove(watch)
            job = shared.job
            if shared.watchers or job is None:
                watch._detached_reason = reason
                watch._others_at_end = len(shared.watchers)
                watch._deliver(End("stopped"))
                return
            shared.watchers.append(watch)  # the last watcher follows the job to its end
        job.stop(reason)


_audiences: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_audiences_lock = threading.Lock()


def audience_for(worker: Any, connected: Connected | None = None) -> Audience:
    """The one `Audience` of `worker` (created on first use): every session of a server shares it. `connected` is
    kept the first time it is given (the pages' view of which browsers are still there)."""
    with _audiences_lock:
        audience = _audiences.get(worker)
        if audience is None:
            audience = _audiences[worker] = Audience(worker)
        if connected is not None and audience.connected is None:
            audience.connected = connected
        return audience
