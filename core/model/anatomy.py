"""The anatomy of a spec's Keras model, computed without TensorFlow.

`describe(spec)` says what `core.keras.models.build_model(spec)` builds: its layers in `model.layers` order, their
output shapes, weight tensors, parameter counts with the formula that gives them, and how often each layer's weights
are applied per sample. The app redraws from this on every click, so it must be instant; the tests prove it
equal to real Keras for every combination of choices.

Example:
    >>> from core import ModelSpec, describe
    >>> d = describe(ModelSpec())
    >>> [(layer.kind, layer.params) for layer in d.layers]
    [('InputLayer', 0), ('GRU', 1584), ('TimeDistributed', 136), ('Activation', 0)]
    >>> d.total_params, d.output_shape, d.target_shape
    (1720, (None, 64, 8), (None, 64, 8))
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model.refusal import Refusal, head_refusal, repeat_refusal, stack_refusal
from core.model.shapes import Shape, fmt
from core.model.shapes import format_shape as format_shape  # re-exported: pages read shapes and their words here
from core.model.spec import ModelSpec

GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
CELL_LAYER_NAMES = {"SimpleRNN": "simple_rnn", "GRU": "gru", "LSTM": "lstm"}


@dataclass(frozen=True)
class Weight:
    """One weight tensor: its Keras variable path (e.g. "gru/gru_cell/kernel") and shape."""

    name: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of scalars in the tensor."""
        size = 1
        for dim in self.shape:
            size *= dim
        return size

    @property
    def short_name(self) -> str:
        """The last part of the path: kernel, recurrent_kernel or bias."""
        return self.name.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Layer:
    """One layer of the model as Keras's `model.layers` lists it.

    `applications` is how many times the layer's weights are used per sample (the recurrent cell runs T times,
    the head T times with return_sequences=True and once without); `macs` the multiply-adds per sample. Both grow
    with T while `params` does not: that is the whole point of weight sharing.
    """

    name: str
    kind: str
    input_shape: Shape
    output_shape: Shape
    params: int
    weights: tuple[Weight, ...]
    formula: str
    applications: int
    macs: int
    role: str  # "input", "repeat", "recurrent" (the stack), "decoder", "head" or "activation"
    inner_kind: str | None = None  # the wrapped layer of Bidirectional / TimeDistributed
    index: int = 0  # recurrent layers: 0 reads the input, 1 and 2 are stacked on it, the decoder comes last
    state_shapes: tuple[Shape, ...] = ()  # the extra outputs of return_state=True: h (and c), per direction

    @property
    def class_label(self) -> str:
        """The layer's class as Keras code spells it, wrapped layer included: "TimeDistributed(Dense)"."""
        return f"{self.kind}({self.inner_kind})" if self.inner_kind else self.kind


