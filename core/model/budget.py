"""What a Keras job costs (time on a one-core server, peak memory in the worker) and whether the server affords it.

Every Keras button passes through here before its job is queued: training, the Shape flow probe, the Equivalence
lab and Keras's summary. A refusal says what to shrink, with a value that would pass.

Memory follows from one setting, `TDE_MEMORY_MB` (default 690: Community Cloud's smallest container), in anonymous
memory (what a container cannot reclaim; TensorFlow's 376 MB of mapped library files are reclaimable, and a job ran at
full speed with only ~50 MB of them resident, bench/container.py):
    WORKER_MEMORY_LIMIT_MB = TDE_MEMORY_MB - SERVER_MB - MARGIN_MB        (690 - 190 - 50 = 450)
        the worker's guard: a child whose anonymous memory passes it during a job ends the job
        (core.keras.worker_child);
    WORKER_RECYCLE_MB = WORKER_IDLE_ANON_MB + WORKER_CACHE_MB             (225 + 25 = 250)
        between jobs, a child that kept more (cached models, a fragmented heap) is replaced by a fresh one;
    JOB_MEMORY_MB = WORKER_MEMORY_LIMIT_MB - WORKER_RECYCLE_MB            (200)
        what one job may add: a job the budget allows, started in any child the recycling kept, stays under the guard.
SERVER_MB is the Streamlit server's idle size (188 MB measured), WORKER_IDLE_ANON_MB the child's anonymous memory
after importing Keras (223 MB measured), MARGIN_MB the library pages TensorFlow needs resident, kernel memory, and what
a job allocates between two of the guard's 50 ms samples.

The cost model (peak anonymous memory above the worker's idle size, sampled every 50 ms in a fresh child for each job;
`bench/container.py` prints the estimate next to the peak, inside a cgroup of the container's size):
- about 50 MB for building, compiling and tracing any model, plus 6 copies of the weights (weights, gradients,
  RMSprop's velocity, the cache's initial weights and optimizer state);
- the dataset about 7.5 times (NumPy arrays, TensorFlow's copies, the per-timestep evaluation and its prediction;
  measured 6 copies per sample at input 512, T=217);
- 0.5 MB per recurrent step walked (the loop's per-step buffers in the traced graph), and activations kept for the
  backward pass: per sample and timestep, about 8 values per recurrent gate unit;
- `TimeDistributed` traces one Dense call per timestep with its gradient, and the graph's memory grows with T²
  (+369 MB for a training at T=128, hidden 128); plus each step's kernel gradient.
Time keeps the earlier fit: 0.6 ns per multiply-add of forward and backward, 0.4 ms per recurrent step of a batch,
1.5 s of tracing plus 60 ms per timestep for TimeDistributed (10 ms otherwise), and 1.5x for a one-core server.
"""

from __future__ import annotations

import math
import os
import statistics
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from core.model.anatomy import describe
from core.model.frames_budget import frames_fit_extra
from core.model.spec import INT_RANGES, ModelSpec

MB = 2**20
MEMORY_MB = int(os.environ.get("TDE_MEMORY_MB", "690"))
SERVER_MB = 190
MARGIN_MB = 50
WORKER_IDLE_ANON_MB = 225
WORKER_CACHE_MB = 25
WORKER_MEMORY_LIMIT_MB = MEMORY_MB - SERVER_MB - MARGIN_MB
WORKER_RECYCLE_MB = WORKER_IDLE_ANON_MB + WORKER_CACHE_MB
JOB_MEMORY_MB = WORKER_MEMORY_LIMIT_MB - WORKER_RECYCLE_MB
TIME_BUDGET_SECONDS = 60.0
SLOWDOWN_ONE_CORE = 1.5
# The longest one job may hold the worker, even while its child still beats (every visitor behind it waits): four
# times the budget, for a host that other work slows down, since a job the budget allows is estimated under a minute.
JOB_TIME_LIMIT_SECONDS = float(os.environ.get("TDE_JOB_TIME_LIMIT_SECONDS", 4 * TIME_BUDGET_SECONDS))

BASE_MB = 50.0
WEIGHT_COPIES = 6
DATA_COPIES = 7.5
MB_PER_STEP = 0.5
ACTIVATION_VALUES_PER_GATE_UNIT = 8
TD_TRACE_MB_PER_STEP_SQUARED = 0.013

