"""What a page can ask the TensorFlow worker for: one frozen request type per Keras job.

A request is its own cache key (frozen, hashable, compared by value): two sessions asking for equal requests watch one
run (core.keras.audience), and a finished one is replayed. Its class says how the worker treats it:
- `group`: "probe" (answers a click in seconds) or "train" (may take a minute); warm-ups run last whatever they are;
- `label`: the words a page uses for it ("Your training is still running");
- `kept`: the worker keeps its finished result under the request, server-wide (small deterministic answers; a training's
  result is kept by the audience's byte-bounded cache instead, and a warm-up's value is the models it traced);
- `time_limit`: the longest the job may hold the worker (core.model.budget.JOB_TIME_LIMIT_SECONDS), even while its
  child still beats.
The child runs `handler_for(request)(request, context)`: handlers register by request type (`handles`), in
core.keras.jobs for the app's jobs and wherever a test defines its own request (tests/worker_handlers.py).

TensorFlow-free and Streamlit-free: the pages import it.

Example:
    >>> FitProbe(ModelSpec(), True, 4) == FitProbe(ModelSpec(), True, 4)
    True
    >>> FitProbe.group, Training.group, WarmUp.kept
    ('probe', 'train', False)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

import numpy as np

from core.model.budget import JOB_TIME_LIMIT_SECONDS, fit_cost, lab_cost, training_cost
from core.model.datasets import MAX_SAMPLES, TASKS
from core.model.spec import ModelSpec, seed_variants, whole_number
from core.model.training_controls import RECALL_LEARNING_RATE

R = TypeVar("R", bound="Request")
Handler = Callable[[Any, Any], Any]
_HANDLERS: dict[type, Handler] = {}


@dataclass(frozen=True)
class Request:
    """The base of every worker request (see the module docstring for what its class attributes mean)."""

    group: ClassVar[str] = "probe"
    label: ClassVar[str] = "Keras job"
    kept: ClassVar[bool] = True
    time_limit: ClassVar[float] = JOB_TIME_LIMIT_SECONDS

    def estimate(self) -> float | None:
        """The cost model's seconds for this job on a one-core server (core.model.budget), or None when it has none:
        the worker times the job against it, so that the estimates shown later are this server's own."""
        return None


def handles(request_type: type[R]) -> Callable[[Handler], Handler]:
    """Register the decorated function as the child's handler of `request_type`."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[request_type] = handler
        return handler

    return register


def handler_for(request: Request) -> Handler:
    """The handler of the request's type (the app's handlers are registered by importing core.keras.jobs)."""
    try:
        return _HANDLERS[type(request)]
    except KeyError:
        raise LookupError(f"No worker handler for {type(request).__name__}.") from None


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
    normalise_targets: bool = False  # the seed's random targets divided by their sum (see core.model.datasets)

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError("variants: nothing to train; allowed: at least one valid model.")
        for label, spec in self.variants:
            if not spec.is_valid:
                raise ValueError(f"{label}: TimeDistributed needs return_sequences=True; Keras cannot build it.")
        if self.task not in TASKS:
            raise ValueError(f"task: got {self.task!r}; allowed: {' | '.join(TASKS)}.")
        for name, low, high in (("samples", 1, MAX_SAMPLES), ("batch_size", 1, MAX_SAMPLES), ("epochs", 1, 500)):
            whole_number(name, getattr(self, name), low, high)
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

    def replace(self, **changes: Any) -> TrainingSettings:
        """A copy with some fields changed (validated like any construction)."""
        from dataclasses import replace  # noqa: PLC0415

        return replace(self, **changes)

    @property
    def batches_per_epoch(self) -> int:
        """Batches in one epoch: the last one may be partial, as in `fit()`."""
        return math.ceil(self.samples / self.batch_size)

    @property
    def planned_batches(self) -> int:
        """Batches over all variants and epochs, if nothing stops the run."""
        return len(self.variants) * self.epochs * self.batches_per_epoch


@dataclass(frozen=True)
class Training(Request):
    """Train each variant of the settings in turn, streaming batches, epochs and results (core.keras.jobs)."""

    settings: TrainingSettings
    group: ClassVar[str] = "train"
    label: ClassVar[str] = "training"
    kept: ClassVar[bool] = False

    def estimate(self) -> float:
        """Training each variant in turn (core.model.budget.training_work's cost)."""
        s = self.settings
        return training_cost([spec for _, spec in s.variants], s.samples, s.batch_size, s.epochs).seconds


@dataclass(frozen=True)
class WarmUp(Request):
    """Build and trace the models a training of these settings will use, before the click (speculative)."""

    specs: tuple[ModelSpec, ...]
    samples: int
    batch_size: int
    seed: int
    label: ClassVar[str] = "warm-up"
    kept: ClassVar[bool] = False  # what it made lives in the child's model cache, not in its result


@dataclass(frozen=True)
class FitProbe(Request):
    """Keras's answer to fit(X, Y) on a tiny batch of per-timestep or per-sequence targets: None or its message."""

    spec: ModelSpec
    per_timestep: bool
    samples: int
    label: ClassVar[str] = "fit() check"

    def estimate(self) -> float:
        """One fit() step on a tiny batch (core.model.budget.probe_work's cost)."""
        return fit_cost(self.spec, self.samples, self.samples, 1).seconds


@dataclass(frozen=True)
class FitAnswer:
    """What fit(X, Y) said: None when it ran, else Keras's error message."""

    error: str | None


@dataclass(frozen=True)
class Summary(Request):
    """Keras's own model.summary() of the spec: a `SummaryResult`."""

    spec: ModelSpec
    label: ClassVar[str] = "model summary"

    def estimate(self) -> float:
        """Building the model (core.model.budget.summary_work's cost)."""
        return fit_cost(self.spec, 1, 1, 0, trace=False).seconds


@dataclass(frozen=True)
class SummaryResult:
    """Keras's summary text, or (when Keras refuses to build the model) its error."""

    text: str | None
    error: str | None


@dataclass(frozen=True)
class SeedSummary(Request):
    """The seed's model 1, built and fitted as the Keras 3 translation does: its summary() text today."""

    label: ClassVar[str] = "seed model's summary"


@dataclass(frozen=True)
class InitialWeights(Request):
    """The seed's initial weights of the spec's model (as a training with that seed starts from): `WeightArrays`."""

    spec: ModelSpec
    seed: int
    label: ClassVar[str] = "weights"

    def estimate(self) -> float:
        """Building the model (core.model.budget.summary_work's cost)."""
        return fit_cost(self.spec, 1, 1, 0, trace=False).seconds


@dataclass(frozen=True)
class WeightArrays:
    """Keras's variable paths and `get_weights()` arrays, for the step panel's numpy stepper."""

    paths: list[str]
    arrays: list[Any]


@dataclass(frozen=True, eq=False)
class CheckFix(Request):
    """Fixes of Fix my error, each built and fitted a few steps on synthetic data of the learner's shapes; the result
    is a list with None for a fix whose loss fell, else the reason. The checks are dicts (core.diagnosis), so equality
    and the hash go by their text."""

    checks: tuple[dict, ...]
    label: ClassVar[str] = "checks of the fixes"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CheckFix) and repr(self.checks) == repr(other.checks)

    def __hash__(self) -> int:
        return hash(repr(self.checks))


