"""The learner's model as the diagnosis sees it: a frozen list of layers, the input, the loss and where it came from.

`Net` is small on purpose: the layers a sequence model's shape errors are about (recurrent cells, Dense heads,
TimeDistributed, Activation, Flatten, RepeatVector, convolutions), with any other layer kept by name. It converts
to and from the app's `ModelSpec` when the model is inside the app's family, writes itself as Keras code (the one
code generator of a fix's diff), and computes its output shape for a given X.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.diagnosis.shapes import Dim, Shape
from core.model.spec import INT_RANGES, ModelSpec, SpecError

RECURRENT = ("LSTM", "GRU", "SimpleRNN")
LOSS_NAMES = {
    "cce": "categorical_crossentropy",
    "sparse": "sparse_categorical_crossentropy",
    "bce": "binary_crossentropy",
    "mse": "mse",
    "mae": "mae",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
}
SOURCES = {
    "summary": "your summary",
    "code": "your code",
    "keras_file": "your .keras file",
    "traceback": "the error message (sizes it does not show are guessed)",
    "sidebar": "the sidebar (you chose it)",
}


def loss_name(loss: str | None) -> str | None:
    """Keras's loss string for a short code or a long name ("cce" → "categorical_crossentropy")."""
    if loss is None:
        return None
    lowered = loss.lower()
    return LOSS_NAMES.get(lowered, lowered)


@dataclass(frozen=True)
class NetLayer:
    """One layer: its class (the inner one for TimeDistributed / Bidirectional), units and the flags shapes need."""

    kind: str
    units: int | None = None
    return_sequences: bool = False
    activation: str | None = None
    time_distributed: bool = False
    bidirectional: bool = False

    @property
    def recurrent(self) -> bool:
        """True for LSTM, GRU and SimpleRNN (wrapped or not)."""
        return self.kind in RECURRENT

    @property
    def dense(self) -> bool:
        """True for Dense, wrapped in TimeDistributed or not."""
        return self.kind == "Dense"

    def code(self) -> str:
        """The layer as Keras code: `layers.LSTM(32, return_sequences=True)`."""
        args = [str(self.units)] if self.units is not None else []
        if self.recurrent and self.return_sequences:
            args.append("return_sequences=True")
        if self.kind == "Activation":
            args = [f'"{self.activation or "linear"}"']
        elif self.activation and self.activation != ("tanh" if self.recurrent else "linear"):
            args.append(f'activation="{self.activation}"')  # only what differs from Keras's default
        text = f"layers.{self.kind}({', '.join(args)})"
        if self.bidirectional:
            text = f"layers.Bidirectional({text})"
        if self.time_distributed:
            text = f"layers.TimeDistributed({text})"
        return text


@dataclass(frozen=True)
class Net:
    """The learner's model: layers in order, the input shape without the batch axis, the loss, the source.

    `guessed` names the parts no source showed (e.g. "the LSTM's units"); `outside` the layers outside the app's
    family, which the diagnosis reads around.
    """

    layers: tuple[NetLayer, ...]
    input_shape: Shape | None = None
    loss: str | None = None
    source: str = "code"
    guessed: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()

    def line(self) -> str:
        """The model in one line: "LSTM(32, return_sequences=True) → Dense(1)"."""
        return " → ".join(layer.code().replace("layers.", "") for layer in self.layers) or "(no layers read)"

    def recurrent_indices(self) -> tuple[int, ...]:
        """Positions of the recurrent layers."""
        return tuple(index for index, layer in enumerate(self.layers) if layer.recurrent)

    def head_index(self) -> int | None:
        """Position of the last Dense (the head), or None."""
        dense = [index for index, layer in enumerate(self.layers) if layer.dense]
        return dense[-1] if dense else None

    def final_activation(self) -> str:
        """The output's activation: a trailing Activation layer's, else the head's, else linear."""
        for layer in reversed(self.layers):
            if layer.kind == "Activation":
                return layer.activation or "linear"
            if layer.dense:
                return layer.activation or "linear"
        return "linear"

    def output_units(self) -> int | None:
        """The head's units (the last axis of the output), or None."""
        index = self.head_index()
        return None if index is None else self.layers[index].units

    def with_layer(self, index: int, **changes: object) -> Net:
        """A copy with one layer changed."""
        layers = list(self.layers)
        layers[index] = replace(layers[index], **changes)
        return replace(self, layers=tuple(layers))

    def with_output_activation(self, activation: str) -> Net:
        """A copy whose output activation is `activation` (a trailing Activation layer or the head's own)."""
        for index in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[index]
            if layer.kind == "Activation" or layer.dense:
                return self.with_layer(index, activation=activation)
        return self

    def output_shape(self, x: Shape | None = None) -> Shape | None:
        """The model's output shape for X (batch first), or None when a layer's output cannot be told."""
        shape: Shape | None = tuple(x) if x is not None else ((None, *self.input_shape) if self.input_shape else None)
        for layer in self.layers:
            if shape is None:
                return None
            shape = _layer_output(layer, shape)
        return shape

    def code(self, data_lines: tuple[str, ...] = ()) -> list[str]:
        """The model as short Keras code (Sequential), with lines that change X or Y before `fit`."""
        inner = ", ".join("None" if dim is None else str(dim) for dim in (self.input_shape or ()))
        first = f"    keras.Input(shape=({inner}{',' if len(self.input_shape or ()) == 1 else ''})),"
        lines = ["model = keras.Sequential([", first if self.input_shape else "    # input shape not shown"]
        lines += [f"    {layer.code()}," for layer in self.layers]
        lines += [
            "])",
            f'model.compile(loss="{self.loss or "LOSS"}", optimizer="adam")',
            *data_lines,
            "model.fit(X, Y)",
        ]
        return lines

    def to_payload(self) -> dict:
        """A plain dict for the worker (`core.keras.fix_check.check_net`)."""
        return {
            "layers": [layer.__dict__.copy() for layer in self.layers],
            "input_shape": list(self.input_shape or ()),
            "loss": self.loss,
        }


