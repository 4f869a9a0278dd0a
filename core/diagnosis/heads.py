"""Does a model's head agree with its loss and targets? One pure rule, used before any fix is called checked.

The rule (issue 23): no softmax on one unit (it always outputs 1.0); MSE and MAE want a linear output; categorical
cross-entropy wants softmax and one-hot targets as wide as the output; sparse categorical cross-entropy wants softmax
over at least two units and integer labels (one axis fewer than the output, or a last axis of 1); binary
cross-entropy wants sigmoid and targets shaped like the output.
"""

from __future__ import annotations

from core.diagnosis.shapes import Shape, same_shape

TARGET_KINDS = {
    "mse": "real",
    "mae": "real",
    "categorical_crossentropy": "one_hot",
    "sparse_categorical_crossentropy": "integer",
    "binary_crossentropy": "binary",
}


def head_problems(
    loss: str | None, activation: str, units: int | None, output: Shape | None, target: Shape | None
) -> tuple[str, ...]:
    """The ways a head (final activation, units) disagrees with its loss and targets; empty when they agree."""
    problems: list[str] = []
    if activation == "softmax" and units == 1:
        problems.append("softmax over one unit always outputs 1.0, so the model cannot learn")
    if loss in ("mse", "mae") and activation != "linear":
        problems.append(f"{loss.upper()} compares values, so the output should be linear, not {activation}")
    if loss == "categorical_crossentropy":
        problems += _categorical(activation, units, output, target)
    elif loss == "sparse_categorical_crossentropy":
        problems += _sparse(activation, units, output, target)
    elif loss == "binary_crossentropy":
        if activation != "sigmoid":
            problems.append(f"binary cross-entropy wants a sigmoid output, not {activation}")
        if output is not None and target is not None and not same_shape(_squeeze(target, output), output):
            problems.append("binary cross-entropy wants targets shaped like the output")
    return tuple(problems)


def _squeeze(target: Shape, output: Shape) -> Shape:
    """Keras's own step: a target with one axis fewer than an output ending in 1 gets that axis back."""
    if len(target) + 1 == len(output) and output[-1] == 1:
        return (*target, 1)
    return target


def _categorical(activation: str, units: int | None, output: Shape | None, target: Shape | None) -> list[str]:
    problems = []
    if activation != "softmax":
        problems.append(f"categorical cross-entropy wants a softmax output, not {activation}")
    if units is not None and units < 2:
        problems.append("categorical cross-entropy over one unit is always 0: it needs one unit per class")
    if output is not None and target is not None and not same_shape(target, output):
        problems.append(
            f"categorical cross-entropy wants one-hot targets of width {output[-1]}, shaped like the output"
        )
    return problems


def _sparse(activation: str, units: int | None, output: Shape | None, target: Shape | None) -> list[str]:
    problems = []
    if activation != "softmax":
        problems.append(f"sparse categorical cross-entropy wants a softmax output, not {activation}")
    if units is not None and units < 2:
        problems.append("sparse categorical cross-entropy needs one unit per class (at least two)")
    if output is not None and target is not None:
        labels = target[:-1] if len(target) == len(output) and target[-1] == 1 else target
        if not same_shape(labels, output[:-1]):
            problems.append("sparse categorical cross-entropy wants one integer label per prediction")
    return problems


def target_kind(loss: str | None) -> str:
    """The kind of synthetic targets a loss learns from: real values, one-hot rows, integer labels or 0/1."""
    return TARGET_KINDS.get(loss or "mse", "real")
