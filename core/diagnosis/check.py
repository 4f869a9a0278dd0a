"""What checking a fix costs: the same time and memory budget as any worker job (core.model.budget), estimated from
the fix's layers and the learner's shapes, so that the page refuses a check a small server cannot afford."""

from __future__ import annotations

from core.model.budget import JOB_MEMORY_MB, MB, SECONDS_PER_MAC, SLOWDOWN_ONE_CORE, TIME_BUDGET_SECONDS, Cost, Work

STEPS = 6  # fit steps per check (core.keras.fix_check runs them)
EAGER_MAX_STEPS = 40  # above this many timesteps a check runs as a graph
# The layers core.keras.fix_check can build; a fix with another layer is shown as advice, not checked.
BUILDABLE = ("LSTM", "GRU", "SimpleRNN", "Dense", "Activation", "Flatten", "RepeatVector", "Dropout")
EAGER_SECONDS_PER_STEP = 0.002  # one timestep of one recurrent layer, forward and backward, run eagerly (measured)
GRAPH_SECONDS_PER_STEP = 0.0005
BUILD_SECONDS = 2.0  # build, compile and (for long sequences) trace
GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def check_cost(payload: dict) -> Cost:
    """An upper estimate of one check: every fit and evaluate walks each recurrent layer along X's steps eagerly."""
    x_shape, y_shape = payload["x_shape"], payload["y_shape"]
    steps = x_shape[1] if len(x_shape) >= 3 else 1
    runs = STEPS
    width, macs, seconds = x_shape[-1], 0, BUILD_SECONDS
    for layer in payload["net"]["layers"]:
        units = layer.get("units") or width
        if layer["kind"] in GATES:
            directions = 2 if layer.get("bidirectional") else 1
            macs += 3 * GATES[layer["kind"]] * units * (width + units) * steps * x_shape[0] * directions * runs
            per_step = EAGER_SECONDS_PER_STEP if steps <= EAGER_MAX_STEPS else GRAPH_SECONDS_PER_STEP
            seconds += per_step * steps * directions * runs
            width = units * directions
        elif layer["kind"] == "Dense":
            macs += 3 * width * units * steps * x_shape[0] * runs
            width = units
    data = 4 * 3 * (_product(x_shape) + _product(y_shape)) / MB
    return Cost((seconds + macs * SECONDS_PER_MAC) * SLOWDOWN_ONE_CORE, 80 + data, macs)


def _product(shape: list[int]) -> int:
    total = 1
    for dim in shape:
        total *= dim
    return total


def checks_work(payloads: list[dict]) -> Work:
    """Whether one job may check these fixes on a small server (the same time and memory budget as any job)."""
    cost = Cost(0.0, 0.0, 0)
    for payload in payloads:
        cost = cost + check_cost(payload)
    allowed = cost.seconds <= TIME_BUDGET_SECONDS and cost.memory_mb <= JOB_MEMORY_MB
    message = f"Checking these fixes would take about {cost.seconds:,.0f} s and {cost.memory_mb:,.0f} MB"
    return Work(cost, allowed, message + (": fine." if allowed else ", more than a small server allows."))
