"""The figures' text alternatives (core/figures/alt_text.py) say the numbers the figures show: checked against
`describe()`, against the growth chart's own data, and against inputs built here, never against copied strings."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from core import describe, format_shape
from core.diagnosis import diagnose
from core.figures.alt_text import (
    diagnosis_alt,
    growth_alt,
    loss_curves_alt,
    op_counts_alt,
    prediction_alt,
    shape_flow_alt,
    timestep_losses_alt,
    twin_losses_alt,
    twin_outputs_alt,
    unrolled_alt,
)
from core.figures.step_alt_text import head_alt, states_alt, weights_alt
from core.figures.tables import GROWTH_AXES, growth_values
from core.model.spec import DEFAULTS
from core.model.stepper import ModelWeights, run

SPECS = {
    "seed": DEFAULTS,
    "last step, Dense": DEFAULTS.replace(return_sequences=False, head="dense", cell="LSTM", timesteps=12),
    "stacked bidirectional": DEFAULTS.replace(bidirectional=True, layers=2, cell="SimpleRNN"),
    "encoder-decoder": DEFAULTS.replace(repeat="encoder", return_sequences=False, output_timesteps=7),
}


@pytest.mark.parametrize("name", SPECS)
def test_unrolled_alt_says_each_layers_parameters_and_uses(name):
    """Every recurrent layer's parameters and steps, the head's parameters and applications, the total."""
    description = describe(SPECS[name])
    text = unrolled_alt(description)
    assert text.startswith(f"{description.layers[1].class_label} unrolled over {description.spec.timesteps:,} steps")
    for layer in description.layers:
        if layer.role in ("recurrent", "decoder"):
            assert f"'{layer.name}'" in text and f"{layer.params:,} parameters" in text
            assert f"every one of {layer.input_shape[1]:,} steps" in text
            assert format_shape(layer.output_shape) in text
        if layer.role == "head":
            uses = "once" if layer.applications == 1 else f"{layer.applications:,} times"
            assert f"{layer.class_label} {layer.params:,} parameters, used {uses}" in text
    assert f"{description.total_params:,} parameters in all" in text
    assert format_shape(description.output_shape) in text


def test_unrolled_alt_of_a_refused_model_says_where_keras_refuses():
    description = describe(DEFAULTS.replace(return_sequences=False))
    assert description.error
    text = unrolled_alt(description)
    assert f"refuses to build it at '{description.broken_at}'" in text and description.error in text
    assert "in all" not in text  # no total for a model that does not exist


@pytest.mark.parametrize("name", SPECS)
def test_shape_flow_alt_lists_every_layers_shape_in_order(name):
    description = describe(SPECS[name])
    text = shape_flow_alt(SPECS[name])
    positions = [
        text.index(f"{layer.name} {layer.class_label} {format_shape(layer.output_shape)}")
        for layer in description.layers
    ]
    assert positions == sorted(positions)
    assert text.rstrip(".").endswith(format_shape(description.target_shape))


def test_shape_flow_alt_says_where_it_fails():
    spec = DEFAULTS.replace(return_sequences=False)
    refusal = describe(spec).refusal
    assert f"{refusal.layer} {refusal.layer_class} fails: {refusal.flow_note}" in shape_flow_alt(spec)


@pytest.mark.parametrize("axis", GROWTH_AXES)
def test_growth_alt_gives_the_ends_of_each_curve(axis):
    """The first and last point of each cell's curves, recomputed here with describe()."""
    values = growth_values(DEFAULTS, axis)
    text = growth_alt(DEFAULTS, axis)
    assert f"from {values[0]:,} to {values[-1]:,} (yours: {getattr(DEFAULTS, axis):,})" in text
    for cell in ("SimpleRNN", "GRU", "LSTM"):
        low, high = (describe(DEFAULTS.replace(cell=cell, **{axis: value})) for value in (values[0], values[-1]))
        params = f"{low.total_params:,}" + (
            " throughout" if low.total_params == high.total_params else f" → {high.total_params:,}"
        )
        assert f"{cell}: parameters {params}, multiply-adds per sample {low.total_macs:,} → {high.total_macs:,}" in text


def test_loss_curves_alt_gives_each_models_first_and_last_loss():
    curves = [("Model 1", [2.5, 2.0, 1.5], [2.0, 1.25]), ("Model 3", [0.75], []), ("Model 2", [], [])]
    text = loss_curves_alt(curves, "mse")
    assert "Model 1: 2 after the first epoch, 1.25 after epoch 2" in text
    assert "Model 3: 0.75" in text and "Model 2: no loss yet" in text and text.startswith("Training mse")


