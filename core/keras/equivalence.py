"""The equivalence lab: Dense and TimeDistributed(Dense) as twins with identical weights, and how they differ.

After a recurrent layer with return_sequences=True, `Dense` and `TimeDistributed(Dense)` are the same function
with the same weights; what differs is how Keras computes it. These functions build both twins from one spec,
copy the weights of one into the other, and measure: outputs on one batch, training from the same start,
the operations in each traced graph, and the time of a forward pass and of the first (tracing) call.

Every function here loads TensorFlow (through `core.keras.env`), so the views call them only on request.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np

from core.keras import env as keras_env
from core.keras.models import build_model
from core.keras.requests import GraphCounts, Timing, TwinOutputs, TwinTraining  # the lab's results, beside its request
from core.model.anatomy import describe
from core.model.spec import ModelSpec

# The two heads, in the order the results list them.
HEADS = ("dense", "time_distributed")
# Op types that are a matrix product in a TensorFlow graph (Dense on a 3D input may use either).
MATMUL_TYPES = frozenset({"MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"})


def twin_specs(spec: ModelSpec) -> dict[str, ModelSpec]:
    """The spec with each head: {"dense": ..., "time_distributed": ...} (the second may be invalid)."""
    return {head: spec.replace(head=head) for head in HEADS}


def _batch(spec: ModelSpec, samples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random(spec.input_shape(samples), dtype=np.float32)


def _perturbed(spec: ModelSpec, weights: list[np.ndarray], perturb: float) -> list[np.ndarray]:
    """A copy of the weights with one scalar of the head's kernel moved by `perturb` (the control)."""
    weights = [np.array(w) for w in weights]
    if perturb:
        kernel_index = len(weights) - (2 if spec.use_bias else 1)
        weights[kernel_index][0, 0] += np.float32(perturb)
    return weights


def build_twins(spec: ModelSpec, seed: int = 0, perturb: float = 0.0) -> dict[str, Any]:
    """Build the Dense twin from seeded initializers and the TimeDistributed twin with a copy of its weights.

    With `perturb`, one scalar of the TimeDistributed twin's head kernel is moved by that amount: the control
    that shows the comparison is sensitive. Without return_sequences only the Dense twin is returned.
    """
    specs = twin_specs(spec)
    dense = build_model(specs["dense"], seed=seed)
    twins = {"dense": dense}
    if not specs["time_distributed"].is_valid:
        return twins
    distributed = build_model(specs["time_distributed"], seed=seed + 1)
    # Same layer order, same weight order and shapes: recurrent weights, then the head's kernel and bias.
    distributed.set_weights(_perturbed(spec, dense.get_weights(), perturb))
    twins["time_distributed"] = distributed
    return twins


def twin_outputs(
    spec: ModelSpec, seed: int = 0, samples: int = 4, perturb: float = 0.0, twins: dict[str, Any] | None = None
) -> TwinOutputs:
    """Run the Dense and TimeDistributed(Dense) twins (identical weights) on one batch and compare the outputs.

    The largest absolute difference is computed, not assumed: 0.0 in float32 for the true twins, nonzero when
    `perturb` moves one weight of the TimeDistributed twin. With `twins` (from `build_twins(spec, seed)`), those
    models are used instead of new ones; a perturbation is undone before returning.

    Example:
        >>> twin_outputs(ModelSpec(timesteps=4, input_size=3, hidden_size=4, output_size=2)).max_abs_diff
        0.0
    """
    if twins is None:
        twins = build_twins(spec, seed=seed, perturb=perturb)
    elif perturb and "time_distributed" in twins:
        original = twins["time_distributed"].get_weights()
        twins["time_distributed"].set_weights(_perturbed(spec, original, perturb))
        try:
            return twin_outputs(spec, seed, samples, 0.0, twins)._replace_perturb(perturb)
        finally:
            twins["time_distributed"].set_weights(original)
    x = _batch(spec, samples, seed)
    dense_out = np.asarray(twins["dense"](x, training=False))
    if "time_distributed" not in twins:
        invalid = describe(spec.replace(head="time_distributed"))
        return TwinOutputs(
            spec=spec,
            inputs=x,
            dense=dense_out,
            time_distributed=None,
            max_abs_diff=None,
            perturb=perturb,
            error=invalid.error,
            keras_error=invalid.keras_error,
        )
    distributed_out = np.asarray(twins["time_distributed"](x, training=False))
    diff = float(np.max(np.abs(dense_out.astype(np.float64) - distributed_out.astype(np.float64))))
    return TwinOutputs(
        spec=spec,
        inputs=x,
        dense=dense_out,
        time_distributed=distributed_out,
        max_abs_diff=diff,
        perturb=perturb,
    )


