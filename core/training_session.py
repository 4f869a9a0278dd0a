"""One session's training job: a worker thread that runs `core.training.train` and a progress object a page can poll.

The worker never touches Streamlit: it only writes into this object under a lock, and the page reads consistent,
immutable snapshots (`TrainingJob.snapshot()`) from a fragment that reruns on a timer. Each session owns its own
job (and through it its own `ModelCache`), so several visitors training at once never share a model or a curve.

A job stops itself within one batch when asked (`stop()`), and also when nobody has polled it for
`heartbeat_timeout` seconds (`heartbeat()`): that is how a page that was left, or a browser tab that was closed,
ends its training without any callback from Streamlit.

Example:
    >>> job = TrainingJob()
    >>> job.start(TrainingSettings.for_spec(ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)))
    >>> job.join(60)
    True
    >>> job.snapshot().status
    'done'
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.anatomy import describe
from core.datasets import MAX_SAMPLES, TASKS
from core.spec import ModelSpec, seed_variants

# Learning rates offered: RMSprop's default 0.001 (the seed's) learns the recall task slowly; 0.01 learns it in a few
# epochs at batch 128.
SEED_LEARNING_RATE = 0.001
RECALL_LEARNING_RATE = 0.01
HEARTBEAT_TIMEOUT = 8.0  # seconds without a poll (the page polls every 2 s) before a job counts as abandoned

# Cost model of one training, fitted on the 2-core development machine while other work ran (seed's GRU at
# 1000 samples: 0.25 s per later epoch; T=256, 64 inputs, 128 units at 500 samples: 19 s): a later epoch costs about
# 0.6 ns per multiply-add of forward and backward (3x the forward MACs), plus about 0.4 ms per recurrent step of each
# batch (the RNN loop's per-step overhead dominates small models). The first epoch adds the trace: about 1.5 s, plus
# 60 ms per timestep for TimeDistributed (it unrolls its Dense into one op per timestep) and 10 ms otherwise.
SECONDS_PER_MAC = 0.6e-9
SECONDS_PER_BATCH_STEP = 0.4e-3
TRACE_SECONDS = 1.5
TRACE_SECONDS_PER_STEP = {"time_distributed": 0.06, "dense": 0.01}
# A one-core server is taken as 1.5x slower than the measuring machine; a training must fit in about a minute.
SLOWDOWN_ONE_CORE = 1.5
TIME_BUDGET_SECONDS = 60.0
# Memory: the dataset is held as float32 arrays; on a 1 GB server with TensorFlow loaded (~650 MB) about 100 MB
# remain for data and activations.
DATA_BUDGET_BYTES = 100 * 2**20


@dataclass(frozen=True)
class TrainingSettings:
    """Everything one click on Train decides: the models (label -> spec), the data and the optimisation."""

    variants: tuple[tuple[str, ModelSpec], ...]
    task: str = "recall"
    samples: int = 256
    batch_size: int = 32
    epochs: int = 5
    seed: int = 0
    learning_rate: float = RECALL_LEARNING_RATE

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError("variants: nothing to train; allowed: at least one valid model.")
        for label, spec in self.variants:
            if not spec.is_valid:
                raise ValueError(f"{label}: TimeDistributed needs return_sequences=True; Keras cannot build it.")
        if self.task not in TASKS:
            raise ValueError(f"task: got {self.task!r}; allowed: {' | '.join(TASKS)}.")
        for name, low, high in (("samples", 1, MAX_SAMPLES), ("batch_size", 1, MAX_SAMPLES), ("epochs", 1, 500)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name}: got {value!r}; allowed: a whole number from {low} to {high}.")
        lr = self.learning_rate
        if not isinstance(lr, int | float) or not math.isfinite(lr) or not 0 < lr <= 1:
            raise ValueError(f"learning_rate: got {lr!r}; allowed: a number above 0 and at most 1.")

    @classmethod
    def for_spec(cls, spec: ModelSpec, **options: Any) -> TrainingSettings:
        """Settings that train just `spec`, labelled "Current model"."""
        return cls(variants=(("Current model", spec),), **options)

    @classmethod
    def for_seed_variants(cls, spec: ModelSpec, **options: Any) -> TrainingSettings:
        """Settings that train the seed's three valid models (with the cell and sizes of `spec`) to compare them."""
        variants = tuple((label, v) for label, v in seed_variants(spec).items() if v.is_valid)
        return cls(variants=variants, **options)

    @property
    def batches_per_epoch(self) -> int:
        """Batches in one epoch: the last one may be partial, as in `fit()`."""
        return math.ceil(self.samples / self.batch_size)

    @property
    def planned_batches(self) -> int:
        """Batches over all variants and epochs, if nothing stops the run."""
        return len(self.variants) * self.epochs * self.batches_per_epoch


