"""Causes as pure functions: evidence (the reading, the learner's model, X and Y) in, ranked candidates out.

Every clue votes: the message's kind and shapes, the layer's name read with its Keras generation's naming, the loss,
the learner's model and shapes. `rank` returns the candidates best first; nothing is mutated along the way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.diagnosis.heads import head_problems
from core.diagnosis.net import RECURRENT, Net, loss_name
from core.diagnosis.reading import Reading
from core.diagnosis.shapes import Shape, same, same_shape
from core.model.target_checker import loss_outcome

CLASS_OF_NAME = {
    "lstm": "LSTM",
    "gru": "GRU",
    "simple_rnn": "SimpleRNN",
    "simplernn": "SimpleRNN",
    "cu_dnnlstm": "LSTM",
}


@dataclass(frozen=True)
class Evidence:
    """Everything a cause may look at, frozen: the reading, the learner's model (or None), X's and Y's shapes."""

    reading: Reading
    net: Net | None = None
    x: Shape | None = None
    y: Shape | None = None
    words: tuple[str, ...] = ()  # layer classes and flags named in the learner's model text, in order

    def names(self, *words: str) -> bool:
        """True when the learner's model (as read, or as words in their text) has one of these layers or flags."""
        kinds = {layer.kind for layer in self.net.layers} if self.net else set()
        return any(word in kinds or word in self.words for word in words)

    @property
    def loss(self) -> str | None:
        """The loss: the one the message names, else the learner's model's."""
        return loss_name(self.reading.loss) or (self.net.loss if self.net else None)

    @property
    def target(self) -> Shape | None:
        """The targets' shape: the message's, else the learner's Y."""
        return self.reading.target if self.reading.target is not None else self.y

    @property
    def output(self) -> Shape | None:
        """The output's shape: the message's, else the learner's model's for X."""
        if self.reading.output is not None:
            return self.reading.output
        return self.net.output_shape(self.x) if self.net else None


@dataclass(frozen=True)
class Candidate:
    """One possible cause, its score (the sum of its votes), the reasons that voted, and the layer it is about."""

    cause: str
    score: float
    reasons: tuple[str, ...] = ()
    layer: str | None = None


def layer_class(name: str | None) -> str | None:
    """The recurrent class a Keras layer name belongs to ("lstm_1" → "LSTM"), or None."""
    base = (name or "").lower().rsplit("/", 1)[-1]
    stem = base.rstrip("0123456789").rstrip("_") if base[-1:].isdigit() else base
    for wrapper in ("bidirectional",):
        if stem == wrapper:
            return "Bidirectional"
    return CLASS_OF_NAME.get(stem)


def layer_positions(name: str, generation: str | None) -> tuple[int, ...]:
    """Which layer of its class a name is (0 = first): `lstm` is the first in tf.keras 2 and Keras 3, `lstm_1` the
    second there but the first in standalone Keras 1 and 2; unknown generation gives both readings."""
    base = name.lower().rsplit("/", 1)[-1]
    head, _, tail = base.rpartition("_")
    if not head or not tail.isdigit():
        return (0,)
    number = int(tail)
    if generation == "keras3_or_tf2":
        return (number,)
    if generation == "keras2":
        return (max(number - 1, 0),)
    return tuple(sorted({number, max(number - 1, 0)}))