SECONDS_PER_MAC = 0.6e-9
SECONDS_PER_BATCH_STEP = 0.4e-3
TRACE_SECONDS = 1.5
TRACE_SECONDS_PER_STEP = {"time_distributed": 0.06, "dense": 0.01}
GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


@dataclass(frozen=True)
class Cost:
    """Estimated seconds (one-core server), peak megabytes above the worker's idle size, and multiply-adds."""

    seconds: float
    memory_mb: float
    macs: int

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.seconds + other.seconds, max(self.memory_mb, other.memory_mb), self.macs + other.macs)


@dataclass(frozen=True)
class Work:
    """A job's cost and the verdict: `allowed`, and a message (the cost, or what to shrink and to what)."""

    cost: Cost
    allowed: bool
    message: str

    @property
    def seconds(self) -> float:
        """Estimated wall time on a one-core server."""
        return self.cost.seconds

    @property
    def memory_mb(self) -> float:
        """Estimated peak memory above the worker's idle size."""
        return self.cost.memory_mb


def recurrent_steps(spec: ModelSpec) -> int:
    """Timesteps walked by all recurrent layers together, per sample and direction: every stacked layer runs T
    steps, a decoder its output_timesteps."""
    return spec.layers * spec.timesteps + (spec.output_timesteps if spec.repeat == "encoder" else 0)


def fit_cost(spec: ModelSpec, samples: int, batch_size: int, epochs: int, trace: bool = True) -> Cost:
    """The cost of `fit()` on `samples` sequences for `epochs` epochs (with the first call's trace if `trace`).

    Every recurrent layer counts: the stack's layers and the decoder each add their steps and activations.
    """
    description = describe(spec)
    directions = 2 if spec.bidirectional else 1
    batch = min(batch_size, samples)
    walked = recurrent_steps(spec)
    macs = 3 * description.total_macs * samples * epochs  # backward costs about twice the forward
    steps = math.ceil(samples / batch) * walked * epochs * directions
    seconds = macs * SECONDS_PER_MAC + steps * SECONDS_PER_BATCH_STEP
    # Built but not trained (a summary): the weights and the cache's initial copy; trained: every copy.
    memory = BASE_MB + (WEIGHT_COPIES if trace else 2) * 4 * description.total_params / MB
    inputs = math.prod(spec.input_shape(1)[1:])
    target = math.prod(spec.target_shape(1))
    memory += DATA_COPIES * 4 * samples * (inputs + target) / MB
    per_step = GATES[spec.cell] * spec.hidden_size * directions * ACTIVATION_VALUES_PER_GATE_UNIT
    memory += 4 * batch * walked * per_step / MB
    memory += 4 * batch * (spec.output_steps * 4 * spec.output_size + spec.timesteps * 2 * spec.input_size) / MB
    if trace:
        memory += MB_PER_STEP * walked * directions
        seconds += TRACE_SECONDS + TRACE_SECONDS_PER_STEP[spec.head] * spec.output_steps
        if spec.head == "time_distributed" and spec.sequence_output:
            head_inputs = spec.hidden_size * (2 if spec.bidirectional and spec.merge_mode == "concat" else 1)
            memory += TD_TRACE_MB_PER_STEP_SQUARED * spec.output_steps**2
            memory += 4 * spec.output_steps * head_inputs * spec.output_size / MB
    frames_seconds, frames_mb = frames_fit_extra(spec, samples, batch_size, epochs, trace)  # issue 27
    seconds, memory = seconds + frames_seconds, memory + frames_mb
    return Cost(seconds * SLOWDOWN_ONE_CORE, memory, macs)


def _verdict(cost: Cost, what: str, suggestions: list[str]) -> Work:
    problems = []
    if cost.seconds > TIME_BUDGET_SECONDS:
        problems.append(f"about {cost.seconds:,.0f} s on a one-core server (the limit is {TIME_BUDGET_SECONDS:.0f} s)")
    if cost.memory_mb > JOB_MEMORY_MB:
        problems.append(f"about {cost.memory_mb:,.0f} MB of memory (the limit is {JOB_MEMORY_MB} MB)")
    if not problems:
        return Work(cost, True, f"About {cost.seconds:,.0f} s and {cost.memory_mb:,.0f} MB on a small server.")
    advice = " or ".join(suggestions[:3]) if suggestions else "a smaller model in the sidebar"
    message = f"{what} would take {' and '.join(problems)}. It would fit with {advice}."
    return Work(cost, False, message)