def test_timestep_losses_alt_names_the_hardest_step():
    grid = np.full((3, 10), 0.5)
    grid[0] = np.linspace(1.0, 2.0, 10)
    grid[-1, 7] = 0.9
    text = timestep_losses_alt(grid.tolist(), "loss")
    assert "10 timesteps after each of 3 epochs" in text and "ranges 1 to 2" in text
    assert "after epoch 3 0.5 to 0.9, highest at t=7" in text


def test_prediction_alt_counts_the_matching_steps():
    rng = np.random.default_rng(0)
    target = np.eye(4)[rng.integers(0, 4, size=9)]
    prediction = target * 0.6 + 0.1
    prediction[[2, 5]] = np.roll(prediction[[2, 5]], 1, axis=1)  # two steps now predict another class
    assert "over 9 timesteps and 4 classes" in prediction_alt(prediction, target)
    assert "at 7 of 9 steps" in prediction_alt(prediction, target)
    assert "the last step" in prediction_alt(prediction[0], target[0])
    target[0] = 0.25  # a uniform target (the recall task's t=0) has no class to match
    assert "at 6 of 8 steps (1 step with no single target class not counted)" in prediction_alt(prediction, target)


def test_twin_alts_report_the_differences():
    dense = np.zeros((2, 5, 3))
    distributed = dense.copy()
    distributed[1, 4, 2] = 0.25
    outputs = SimpleNamespace(dense=dense, time_distributed=distributed, error=None)
    assert "(5 × 3 values)" in twin_outputs_alt(outputs, 1) and "largest 0.25" in twin_outputs_alt(outputs, 1)
    assert "largest 0." in twin_outputs_alt(outputs, 0)
    refused = SimpleNamespace(dense=dense, time_distributed=None, error="no time axis")
    assert twin_outputs_alt(refused, 0).endswith("does not build. no time axis")
    training = SimpleNamespace(dense_loss=(1.5, 0.5), time_distributed_loss=(1.5, 0.75), max_loss_diff=0.25, epochs=2)
    assert "Dense 1.5 → 0.5, TimeDistributed(Dense) 1.5 → 0.75; largest difference 0.25" in twin_losses_alt(training)
    counts = {
        "time_distributed": {"head": SimpleNamespace(ops=1234, matmuls=64)},
        "dense": {"head": SimpleNamespace(ops=9, matmuls=1)},
    }
    assert "TimeDistributed(Dense) 1,234 ops, 64 MatMul; Dense 9 ops, 1 MatMul" in op_counts_alt(counts)


def test_diagnosis_alt_marks_the_broken_step():
    diagnosis = diagnose(
        "ValueError: Arguments `target` and `output` must have the same rank (ndim). "
        "Received: target.shape=(None, 2), output.shape=(None, 15, 2)"
    )
    assert diagnosis.flow
    text = diagnosis_alt(diagnosis.flow)
    for step in diagnosis.flow:
        assert step.label in text
    broken = next(step for step in diagnosis.flow if step.broken)
    shape = format_shape(broken.shape) if broken.shape is not None else "shape unknown"
    assert f"{broken.label} {shape} (breaks here)" in text


# -- the step panel's figures: against the stepper's own arrays --------------------------------------------------------
def _trace(spec):
    """Seeded random weights (shapes from describe) and one sample, stepped through the model."""
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=w.shape).astype(np.float32) for layer in describe(spec).layers for w in layer.weights]
    weights = ModelWeights.from_arrays(spec, arrays)
    return weights, run(weights, rng.normal(size=(spec.timesteps, spec.input_size)).astype(np.float32))


def test_step_alts_read_the_steps_numbers():
    spec = DEFAULTS.replace(timesteps=5, input_size=3, hidden_size=4, output_size=2, bidirectional=True)
    weights, trace = _trace(spec)
    states = states_alt(trace, 3)
    assert "8 units × 5 steps" in states  # concat: 2 × 4 units
    assert "h_3 = [" + ", ".join(f"{v:.2f}" for v in trace.merged(3)) + "]" in states
    cell = weights.cell("backward")
    assert f"{cell.names[0]} 3 × 12" in weights_alt(weights, "backward", 1)  # a GRU's 3 gates × 4 units
    assert "r (reset gate)" in weights_alt(weights, "backward", 1)
    head = head_alt(trace, weights, 1, 4)
    assert "W (8 × 2) at steps 1, 4" in head
    assert "y_4 = [" + ", ".join(f"{v:.2f}" for v in trace.outputs[4]) + "]" in head


def test_step_alts_of_a_last_step_model_and_long_vectors():
    spec = DEFAULTS.replace(timesteps=4, input_size=3, hidden_size=20, return_sequences=False, head="dense")
    weights, trace = _trace(spec)
    assert "applied once, to the last state" in head_alt(trace, weights, 0, 3)
