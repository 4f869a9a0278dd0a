"""The learner's own model, as read from what they gave: a `model.summary()`, a code snippet or a `.keras` file.

A `LearnerModel` keeps what was read, says where it came from (`source`) and which attributes were taken as Keras's
defaults rather than read (`LearnerLayer.guessed`, `LearnerModel.notes`). It converts to the app's `ModelSpec` only
when the model is inside the app's family, and never fills a gap with the sidebar's model. Nothing here executes the
learner's text or file, and nothing imports TensorFlow or Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.model.anatomy import CELL_LAYER_NAMES, keras_layer_name
from core.model.spec import CELLS, ModelSpec, SpecError

Shape = tuple[int | None, ...]

RECURRENT = CELLS  # SimpleRNN, GRU, LSTM
WRAPPERS = ("TimeDistributed", "Bidirectional")
# Arguments that say nothing about the model's computation beyond what the app models.
HARMLESS_ARGUMENTS = frozenset(
    {"name", "input_shape", "input_dim", "input_length", "batch_input_shape", "batch_shape", "dtype", "trainable"}
)
KERAS_GENERATIONS = ("keras1", "keras2", "tf.keras2", "keras3")


class ModelReadError(ValueError):
    """The learner's text or file could not be read as a model; the message is one plain sentence for them."""


@dataclass(frozen=True)
class LearnerLayer:
    """One layer of the learner's model, as read; None means "not told" (see `guessed` for defaults taken)."""

    kind: str
    name: str | None = None
    units: int | None = None
    return_sequences: bool | None = None
    return_state: bool | None = None
    activation: str | None = None
    inner: LearnerLayer | None = None
    merge_mode: str | None = None
    output_shape: Shape | None = None
    params: int | None = None
    guessed: tuple[str, ...] = ()
    use_bias: bool | None = None
    reset_after: bool | None = None
    repeat: int | None = None  # RepeatVector's n
    initial_state: bool = False  # a recurrent layer started from another layer's states (a decoder)
    arguments: tuple[tuple[str, str], ...] = ()  # other arguments as written: ("", "100") positional, ("rate", "0.2")

    @property
    def core(self) -> LearnerLayer:
        """The layer that computes: the wrapped layer of TimeDistributed / Bidirectional, else this one."""
        return self.inner if self.inner is not None and self.kind in WRAPPERS else self

    @property
    def is_recurrent(self) -> bool:
        """A SimpleRNN, GRU or LSTM, bare or inside Bidirectional."""
        return self.core.kind in RECURRENT

    def label(self) -> str:
        """The layer as a learner writes it: "LSTM(32, return_sequences=True)", "TimeDistributed(Dense(1))"."""
        if self.inner is not None and self.kind in WRAPPERS:
            merge = f", merge_mode={self.merge_mode!r}" if self.merge_mode not in (None, "concat") else ""
            return f"{self.kind}({self.inner.label()}{merge})"
        parts = [] if self.units is None else [str(self.units)]
        if self.kind == "RepeatVector" and self.repeat is not None:
            parts.append(str(self.repeat))
        if self.kind == "Activation" and self.activation:
            parts.append(repr(self.activation))
        if self.return_sequences:
            parts.append("return_sequences=True")
        if self.return_state:
            parts.append("return_state=True")
        if self.kind == "Dense" and self.activation not in (None, "linear"):
            parts.append(f"activation={self.activation!r}")
        return f"{self.kind}({', '.join(parts)})"