@dataclass(frozen=True)
class WorkEstimate:
    """How much a training costs, and whether a small server could afford it (with a message if not)."""

    macs: int  # multiply-adds of forward and backward passes, over all variants, samples and epochs
    seconds: float  # estimated wall time on a one-core server
    data_bytes: int  # the largest variant's dataset
    allowed: bool
    message: str


def estimate_work(settings: TrainingSettings) -> WorkEstimate:
    """Estimate the training's multiply-adds, time and memory from `describe()`; refuse what a 1 GB, one-core
    server could not train within about a minute, suggesting what to shrink."""
    macs = 0
    seconds = 0.0
    data_bytes = 0
    for _, spec in settings.variants:
        per_sample = describe(spec).total_macs
        # Backward costs about twice the forward: 3x the forward multiply-adds per sample and epoch.
        variant_macs = 3 * per_sample * settings.samples * settings.epochs
        macs += variant_macs
        steps = settings.batches_per_epoch * spec.timesteps * settings.epochs * (2 if spec.bidirectional else 1)
        trace = TRACE_SECONDS + TRACE_SECONDS_PER_STEP[spec.head] * spec.timesteps
        seconds += trace + variant_macs * SECONDS_PER_MAC + steps * SECONDS_PER_BATCH_STEP
        target = spec.timesteps * spec.output_size if spec.return_sequences else spec.output_size
        data_bytes = max(data_bytes, 4 * settings.samples * (spec.timesteps * spec.input_size + target))
    seconds *= SLOWDOWN_ONE_CORE
    problems = []
    if seconds > TIME_BUDGET_SECONDS:
        factor = seconds / TIME_BUDGET_SECONDS
        problems.append(
            f"It would take about {seconds:,.0f} s on a one-core server (the limit is {TIME_BUDGET_SECONDS:.0f} s). "
            f"Divide the work by about {math.ceil(factor)}: fewer epochs (try {_smaller(settings.epochs, factor)}) "
            f"or samples (try {_smaller(settings.samples, factor)}), fewer timesteps or smaller sizes in the "
            "sidebar, a larger batch, or train only the current model."
        )
    if data_bytes > DATA_BUDGET_BYTES:
        problems.append(
            f"The dataset would take {data_bytes / 2**20:,.0f} MB (the limit is {DATA_BUDGET_BYTES / 2**20:.0f} MB "
            "on a 1 GB server): use fewer samples, timesteps or features."
        )
    message = (
        " ".join(problems)
        if problems
        else f"About {macs / 1e9:,.2f} G multiply-adds: roughly {seconds:,.0f} s on a one-core server."
    )
    return WorkEstimate(macs=macs, seconds=seconds, data_bytes=data_bytes, allowed=not problems, message=message)


def _smaller(value: int, factor: float) -> int:
    return max(1, int(value / factor))


@dataclass(frozen=True)
class VariantProgress:
    """One variant's curves so far, and its `TrainingResult` once it finished (or stopped)."""

    label: str
    spec: ModelSpec
    batch_losses: tuple[float, ...] = ()
    epoch_losses: tuple[float, ...] = ()
    result: Any = None  # core.training.TrainingResult (typed loosely: importing it would load Keras)


@dataclass(frozen=True)
class TrainingSnapshot:
    """A consistent, immutable copy of a job's state at one moment, for drawing."""

    run_id: int
    status: str  # "idle", "running", "done", "stopped" or "failed"
    settings: TrainingSettings | None
    variants: tuple[VariantProgress, ...]
    current: str | None  # the label of the variant training now
    epoch: int  # 0-based epoch of the last reported batch
    batch: int  # 0-based batch (within its epoch) of the last reported batch
    batches_done: int  # over all variants
    elapsed: float
    stop_reason: str | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        """True while the worker thread trains."""
        return self.status == "running"

    @property
    def fraction(self) -> float:
        """Share of the planned batches done, 0..1."""
        if self.settings is None or self.settings.planned_batches == 0:
            return 0.0
        return min(1.0, self.batches_done / self.settings.planned_batches)


@dataclass
class _Variant:
    label: str
    spec: ModelSpec
    batch_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    result: Any = None