def target_cause(target: Shape, output: Shape, loss: str | None, strict: bool = False) -> str | None:
    """Which target cause two shapes show (batch first), or None when Keras would accept them.

    `strict` (Keras refused them, as the message says) skips Keras's squeezing of a trailing axis of 1."""
    if loss == "sparse_categorical_crossentropy":
        if len(target) == len(output) and target[-1] == output[-1] and (target[-1] or 0) > 1:
            return "sparse_with_one_hot"  # one-hot rows as wide as the output, given to a sparse loss
        labels = target[:-1] if len(target) == len(output) and target[-1] == 1 else target
        if len(labels) != len(output) - 1:
            return "target_rank"
        if len(labels) == 2 and not same(labels[1], output[1]):
            return "timesteps_mismatch"
        return None if same_shape(labels, output[:-1]) else "batch_size_mismatch"
    classes = output[-1]
    counts_classes = loss == "categorical_crossentropy" and classes is not None and classes > 1
    if counts_classes and same_shape(target, output[:-1]):
        return "labels_not_one_hot"
    if any(dim == 0 for dim in (*target, *output)):
        return "empty_data"
    if len(target) != len(output):
        lenient = not strict and loss != "categorical_crossentropy"
        if len(target) == len(output) + 1 and target[-1] == 1 and lenient:
            return None if same_shape(target[:-1], output) else "target_rank"
        if len(output) == len(target) + 1 and output[-1] == 1 and lenient:
            return None if same_shape(target, output[:-1]) else "target_rank"
        return "target_rank"
    labels = loss in ("categorical_crossentropy", "binary_crossentropy") and classes is not None and classes > 1
    if labels and target[-1] == 1:
        return "labels_not_one_hot"
    if not same(target[0], output[0]):
        return "batch_size_mismatch"
    if len(target) == 3 and not same(target[1], output[1]):
        return "timesteps_mismatch"
    if not same(target[-1], output[-1]):
        return "output_size_mismatch"
    return None


def _target_votes(ev: Evidence) -> list[Candidate]:
    target, output = ev.target, ev.output
    reading = ev.reading
    if reading.kind == "runtime" and (reading.target is None or reading.output is None):
        target, output = reading.found, reading.expected  # order unknown: a rank or size difference reads either way
    if reading.kind == "first_dimension":
        return _first_dimension_votes(ev)
    if reading.kind == "labels" and target is not None:
        classes = ev.net.output_units() if ev.net else None
        output = output or ((*target[:-1], classes or 2) if target[-1] == 1 else (*target, classes or 2))
    if reading.found_ndim == 0 and reading.kind == "target":
        return [Candidate("target_rank", 0.5, ("Y is not an array of samples (shape ())",), reading.layer)]
    if output is None and reading.expected_ndim is not None and target is not None:
        if any(dim == 0 for dim in target):
            return [Candidate("empty_data", 3.0, ("Y has no samples",), reading.layer)]
        if len(target) != reading.expected_ndim:
            why = f"the output has {reading.expected_ndim} axes and Y has {len(target)}"
            return [Candidate("target_rank", 3.0, (why,), reading.layer)]
    if target is None or output is None:
        if reading.rank_only:
            return [
                Candidate("target_rank", 2.0, ("Keras says the targets and the output differ in rank",), reading.layer)
            ]
        return []
    if reading.kind == "runtime" and len(target) == len(output) == 1 and target != output:
        return _flat_batch_votes(target[0], output[0])
    cause = target_cause(target, output, ev.loss, strict=True)
    if cause is None:
        return []
    votes = [Candidate(cause, 3.0, (f"targets {target} vs output {output}",), reading.layer)]
    if cause == "output_size_mismatch" and target[-1] == 1 and ev.loss is None:
        # A separate Activation layer at the end is how Keras 1 and 2 code wrote its softmax: classes.
        softmax_layer = (reading.layer or "").startswith("activation")
        votes.append(Candidate("labels_not_one_hot", 4.0 if softmax_layer else 1.0, ("one column of integer labels",)))
    return votes


DEFAULT_BATCH = 32  # fit's batch_size when none is given


def _flat_batch_votes(first: int | None, second: int | None) -> list[Candidate]:
    """Two per-sample vectors of different lengths inside the loss: fit's default 32 meets a batch fixed elsewhere
    (batch_input_shape, stateful); without a 32 it may also be a last partial batch."""
    if DEFAULT_BATCH in (first, second):
        return [Candidate("fixed_batch_size", 3.0, ("fit's default batch of 32 meets a fixed batch size",))]
    return [Candidate("fixed_batch_size", 0.5, ("two batch sizes meet in the loss",))]