@dataclass(frozen=True)
class Description:
    """Everything the views need to know about a spec's model, without building it.

    For a stack Keras refuses, `refusal` says where and why in every wording the app uses (`error` is its plain
    explanation, `keras_error` Keras's message, `broken_at` the refusing layer), `layers` stop before it (what Keras
    built before failing) and the shapes are None.
    """

    spec: ModelSpec
    layers: tuple[Layer, ...]
    total_params: int
    output_shape: Shape | None
    target_shape: Shape | None
    refusal: Refusal | None = None

    @property
    def error(self) -> str | None:
        """Why Keras refuses this model, in plain words; None when it builds."""
        return self.refusal.why if self.refusal else None

    @property
    def keras_error(self) -> str | None:
        """Keras's own message when it refuses; None when it builds."""
        return self.refusal.keras_error if self.refusal else None

    @property
    def broken_at(self) -> str | None:
        """The name of the layer Keras refuses to build; None when it builds."""
        return self.refusal.layer if self.refusal else None

    @property
    def stack(self) -> tuple[Layer, ...]:
        """The stacked recurrent layers that read the input (the encoder when there is a decoder), bottom first."""
        return tuple(layer for layer in self.layers if layer.role == "recurrent")

    @property
    def recurrent(self) -> Layer:
        """The top layer of the recurrent stack (possibly Bidirectional): the one `return_sequences` is about."""
        return self.stack[-1]

    @property
    def decoder(self) -> Layer | None:
        """The decoder recurrent layer after RepeatVector (repeat="encoder"), None otherwise or when not built."""
        return next((layer for layer in self.layers if layer.role == "decoder"), None)

    @property
    def repeat_layer(self) -> Layer | None:
        """The RepeatVector layer, None without one (or when Keras refuses it)."""
        return next((layer for layer in self.layers if layer.role == "repeat"), None)

    @property
    def recurrent_layers(self) -> tuple[Layer, ...]:
        """Every recurrent layer built, the stack then the decoder."""
        return tuple(layer for layer in self.layers if layer.role in ("recurrent", "decoder"))

    @property
    def head(self) -> Layer | None:
        """The Dense or TimeDistributed(Dense) head, None when Keras cannot build it."""
        return next((layer for layer in self.layers if layer.role == "head"), None)

    @property
    def total_macs(self) -> int:
        """Multiply-adds per sample, over all layers."""
        return sum(layer.macs for layer in self.layers)


def recurrent_params(cell: str, inputs: int, units: int, use_bias: bool, reset_after: bool) -> tuple[int, str]:
    """Parameters of one SimpleRNN/GRU/LSTM layer and the formula that gives them, with the numbers filled in.

    Each gate has a kernel (inputs × units), a recurrent kernel (units × units) and a bias (units); Keras's GRU
    with reset_after=True keeps a second bias for the recurrent part.
    """
    gates = GATES[cell]
    biases = (2 if cell == "GRU" and reset_after else 1) if use_bias else 0
    params = gates * units * (inputs + units + biases)
    terms = f"{inputs} + {units}" + (f" + {biases}" if biases else "")
    prefix = f"{gates} × {units}" if gates > 1 else f"{units}"
    return params, f"{prefix} × ({terms})"


def keras_layer_name(base: str, index: int) -> str:
    """The name Keras gives the `index`-th layer of one class in a fresh session: gru, gru_1, gru_2, …"""
    return base if index == 0 else f"{base}_{index}"


def _recurrent_weights(spec: ModelSpec, path: str, inputs: int) -> tuple[Weight, ...]:
    gates = GATES[spec.cell]
    cell = CELL_LAYER_NAMES[spec.cell] + "_cell"
    width = gates * spec.hidden_size
    weights = [
        Weight(f"{path}/{cell}/kernel", (inputs, width)),
        Weight(f"{path}/{cell}/recurrent_kernel", (spec.hidden_size, width)),
    ]
    if spec.use_bias:
        bias_shape = (2, width) if spec.cell == "GRU" and spec.reset_after else (width,)
        weights.append(Weight(f"{path}/{cell}/bias", bias_shape))
    return tuple(weights)


def merged_width(spec: ModelSpec) -> int:
    """The features one step of a recurrent layer hands on: 2u for Bidirectional concat, else u."""
    return 2 * spec.hidden_size if spec.bidirectional and spec.merge_mode == "concat" else spec.hidden_size


def state_count(spec: ModelSpec) -> int:
    """The state tensors `return_state=True` adds to a layer's outputs: h (and c for an LSTM), per direction."""
    return (2 if spec.cell == "LSTM" else 1) * (2 if spec.bidirectional else 1)