@dataclass(frozen=True)
class LearnerModel:
    """The learner's model: its layers after the input (no InputLayer: its shape is `input_shape`), and provenance."""

    layers: tuple[LearnerLayer, ...]
    source: str
    input_shape: Shape | None = None
    loss: str | None = None
    keras_generation: str | None = None
    notes: tuple[str, ...] = ()

    def line(self) -> str:
        """The model in one line: "LSTM(32, return_sequences=True) → Dense(1)"."""
        return " → ".join(layer.label() for layer in self.layers) or "(no layers read)"

    def outside_family(self) -> str | None:
        """Why the model is not one the app can load (one sentence), or None when it is."""
        result = _family_spec(self, None)
        return result if isinstance(result, str) else None

    def to_spec(self, input_shape: Shape | None = None) -> ModelSpec | None:
        """The app's `ModelSpec` for this model when it is inside the app's family, else None (`outside_family` says
        why). `input_shape` (e.g. X.shape) is used only when the model itself does not tell its input."""
        result = _family_spec(self, input_shape)
        return result if isinstance(result, ModelSpec) else None

    def to_code(self) -> str:
        """Keras 3 code that builds this model (Sequential, or functional when states pass between layers)."""
        return _model_code(self)

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> LearnerModel:
        """The app's model for `spec`, layer for layer what `core.keras.models.build_model` builds (source sidebar)."""
        layers: list[LearnerLayer] = []
        if spec.repeat == "input":
            layers.append(LearnerLayer("RepeatVector", name="repeat_vector", repeat=spec.timesteps))
        for index in range(spec.layers):
            top = index == spec.layers - 1
            sequences = spec.return_sequences if top else spec.inner_return_sequences
            layers.append(_spec_recurrent(spec, index, sequences, top and spec.return_state, False))
        if spec.repeat == "encoder":
            layers.append(LearnerLayer("RepeatVector", name="repeat_vector", repeat=spec.output_timesteps))
            layers.append(_spec_recurrent(spec, spec.layers, True, False, spec.return_state))
        dense = LearnerLayer("Dense", name="dense", units=spec.output_size, activation="linear", use_bias=spec.use_bias)
        if spec.head == "time_distributed":
            layers.append(LearnerLayer("TimeDistributed", name="time_distributed", inner=dense))
        else:
            layers.append(dense)
        layers.append(LearnerLayer("Activation", name="activation", activation=spec.activation))
        return cls(tuple(layers), "sidebar", input_shape=spec.input_shape(), loss=spec.loss, keras_generation="keras3")


def _spec_recurrent(spec: ModelSpec, index: int, sequences: bool, state: bool, initial: bool) -> LearnerLayer:
    cell = LearnerLayer(
        spec.cell,
        name=keras_layer_name(CELL_LAYER_NAMES[spec.cell], index),
        units=spec.hidden_size,
        return_sequences=sequences,
        return_state=state,
        use_bias=spec.use_bias,
        reset_after=spec.reset_after if spec.cell == "GRU" else None,
        initial_state=initial,
    )
    if not spec.bidirectional:
        return cell
    return LearnerLayer(
        "Bidirectional",
        name=keras_layer_name("bidirectional", index),
        inner=replace(cell, initial_state=False),
        merge_mode=spec.merge_mode,
        initial_state=initial,
    )


def with_family_note(model: LearnerModel) -> LearnerModel:
    """`model` with the reason it is outside the app's family added to its notes (readers call this last)."""
    reason = model.outside_family()
    return model if reason is None or reason in model.notes else replace(model, notes=model.notes + (reason,))


# -- the app's family ------------------------------------------------------------------------------------------------
def _extra_arguments(layer: LearnerLayer) -> str | None:
    for key, value in layer.arguments:
        if key not in HARMLESS_ARGUMENTS:
            return f"{layer.kind}'s argument {key or 'given by position'} ({value}) is not one the app can load"
    return None


def _recurrent_signature(layer: LearnerLayer) -> tuple | str:
    """What must be alike in every recurrent layer of the app's stack, or why this layer is outside the family."""
    if not layer.is_recurrent:
        return f"{layer.kind} ({layer.name or 'unnamed'}) is outside the app's family of recurrent models"
    cell = layer.core
    for part in (layer, cell):
        problem = _extra_arguments(part)
        if problem:
            return problem
    if cell.activation not in (None, "tanh"):
        return f"{cell.kind} with activation {cell.activation!r} is not one the app models (it uses tanh)"
    if cell.units is None:
        return f"the units of {cell.name or cell.kind} were not read"
    bidirectional = layer.kind == "Bidirectional"
    merge = (layer.merge_mode or "concat") if bidirectional else "concat"
    return (cell.kind, cell.units, bidirectional, merge, cell.use_bias, cell.reset_after)