def _first_dimension_votes(ev: Evidence) -> list[Candidate]:
    """TensorFlow's sparse check flattens per-timestep labels: [32,5] vs [320] is a time axis, [32,5] vs [20] a
    batch difference."""
    logits, labels = ev.reading.output, ev.reading.target
    if not (logits and labels and logits[0] and labels[0]) or logits[0] == labels[0]:
        return [Candidate("batch_size_mismatch", 1.0, ("logits and labels count different rows",))]
    rows, label_rows = logits[0], labels[0]
    if len(logits) == 2 and logits[1] is not None and label_rows == rows * logits[1]:
        return [
            Candidate(
                "sparse_with_one_hot", 3.0, ("the labels hold one row per class: one-hot rows given to a sparse loss",)
            )
        ]
    if max(rows, label_rows) % min(rows, label_rows) == 0:
        return [Candidate("target_rank", 3.0, ("one side has T times the other's rows: a time axis",))]
    if math.gcd(rows, label_rows) > 1:
        return [Candidate("timesteps_mismatch", 2.5, ("both are batch × steps rows with different step counts",))]
    return [Candidate("batch_size_mismatch", 2.0, ("logits and labels count different samples",))]


def _recurrent_below(net: Net, class_name: str, positions: tuple[int, ...]) -> tuple[bool | None, bool]:
    """(is the named layer the first layer of the model?, does a recurrent layer returning only its last step (or a
    Flatten) sit right below it?) for the named layer, read from the learner's model."""
    indices = [index for index, layer in enumerate(net.layers) if layer.kind == class_name]
    named = [indices[p] for p in positions if p < len(indices)]
    if not named:
        return None, False
    where = named[0]
    below = [layer for layer in net.layers[:where] if layer.kind not in ("Dropout", "Activation")]
    return (not below), bool(below) and (below[-1].recurrent and not below[-1].return_sequences)


def _name_vote(
    layer: str, cls: str | None, positions: tuple[int, ...], notebook: bool
) -> tuple[str, float, str] | None:
    """What the layer's name says: the session's first LSTM (`lstm`, or `lstm_1` in standalone Keras 2) has nothing
    of its class below it; a later one probably sits on another, except in a notebook, which keeps counting across
    models."""
    if positions == (0,):
        return "input_rank", 1.5, f"'{layer}' is the first {cls or 'layer'} Keras made in that session"
    if 0 not in positions:
        weight = 0.5 if notebook else 1.0
        return "stacked_return_sequences", weight, f"'{layer}' is not the first {cls} in Keras's naming"
    return None


def _rank2_votes(ev: Evidence, layer: str) -> list[Candidate]:
    """A recurrent layer got 2 axes: a 2-D X (input_rank), the last step of the layer below (stacked), or a Flatten."""
    reading, net, x = ev.reading, ev.net, ev.x
    cls = layer_class(layer)
    positions = layer_positions(layer, reading.generation)
    votes: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}

    def vote(cause: str, weight: float, why: str) -> None:
        votes[cause] = votes.get(cause, 0.0) + weight
        reasons.setdefault(cause, []).append(why)

    in_model = net is not None and cls in RECURRENT and _recurrent_below(net, cls, positions)[0] is not None
    named = None if in_model else _name_vote(layer, cls, positions, ev.reading.notebook)
    if named:  # the learner's model, when it has the layer, says more than Keras's counter
        vote(*named)
    if x is not None:
        vote("input_rank" if len(x) == 2 else "stacked_return_sequences", 3.0, f"X has {len(x)} axes")
    if reading.found and reading.found[0] is not None:
        vote("input_rank", 1.0, "the shape received has a concrete batch: the data itself reached the layer")
    if ev.names("Flatten") and not (net and any(l.kind == "Flatten" and l.time_distributed for l in net.layers)):
        vote("flatten_merges_time", 4.0, "your model has a Flatten before the recurrent layer")
    if net is not None and cls in RECURRENT:
        first, stacked = _recurrent_below(net, cls, positions)
        if stacked:
            vote("stacked_return_sequences", 3.0, "the recurrent layer below returns only its last step")
        elif first:
            vote("input_rank", 2.0, "it is the first layer of your model")
    return [Candidate(cause, score, tuple(reasons[cause]), layer) for cause, score in votes.items()]