def _recurrent_layer(
    spec: ModelSpec,
    index: int,
    inputs: int,
    steps: int,
    return_sequences: bool,
    role: str = "recurrent",
    return_state: bool = False,
) -> Layer:
    """The `index`-th recurrent layer (0 reads the input; the decoder comes after the stack) as Keras builds it."""
    units = spec.hidden_size
    name = keras_layer_name(CELL_LAYER_NAMES[spec.cell], index)
    one, formula = recurrent_params(spec.cell, inputs, units, spec.use_bias, spec.reset_after)
    macs_one = steps * GATES[spec.cell] * units * (inputs + units)
    width = merged_width(spec)
    shape: Shape = (None, steps, width) if return_sequences else (None, width)
    states: tuple[Shape, ...] = ((None, units),) * state_count(spec) if return_state else ()
    input_shape: Shape = (None, steps, inputs)
    if spec.bidirectional:
        wrapper = keras_layer_name("bidirectional", index)
        weights = _recurrent_weights(spec, f"{wrapper}/forward_{name}", inputs) + _recurrent_weights(
            spec, f"{wrapper}/backward_{name}", inputs
        )
        return Layer(
            name=wrapper,
            kind="Bidirectional",
            input_shape=input_shape,
            output_shape=shape,
            params=2 * one,
            weights=weights,
            formula=f"2 × {formula} = {fmt(2 * one)}",
            applications=2 * steps,
            macs=2 * macs_one,
            role=role,
            inner_kind=spec.cell,
            index=index,
            state_shapes=states,
        )
    return Layer(
        name=name,
        kind=spec.cell,
        input_shape=input_shape,
        output_shape=shape,
        params=one,
        weights=_recurrent_weights(spec, name, inputs),
        formula=f"{formula} = {fmt(one)}",
        applications=steps,
        macs=macs_one,
        role=role,
        index=index,
        state_shapes=states,
    )


def _repeat_layer(features: int, copies: int, input_shape: Shape) -> Layer:
    return Layer(
        name="repeat_vector",
        kind="RepeatVector",
        input_shape=input_shape,
        output_shape=(None, copies, features),
        params=0,
        weights=(),
        formula=f"no weights: it copies one vector of {features} to each of {copies} steps, a new time axis",
        applications=0,
        macs=0,
        role="repeat",
    )


def _head_layer(spec: ModelSpec, features: Shape) -> Layer:
    inputs = features[-1]
    assert inputs is not None
    units = spec.output_size
    params = units * (inputs + 1) if spec.use_bias else inputs * units
    formula = f"{units} × ({inputs} + 1)" if spec.use_bias else f"{inputs} × {units}"
    output_shape = (*features[:-1], units)
    applications = spec.output_steps if spec.sequence_output else 1
    if spec.head == "time_distributed":
        name, kind, inner, path = "time_distributed", "TimeDistributed", "Dense", "time_distributed/dense"
    else:
        name, kind, inner, path = "dense", "Dense", None, "dense"
    weights = [Weight(f"{path}/kernel", (inputs, units))]
    if spec.use_bias:
        weights.append(Weight(f"{path}/bias", (units,)))
    return Layer(
        name=name,
        kind=kind,
        input_shape=features,
        output_shape=output_shape,
        params=params,
        weights=tuple(weights),
        formula=f"{formula} = {fmt(params)}",
        applications=applications,
        macs=applications * inputs * units,
        role="head",
        inner_kind=inner,
    )


def input_layer(spec: ModelSpec, what: str | None = None) -> Layer:
    """The InputLayer of `spec`'s model; `what` says what it holds (the frames' input names its frames)."""
    shape: Shape = spec.input_shape()
    if what is None:
        what = "one vector per sample" if spec.repeat == "input" else "it only fixes the input shape"
    return Layer(
        name="input_layer",
        kind="InputLayer",
        input_shape=shape,
        output_shape=shape,
        params=0,
        weights=(),
        formula=f"no weights: {what}",
        applications=0,
        macs=0,
        role="input",
    )