def _split_head(layers: list[LearnerLayer]) -> tuple[str, LearnerLayer, str] | str:
    """Take the head (and a final Activation) off `layers`: (head kind, its Dense, the final activation) or why not."""
    final: str | None = None
    if layers and layers[-1].kind == "Activation":
        final = layers.pop().activation or "softmax"
    if not layers:
        return "the model has no Dense head"
    head = layers.pop()
    if head.kind == "TimeDistributed" and head.inner is not None and head.inner.kind == "Dense":
        kind, dense = "time_distributed", head.inner
    elif head.kind == "Dense":
        kind, dense = "dense", head
    else:
        return f"the model ends in {head.kind}, not in a Dense head"
    problem = _extra_arguments(dense)
    if problem:
        return problem
    own = dense.activation or "linear"
    if final is None or final == "linear":
        final = own
    elif own != "linear":
        return f"both the Dense ({own}) and the Activation ({final}) apply an activation"
    if final not in ("softmax", "linear"):
        return f"the activation {final!r} is not one the app offers (softmax or linear)"
    return kind, dense, final


def _merged_shape(read: Shape | None, given: Shape | None) -> Shape | None:
    """The shape the model declares, its unknown axes filled from `given` (X.shape) when the ranks agree."""
    if read is None or given is None or len(read) != len(given):
        return read or given
    return tuple(given[i] if dim is None and i > 0 else dim for i, dim in enumerate(read))


def _split_repeats(
    layers: list[LearnerLayer],
) -> tuple[str, int | None, int, list[LearnerLayer], LearnerLayer | None] | str:
    """Where RepeatVector sits: (repeat, its T for "input", the decoder's length, the stack, the decoder) or why the
    model is outside the family."""
    repeat, timesteps, output_timesteps = "none", None, 10
    if layers and layers[0].kind == "RepeatVector":
        repeat, timesteps = "input", layers[0].repeat
        layers = layers[1:]
    middle = [i for i, layer in enumerate(layers) if layer.kind == "RepeatVector"]
    if not middle:
        return repeat, timesteps, output_timesteps, layers, None
    if repeat == "input" or len(middle) > 1 or middle[0] != len(layers) - 2:
        return "a RepeatVector sits where the app's models have none"
    return "encoder", None, layers[middle[0]].repeat or 0, layers[: middle[0]], layers[-1]


def _steps_and_features(shape: Shape | None, repeat: str, timesteps: int | None) -> tuple[int | None, int | None]:
    """(T, features) from the input shape: a vector input (one-to-many) takes T from its RepeatVector."""
    if repeat == "input":
        return timesteps, (shape[-1] if shape and len(shape) == 2 else None)
    if shape and len(shape) == 3:
        return shape[1], shape[-1]
    return None, None


def _family_spec(model: LearnerModel, fallback_shape: Shape | None) -> ModelSpec | str:
    """The ModelSpec this model is, or one sentence saying why it is outside the app's family."""
    layers = [layer for layer in model.layers if layer.kind != "InputLayer"]
    head = _split_head(layers)
    if isinstance(head, str):
        return head
    head_kind, dense, activation = head
    parts = _split_repeats(layers)
    if isinstance(parts, str):
        return parts
    repeat, timesteps, output_timesteps, layers, decoder = parts
    if not layers:
        return "the model has no recurrent layer"
    signatures = [_recurrent_signature(layer) for layer in layers + ([decoder] if decoder else [])]
    for signature in signatures:
        if isinstance(signature, str):
            return signature
    if len(set(signatures)) > 1:
        return "its recurrent layers differ in cell, size or wrapping; the app's stack repeats one layer"
    cell, units, bidirectional, merge_mode, use_bias, reset_after = signatures[0]
    inner_flags = {bool(layer.core.return_sequences) for layer in layers[:-1]}
    if len(inner_flags) > 1:
        return "its lower recurrent layers differ in return_sequences"
    if any(layer.core.return_state for layer in layers[:-1]):
        return "a lower recurrent layer returns its states"
    top = layers[-1].core
    return_state = bool(top.return_state)
    if decoder is not None and (not decoder.core.return_sequences or decoder.initial_state != return_state):
        return "its decoder differs from the app's (return_sequences=True, started from the encoder's states)"
    if dense.use_bias is not None and use_bias is not None and dense.use_bias != use_bias:
        return "use_bias differs between its recurrent layer and its head"
    timesteps, features = _steps_and_features(_merged_shape(model.input_shape, fallback_shape), repeat, timesteps)
    if features is None or timesteps is None:
        return "its input shape (timesteps, features) was not read"
    try:
        return ModelSpec(
            cell=cell,
            bidirectional=bidirectional,
            merge_mode=merge_mode,
            return_sequences=bool(top.return_sequences),
            head=head_kind,
            timesteps=timesteps,
            input_size=features,
            hidden_size=units,
            output_size=dense.units if dense.units is not None else 0,
            use_bias=True if use_bias is None and dense.use_bias is None else bool(use_bias or dense.use_bias),
            reset_after=True if reset_after is None else reset_after,
            activation=activation,
            layers=len(layers),
            inner_return_sequences=inner_flags.pop() if inner_flags else True,
            repeat=repeat,
            output_timesteps=output_timesteps,
            return_state=return_state,
        )
    except SpecError as error:
        return f"it is outside the app's ranges ({error})"


