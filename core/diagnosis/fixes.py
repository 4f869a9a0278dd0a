"""Fixes as minimal edits of the learner's model (or of X and Y), each with the worker payload that checks it.

A fix keeps the learner's cell, sizes, layer count and loss unless it is about them; when its head would disagree
with its loss (`heads.head_problems`) the head is corrected too, and the fix says so. The diff is of the learner's
model written as code (`Net.code`), never of the sidebar's unless the learner picked it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from core.diagnosis.causes import Evidence, target_cause
from core.diagnosis.check import BUILDABLE
from core.diagnosis.heads import head_problems
from core.diagnosis.net import Net, net_to_spec
from core.diagnosis.result import Fix
from core.diagnosis.shapes import Shape

MAX_CHECK_ELEMENTS = 2_000_000  # a fix whose synthetic X or Y would be larger is not fitted (shown unchecked)


def unified_diff(before: list[str], after: list[str]) -> str:
    """A unified diff of two code listings, labelled as the learner's model and the fix."""
    return "\n".join(difflib.unified_diff(before, after, "your_model.py", "fixed.py", lineterm="", n=2))


def _batch_for(*shapes: Shape | None) -> int:
    """A small batch that equals no other dimension, so that no broadcast succeeds by coincidence."""
    taken = {dim for shape in shapes if shape for dim in shape[1:]}
    return next(size for size in (8, 9, 10, 11, 13, 14) if size not in taken)


def _concrete(shape: Shape | None, batch: int) -> tuple[int, ...] | None:
    if shape is None or any(dim is None for dim in shape[1:]):
        return None
    return (batch, *shape[1:])  # type: ignore[return-value]


def check_payload(net: Net, x: Shape | None, y: Shape | None) -> dict | None:
    """What the worker fits for a fixed model: the net, concrete X and Y; None when shapes are not all known or the
    head disagrees with the loss (never checked, never shown as checked)."""
    if x is None and net.input_shape:
        x = (None, *net.input_shape)
    output = net.output_shape(x)
    y = y if y is not None else output
    if x is None or y is None or output is None or net.loss is None:
        return None
    if any(layer.kind not in BUILDABLE for layer in net.layers):
        return None  # a layer the check cannot build (Conv2D, Embedding...): shown as not checked
    if head_problems(net.loss, net.final_activation(), net.output_units(), output, y):
        return None
    if target_cause(y, output, net.loss) is not None:
        return None  # the fixed model's output and the targets would still disagree
    batch = _batch_for(x, y)
    cx, cy = _concrete(x, batch), _concrete(y, batch)
    if cx is None or cy is None or any(_size(shape) > MAX_CHECK_ELEMENTS for shape in (cx, cy)):
        return None
    fixed = Net(net.layers, tuple(cx[1:]), net.loss, net.source)
    return {"net": fixed.to_payload(), "x_shape": list(cx), "y_shape": list(cy)}


def _size(shape: tuple[int, ...]) -> int:
    total = 1
    for dim in shape:
        total *= dim
    return total


def model_fix(
    ev: Evidence,
    fixed: Net,
    description: str,
    x: Shape | None = None,
    y: Shape | None = None,
    data: tuple = (),
    changes: str = "",
) -> Fix:
    """A fix that edits the model (and maybe X or Y): diff of the learner's model, the loadable spec, the check."""
    net = ev.net
    assert net is not None
    x = x if x is not None else ev.x
    y = y if y is not None else ev.target
    fixed = agree_head(fixed, y, fixed.output_shape(x))
    if fixed.loss != net.loss or fixed.final_activation() != net.final_activation():
        changes = changes or "The output layer changes to suit the loss, so the outputs are read differently."
        description += f" (the output becomes {fixed.final_activation()} with {fixed.loss})"
    diff = unified_diff(net.code(), fixed.code(data))
    return Fix(description, diff, net_to_spec(fixed), check_payload(fixed, x, y), changes, fixed, (x, y, data))


