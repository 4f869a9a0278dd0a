"""The target checker: what Keras's `fit()` will say about a kind of targets, predicted without running it.

`target_verdict(spec, per_timestep_targets)` predicts, without TensorFlow, whether `fit()` accepts targets shaped
(N, T, O) or (N, O): it follows Keras 3.15.1's own steps (keras/src/losses/loss.py `squeeze_or_expand_to_same_rank`,
the rank and shape checks of categorical cross-entropy, broadcasting in MSE).
The tests compare it with a real `fit()` for every combination.

Example:
    >>> from core import ModelSpec
    >>> target_verdict(ModelSpec(return_sequences=False, head="dense"), per_timestep_targets=True).status
    'error'
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model.anatomy import Shape, describe, format_shape
from core.model.spec import ModelSpec

# A batch dimension not known in advance: equal only to itself, so it never broadcasts by coincidence.
BATCH = "N"
Dim = int | str

STATUSES = ("ok", "stretched", "silent", "error", "build_error")

# The start of each Keras message (3.15.1) fit() gives, to recognise the real one and to quote it when predicting
# (a model Keras refuses to build has its own, in core.model.refusal).
KERAS_PHRASES = {
    "rank": "Arguments `target` and `output` must have the same rank (ndim)",
    "shape": "Arguments `target` and `output` must have the same shape",
    "broadcast": "Dimensions must be equal",
}


@dataclass(frozen=True)
class TargetVerdict:
    """What `fit()` does with a kind of targets: the analytic expectation, in plain words, and the fix.

    `status` is "ok" (fit works and each target meets its prediction), "stretched" (fit works, each sample's
    targets meet its own predictions, but a size-1 axis is dropped and one side is repeated along time), "silent"
    (fit runs but broadcasting pairs targets with other samples' predictions: a wrong loss without an error),
    "error" (fit raises) or "build_error" (Keras cannot build the model). `keras_phrase` is how Keras's own
    message starts, when one is expected.
    """

    status: str
    fits: bool
    headline: str
    explanation: str
    fix: str
    targets_shape: Shape
    output_shape: Shape | None
    keras_phrase: str | None
    caveat: str = ""


def _squeeze_or_expand(target: tuple[Dim, ...], output: tuple[Dim, ...]) -> tuple[tuple[Dim, ...], tuple[Dim, ...]]:
    """Keras's `squeeze_or_expand_to_same_rank`: when ranks differ by one and the longer ends in 1, drop that 1."""
    if len(target) == len(output) + 1 and target[-1] == 1:
        if len(output) == 1:
            output = (*output, 1)
        else:
            target = target[:-1]
    if len(output) == len(target) + 1 and output[-1] == 1:
        if len(target) == 1:
            target = (*target, 1)
        else:
            output = output[:-1]
    return target, output


def _broadcast(a: tuple[Dim, ...], b: tuple[Dim, ...]) -> tuple[Dim, ...] | None:
    """NumPy/TensorFlow broadcasting of two static shapes, or None when they are incompatible."""
    result: list[Dim] = []
    for index in range(1, max(len(a), len(b)) + 1):
        x = a[-index] if index <= len(a) else 1
        y = b[-index] if index <= len(b) else 1
        if x == y or y == 1:
            result.append(x)
        elif x == 1:
            result.append(y)
        else:
            return None
    return tuple(reversed(result))


def loss_outcome(loss: str, target: tuple[Dim, ...], output: tuple[Dim, ...]) -> tuple[str, str | None]:
    """("ok" | "stretched" | "silent" | "error", the key of Keras's error phrase) for these static shapes.

    The batch size, when concrete, must be at least 2 (with one sample nothing can be paired with another).
    """
    target, output = _squeeze_or_expand(target, output)
    if loss == "categorical_crossentropy":
        if len(target) != len(output):
            return "error", "rank"
        if target != output:
            return "error", "shape"
        return "ok", None
    # mean_squared_error squeezes again (a no-op now), then subtracts: plain broadcasting.
    if _broadcast(target, output) is None:
        return "error", "broadcast"
    if target == output:
        return "ok", None
    # Same rank: the batch axes line up and only within-sample axes are repeated. Different ranks: the target's
    # batch axis lines up with some other axis of the output, so samples meet each other's predictions.
    return ("stretched", None) if len(target) == len(output) else ("silent", None)


def _concrete(shape: Shape, batch: Dim) -> tuple[Dim, ...]:
    return tuple(batch if dim is None else dim for dim in shape)


def targets_shape(spec: ModelSpec, per_timestep_targets: bool) -> Shape:
    """The targets a user has: (None, T, O) per timestep (T_out after a decoder) or (None, O) per sequence."""
    return spec.target_shape(None, per_timestep_targets)


def _fix(spec: ModelSpec, per_timestep_targets: bool) -> str:
    T = spec.output_steps
    if spec.repeat == "encoder":
        return (
            f"The decoder always returns a sequence of output_timesteps={T} steps: give one target per decoder step, "
            f"shaped (N, {T}, {spec.output_size}) (e.g. the input reversed or shortened to {T} steps)."
        )
    if per_timestep_targets:
        return (
            "To predict at every timestep, set return_sequences=True (either head then works: Dense and "
            "TimeDistributed(Dense) are the same model). If you really want one prediction per sequence, keep "
            f"return_sequences=False and give one target per sequence, e.g. Y[:, -1, :] shaped (N, {spec.output_size})."
        )
    head_note = (
        " and replace TimeDistributed(Dense) by a plain Dense (TimeDistributed needs the time axis you just removed)"
        if spec.head == "time_distributed"
        else ""
    )
    return (
        f"For one prediction per sequence, set return_sequences=False{head_note}: that is the seed's model 3. "
        "If you do want a prediction at every timestep, give a target at every timestep: "
        f"np.repeat(Y[:, None, :], {T}, axis=1) shaped (N, {T}, {spec.output_size})."
    )


def _explanation(spec: ModelSpec, per_timestep_targets: bool, have: Shape, output: Shape) -> str:
    """What the model predicts (its output, and why it has that shape) against what the targets give."""
    kind = "one target per timestep" if per_timestep_targets else "one target per sequence"
    loss_name = "categorical cross-entropy" if spec.loss == "categorical_crossentropy" else "mean squared error"
    cell = describe(spec).recurrent.kind
    if per_timestep_targets == spec.sequence_output:
        where = "at each of the output's timesteps" if spec.sequence_output else "once per sequence"
        return (
            f"The model predicts {spec.output_size} values {where}: output {format_shape(output)}; you have {kind}: "
            f"{format_shape(have)}. Each target meets its prediction ({loss_name})."
        )
    if spec.repeat == "encoder":
        return (
            f"The decoder after RepeatVector returns a sequence of output_timesteps={spec.output_steps} steps, so the "
            f"model predicts at each of them: output {format_shape(output)}. You have {kind}, {format_shape(have)}: "
            "one axis fewer than the output."
        )
    if spec.return_sequences:
        return (
            f"With return_sequences=True the {cell} layer hands every timestep's state to the head, so "
            f"the model predicts at each of the {spec.timesteps} timesteps: output {format_shape(output)}. You have "
            f"{kind}, {format_shape(have)}: one axis fewer than the output."
        )
    return (
        f"With return_sequences=False the {cell} layer keeps only its last state, so the model "
        f"predicts once per sequence: output {format_shape(output)}. You have {kind}, {format_shape(have)}: "
        "a time axis the output does not have."
    )


def _consequence(
    spec: ModelSpec, per_timestep_targets: bool, status: str, phrase_key: str | None, target: tuple, output: tuple
) -> tuple[str, str, str]:
    """The headline, what to add to the explanation, and the fix, for what `fit()` does with these (concrete)
    target and output shapes."""
    if status == "ok":
        return "fit() will work: the targets have the output's shape.", "", "Nothing to fix."
    fix = _fix(spec, per_timestep_targets)
    shown_target, shown_output = _squeeze_or_expand(target, output)
    if status == "stretched":
        each = (
            "single prediction is compared with its target at every timestep."
            if per_timestep_targets
            else "target is compared with its prediction at every timestep."
        )
        return (
            "fit() runs, but Keras reshapes the comparison: check that it is the one you mean.",
            f" With {spec.output_size} output value(s), Keras drops the size-1 last axis and compares targets "
            f"{format_shape(shown_target)} with predictions {format_shape(shown_output)}: each sample's " + each,
            fix,
        )
    if status == "silent":
        combined = _broadcast(shown_target, shown_output)
        assert combined is not None
        return (
            "fit() runs without an error, but the loss is wrong.",
            f" Mean squared error subtracts targets {format_shape(shown_target)} from predictions "
            f"{format_shape(shown_output)}; broadcasting stretches that to {format_shape(combined)}, so targets are "
            "compared with predictions they do not belong to, and Keras says nothing.",
            fix,
        )
    if phrase_key == "broadcast":
        why = (
            " Mean squared error subtracts the targets from the predictions; the shapes do not broadcast, so "
            "TensorFlow stops with a dimensions error."
        )
    else:
        why = " Categorical cross-entropy checks that targets and output have the same shape, and stops."
    return "fit() will fail with a shape error.", why, fix


def _caveat(spec: ModelSpec, have: Shape, output: Shape) -> str:
    """For an MSE model that fails: the batch sizes with which the shapes would broadcast after all (silently)."""
    lucky = [size for size in sorted({spec.output_steps, 1}) if _mse_runs(spec, have, output, size)]
    if not lucky:
        return ""
    sizes = " or ".join(str(size) for size in lucky)
    return (
        f"Careful: with a batch of exactly {sizes} sample(s) these shapes happen to broadcast, and fit() "
        "would run silently with a wrong loss instead of failing."
    )


def target_verdict(spec: ModelSpec, per_timestep_targets: bool, batch_size: int | None = None) -> TargetVerdict:
    """Predict what `model.fit(X, Y)` does when Y is per timestep (N, T, O) or per sequence (N, O).

    With `batch_size`, the answer is for batches of exactly that many samples (MSE's broadcasting depends on it);
    without, for a batch size that matches nothing by coincidence, and `caveat` names the sizes that would.
    """
    description = describe(spec)
    have = targets_shape(spec, per_timestep_targets)
    if (refusal := description.refusal) is not None:
        return TargetVerdict(
            status="build_error",
            fits=False,
            headline="fit() never runs: Keras cannot build this model.",
            explanation=refusal.why,
            fix=refusal.fix,
            targets_shape=have,
            output_shape=None,
            keras_phrase=refusal.keras_phrase,
        )
    output = description.output_shape
    assert output is not None
    batch: Dim = BATCH if batch_size is None else batch_size
    target, concrete_output = _concrete(have, batch), _concrete(output, batch)
    status, phrase_key = loss_outcome(spec.loss, target, concrete_output)
    headline, more, fix = _consequence(spec, per_timestep_targets, status, phrase_key, target, concrete_output)
    return TargetVerdict(
        status=status,
        fits=status in ("ok", "stretched", "silent"),
        headline=headline,
        explanation=_explanation(spec, per_timestep_targets, have, output) + more,
        fix=fix,
        targets_shape=have,
        output_shape=output,
        keras_phrase=KERAS_PHRASES[phrase_key] if phrase_key else None,
        caveat=_caveat(spec, have, output) if batch_size is None and spec.loss == "mse" and status == "error" else "",
    )


def _mse_runs(spec: ModelSpec, have: Shape, output: Shape, batch_size: int) -> bool:
    status, _ = loss_outcome(spec.loss, _concrete(have, batch_size), _concrete(output, batch_size))
    return status != "error"


def probe_batch_size(spec: ModelSpec) -> int:
    """A batch size for asking Keras that equals neither T nor 1, so that no broadcast succeeds by coincidence."""
    return next(size for size in (4, 5, 6) if size not in (spec.timesteps, spec.output_steps))