# -- Keras 3 code ----------------------------------------------------------------------------------------------------
def _layer_code(layer: LearnerLayer) -> str:
    """One layer as a Keras 3 expression, with what was read (a recurrent layer's return_sequences always shown)."""
    if layer.inner is not None and layer.kind in WRAPPERS:
        merge = f", merge_mode={layer.merge_mode!r}" if layer.merge_mode not in (None, "concat") else ""
        return f"keras.layers.{layer.kind}({_layer_code(layer.inner)}{merge})"
    parts = [] if layer.units is None else [str(layer.units)]
    if layer.kind == "RepeatVector" and layer.repeat is not None:
        parts.append(str(layer.repeat))
    if layer.kind == "Activation":
        parts.append(repr(layer.activation or "linear"))
    elif layer.activation not in (None, "linear") and not (layer.kind in RECURRENT and layer.activation == "tanh"):
        parts.append(f"activation={layer.activation!r}")
    if layer.kind in RECURRENT:
        parts.append(f"return_sequences={bool(layer.return_sequences)}")
        if layer.return_state:
            parts.append("return_state=True")
        if layer.kind == "GRU" and layer.reset_after is False:
            parts.append("reset_after=False")
    if layer.use_bias is False:
        parts.append("use_bias=False")
    parts += [value if not key else f"{key}={value}" for key, value in layer.arguments if key not in HARMLESS_ARGUMENTS]
    return f"keras.layers.{layer.kind}({', '.join(parts)})"


def _input_code(shape: Shape | None) -> str:
    dims = ", ".join("None" if dim is None else str(dim) for dim in (shape or (None, None))[1:])
    return f"keras.Input(shape=({dims}{',' if (shape and len(shape) == 2) else ''}))"


def _model_code(model: LearnerModel) -> str:
    lines = ["import keras", ""]
    functional = any(layer.core.return_state or layer.initial_state for layer in model.layers)
    if not functional:
        items = ([_input_code(model.input_shape)] if model.input_shape else []) + [
            _layer_code(layer) for layer in model.layers
        ]
        lines += ["model = keras.Sequential(", "    ["] + [f"        {item}," for item in items] + ["    ]", ")"]
    else:
        lines += [f"inputs = {_input_code(model.input_shape)}", "x = inputs"]
        for layer in model.layers:
            target = "x, *states" if layer.core.return_state else "x"
            start = ", initial_state=states" if layer.initial_state else ""
            lines.append(f"{target} = {_layer_code(layer)}(x{start})")
        lines.append("model = keras.Model(inputs, x)")
    if model.loss:
        lines.append(f'model.compile(loss={model.loss!r}, optimizer="rmsprop")')
    return "\n".join(lines) + "\n"


# -- readers (each in its own module) --------------------------------------------------------------------------------
def read_summary(text: str) -> LearnerModel:
    """The model a pasted `model.summary()` table describes (Keras 3 box drawing, Keras 1/2 and tf.keras ASCII)."""
    from core.diagnosis.summary_reader import read_summary_text

    return read_summary_text(text)


def read_code(text: str) -> LearnerModel:
    """The model a pasted Keras snippet builds, read with `ast` as text and never executed."""
    from core.diagnosis.code_reader import read_code_text

    return read_code_text(text)


def read_keras_file(data: bytes) -> LearnerModel:
    """The model an uploaded `.keras` file describes, read from its config.json only (never `load_model`)."""
    from core.diagnosis.keras_file import read_keras_archive

    return read_keras_archive(data)


def read_model(text: str) -> LearnerModel:
    """A pasted summary or snippet, whichever it is: a table's header or rules mean a summary, else code."""
    from core.diagnosis.summary_reader import looks_like_summary

    return read_summary(text) if looks_like_summary(text) else read_code(text)