def largest_passing(current: int, passes: Callable[[int], bool], low: int = 1) -> int | None:
    """The largest value below `current` (and at least `low`) for which `passes` holds, assuming it is monotone;
    None when there is none (so a refusal never suggests the value that already fails, nor anything below `low`)."""
    if current <= low or not passes(low):
        return None
    good, bad = low, current
    while bad - good > 1:
        middle = (good + bad) // 2
        if passes(middle):
            good = middle
        else:
            bad = middle
    return good


def _spec_suggestions(spec: ModelSpec, fits: Callable[[ModelSpec], bool]) -> list[str]:
    """Sidebar changes that would make the job fit, each the mildest of its kind."""
    found = []
    if spec.head == "time_distributed" and spec.return_sequences and fits(spec.replace(head="dense")):
        found.append("the Dense head (the same function, without TimeDistributed's per-timestep trace)")
    if spec.layers > 1 and fits(spec.replace(layers=1)):
        found.append("a single recurrent layer")
    for name, label in (("timesteps", "T"), ("hidden_size", "hidden size"), ("input_size", "input size")):
        value = largest_passing(
            getattr(spec, name), lambda v, n=name: fits(spec.replace(**{n: v})), INT_RANGES[name][0]
        )
        if value is not None:
            found.append(f"{label} ≤ {value:,}")
    if not found:  # no single change is enough (a deep, wide, long stack): shrink every size together
        sized = ("timesteps", "hidden_size", "input_size", "output_timesteps")

        def capped(v: int) -> ModelSpec:
            return spec.replace(**{name: min(getattr(spec, name), v) for name in sized})

        top = max(getattr(spec, name) for name in sized)
        value = largest_passing(top, lambda v: fits(capped(v)))
        if value is not None:
            found.append(f"T, every size and the decoder's steps ≤ {value:,}")
    return found


def probe_work(spec: ModelSpec, samples: int = 4) -> Work:
    """One `fit()` step on a tiny batch (the Shape flow page's "Ask Keras")."""
    cost = fit_cost(spec, samples, samples, 1)
    suggestions = _spec_suggestions(spec, lambda s: _fits(fit_cost(s, samples, samples, 1)))
    return _verdict(cost, "Asking Keras", suggestions)


def summary_work(spec: ModelSpec) -> Work:
    """Building the model for `model.summary()` (no trace)."""
    cost = fit_cost(spec, 1, 1, 0, trace=False)
    suggestions = _spec_suggestions(spec, lambda s: _fits(fit_cost(s, 1, 1, 0, trace=False)))
    return _verdict(cost, "Building this model", suggestions)


def lab_cost(spec: ModelSpec) -> Cost:
    """The Equivalence lab: both twins run, traced, timed (three traces each) and trained on 16 samples."""
    total = Cost(0.0, 0.0, 0)
    for head in ("dense", "time_distributed"):
        twin = spec.replace(head=head)
        total = total + fit_cost(twin, 16, 8, 5) + fit_cost(twin, 8, 8, 0) + fit_cost(twin, 8, 8, 0)
    return total


def lab_work(spec: ModelSpec) -> Work:
    """The Equivalence lab for this spec."""
    suggestions = _spec_suggestions(spec.replace(head="time_distributed"), lambda s: _fits(lab_cost(s)))
    return _verdict(lab_cost(spec), "The lab", [s for s in suggestions if not s.startswith("the Dense head")])


def training_cost(variants: list[ModelSpec], samples: int, batch_size: int, epochs: int) -> Cost:
    """Training each variant in turn (seconds add up; memory is the largest variant's, the worker runs one)."""
    total = Cost(0.0, 0.0, 0)
    for spec in variants:
        total = total + fit_cost(spec, samples, batch_size, epochs)
    return total


