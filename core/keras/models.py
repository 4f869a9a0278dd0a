"""Real Keras 3 models for a spec: the seed's architecture, built with `keras.Input` and explicit names.

Keras is imported inside the functions, never at module import, so that the views stay instant.
"""

from __future__ import annotations

from typing import Any

from core.keras.env import load_keras
from core.keras.frames import input_layers
from core.model.anatomy import CELL_LAYER_NAMES, keras_layer_name
from core.model.code import OPTIMIZER
from core.model.spec import ModelSpec


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


def _recurrent_layer(
    keras: Any,
    spec: ModelSpec,
    seed: int | None,
    index: int = 0,
    return_sequences: bool | None = None,
    return_state: bool = False,
    go_backwards: bool = False,
) -> Any:
    """The `index`-th recurrent layer (Keras's own name for it: gru, gru_1, …), its backward copy if asked."""
    cls = getattr(keras.layers, spec.cell)
    if return_sequences is None:
        return_sequences = spec.return_sequences
    kwargs: dict[str, Any] = {"return_sequences": return_sequences, "use_bias": spec.use_bias}
    if return_state:
        kwargs["return_state"] = True
    if spec.cell == "GRU":
        kwargs["reset_after"] = spec.reset_after
    name = keras_layer_name(CELL_LAYER_NAMES[spec.cell], index)
    if go_backwards:
        kwargs["go_backwards"] = True
        name = "backward_" + name
    # Layer 0 keeps the offsets it always had, so that seeded runs of one-layer models stay as they were.
    offset = (4 if go_backwards else 0) + 100 * index
    kwargs.update(_initializers(keras, seed, offset=offset))
    return cls(spec.hidden_size, name=name, **kwargs)


def _stack_layer(
    keras: Any, spec: ModelSpec, seed: int | None, index: int, return_sequences: bool, return_state: bool = False
) -> Any:
    """One recurrent layer of the stack (or the decoder), wrapped in Bidirectional when the spec says so."""
    layer = _recurrent_layer(keras, spec, seed, index, return_sequences, return_state)
    if not spec.bidirectional:
        return layer
    backward = (
        _recurrent_layer(keras, spec, seed, index, return_sequences, return_state, go_backwards=True)
        if seed is not None
        else None
    )
    return keras.layers.Bidirectional(
        layer, merge_mode=spec.merge_mode, backward_layer=backward, name=keras_layer_name("bidirectional", index)
    )


def _head_layers(keras: Any, spec: ModelSpec, seed: int | None) -> list[Any]:
    dense_kwargs = {"use_bias": spec.use_bias, **_initializers(keras, seed, offset=8)}
    dense_kwargs.pop("recurrent_initializer", None)
    if spec.head == "time_distributed":
        head = keras.layers.TimeDistributed(
            keras.layers.Dense(spec.output_size, name="dense", **dense_kwargs), name="time_distributed"
        )
    else:
        head = keras.layers.Dense(spec.output_size, name="dense", **dense_kwargs)
    return [head, keras.layers.Activation(spec.activation, name="activation")]


def build_layers(spec: ModelSpec, seed: int | None = None) -> list[Any]:
    """The spec's layers after the input, unconnected, in `model.layers` order: [RepeatVector], the recurrent stack,
    [RepeatVector, decoder], head, Activation."""
    keras = load_keras()
    layers: list[Any] = input_layers(keras, spec, seed)  # the frames' CNN, or Masking for padded sequences
    if spec.repeat == "input":
        layers.append(keras.layers.RepeatVector(spec.timesteps, name="repeat_vector"))
    for index in range(spec.layers):
        top = index == spec.layers - 1
        return_sequences = spec.return_sequences if top else spec.inner_return_sequences
        layers.append(_stack_layer(keras, spec, seed, index, return_sequences, top and spec.return_state))
    if spec.repeat == "encoder":
        layers.append(keras.layers.RepeatVector(spec.output_timesteps, name="repeat_vector"))
        layers.append(_stack_layer(keras, spec, seed, spec.layers, True))
    return layers + _head_layers(keras, spec, seed)


def build_model(spec: ModelSpec, seed: int | None = None, compile: bool = True) -> Any:
    """The real, compiled Keras 3 model of the spec, built with the functional API (see `core.model.spec.ModelSpec`).

    With `seed`, the weights are drawn from seeded initializers (reproducible); without, as Keras draws them.
    With return_state, the top layer's states become the decoder's `initial_state` (repeat="encoder") or are
    left unused (the model outputs the head's result). For a stack Keras refuses it raises Keras's own `ValueError`.

    Example:
        >>> model = build_model(ModelSpec())
        >>> model.count_params()
        1720
    """
    keras = load_keras()
    input_shape = spec.input_shape()[1:]
    inputs = keras.Input(shape=input_shape, name="input_layer")
    x = inputs
    states: list[Any] | None = None
    for layer in build_layers(spec, seed):
        if states is not None and isinstance(layer, keras.layers.RNN | keras.layers.Bidirectional):
            x = layer(x, initial_state=states)  # the encoder's final states start the decoder
            states = None
            continue
        x = layer(x)  # raises Keras's ValueError for the stacks it refuses
        if isinstance(x, list | tuple):  # return_state=True: [output, h, (c), (backward h, c)]
            x, extra = x[0], list(x[1:])
            states = extra if spec.repeat == "encoder" else None
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

    from core.model.datasets import random_batch  # noqa: PLC0415

    try:
        model = build_model(spec, seed=0)
    except ValueError as error:
        return str(error)
    x, y = random_batch(spec, samples, np.random.default_rng(0), per_timestep=per_timestep_targets)
    return fit_refusal(model, x, y, batch_size=samples)


def fit_refusal(model: Any, x: Any, y: Any, batch_size: int) -> str | None:
    """One epoch of `model.fit(x, y)`: None if Keras accepts the arrays, else Keras's own error message."""
    try:
        model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
    except (ValueError, TypeError) as error:
        return str(error)
    except Exception as error:  # TensorFlow raises InvalidArgumentError for some shape mismatches
        if type(error).__module__.startswith("tensorflow"):
            return str(error)
        raise
    return None
