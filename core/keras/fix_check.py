"""The worker side of a fix's check: build the fixed model in Keras, fit a few steps on synthetic data of the
learner's shapes, and require the loss to fall. Keras is imported inside the function; never run on the server."""

from __future__ import annotations

from typing import Any

from core.diagnosis.check import BUILDABLE, EAGER_MAX_STEPS, STEPS
from core.diagnosis.heads import head_problems, target_kind

LEARNING_RATE = 0.01


def _keras_layer(keras: Any, layer: dict) -> Any:
    kind = layer["kind"]
    if kind not in BUILDABLE:
        raise ValueError(f"{kind} is not a layer this check builds")
    L = keras.layers
    if kind in ("LSTM", "GRU", "SimpleRNN"):
        built = getattr(L, kind)(layer["units"], return_sequences=layer["return_sequences"])
    elif kind == "Dense":
        built = L.Dense(layer["units"], activation=layer["activation"] or "linear")
    elif kind == "Activation":
        built = L.Activation(layer["activation"] or "linear")
    elif kind == "RepeatVector":
        built = L.RepeatVector(layer["units"])
    elif kind == "Dropout":
        built = L.Dropout(0.0)
    else:
        built = L.Flatten()
    if layer.get("bidirectional"):
        built = L.Bidirectional(built)
    if layer.get("time_distributed"):
        built = L.TimeDistributed(built)
    return built


def synthetic_targets(np: Any, rng: Any, y_shape: tuple[int, ...], kind: str) -> Any:
    """Targets a model of this loss can learn from: real values, one-hot rows, integer labels, or 0/1."""
    if kind == "one_hot":
        classes = y_shape[-1]
        return np.eye(classes, dtype="float32")[rng.integers(0, classes, y_shape[:-1])]
    if kind == "integer":
        return rng.integers(0, 2, y_shape).astype("int32")
    if kind == "binary":
        return rng.integers(0, 2, y_shape).astype("float32")
    return rng.normal(size=y_shape).astype("float32")


def check_net(payload: dict) -> str | None:
    """None when Keras builds the fixed model, fits STEPS steps on synthetic data shaped like X and Y, and the loss
    falls; otherwise the reason in one sentence (Keras's own message when Keras refused)."""
    import numpy as np  # noqa: PLC0415

    from core.keras.env import load_keras  # noqa: PLC0415 - Keras only in the worker

    keras = load_keras()
    net, x_shape, y_shape = payload["net"], tuple(payload["x_shape"]), tuple(payload["y_shape"])
    loss = net["loss"]
    last = next((layer for layer in reversed(net["layers"]) if layer["kind"] in ("Dense", "Activation")), None)
    activation = (last or {}).get("activation") or "linear"
    units = next((layer["units"] for layer in reversed(net["layers"]) if layer["kind"] == "Dense"), None)
    problems = head_problems(loss, activation, units, None, None)
    if problems:
        return "Its head disagrees with its loss: " + problems[0] + "."
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape).astype("float32")
    y = synthetic_targets(np, rng, y_shape, target_kind(loss))
    try:
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input(tuple(net["input_shape"])), *(_keras_layer(keras, l) for l in net["layers"])]
        )
        eager = x_shape[1] <= EAGER_MAX_STEPS if len(x_shape) >= 3 else True  # short: no trace; long: one trace
        model.compile(loss=loss, optimizer=keras.optimizers.Adam(LEARNING_RATE), run_eagerly=eager)
        # One fit call: each epoch is one step on the whole batch, and Keras reports the loss before that step's
        # update, so the first and last entries are the loss before training and after STEPS - 1 updates.
        losses = model.fit(x, y, batch_size=len(x), epochs=STEPS, verbose=0, shuffle=False).history["loss"]
        before, after = float(losses[0]), float(losses[-1])
    except Exception as error:  # noqa: BLE001 - Keras and TensorFlow raise many kinds; the message is the answer
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300] if str(error).strip() else ''}"
    if not np.isfinite(after) or after >= before * 0.999:
        return f"Keras fitted it, but the loss did not fall ({before:.4g} → {after:.4g}): it would not learn."
    return None


def check_many(payloads: list[dict]) -> list[str | None]:
    """Several checks in one worker job (one Keras import, one process)."""
    return [check_net(payload) for payload in payloads]