def training_work(settings) -> Work:  # noqa: ANN001 - core.keras.training_session.TrainingSettings (no import cycle)
    """A click on Train with these settings (`core.keras.training_session.TrainingSettings`)."""
    specs = [spec for _, spec in settings.variants]
    n, batch, epochs = settings.samples, settings.batch_size, settings.epochs

    def fits(samples: int = n, batch_size: int = batch, epochs_: int = epochs, models: list = specs) -> bool:
        return _fits(training_cost(models, samples, batch_size, epochs_))

    suggestions = []
    for label, value in (
        ("epochs", largest_passing(epochs, lambda v: fits(epochs_=v))),
        ("samples", largest_passing(n, lambda v: fits(samples=v))),
        ("batch size", largest_passing(batch, lambda v: fits(batch_size=v))),
    ):
        if value is not None:
            suggestions.append(f"{label} ≤ {value:,}")
    if len(specs) > 1 and fits(models=specs[:1]):
        suggestions.append("only the current model")
    if not suggestions:
        first = specs[0]
        suggestions = _spec_suggestions(first, lambda s: _fits(training_cost([s], n, batch, epochs)))
    return _verdict(training_cost(specs, n, batch, epochs), "This training", suggestions)


def _fits(cost: Cost) -> bool:
    return cost.seconds <= TIME_BUDGET_SECONDS and cost.memory_mb <= JOB_MEMORY_MB


# -- honest times: what a person is told is this server's measured speed, not the one-core guard ----------------------
CALIBRATION_WINDOW = 20  # a kind of job's last timings that make its speed (the first ones count from the first job)


class SpeedCalibration:
    """This server's speed, measured: per kind of job (the request's type), the ratio of its measured time in the worker
    to the cost model's one-core estimate, over its last `CALIBRATION_WINDOW` jobs (from the first one).

    The refusals keep the cost model's one-core estimate (the guard: what the smallest server would take); only the
    estimate shown before a click is scaled by this server's own ratio. Thread-safe: the worker's dispatcher records,
    the pages read.

    Example:
        >>> speed = SpeedCalibration()
        >>> speed.record("EquivalenceLab", estimated=34.0, measured=5.1)
        >>> round(speed.seconds("EquivalenceLab", 34.0), 1)
        5.1
    """

    def __init__(self, window: int = CALIBRATION_WINDOW) -> None:
        self._window = window
        self._ratios: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def record(self, kind: str, estimated: float, measured: float) -> None:
        """One finished job of `kind`: the cost model said `estimated` s on one core, the worker took `measured` s."""
        if estimated <= 0 or measured <= 0 or not math.isfinite(estimated) or not math.isfinite(measured):
            return
        with self._lock:
            self._ratios.setdefault(kind, deque(maxlen=self._window)).append(measured / estimated)

    def timed(self, kind: str | None = None) -> int:
        """How many jobs of `kind` (None: of any kind) this server has timed, within the window."""
        with self._lock:
            if kind is None:
                return sum(len(ratios) for ratios in self._ratios.values())
            return len(self._ratios.get(kind, ()))

    def seconds(self, kind: str, estimated: float) -> float | None:
        """The one-core estimate scaled by this server's median ratio for `kind`, or for all its jobs before it has
        timed one of that kind; None before its first timed job."""
        with self._lock:
            ratios = list(self._ratios.get(kind, ())) or [r for kept in self._ratios.values() for r in kept]
        return estimated * statistics.median(ratios) if ratios else None

    def message(self, work: Work, kind: str) -> str:
        """What a page says before a click: this server's time for the work once it has timed jobs (that kind's own
        when it has some), else the cost model's estimate for a small one-core server (`work.message`), as a refusal's
        message always is."""
        seconds = self.seconds(kind, work.seconds) if work.allowed else None
        if seconds is None:
            return work.message
        memory = f"{work.memory_mb:,.0f} MB"
        own = self.timed(kind)
        if own:
            timed = "timed on one such job" if own == 1 else f"timed on its last {own} such jobs"
        else:  # none of this kind yet: its other jobs say how much faster or slower than the cost model it runs
            others = self.timed()
            timed = f"judged by {'one other job' if others == 1 else f'its last {others} other jobs'} it timed"
        return f"{_duration(seconds)} on this server ({timed}) and {memory}."


def _duration(seconds: float) -> str:
    """'Under 1 s', 'About 4 s', 'About 1,234 s'."""
    return "Under 1 s" if seconds < 1 else f"About {seconds:,.0f} s"