class TrainingJob:
    """A session's training worker: `start(settings)`, poll `snapshot()` (and `heartbeat()`), `stop()`.

    Keeps one `ModelCache` across runs, so training an unchanged spec again reuses the traced model. `clock` is the
    time source of the heartbeat (injectable so tests need not wait).
    """

    def __init__(
        self,
        cache: Any = None,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache = cache
        self._heartbeat_timeout = heartbeat_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._run_id = 0
        self._status = "idle"
        self._settings: TrainingSettings | None = None
        self._variants: list[_Variant] = []
        self._current: str | None = None
        self._epoch = 0
        self._batch = 0
        self._batches_done = 0
        self._started = 0.0
        self._finished: float | None = None
        self._last_beat = clock()
        self._stop_reason: str | None = None
        self._error: str | None = None

    # -- control ------------------------------------------------------------------------------------------
    @property
    def cache(self) -> Any:
        """The job's `core.training.ModelCache` (created on first use, so that making a job never loads Keras)."""
        if self._cache is None:
            from core.training import ModelCache

            self._cache = ModelCache()
        return self._cache

    @property
    def running(self) -> bool:
        """True while the worker thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def settings(self) -> TrainingSettings | None:
        """The settings of the current or last run."""
        return self._settings

    def start(self, settings: TrainingSettings) -> int:
        """Stop and wait for any run in progress, then train `settings` in a new daemon thread; returns the run id."""
        if self.running:
            self.stop("A new training started.")
            self.join()
        cache = self.cache
        with self._lock:
            self._run_id += 1
            self._status = "running"
            self._settings = settings
            self._variants = [_Variant(label, spec) for label, spec in settings.variants]
            self._current = None
            self._epoch = self._batch = self._batches_done = 0
            self._started = time.perf_counter()
            self._finished = None
            self._last_beat = self._clock()
            self._stop_reason = None
            self._error = None
            self._stop.clear()
            run_id = self._run_id
        self._thread = threading.Thread(
            target=self._run, args=(settings, cache), name=f"training-job-{id(self)}-{run_id}", daemon=True
        )
        self._thread.start()
        return run_id

    def stop(self, reason: str = "Stopped.") -> None:
        """Ask the worker to stop after its current batch (no effect when nothing runs)."""
        with self._lock:
            if self._status == "running" and self._stop_reason is None:
                self._stop_reason = reason
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end; True if it has ended."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def heartbeat(self) -> None:
        """Record that a page is still watching this job (call on every poll)."""
        with self._lock:
            self._last_beat = self._clock()

    def abandoned(self) -> bool:
        """True when no poll happened for longer than the heartbeat timeout."""
        with self._lock:
            return self._clock() - self._last_beat > self._heartbeat_timeout

    def _should_stop(self) -> bool:
        if self._stop.is_set():
            return True
        if self.abandoned():
            self.stop(f"Nobody watched the training for {self._heartbeat_timeout:g} s (the page was left).")
            return True
        return False

    # -- the worker ---------------------------------------------------------------------------------------
    def _run(self, settings: TrainingSettings, cache: Any) -> None:
        from core.datasets import make_dataset
        from core.keras_env import release_free_memory
        from core.training import train

        status = "done"
        error = None
        try:
            for index, (label, spec) in enumerate(settings.variants):
                if self._should_stop():
                    status = "stopped"
                    break
                with self._lock:
                    self._current = label
                    self._epoch = self._batch = 0
                dataset = make_dataset(spec, settings.task, settings.samples, settings.seed)
                result = train(
                    spec,
                    dataset,
                    epochs=settings.epochs,
                    batch_size=settings.batch_size,
                    seed=settings.seed,
                    on_batch=lambda e, b, loss, i=index: self._on_batch(i, e, b, loss),
                    on_epoch=lambda e, loss, i=index: self._on_epoch(i, loss),
                    should_stop=self._should_stop,
                    cache=cache,
                    track_timesteps=True,
                    learning_rate=settings.learning_rate,
                )
                with self._lock:
                    self._variants[index].result = result
                if result.stopped:
                    status = "stopped"
                    break
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._status = status
            self._error = error
            self._current = None
            self._finished = time.perf_counter()
        release_free_memory()

    def _on_batch(self, index: int, epoch: int, batch: int, loss: float) -> None:
        with self._lock:
            self._variants[index].batch_losses.append(float(loss))
            self._epoch, self._batch = epoch, batch
            self._batches_done += 1

    def _on_epoch(self, index: int, loss: float) -> None:
        with self._lock:
            self._variants[index].epoch_losses.append(float(loss))

    # -- reading ------------------------------------------------------------------------------------------
    def snapshot(self) -> TrainingSnapshot:
        """An immutable copy of the progress, consistent across all its fields."""
        with self._lock:
            end = self._finished if self._finished is not None else time.perf_counter()
            return TrainingSnapshot(
                run_id=self._run_id,
                status=self._status,
                settings=self._settings,
                variants=tuple(
                    VariantProgress(v.label, v.spec, tuple(v.batch_losses), tuple(v.epoch_losses), v.result)
                    for v in self._variants
                ),
                current=self._current,
                epoch=self._epoch,
                batch=self._batch,
                batches_done=self._batches_done,
                elapsed=0.0 if self._run_id == 0 else end - self._started,
                stop_reason=self._stop_reason if self._status == "stopped" else None,
                error=self._error,
            )
