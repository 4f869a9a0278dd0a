"""Where the learner's model comes from: their summary, code or .keras file (through `learner_model`, read as text,
never executed), or the sidebar's spec when they pick it; never a silent fallback."""

from __future__ import annotations

import textwrap
from typing import Any

from core.diagnosis import learner_model
from core.diagnosis.net import RECURRENT, Net, NetLayer, loss_name, net_from_spec
from core.model.spec import ModelSpec

KNOWN = (*RECURRENT, "Dense", "Activation", "Flatten", "RepeatVector", "Dropout", "Conv1D", "Conv2D")


GUESSED_LOSS = {"linear": "mse", "softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy"}


def _layer(item: Any) -> NetLayer:
    """One LearnerLayer as a NetLayer (TimeDistributed / Bidirectional unwrapped into flags)."""
    core = item.core
    activation = core.activation
    return NetLayer(
        core.kind,
        core.units if core.kind != "RepeatVector" else core.repeat,
        bool(core.return_sequences),
        activation,
        item.kind == "TimeDistributed",
        item.kind == "Bidirectional",
    )


def net_from_learner(model: Any) -> Net:
    """A `LearnerModel` (core.diagnosis.learner_model) as the diagnosis's Net, keeping its source and guesses.

    A summary shows no loss and no activations: the loss is then taken from the output's activation (linear: MSE)
    and the guess is named, so the page can say which parts were guessed.
    """
    layers = tuple(_layer(item) for item in model.layers)
    guessed = list(model.notes)
    for index, layer in enumerate(layers):
        if layer.kind == "Activation" and layer.activation is None:
            layers = (*layers[:index], NetLayer("Activation", activation="softmax"), *layers[index + 1 :])
            guessed.append("the Activation layer's function (taken as softmax)")
    shape = tuple(model.input_shape[1:]) if model.input_shape else None
    outside = tuple(sorted({layer.kind for layer in layers if layer.kind not in KNOWN}))
    net = Net(layers, shape, loss_name(model.loss), model.source, tuple(guessed), outside)
    if net.loss is None and net.final_activation() in GUESSED_LOSS:
        loss = GUESSED_LOSS[net.final_activation()]
        net = Net(
            layers,
            shape,
            loss,
            model.source,
            (*guessed, f"the loss (taken as {loss}, as the output suggests)"),
            outside,
        )
    return net


def _words_as_code(text: str) -> str:
    """ "LSTM(32, return_sequences=True) → Dense(1)" (a model in words) as a Sequential the code reader takes."""
    arrow = "→" if "→" in text else "->"
    if arrow not in text or "Sequential" in text or "\n" in text.strip():
        return textwrap.dedent(text)
    return "model = Sequential([" + ", ".join(part.strip() for part in text.split(arrow)) + "])"


WORDS = (
    "Flatten",
    "Embedding",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Convolution1D",
    "Convolution2D",
    "TimeDistributed",
    "RepeatVector",
    "LSTM",
    "GRU",
    "SimpleRNN",
    "Dense",
    "batch_input_shape",
    "stateful",
)


def model_words(text: str) -> tuple[str, ...]:
    """The layer classes and flags a model text names, in order of first mention: a clue even when the text is not
    readable code (Python 2, a fragment)."""
    if not text:
        return ()
    found = sorted((at, word) for word in WORDS if (at := text.find(word)) >= 0)
    lowered = text.lower()
    extra = ("conv",) if "conv" in lowered else ()
    return tuple(word for _, word in found) + extra


def read_learner_text(text: str) -> tuple[Net | None, str | None]:
    """The learner's pasted summary or code as a Net, or (None, the reader's one-sentence reason)."""
    if not text or not text.strip():
        return None, None
    try:
        return net_from_learner(learner_model.read_model(_words_as_code(text))), None
    except learner_model.ModelReadError as error:
        return None, str(error)


def read_learner_file(data: bytes) -> tuple[Net | None, str | None]:
    """An uploaded .keras file's model (its config.json only, never loaded by Keras), or (None, why not)."""
    try:
        return net_from_learner(learner_model.read_keras_file(data)), None
    except learner_model.ModelReadError as error:
        return None, str(error)


ORDINALS = ("first", "second", "third", "fourth", "fifth")


def traceback_model_line(reading: Any) -> str:
    """What the error message itself says about the model, when the learner gave none: the layer it names, read with
    its Keras generation's naming, the output shape and the loss ("" when it says nothing)."""
    from core.diagnosis.causes import layer_class, layer_positions  # noqa: PLC0415 - causes imports this module's kin

    parts = []
    cls = layer_class(reading.layer)
    if reading.layer and cls:
        positions = layer_positions(reading.layer, reading.generation)
        which = " or ".join(ORDINALS[p] if p < len(ORDINALS) else f"number {p + 1}" for p in positions)
        counted = " (a notebook's counter may include earlier models)" if reading.notebook else ""
        parts.append(f"layer '{reading.layer}', the {which} {cls} in Keras's naming{counted}")
    elif reading.layer:
        parts.append(f"layer '{reading.layer}'")
    if reading.output:
        parts.append(
            "output " + ", ".join(["(" + ", ".join("None" if d is None else str(d) for d in reading.output) + ")"])
        )
    if reading.loss:
        parts.append(f"loss {loss_name(reading.loss)}")
    return "; ".join(parts)


def resolve_model(model: Any) -> Net | None:
    """The model the learner gave: a Net as is, a ModelSpec (the sidebar's, picked by them), a LearnerModel."""
    if model is None or isinstance(model, Net):
        return model
    if isinstance(model, ModelSpec):
        return net_from_spec(model, "sidebar")
    if isinstance(model, learner_model.LearnerModel):
        return net_from_learner(model)
    return None