def _layer_output(layer: NetLayer, shape: Shape) -> Shape | None:
    """One layer's output shape (batch first) for an input shape, or None when not known or refused."""
    if layer.recurrent:
        if len(shape) != 3 or layer.units is None:
            return None
        width = layer.units * (2 if layer.bidirectional else 1)
        return (shape[0], shape[1], width) if layer.return_sequences else (shape[0], width)
    if layer.dense:
        if layer.units is None or len(shape) < 2 or (layer.time_distributed and len(shape) < 3):
            return None
        return (*shape[:-1], layer.units)
    if layer.kind in ("Activation", "Dropout"):
        return shape
    if layer.kind == "Flatten":
        keep = 2 if layer.time_distributed else 1
        if len(shape) <= keep:
            return None
        size: Dim = 1
        for dim in shape[keep:]:
            size = None if dim is None or size is None else size * dim
        return (*shape[:keep], size)
    if layer.kind == "RepeatVector" and len(shape) == 2:
        return (shape[0], layer.units, shape[1])
    return None


def net_from_spec(spec: ModelSpec, source: str = "sidebar") -> Net:
    """The app's model as a Net (the sidebar's, when the learner picks it)."""
    cell = spec.cell
    layers: list[NetLayer] = []
    if spec.repeat == "input":
        layers.append(NetLayer("RepeatVector", spec.timesteps))
    for index in range(spec.layers):
        top = index == spec.layers - 1
        sequences = spec.return_sequences if top else spec.inner_return_sequences
        layers.append(NetLayer(cell, spec.hidden_size, sequences, bidirectional=spec.bidirectional))
    if spec.repeat == "encoder":
        layers.append(NetLayer("RepeatVector", spec.output_timesteps))
        layers.append(NetLayer(cell, spec.hidden_size, True, bidirectional=spec.bidirectional))
    layers.append(NetLayer("Dense", spec.output_size, time_distributed=spec.head == "time_distributed"))
    if spec.activation == "softmax":
        layers.append(NetLayer("Activation", activation="softmax"))
    shape = (spec.input_size,) if spec.repeat == "input" else (spec.timesteps, spec.input_size)
    return Net(tuple(layers), shape, spec.loss, source)


def _fits(name: str, value: object) -> bool:
    low, high = INT_RANGES[name]
    return isinstance(value, int) and low <= value <= high


def net_to_spec(net: Net) -> ModelSpec | None:
    """The app's ModelSpec for a Net inside the app's family (1-3 alike recurrent layers, then one Dense head and
    softmax with categorical cross-entropy or linear with MSE), else None."""
    layers = [layer for layer in net.layers if layer.kind != "Dropout"]
    activation = net.final_activation()
    if layers and layers[-1].kind == "Activation":
        layers = layers[:-1]
    recurrent = [layer for layer in layers if layer.recurrent]
    if not recurrent or len(recurrent) > 3 or len(layers) != len(recurrent) + 1 or not layers[-1].dense:
        return None
    if layers[: len(recurrent)] != recurrent or len({(r.kind, r.units, r.bidirectional) for r in recurrent}) != 1:
        return None
    expected_loss = {"softmax": "categorical_crossentropy", "linear": "mse"}.get(activation)
    if expected_loss is None or loss_name(net.loss) not in (expected_loss, None):
        return None
    head, top = layers[-1], recurrent[-1]
    shape = net.input_shape or ()
    if len(shape) != 2 or not all(_fits(n, v) for n, v in zip(("timesteps", "input_size"), shape, strict=True)):
        return None
    try:
        return ModelSpec(
            cell=top.kind,
            bidirectional=top.bidirectional,
            return_sequences=top.return_sequences,
            head="time_distributed" if head.time_distributed else "dense",
            timesteps=shape[0],
            input_size=shape[1],
            hidden_size=top.units,
            output_size=head.units,
            activation=activation,
            layers=len(recurrent),
            inner_return_sequences=all(r.return_sequences for r in recurrent[:-1]),
        )
    except (SpecError, TypeError):
        return None