def value_twin(ev: Evidence, fix: Fix) -> Fix | None:
    """For a fix that turned a one-unit softmax into sigmoid + binary cross-entropy (right for 0/1 labels), the same
    fix for targets that are values: a linear output with MSE."""
    fixed = fix.net
    if fixed is None or fix.shapes is None or fixed.loss != "binary_crossentropy" or ev.net is None:
        return None
    if ev.net.loss == "binary_crossentropy":
        return None
    x, y, data = fix.shapes
    values = _with_loss(fixed.with_output_activation("linear"), "mse")
    description = fix.description.split(" (the output becomes")[0] + " (for values, not 0/1 labels: linear with mse)"
    diff = unified_diff(ev.net.code(), values.code(data))
    return Fix(description, diff, net_to_spec(values), check_payload(values, x, y), fix.changes_prediction, values)


def agree_head(net: Net, target: Shape | None, output: Shape | None) -> Net:
    """The net with its head made to agree with its loss and targets, changing as little as it can."""
    loss, activation, units = net.loss, net.final_activation(), net.output_units()
    if not head_problems(loss, activation, units, output, target):
        return net
    if loss in ("mse", "mae"):
        return net.with_output_activation("linear")
    if units == 1 and loss in ("categorical_crossentropy", "sparse_categorical_crossentropy", None):
        return _with_loss(net.with_output_activation("sigmoid"), "binary_crossentropy")
    if loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        return net.with_output_activation("softmax")
    if loss == "binary_crossentropy":
        return net.with_output_activation("sigmoid")
    return net


def _with_loss(net: Net, loss: str) -> Net:
    return Net(net.layers, net.input_shape, loss, net.source, net.guessed, net.outside)


def data_fix(ev: Evidence, description: str, line: str, x: Shape | None = None, y: Shape | None = None) -> Fix:
    """A change of X or Y only: the learner's model stays; the worker checks it with the new shapes."""
    if ev.net is None:
        return Fix(description, line)
    return model_fix(ev, ev.net, description, x=x, y=y, data=(line,))


def code_fix(description: str, before: str, after: str) -> Fix:
    """Advice as a code change the app cannot build (no model read): never called checked."""
    return Fix(description, unified_diff([before], [after]))


def _last_recurrent(net: Net) -> int | None:
    indices = net.recurrent_indices()
    return indices[-1] if indices else None


def _input_rank_fixes(ev: Evidence) -> list[Fix]:
    net = ev.net
    found = ev.x if ev.x is not None else (ev.reading.found or ev.reading.target)
    if net is None or found is None:
        return [
            code_fix(
                "Give X a time axis: (samples, timesteps, features)", "X  # 2 axes", "X = X.reshape(len(X), -1, 1)"
            )
        ]
    batch = found[0]
    if len(found) == 2 and found[-1] is not None:
        features = found[-1]
        seq, one = (batch, features, 1), (batch, 1, features)
        return [
            _reshape(
                ev, net, seq, f"X = X.reshape(len(X), {features}, 1)", "A sequence per sample: one feature per step"
            ),
            _reshape(ev, net, one, "X = X[:, None, :]", "Or one step of features per sample (a time axis of 1)"),
        ]
    if len(found) > 3 and all(dim is not None for dim in found[1:]):
        features = 1
        for dim in found[2:]:
            features *= dim  # type: ignore[operator]
        flat = (batch, found[1], features)
        return [
            _reshape(
                ev,
                net,
                flat,
                f"X = X.reshape(len(X), {found[1]}, {features})",
                "Merge the axes after time into features",
            )
        ]
    return []


def _reshape(ev: Evidence, net: Net, x: Shape, line: str, description: str) -> Fix:
    fixed = Net(net.layers, tuple(x[1:]), net.loss, net.source)
    y = ev.y if ev.y is not None else None
    return model_fix(ev, fixed, description, x=x, y=y, data=(line,))


def _set_sequences(ev: Evidence, index: int, value: bool, description: str, changes: str = "") -> Fix:
    net = ev.net
    assert net is not None
    fixed = net.with_layer(index, return_sequences=value)
    head = fixed.head_index()
    if not value and head is not None and fixed.layers[head].time_distributed:
        fixed = fixed.with_layer(head, time_distributed=False)
    return model_fix(ev, fixed, description, changes=changes)


FixMaker = Callable[[Evidence], list[Fix]]
