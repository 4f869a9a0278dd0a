"""What the wrapper costs, measured live (issue 27): graph ops and the first fit's time of a head after a GRU.

Keras 3's `TimeDistributed.call` runs a Python `for` over a static time axis (one copy of the wrapped layer's ops
per step in the traced graph) and `backend.vectorized_map` over a `None` time axis; a plain `Dense` on 3-D input is
one matmul whatever T. Keras 2 reshaped to (batch·T, …) instead. The numbers here come from the installed Keras: the
op count is that of the head's `tf.function` concrete graph, the time that of the first `fit()` (tracing included).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from core.keras.requests import WrapperCost, handles

# The three heads measured: a plain Dense, TimeDistributed(Dense) on a static T, and on a None time axis.
HEADS = ("dense", "time_distributed", "time_distributed_none")
HEAD_LABELS = {
    "dense": "Dense",
    "time_distributed": "TimeDistributed(Dense), static T",
    "time_distributed_none": "TimeDistributed(Dense), time axis None",
}


@dataclass(frozen=True)
class CostRow:
    """One head at one T: the ops of its traced graph, and the first fit's seconds (None when not fitted)."""

    head: str
    timesteps: int
    ops: int
    first_fit_seconds: float | None


def _head(keras: Any, head: str, units: int) -> Any:
    dense = keras.layers.Dense(units, name="dense")
    return dense if head == "dense" else keras.layers.TimeDistributed(dense, name="time_distributed")


def head_op_count(head: str, timesteps: int, features: int = 16, units: int = 8) -> int:
    """Operations in the head's traced graph on (batch, T, features); T is left open (None) for the None head."""
    from core.keras.env import load_keras, load_tensorflow  # noqa: PLC0415

    keras, tf = load_keras(), load_tensorflow()
    layer = _head(keras, head, units)
    steps = None if head == "time_distributed_none" else timesteps
    layer.build((None, steps, features))
    graph = tf.function(layer).get_concrete_function(tf.TensorSpec((None, steps, features), tf.float32)).graph
    return len(graph.get_operations())


def first_fit_seconds(head: str, timesteps: int, features: int = 4, hidden: int = 16, samples: int = 32) -> float:
    """Seconds of the first `fit()` (one epoch, tracing included) of GRU(hidden) → the head on random data."""
    import numpy as np  # noqa: PLC0415

    from core.keras.env import load_keras  # noqa: PLC0415

    keras = load_keras()
    steps = None if head == "time_distributed_none" else timesteps
    inputs = keras.Input(shape=(steps, features))
    x = keras.layers.GRU(hidden, return_sequences=True)(inputs)
    model = keras.Model(inputs, _head(keras, head, 3)(x))
    model.compile(loss="mse", optimizer="rmsprop")
    rng = np.random.default_rng(0)
    x_data = rng.random((samples, timesteps, features), dtype=np.float32)
    y_data = rng.random((samples, timesteps, 3), dtype=np.float32)
    started = time.perf_counter()
    model.fit(x_data, y_data, epochs=1, batch_size=16, verbose=0)
    return time.perf_counter() - started


def measure_wrapper_cost(timesteps: tuple[int, ...] = (16, 64), fit: bool = True) -> list[CostRow]:
    """Every head at every T: op counts always, first-fit seconds when `fit` (the slow part)."""
    return [
        CostRow(head, steps, head_op_count(head, steps), first_fit_seconds(head, steps) if fit else None)
        for steps in timesteps
        for head in HEADS
    ]


@handles(WrapperCost)
def wrapper_cost_job(request: WrapperCost, context: Any) -> list[CostRow]:
    """The worker job: `measure_wrapper_cost(timesteps, fit)`."""
    context.stage("Tracing each head and timing its first fit…" if request.fit else "Tracing each head…")
    return measure_wrapper_cost(tuple(request.timesteps), request.fit)


# What the Equivalence page measures: every head at two lengths, each with its first fit.
PAGE_TIMESTEPS = (16, 64)
KERAS_2_NOTE = (
    "Keras 3's TimeDistributed runs a Python for over a static time axis, one copy of the wrapped layer's ops per "
    "step, and vectorized_map over a None axis, where Keras 2 reshaped to (batch·T, …) and called the layer once."
)


def wrapper_cost_work() -> Any:
    """The budget's verdict on the page's measurement (`core.model.budget.Work`): six small fits, each traced."""
    from core.model.budget import _verdict, training_cost  # noqa: PLC0415
    from core.model.spec import ModelSpec  # noqa: PLC0415

    models = [
        ModelSpec(timesteps=steps, input_size=4, hidden_size=16, output_size=3, head=head, activation="linear")
        for steps in PAGE_TIMESTEPS
        for head in ("dense", "time_distributed", "time_distributed")
    ]
    return _verdict(training_cost(models, 32, 16, 1), "Measuring the wrapper's cost", [])
