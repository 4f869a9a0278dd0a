"""Plain sentences for each cause, with the learner's own numbers; and the fact that separates two causes."""

from __future__ import annotations

from collections.abc import Callable

from core.diagnosis.causes import Evidence
from core.model.anatomy import format_shape

S = format_shape


def _target_rank(ev: Evidence) -> str:
    target, output = ev.target, ev.output
    if target is None or output is None:
        return "Keras compared your targets with the model's output and their numbers of axes differ."
    if len(output) > len(target):
        return (
            f"The model predicts at every timestep (output {S(output)}: return_sequences=True keeps the time axis), "
            f"but your targets {S(target)} have one row per sequence. Both must say the same: one prediction per "
            "sequence, or one per timestep."
        )
    return (
        f"The model predicts once per sequence (output {S(output)}: the recurrent layer returns only its last step), "
        f"but your targets {S(target)} have a time axis. Both must say the same: one prediction per sequence, or one "
        "per timestep."
    )


def _already(ev: Evidence) -> str:
    return (
        f"Keras fits this model on these arrays without an error: the output is {S(ev.output)} and Y is {S(ev.y)}. "
        f"Keras treats Y as {S((*ev.y, 1)) if ev.y else 'the output'} (it drops the output's last axis of 1 before "
        "comparing), so each timestep's target meets its own prediction. Y[..., None] makes that explicit."
    )


TEXTS: dict[str, Callable[[Evidence], str]] = {
    "target_rank": _target_rank,
    "already_works": _already,
    "timesteps_mismatch": lambda ev: (
        f"The model outputs {S(ev.output)} and your targets are {S(ev.target)}: a recurrent layer with "
        "return_sequences=True gives one output per input step, so the lengths must match."
    ),
    "output_size_mismatch": lambda ev: (
        f"The last Dense gives {S(ev.output)} and your targets are {S(ev.target)}: the Dense units must equal the "
        "number of values per target."
    ),
    "labels_not_one_hot": lambda ev: (
        f"Your targets {S(ev.target)} look like integer class labels, while categorical cross-entropy wants one-hot "
        f"rows shaped like the output {S(ev.output)}. One-hot encode them, or use sparse_categorical_crossentropy."
    ),
    "input_rank": lambda ev: (
        "A recurrent layer reads (batch, timesteps, features), three axes, but "
        f"{('layer ' + repr(ev.reading.layer)) if ev.reading.layer else 'the model'} received "
        f"{S(ev.reading.found or ev.x)}. Decide what one step is, then reshape X."
    ),
    "input_features_mismatch": lambda ev: (
        "The model was built for another number of features per step than X has "
        f"({S(ev.reading.found or ev.x)}); the input's last axis must match X's."
    ),
    "sparse_with_one_hot": lambda ev: (
        "sparse_categorical_crossentropy takes one integer label per prediction, but your labels are one-hot rows "
        "(TensorFlow counted one label per class). Use categorical_crossentropy, or Y.argmax(-1) as labels."
    ),
    "fixed_batch_size": lambda ev: (
        "The model was built for one fixed batch size (batch_input_shape or stateful=True), and fit or predict "
        "feeds batches of another size (fit's default is 32). Pass that batch_size, or declare input_shape instead."
    ),
    "flatten_on_vector": lambda ev: (
        "Flatten needs at least (batch, something, features); the layer before it already gives one vector per "
        "sample, so there is nothing to flatten: remove it."
    ),
    "embedding_needs_indices": lambda ev: (
        "An Embedding turns integer indices (batch, T) into vectors; given one-hot rows (batch, T, vocabulary) it "
        "adds a fourth axis. Feed the indices (X.argmax(-1)) instead."
    ),
    "timedistributed_needs_layer": lambda ev: (
        "TimeDistributed takes a layer to apply at every step, TimeDistributed(Dense(n))(x); it was given a tensor "
        "(the output of a layer call) instead."
    ),
    "flatten_variable_length": lambda ev: (
        "A Flatten after a sequence whose number of steps is unknown (None) gives a feature axis of unknown size, so "
        "the Dense after it cannot size its kernel. Give the steps in the Input shape, or use return_sequences=False "
        "or GlobalMaxPooling1D instead of Flatten."
    ),
    "empty_data": lambda ev: "An array has 0 samples: the data did not load or was cut to nothing before fit().",
    "stacked_return_sequences": lambda ev: (
        f"Layer '{ev.reading.layer}' is a recurrent layer on top of another one that returns only its last step "
        "(return_sequences=False, the default). Every recurrent layer below the top one needs return_sequences=True."
    ),
    "timedistributed_needs_sequence": lambda ev: (
        "TimeDistributed applies its layer at every timestep, so it needs a time axis, but the recurrent layer "
        "below returns only its last step."
    ),
    "repeatvector_needs_vector": lambda ev: (
        "RepeatVector copies one vector per sample; the encoder below hands it a whole sequence "
        "(return_sequences=True)."
    ),
    "dense_needs_2d_keras1": lambda ev: (
        "In Keras 1, Dense took only 2-D inputs, so a Dense after a sequence had to be wrapped in TimeDistributed. "
        "Since Keras 2 a Dense on a 3-D input is applied at every step."
    ),
    "sparse_label_range": lambda ev: (
        f"A label is {ev.reading.label_value}, but the output has {ev.reading.classes} units, so labels must be 0 to "
        f"{(ev.reading.classes or 1) - 1}. Give the last Dense one unit per class, or start the labels at 0."
    ),
    "batch_size_mismatch": lambda ev: (
        "X and Y must have one row per sample, the same number of rows"
        + (f" (here {ev.reading.x_samples} and {ev.reading.y_samples})." if ev.reading.x_samples else ".")
    ),
    "loss_head_mismatch": lambda ev: "The output layer and the loss disagree: " + "; ".join(_head_words(ev)) + ".",
    "conv_needs_time_distributed": lambda ev: (
        "A Conv2D reads one image (batch, height, width, channels); a sequence of frames has a time axis more. "
        "TimeDistributed applies one shared convolution to every frame."
    ),
    "flatten_merges_time": lambda ev: (
        "Flatten without TimeDistributed merges the time axis into the features, so the recurrent layer after it "
        "gets no time axis. Flatten each frame instead."
    ),
    "cnn_output_not_reduced": lambda ev: (
        "The recurrent layer gets every frame's whole feature maps (5 axes); reduce each frame to a vector first "
        "(TimeDistributed(GlobalAveragePooling2D()) or TimeDistributed(Flatten()))."
    ),
}