def _wide_votes(ev: Evidence, layer: str, found: int) -> list[Candidate]:
    """4 or 5 axes reach a recurrent layer: frames not reduced after a convolution, one-hot rows fed to an
    Embedding, or an X with extra axes."""
    if ev.names("Embedding"):
        return [Candidate("embedding_needs_indices", 3.0, ("an Embedding got vectors instead of indices",), layer)]
    conv = ev.names("Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "conv")
    if ev.x is not None and len(ev.x) == found and not conv:
        return [Candidate("input_rank", 3.0, (f"X has {found} axes",), layer)]
    frames = conv or "time_distributed" in ev.reading.line.lower() or "conv" in ev.reading.line.lower()
    score = 3.0 if frames else (1.5 if found == 5 else 1.0)
    shape = ev.reading.found
    # An image batch with its channel axis (None, 28, 28, 1) fed straight to an LSTM: X has an axis too many.
    channel = 0.5 if shape is not None and len(shape) == 4 and shape[-1] == 1 and not frames else 0.0
    return [
        Candidate("cnn_output_not_reduced", score, (f"{found} axes reach a recurrent layer",), layer),
        Candidate("input_rank", 1.0 + channel, (f"X itself may have {found} axes",), layer),
    ]


NDIM_BY_NAME = (
    ("timedistributed", lambda e, f: f == 2, "timedistributed_needs_sequence", "TimeDistributed got no time axis"),
    ("repeatvector", lambda e, f: f == 3, "repeatvector_needs_vector", "RepeatVector got a sequence"),
    ("dense", lambda e, f: e == 2 and f == 3, "dense_needs_2d_keras1", "Keras 1's Dense refused a 3-D input"),
    ("flatten", lambda e, f: f == 2, "flatten_on_vector", "Flatten got a vector: there is nothing left to flatten"),
    ("conv", lambda e, f: e is not None and f == e + 1, "conv_needs_time_distributed", "a convolution got frames"),
)


def _ndim_votes(ev: Evidence) -> list[Candidate]:
    reading = ev.reading
    layer = reading.layer or ""
    name = layer.lower().replace("_", "")
    expected, found = reading.expected_ndim, reading.found_ndim
    for prefix, test, cause, why in NDIM_BY_NAME:
        if name.startswith(prefix) and test(expected, found):
            return [Candidate(cause, 3.0, (why,), layer)]
    if not layer and expected == 2 and found == 3:
        return [Candidate("dense_needs_2d_keras1", 2.0, ("an old Keras layer wanted 2 axes and got a sequence",))]
    whole_model = name.startswith(("sequential", "model", "functional"))
    if expected == 3 and found == 2 and not whole_model:
        return _rank2_votes(ev, layer)
    if expected == 3 and found in (4, 5) and not whole_model:
        return _wide_votes(ev, layer, found)
    if expected is not None and found is not None and expected != found:
        return [Candidate("input_rank", 2.0, (f"the layer wants {expected} axes and got {found}",), layer)]
    return []


def _input_votes(ev: Evidence) -> list[Candidate]:
    expected, found = ev.reading.expected, ev.reading.found
    layer = ev.reading.layer
    if found is None:
        return []
    if any(dim == 0 for dim in found):
        return [Candidate("empty_data", 3.0, ("X has no samples",), layer)]
    if ev.reading.expected_ndim is not None and ev.reading.expected_ndim != len(found):
        return [Candidate("input_rank", 3.0, (f"X has {len(found)} axes",), layer)]
    if expected is None:
        return []
    if len(expected) != len(found):
        return [Candidate("input_rank", 3.0, (f"X has {len(found)} axes, the model wants {len(expected)}",), layer)]
    if expected[0] is not None and found[0] is not None and expected[0] != found[0]:
        return [Candidate("fixed_batch_size", 3.0, ("the model was built for a fixed batch size",), layer)]
    if len(found) >= 3 and not same(expected[1], found[1]):
        votes = [Candidate("timesteps_mismatch", 3.0, ("X's timesteps differ from the input's",), layer)]
        if not same(expected[-1], found[-1]):
            votes.append(Candidate("input_features_mismatch", 2.0, ("X's features differ too",), layer))
        return votes
    if len(found) == 2 and not same(expected[1], found[1]) and layer and "dense" in layer and "input" not in layer:
        return [
            Candidate("timesteps_mismatch", 2.0, ("a Flatten hands the Dense steps × features",), layer),
            Candidate("input_features_mismatch", 1.5, ("or X's features differ",), layer),
        ]
    if not same(expected[-1], found[-1]):
        return [Candidate("input_features_mismatch", 3.0, ("X's last axis differs from the input's",), layer)]
    return []


def _runtime_votes(ev: Evidence) -> list[Candidate]:
    node = ev.reading.node
    first, second = ev.reading.expected, ev.reading.found
    if "matmul" in node and any(word in node for word in ("lstm", "gru", "rnn", "cell", "while")):
        return [Candidate("input_features_mismatch", 3.0, ("the cell's kernel has another input size",))]
    if first is not None and second is not None and "matmul" in node:
        return [Candidate("input_features_mismatch", 1.5, ("a matrix product's sizes differ",))]
    return _target_votes(ev)


SIMPLE = {
    "matmul": ("input_features_mismatch", "a layer's input width differs from the one its kernel was built for"),
    "squeeze": ("sparse_with_one_hot", "labels with one column per class where one integer was expected"),
    "dense_undefined": ("flatten_variable_length", "a Flatten over a sequence of unknown length"),
    "td_layer": ("timedistributed_needs_layer", "TimeDistributed was given a tensor, not a layer"),
    "td_rank": ("timedistributed_needs_sequence", "TimeDistributed got no time axis"),
    "cardinality": ("batch_size_mismatch", "X and Y have different numbers of samples"),
    "kernel_rank": ("conv_needs_time_distributed", "a convolution got frames with a time axis"),
}


def _label_range_votes(ev: Evidence) -> list[Candidate]:
    classes = ev.reading.classes
    if classes == 1:
        return [
            Candidate("loss_head_mismatch", 3.0, ("one output unit with sparse categorical cross-entropy",)),
            Candidate("sparse_label_range", 2.0, ("a label reaches the number of units",)),
        ]
    return [Candidate("sparse_label_range", 3.0, ("a label is not below the number of output units",))]


def _message_votes(ev: Evidence) -> list[Candidate]:
    kind = ev.reading.kind
    if kind == "td_rank" and ev.reading.found_ndim == 0:
        return [
            Candidate("timedistributed_needs_sequence", 0.5, ("TimeDistributed got something that is not a tensor",))
        ]
    if kind == "kernel_rank" and ev.reading.found and len(ev.reading.found) > 2 and ev.reading.found[1] is None:
        why = "a convolution got an extra axis of unknown length: how was the model built or loaded?"
        return [Candidate("conv_needs_time_distributed", 0.5, (why,), ev.reading.layer)]
    if (
        ev.names("batch_input_shape", "stateful")
        and kind == "runtime"
        and ev.reading.expected
        and len(ev.reading.expected) == 1
    ):
        return [Candidate("fixed_batch_size", 3.0, ("your model fixes its batch size",))]
    if kind in SIMPLE:
        cause, why = SIMPLE[kind]
        return [Candidate(cause, 3.0, (why,), ev.reading.layer)]
    if kind == "label_range":
        return _label_range_votes(ev)
    if kind == "layer_ndim":
        return _ndim_votes(ev)
    if kind == "input":
        return _input_votes(ev)
    if kind == "runtime":
        return _runtime_votes(ev)
    return _target_votes(ev)


def _model_votes(ev: Evidence) -> list[Candidate]:
    """No message: the learner's model and shapes, as Keras would take them."""
    net, x, y = ev.net, ev.x, ev.y
    if net is None:
        return []
    if x is not None and len(x) != 3 and net.layers and net.layers[0].recurrent:
        return [Candidate("input_rank", 3.0, (f"X has {len(x)} axes",))]
    if (
        x is not None
        and net.input_shape
        and len(net.input_shape) == len(x) - 1
        and not same(net.input_shape[-1], x[-1])
    ):
        return [Candidate("input_features_mismatch", 3.0, ("X's last axis differs from the model's input",))]
    broken = _structural_votes(net, x)
    if broken:
        return broken
    output = net.output_shape(x)
    if y is None or output is None or ev.loss is None:
        return []
    status, _ = loss_outcome(ev.loss, _named_batch(y), _named_batch(output))
    if status in ("ok", "stretched"):
        return [Candidate("already_works", 3.0, (f"Keras accepts targets {y} for the output {output}",))]
    cause = target_cause(y, output, ev.loss) or "target_rank"
    return [Candidate(cause, 3.0, (f"targets {y} vs output {output}",))]


def _structural_votes(net: Net, x: Shape | None) -> list[Candidate]:
    """Walk the learner's model from its input: the first recurrent layer that gets 2 axes says why."""
    shape = tuple(x) if x is not None else ((None, *net.input_shape) if net.input_shape else None)
    for index, layer in enumerate(net.layers):
        if shape is None:
            return []
        if layer.recurrent and len(shape) == 2:
            below = [item for item in net.layers[:index] if item.kind not in ("Dropout", "Activation")]
            if below and below[-1].kind == "Flatten":
                return [Candidate("flatten_merges_time", 3.0, ("a Flatten before the recurrent layer",))]
            if below and below[-1].recurrent:
                return [
                    Candidate("stacked_return_sequences", 3.0, ("the recurrent layer below returns its last step",))
                ]
            return [Candidate("input_rank", 3.0, (f"the recurrent layer gets {shape}: no time axis",))]
        shape = _next_shape(layer, shape)
    return []


def _next_shape(layer, shape: Shape) -> Shape | None:
    from core.diagnosis.net import _layer_output  # noqa: PLC0415

    return _layer_output(layer, shape)


def _named_batch(shape: Shape) -> tuple:
    return ("N", *shape[1:])


def _head_votes(ev: Evidence) -> list[Candidate]:
    net = ev.net
    if net is None:
        return []
    problems = head_problems(loss_name(ev.loss), net.final_activation(), net.output_units(), None, None)
    return [Candidate("loss_head_mismatch", 2.5, problems)] if problems else []


def rank(ev: Evidence) -> tuple[Candidate, ...]:
    """The candidate causes, best first (votes for one cause add up); empty when nothing points anywhere."""
    votes = _message_votes(ev) if ev.reading.recognised else _model_votes(ev)
    if not votes and ev.reading.recognised and ev.net is not None:
        votes = _structural_votes(ev.net, ev.x)
    votes = votes + _head_votes(ev)
    if any(c.cause == "loss_head_mismatch" for c in votes) and any(c.cause == "already_works" for c in votes):
        votes = [c for c in votes if c.cause != "already_works"]
    merged: dict[str, Candidate] = {}
    for candidate in votes:
        if candidate.cause in merged:
            old = merged[candidate.cause]
            candidate = Candidate(
                candidate.cause, old.score + candidate.score, old.reasons + candidate.reasons, old.layer
            )
        merged[candidate.cause] = candidate
    return tuple(sorted(merged.values(), key=lambda c: -c.score))
