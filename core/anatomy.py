"""The anatomy of a spec's Keras model, computed without TensorFlow.

`describe(spec)` says what `core.models.build_model(spec)` builds: its layers in `model.layers` order, their output
shapes, weight tensors, parameter counts with the formula that gives them, and how often each layer's weights
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

from core.spec import ModelSpec

Shape = tuple[int | None, ...]

GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
CELL_LAYER_NAMES = {"SimpleRNN": "simple_rnn", "GRU": "gru", "LSTM": "lstm"}

# Keras's own words for the one combination it refuses (keras/src/layers/rnn/time_distributed.py).
TIME_DISTRIBUTED_RANK_ERROR = (
    "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, received: {shape}"
)


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
    role: str  # "input", "recurrent", "head" or "activation": what part of the seed's picture it is
    inner_kind: str | None = None  # the wrapped layer of Bidirectional / TimeDistributed

    @property
    def class_label(self) -> str:
        """The layer's class as Keras code spells it, wrapped layer included: "TimeDistributed(Dense)"."""
        return f"{self.kind}({self.inner_kind})" if self.inner_kind else self.kind


@dataclass(frozen=True)
class Description:
    """Everything the views need to know about a spec's model, without building it.

    For the invalid combination, `error` explains it in plain words, `keras_error` is the message Keras gives,
    `layers` stop at the recurrent layer (what Keras built before failing) and the shapes are None.
    """

    spec: ModelSpec
    layers: tuple[Layer, ...]
    total_params: int
    output_shape: Shape | None
    target_shape: Shape | None
    error: str | None = None
    keras_error: str | None = None

    @property
    def recurrent(self) -> Layer:
        """The recurrent layer (possibly Bidirectional)."""
        return next(layer for layer in self.layers if layer.role == "recurrent")

    @property
    def head(self) -> Layer | None:
        """The Dense or TimeDistributed(Dense) head, None when Keras cannot build it."""
        return next((layer for layer in self.layers if layer.role == "head"), None)

    @property
    def total_macs(self) -> int:
        """Multiply-adds per sample, over all layers."""
        return sum(layer.macs for layer in self.layers)


def fmt(number: int) -> str:
    """An integer with thousands separators, as Keras's summary prints it."""
    return f"{number:,}"


def format_shape(shape: tuple[int | str | None, ...] | None) -> str:
    """(None, 64, 8) as Keras prints it (a named batch such as "N" as given); None (no shape) as an em dash."""
    if shape is None:
        return "—"
    inside = ", ".join("None" if dim is None else str(dim) for dim in shape)
    return f"({inside},)" if len(shape) == 1 else f"({inside})"


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


def _recurrent_weights(spec: ModelSpec, path: str) -> tuple[Weight, ...]:
    gates = GATES[spec.cell]
    cell = CELL_LAYER_NAMES[spec.cell] + "_cell"
    width = gates * spec.hidden_size
    weights = [
        Weight(f"{path}/{cell}/kernel", (spec.input_size, width)),
        Weight(f"{path}/{cell}/recurrent_kernel", (spec.hidden_size, width)),
    ]
    if spec.use_bias:
        bias_shape = (2, width) if spec.cell == "GRU" and spec.reset_after else (width,)
        weights.append(Weight(f"{path}/{cell}/bias", bias_shape))
    return tuple(weights)


def _recurrent_layer(spec: ModelSpec) -> Layer:
    T, units = spec.timesteps, spec.hidden_size
    name = CELL_LAYER_NAMES[spec.cell]
    one, formula = recurrent_params(spec.cell, spec.input_size, units, spec.use_bias, spec.reset_after)
    macs_one = T * GATES[spec.cell] * units * (spec.input_size + units)
    if spec.bidirectional:
        width = 2 * units if spec.merge_mode == "concat" else units
        shape: Shape = (None, T, width) if spec.return_sequences else (None, width)
        weights = _recurrent_weights(spec, f"bidirectional/forward_{name}") + _recurrent_weights(
            spec, f"bidirectional/backward_{name}"
        )
        return Layer(
            name="bidirectional",
            kind="Bidirectional",
            input_shape=spec.input_shape(),
            output_shape=shape,
            params=2 * one,
            weights=weights,
            formula=f"2 × {formula} = {fmt(2 * one)}",
            applications=2 * T,
            macs=2 * macs_one,
            role="recurrent",
            inner_kind=spec.cell,
        )
    shape = (None, T, units) if spec.return_sequences else (None, units)
    return Layer(
        name=name,
        kind=spec.cell,
        input_shape=spec.input_shape(),
        output_shape=shape,
        params=one,
        weights=_recurrent_weights(spec, name),
        formula=f"{formula} = {fmt(one)}",
        applications=T,
        macs=macs_one,
        role="recurrent",
    )


def _head_layer(spec: ModelSpec, features: Shape) -> Layer:
    inputs = features[-1]
    assert inputs is not None
    units = spec.output_size
    params = units * (inputs + 1) if spec.use_bias else inputs * units
    formula = f"{units} × ({inputs} + 1)" if spec.use_bias else f"{inputs} × {units}"
    output_shape = (*features[:-1], units)
    applications = spec.timesteps if spec.return_sequences else 1
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


def describe(spec: ModelSpec) -> Description:
    """Describe the model that `core.models.build_model(spec)` builds, without importing TensorFlow; never raises."""
    input_shape: Shape = spec.input_shape()
    input_layer = Layer(
        name="input_layer",
        kind="InputLayer",
        input_shape=input_shape,
        output_shape=input_shape,
        params=0,
        weights=(),
        formula="no weights: it only fixes the input shape",
        applications=0,
        macs=0,
        role="input",
    )
    recurrent = _recurrent_layer(spec)
    if not spec.is_valid:
        return Description(
            spec=spec,
            layers=(input_layer, recurrent),
            total_params=recurrent.params,
            output_shape=None,
            target_shape=None,
            error=(
                f"With return_sequences=False the {recurrent.kind} layer returns only its last state, shaped "
                f"{format_shape(recurrent.output_shape)}: there is no time axis left. TimeDistributed needs one "
                "(an input of rank 3 or more) to apply its Dense at every timestep, so Keras refuses to build the "
                "model. Use a plain Dense, or set return_sequences=True."
            ),
            keras_error=TIME_DISTRIBUTED_RANK_ERROR.format(shape=format_shape(recurrent.output_shape)),
        )
    head = _head_layer(spec, recurrent.output_shape)
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
    layers = (input_layer, recurrent, head, activation)
    return Description(
        spec=spec,
        layers=layers,
        total_params=sum(layer.params for layer in layers),
        output_shape=head.output_shape,
        # What fit() needs is what the model outputs; the spec is the one home of that rule.
        target_shape=spec.target_shape(),
    )