def _head_words(ev: Evidence) -> list[str]:
    from core.diagnosis.heads import head_problems  # noqa: PLC0415

    net = ev.net
    if net is None:
        return ["one output unit cannot hold several classes"]
    return list(head_problems(net.loss, net.final_activation(), net.output_units(), None, None)) or ["see below"]


SEPARATORS = {
    frozenset({"input_rank", "stacked_return_sequences"}): (
        "Paste X.shape: (1000, 20) means a 2-D X (reshape it); (1000, T, 20) means the layer below returns only its "
        "last step."
    ),
    frozenset({"input_rank", "flatten_merges_time"}): "Paste your model: a Flatten before the LSTM merges time away.",
    frozenset({"cnn_output_not_reduced", "input_rank"}): "Paste your model: a convolution before the LSTM decides it.",
    frozenset({"loss_head_mismatch", "sparse_label_range"}): "Paste your model's last layer and loss.",
    frozenset({"output_size_mismatch", "labels_not_one_hot"}): (
        "Paste your loss: with categorical_crossentropy, one column of integers means class labels to one-hot."
    ),
    frozenset({"timesteps_mismatch", "input_features_mismatch"}): "Paste X.shape and the model's input shape.",
    frozenset({"cnn_output_not_reduced", "input_rank"}): "Paste your model: a convolution before the LSTM decides it.",
}


def explanation(cause: str, ev: Evidence) -> str:
    """Two or three plain sentences about the cause, with the learner's numbers."""
    return TEXTS[cause](ev) if cause in TEXTS else ""


def separator(first: str, second: str) -> str:
    """The one fact that would tell two causes apart."""
    if "loss_head_mismatch" in (first, second):
        return "Your model's output layer does not suit its loss either; the fixes below correct that too."
    return SEPARATORS.get(frozenset({first, second}), "Paste X's and Y's shapes and your model.summary() to decide.")