def _refused(spec: ModelSpec, built: list[Layer], where: str, given: Shape) -> Description:
    """The description of a stack Keras refuses at `where` ("stack", "repeat" or "head"), given `given`."""
    last = built[-1]
    if where == "stack":
        broken = _recurrent_layer(spec, 1, merged_width(spec), spec.timesteps, True)
        refusal = stack_refusal(spec, broken.name, broken.class_label, last.name, given)
    elif where == "repeat":
        refusal = repeat_refusal(spec, last.name, given)
    else:
        refusal = head_refusal(spec, last.name, last.kind, given)
    return Description(
        spec=spec,
        layers=tuple(built),
        total_params=sum(layer.params for layer in built),
        output_shape=None,
        target_shape=None,
        refusal=refusal,
    )


def describe(spec: ModelSpec) -> Description:
    """Describe the model that `core.keras.models.build_model(spec)` builds, without importing TensorFlow; never raises.

    Layers in `model.layers` order: Input, [RepeatVector | Masking], the recurrent stack, [RepeatVector, decoder], head,
    Activation. Costs O(layers), whatever the sizes.
    """
    if spec.input_kind == "frames":  # frames → shared CNN per frame → the same stack (issue 27)
        from core.model.frames import describe_frames  # noqa: PLC0415 - frames.py builds on this module

        return describe_frames(spec)
    built: list[Layer] = [input_layer(spec)]
    T = spec.timesteps
    features = spec.input_size
    if spec.repeat == "input":
        built.append(_repeat_layer(features, T, built[0].output_shape))
    if spec.padding == "masking":
        built.append(masking_layer(spec))
    return describe_stack(spec, built, features)


def masking_layer(spec: ModelSpec) -> Layer:
    """Masking(mask_value=0.0): no weights and no change of shape; it marks the all-zero (padded) steps, and the mask
    (batch, T) travels on to the recurrent layer, the head and the loss."""
    shape: Shape = spec.input_shape()
    return Layer(
        name="masking",
        kind="Masking",
        input_shape=shape,
        output_shape=shape,
        params=0,
        weights=(),
        formula="no weights: marks the steps whose features are all 0.0 as padding (mask (batch, T))",
        applications=0,
        macs=0,
        role="input",
    )


def describe_stack(spec: ModelSpec, built: list[Layer], features: int) -> Description:
    """The rest of `describe` once the layers before the recurrent stack are `built` (an Input, a RepeatVector, or the
    frames' CNN) and hand it `features` per step: the stack, [RepeatVector, decoder], head and Activation, or Keras's
    refusal where it stops."""
    T = spec.timesteps
    for index in range(spec.layers):
        top = index == spec.layers - 1
        return_sequences = spec.return_sequences if top else spec.inner_return_sequences
        layer = _recurrent_layer(spec, index, features, T, return_sequences, return_state=top and spec.return_state)
        built.append(layer)
        features = merged_width(spec)
        if not top and not return_sequences:
            return _refused(spec, built, "stack", layer.output_shape)
    top_output = built[-1].output_shape
    if spec.repeat == "encoder":
        if len(top_output) != 2:
            return _refused(spec, built, "repeat", top_output)
        built.append(_repeat_layer(features, spec.output_timesteps, top_output))
        built.append(_recurrent_layer(spec, spec.layers, features, spec.output_timesteps, True, role="decoder"))
        top_output = built[-1].output_shape
    elif spec.head == "time_distributed" and len(top_output) != 3:
        return _refused(spec, built, "head", top_output)
    head = _head_layer(spec, top_output)
    activation = Layer(
        name="activation",
        kind="Activation",
        input_shape=head.output_shape,
        output_shape=head.output_shape,
        params=0,
        weights=(),
        formula=f"no weights: {spec.activation} over the last axis",
        applications=0,
        macs=0,
        role="activation",
    )
    layers = (*built, head, activation)
    return Description(
        spec=spec,
        layers=layers,
        total_params=sum(layer.params for layer in layers),
        output_shape=head.output_shape,
        # What fit() needs is what the model outputs; the spec is the one home of that rule.
        target_shape=spec.target_shape(),
    )