LAB_PERTURB = 1e-3  # the lab's control: one weight of the TimeDistributed twin moved by this much


@dataclass(frozen=True)
class EquivalenceLab(Request):
    """Every measurement of the Equivalence lab from one pair of twins, each stage timed and streamed as it ends."""

    spec: ModelSpec
    perturb: float
    label: ClassVar[str] = "equivalence lab"

    def estimate(self) -> float:
        """Both twins run, traced, timed and trained (core.model.budget.lab_work's cost)."""
        return lab_cost(self.spec).seconds


# The Equivalence lab's results (its handler returns them in a dict, by stage; core.figures.equivalence draws them).
@dataclass(frozen=True)
class TwinOutputs:
    """Both twins run on one batch.

    `time_distributed` and `max_abs_diff` are None when the TimeDistributed twin cannot be built
    (return_sequences=False); `error` then says why, in the words of `describe()`.
    """

    spec: ModelSpec
    inputs: np.ndarray
    dense: np.ndarray
    time_distributed: np.ndarray | None
    max_abs_diff: float | None
    perturb: float = 0.0
    error: str | None = None
    keras_error: str | None = None

    def _replace_perturb(self, perturb: float) -> TwinOutputs:
        return replace(self, perturb=perturb)


@dataclass(frozen=True)
class TwinTraining:
    """Both twins trained from the same weights on the same data in the same order."""

    spec: ModelSpec
    dense_loss: tuple[float, ...]
    time_distributed_loss: tuple[float, ...]
    max_loss_diff: float
    max_weight_diff: float
    epochs: int
    samples: int
    batch_size: int


@dataclass(frozen=True)
class GraphCounts:
    """Operations in one traced graph: all of them, the MatMuls, and the ten most frequent op types."""

    ops: int
    matmuls: int
    top_types: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Timing:
    """Seconds for the first call of a fresh tf.function (tracing included) and a typical later forward pass."""

    first_call: float
    forward: float


@dataclass(frozen=True)
class FramesEquivalence(Request):
    """TimeDistributed(Conv2D) against the reshape it stands for, with the given seed (core.keras.frames)."""

    spec: ModelSpec
    seed: int = 0
    label: ClassVar[str] = "frames lab"


@dataclass(frozen=True)
class WrapperCost(Request):
    """What TimeDistributed costs: graph ops (and first-fit seconds when `fit`) per head at each length."""

    timesteps: tuple[int, ...]
    fit: bool = True
    label: ClassVar[str] = "wrapper cost"


@dataclass(frozen=True)
class Masking(Request):
    """The masked loss for (padding, head, loss) and the per-step weights' loss for that loss (core.keras.masking)."""

    padding: str
    head: str
    loss: str
    label: ClassVar[str] = "masking check"


@dataclass(frozen=True)
class MaskedTraining(Training):
    """Fit one spec with its padding mask and per-step `sample_weight`, then Keras's loss beside the hand computation
    sum(m·w·l) / sum(m) (core.keras.masking.masked_training); timed and grouped as a training."""

    label: ClassVar[str] = "masked training"
