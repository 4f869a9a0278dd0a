"""Real Keras 3 models for a spec: the seed's architecture, built with `keras.Input` and explicit names.

Keras is imported inside the functions, never at module import, so that the views stay instant.
"""

from __future__ import annotations

from typing import Any

from core.anatomy import CELL_LAYER_NAMES
from core.keras_env import load_keras
from core.spec import ModelSpec

OPTIMIZER = "rmsprop"  # the seed's optimizer, with Keras's default learning rate


def _initializers(keras: Any, seed: int | None, offset: int) -> dict[str, Any]:
    """Keras's default initializers, seeded when `seed` is given so that a run is reproducible.

    The seed goes into each initializer rather than into Keras's global RNG, so that several sessions
    building models at once cannot change each other's draws.
    """
    if seed is None:
        return {}
    base = seed * 16 + offset
    return {
        "kernel_initializer": keras.initializers.GlorotUniform(seed=base),
        "recurrent_initializer": keras.initializers.Orthogonal(seed=base + 1),
    }


def _recurrent_layer(keras: Any, spec: ModelSpec, seed: int | None, go_backwards: bool = False) -> Any:
    cls = getattr(keras.layers, spec.cell)
    kwargs: dict[str, Any] = {"return_sequences": spec.return_sequences, "use_bias": spec.use_bias}
    if spec.cell == "GRU":
        kwargs["reset_after"] = spec.reset_after
    name = CELL_LAYER_NAMES[spec.cell]
    if go_backwards:
        kwargs["go_backwards"] = True
        name = "backward_" + name
    kwargs.update(_initializers(keras, seed, offset=4 if go_backwards else 0))
    return cls(spec.hidden_size, name=name, **kwargs)


def build_layers(spec: ModelSpec, seed: int | None = None) -> list[Any]:
    """The spec's layers after the input, unconnected: recurrent (maybe Bidirectional), head, Activation."""
    keras = load_keras()
    recurrent = _recurrent_layer(keras, spec, seed)
    if spec.bidirectional:
        backward = _recurrent_layer(keras, spec, seed, go_backwards=True) if seed is not None else None
        recurrent = keras.layers.Bidirectional(
            recurrent, merge_mode=spec.merge_mode, backward_layer=backward, name="bidirectional"
        )
    dense_kwargs = {"use_bias": spec.use_bias, **_initializers(keras, seed, offset=8)}
    dense_kwargs.pop("recurrent_initializer", None)
    if spec.head == "time_distributed":
        head = keras.layers.TimeDistributed(
            keras.layers.Dense(spec.output_size, name="dense", **dense_kwargs), name="time_distributed"
        )
    else:
        head = keras.layers.Dense(spec.output_size, name="dense", **dense_kwargs)
    return [recurrent, head, keras.layers.Activation(spec.activation, name="activation")]


def build_model(spec: ModelSpec, seed: int | None = None, compile: bool = True) -> Any:
    """The real, compiled Keras 3 model of the spec: Input → RNN → head → Activation.

    With `seed`, the weights are drawn from seeded initializers (reproducible); without, as Keras draws them.
    For TimeDistributed after return_sequences=False it raises Keras's own `ValueError`.

    Example:
        >>> model = build_model(ModelSpec())
        >>> model.count_params()
        1720
    """
    keras = load_keras()
    inputs = keras.Input(shape=(spec.timesteps, spec.input_size), name="input_layer")
    x = inputs
    for layer in build_layers(spec, seed):
        x = layer(x)  # raises Keras's ValueError for the invalid combination
    model = keras.Model(inputs, x, name=f"{spec.cell.lower()}_{spec.head}")
    if compile:
        model.compile(loss=spec.loss, optimizer=OPTIMIZER)
    return model


def keras_summary(spec: ModelSpec) -> str:
    """Keras's own `model.summary()` text for the spec (raises for the invalid combination)."""
    model = build_model(spec, compile=False)
    lines: list[str] = []
    # Keras prints through a rich console 80 columns wide when captured: a wider table loses its Param # column.
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line), line_length=78)
    return "\n".join(lines)


def fit_error(spec: ModelSpec, per_timestep_targets: bool, samples: int = 4) -> str | None:
    """Call Keras's `fit()` for one step on a tiny batch with targets of the given kind.

    Returns None if Keras accepts them, else Keras's error message: the honest answer to "will my Y work?".
    For the combination Keras cannot build, that is the build error.
    """
    import numpy as np  # noqa: PLC0415

    from core.datasets import random_batch  # noqa: PLC0415

    try:
        model = build_model(spec, seed=0)
    except ValueError as error:
        return str(error)
    x, y = random_batch(spec, samples, np.random.default_rng(0), per_timestep=per_timestep_targets)
    try:
        model.fit(x, y, epochs=1, batch_size=samples, verbose=0)
    except (ValueError, TypeError) as error:
        return str(error)
    except Exception as error:  # TensorFlow raises InvalidArgumentError for some shape mismatches
        if type(error).__module__.startswith("tensorflow"):
            return str(error)
        raise
    return None