def _targets(spec: ModelSpec, samples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    y = rng.random(spec.target_shape(samples), dtype=np.float32)
    if spec.activation == "softmax":
        # Categorical cross-entropy expects distributions over the classes.
        y = y / y.sum(axis=-1, keepdims=True)
    return y


def train_twins(
    spec: ModelSpec,
    seed: int = 0,
    samples: int = 16,
    epochs: int = 5,
    batch_size: int = 8,
    twins: dict[str, Any] | None = None,
) -> TwinTraining:
    """Train both twins from the same weights on the same data in the same order; compare losses and weights.

    Shuffling is off so that both see the batches in one order; the optimizer is the one `build_model` compiles.
    Requires return_sequences=True (otherwise there is no TimeDistributed twin): raises ValueError.
    """
    if not spec.sequence_output:
        raise ValueError(describe(spec.replace(head="time_distributed")).error)
    twins = twins if twins is not None else build_twins(spec, seed=seed)
    x = _batch(spec, samples, seed)
    y = _targets(spec, samples, seed)
    losses: dict[str, tuple[float, ...]] = {}
    for head, model in twins.items():
        history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
        losses[head] = tuple(float(v) for v in history.history["loss"])
    weight_diff = max(
        float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))
        for a, b in zip(twins["dense"].get_weights(), twins["time_distributed"].get_weights(), strict=True)
    )
    loss_diff = max(abs(a - b) for a, b in zip(losses["dense"], losses["time_distributed"], strict=True))
    return TwinTraining(
        spec=spec,
        dense_loss=losses["dense"],
        time_distributed_loss=losses["time_distributed"],
        max_loss_diff=loss_diff,
        max_weight_diff=weight_diff,
        epochs=epochs,
        samples=samples,
        batch_size=batch_size,
    )


def _count(graph: Any) -> GraphCounts:
    types = Counter(op.type for op in graph.get_operations())
    matmuls = sum(n for kind, n in types.items() if kind in MATMUL_TYPES)
    return GraphCounts(ops=sum(types.values()), matmuls=matmuls, top_types=tuple(types.most_common(10)))


def head_layer(model: Any) -> Any:
    """The Dense or TimeDistributed head of a model built by `core.build_model`."""
    return next(layer for layer in model.layers if layer.name in ("dense", "time_distributed"))


def graph_op_counts(spec: ModelSpec, twins: dict[str, Any] | None = None) -> dict[str, dict[str, GraphCounts]]:
    """Trace each twin with a static time axis and count the ops and MatMuls in the graphs TensorFlow builds.

    Returns {head: {"head": counts of the head layer's own graph, "model": counts of the whole model's graph}}.
    The whole model's graph holds the recurrent loop as one While op (its body is a separate function), so
    the head's graph is the fair comparison: Keras 3 loops over the timesteps in TimeDistributed (T MatMuls),
    Dense multiplies once. Without return_sequences only "dense" is present.
    """
    tf = keras_env.load_tensorflow()
    result: dict[str, dict[str, GraphCounts]] = {}
    for head, model in (twins if twins is not None else build_twins(spec)).items():
        layer = head_layer(model)
        layer_input = tf.TensorSpec((None, *layer.input.shape[1:]), tf.float32)
        model_input = tf.TensorSpec(spec.input_shape(), tf.float32)
        result[head] = {
            "head": _count(tf.function(layer).get_concrete_function(layer_input).graph),
            "model": _count(tf.function(model).get_concrete_function(model_input).graph),
        }
    return result


def time_forward_and_trace(
    spec: ModelSpec, twins: dict[str, Any] | None = None, samples: int = 8, repeats: int = 5
) -> dict[str, Timing]:
    """Time each twin: the first call of a fresh tf.function (tracing + one pass) and the median later pass.

    Wall-clock numbers on a shared machine: shown for scale, never relied on by a test.
    """
    tf = keras_env.load_tensorflow()
    x = tf.constant(_batch(spec, samples, 0))
    models = twins if twins is not None else build_twins(spec)
    firsts: dict[str, list[float]] = {head: [] for head in models}
    laps: dict[str, list[float]] = {head: [] for head in models}
    # Two rounds, the twins interleaved, keeping each one's fastest first call: whichever runs first in a
    # process otherwise also pays TensorFlow's one-time warm-up, which is not the cost of its graph.
    for _ in range(2):
        for head, model in models.items():
            forward = tf.function(lambda inputs, model=model: model(inputs, training=False))
            start = time.perf_counter()
            forward(x).numpy()
            firsts[head].append(time.perf_counter() - start)
            for _ in range(repeats):
                start = time.perf_counter()
                forward(x).numpy()
                laps[head].append(time.perf_counter() - start)
    return {head: Timing(first_call=min(firsts[head]), forward=float(np.median(laps[head]))) for head in models}


def versions() -> dict[str, str]:
    """The installed Keras and TensorFlow versions: the traced graphs depend on them."""
    return keras_env.versions()
