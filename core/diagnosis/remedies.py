"""One fix maker per cause: `fixes_for(cause, evidence)` returns the minimal edits that address it."""

from __future__ import annotations

from core.diagnosis.causes import Evidence
from core.diagnosis.fixes import (
    FixMaker,
    _input_rank_fixes,
    _last_recurrent,
    _set_sequences,
    _with_loss,
    agree_head,
    code_fix,
    data_fix,
    model_fix,
    value_twin,
)
from core.diagnosis.net import Net
from core.diagnosis.result import Fix
from core.model.anatomy import format_shape

PER_SEQUENCE = "The model then predicts once per sequence instead of once per timestep."
PER_STEP = "The model then predicts at every timestep instead of once per sequence."


def _target_rank(ev: Evidence) -> list[Fix]:
    net, target, output = ev.net, ev.target, ev.output
    if net is None or target is None or output is None:
        return [code_fix("Make the output and the targets agree: return_sequences on the last recurrent layer", "", "")]
    top = _last_recurrent(net)
    fixes: list[Fix] = []
    if len(output) > len(target) and top is not None:
        fixes.append(
            _set_sequences(ev, top, False, "One prediction per sequence: return only the last step", PER_SEQUENCE)
        )
        if output[1] is not None and len(target) == 2:
            repeated = (target[0], output[1], target[-1])
            line = f"Y = np.repeat(Y[:, None, :], {output[1]}, axis=1)  # {format_shape(repeated)}"
            fixes.append(
                data_fix(
                    ev, "Or keep one prediction per timestep: give every step its sequence's target", line, y=repeated
                )
            )
    elif len(output) < len(target) and top is not None:
        fixes.append(_set_sequences(ev, top, True, "One prediction per timestep: return_sequences=True", PER_STEP))
        if len(target) == 3:
            last = (target[0], target[-1])
            fixes.append(
                data_fix(
                    ev,
                    "Or keep one prediction per sequence: each sequence's last target",
                    f"Y = Y[:, -1, :]  # {format_shape(last)}",
                    y=last,
                )
            )
    return fixes


def _timesteps(ev: Evidence) -> list[Fix]:
    target, output = ev.target, ev.output
    if ev.net is None or target is None or output is None or len(target) != 3 or output[1] is None:
        return [code_fix("Give the targets one step per output step", "Y", "Y = Y[:, -T:, :]")]
    if target[1] is not None and target[1] > output[1]:
        cut = (target[0], output[1], target[2])
        return [
            data_fix(
                ev,
                f"Keep the targets of the last {output[1]} steps",
                f"Y = Y[:, -{output[1]}:, :]  # {format_shape(cut)}",
                y=cut,
            )
        ]
    return []


def _output_size(ev: Evidence) -> list[Fix]:
    net, target = ev.net, ev.target
    head = net.head_index() if net else None
    if net is None or target is None or head is None or target[-1] is None:
        return [code_fix("Give the last Dense one unit per target value", "Dense(units)", "Dense(Y.shape[-1])")]
    fixed = net.with_layer(head, units=target[-1])
    return [model_fix(ev, fixed, f"Give the last Dense {target[-1]} units, one per target value")]


def _labels(ev: Evidence) -> list[Fix]:
    net, target, output = ev.net, ev.target, ev.output
    if net is None or target is None or output is None or output[-1] is None:
        return [
            code_fix(
                "One-hot encode the labels, or use sparse_categorical_crossentropy",
                'loss="categorical_crossentropy"',
                'loss="sparse_categorical_crossentropy"',
            )
        ]
    classes = output[-1]
    one_hot = (*target[:-1], classes) if len(target) == len(output) else (*target, classes)
    line = f"Y = keras.utils.to_categorical(Y, num_classes={classes})  # {format_shape(one_hot)}"
    sparse = _with_loss(net, "sparse_categorical_crossentropy")
    return [
        data_fix(ev, "One-hot encode the labels", line, y=one_hot),
        model_fix(ev, sparse, "Or keep the integer labels and use sparse_categorical_crossentropy"),
    ]


def _stacked(ev: Evidence) -> list[Fix]:
    net = ev.net
    if net is None:
        return [
            code_fix(
                "return_sequences=True on every recurrent layer below the top one",
                "layers.LSTM(units)",
                "layers.LSTM(units, return_sequences=True)",
            )
        ]
    # Every recurrent layer below the top one returns every step (the rule, whichever one the message names).
    below = [i for i in net.recurrent_indices()[:-1] if not net.layers[i].return_sequences]
    if not below:
        return []
    fixed = net
    for i in below:
        fixed = fixed.with_layer(i, return_sequences=True)
    return [model_fix(ev, fixed, "Let the layers below return every step: return_sequences=True")]


def _td(ev: Evidence) -> list[Fix]:
    net = ev.net
    top = _last_recurrent(net) if net else None
    head = net.head_index() if net else None
    if net is None or top is None or head is None:
        return [
            code_fix(
                "return_sequences=True before TimeDistributed, or a plain Dense",
                "TimeDistributed(Dense(n))",
                "Dense(n)",
            )
        ]
    per_step = _set_sequences(ev, top, True, "One prediction per timestep: return_sequences=True", PER_STEP)
    per_sequence = model_fix(
        ev, net.with_layer(head, time_distributed=False), "One prediction per sequence: a plain Dense"
    )
    target = ev.target
    return [per_sequence, per_step] if target is not None and len(target) == 2 else [per_step, per_sequence]


def _repeat(ev: Evidence) -> list[Fix]:
    net = ev.net
    if net is None:
        return [
            code_fix("Let the encoder return only its last step", "LSTM(units, return_sequences=True)", "LSTM(units)")
        ]
    repeat = next((i for i, layer in enumerate(net.layers) if layer.kind == "RepeatVector"), None)
    below = [i for i in net.recurrent_indices() if repeat is not None and i < repeat]
    if not below:
        return []
    return [_set_sequences(ev, below[-1], False, "Let the encoder return only its last step")]


def _keras1_dense(ev: Evidence) -> list[Fix]:
    net = ev.net
    head = net.head_index() if net else None
    if net is None or head is None:
        return [code_fix("Wrap the Dense in TimeDistributed (Keras 1)", "Dense(n)", "TimeDistributed(Dense(n))")]
    return [model_fix(ev, net.with_layer(head, time_distributed=True), "Wrap the Dense in TimeDistributed (Keras 1)")]


def _features(ev: Evidence) -> list[Fix]:
    net = ev.net
    found = ev.x or ev.reading.found
    if net is None or found is None or found[-1] is None or not net.input_shape:
        return [
            code_fix(
                "Declare the input with X's number of features",
                "keras.Input(shape=(T, F))",
                "keras.Input(shape=X.shape[1:])",
            )
        ]
    fixed = Net(net.layers, (*net.input_shape[:-1], found[-1]), net.loss, net.source)
    return [
        model_fix(
            ev, fixed, f"Declare the input as {found[-1]} features per step", x=found if len(found) == 3 else None
        )
    ]


def _label_range(ev: Evidence) -> list[Fix]:
    net = ev.net
    value = ev.reading.label_value
    head = net.head_index() if net else None
    fixes = [code_fix("If your labels start at 1, shift them to start at 0", "Y", "Y = Y - 1")]
    if net is not None and head is not None and value is not None:
        units = max(value + 1, 2)
        fixes.insert(0, model_fix(ev, net.with_layer(head, units=units), f"One output unit per class: Dense({units})"))
    return fixes


def _loss_head(ev: Evidence) -> list[Fix]:
    net = ev.net
    if net is None:
        return []
    fixed = agree_head(net, ev.target, ev.output)
    return [model_fix(ev, fixed, "Make the output layer suit the loss")] if fixed != net else []


def _already(ev: Evidence) -> list[Fix]:
    y, output = ev.y, ev.output
    if ev.net is None or y is None or output is None or len(output) != len(y) + 1:
        return []
    explicit = (*y, 1)
    return [
        data_fix(
            ev,
            "Make Keras's broadcasting explicit (optional)",
            f"Y = Y[..., None]  # {format_shape(explicit)}",
            y=explicit,
        )
    ]


def _batch(ev: Evidence) -> list[Fix]:
    return [
        code_fix(
            "Give X and Y the same number of samples (check how each was cut)",
            "model.fit(X, Y)",
            "assert len(X) == len(Y)",
        )
    ]


def _conv(ev: Evidence) -> list[Fix]:
    return [
        code_fix(
            "Apply the convolution to every frame: wrap it in TimeDistributed",
            "layers.Conv2D(...)",
            "layers.TimeDistributed(layers.Conv2D(...))",
        )
    ]


def _flatten(ev: Evidence) -> list[Fix]:
    net = ev.net
    index = next((i for i, layer in enumerate(net.layers) if layer.kind == "Flatten"), None) if net else None
    if net is None or index is None:
        return [
            code_fix(
                "Flatten each step, not the whole sequence",
                "layers.Flatten()",
                "layers.TimeDistributed(layers.Flatten())",
            )
        ]
    return [model_fix(ev, net.with_layer(index, time_distributed=True), "Flatten each step, not the whole sequence")]


def _cnn_reduce(ev: Evidence) -> list[Fix]:
    return [
        code_fix(
            "Reduce each frame's feature maps to a vector before the recurrent layer",
            "layers.LSTM(units)",
            "layers.TimeDistributed(layers.GlobalAveragePooling2D()), layers.LSTM(units)",
        )
    ]


MAKERS: dict[str, FixMaker] = {
    "target_rank": _target_rank,
    "timesteps_mismatch": _timesteps,
    "output_size_mismatch": _output_size,
    "labels_not_one_hot": _labels,
    "input_rank": _input_rank_fixes,
    "input_features_mismatch": _features,
    "stacked_return_sequences": _stacked,
    "timedistributed_needs_sequence": _td,
    "repeatvector_needs_vector": _repeat,
    "dense_needs_2d_keras1": _keras1_dense,
    "sparse_label_range": _label_range,
    "batch_size_mismatch": _batch,
    "loss_head_mismatch": _loss_head,
    "conv_needs_time_distributed": _conv,
    "flatten_merges_time": _flatten,
    "cnn_output_not_reduced": _cnn_reduce,
    "already_works": _already,
}


def fixes_for(cause: str, ev: Evidence) -> tuple[Fix, ...]:
    """The fixes for a cause, the learner's model edited as little as possible; none for an unknown cause."""
    maker = MAKERS.get(cause)
    fixes: list[Fix] = []
    for fix in maker(ev) if maker else []:
        fixes.append(fix)
        twin = value_twin(ev, fix)
        if twin is not None:
            fixes.append(twin)
    return tuple(fixes)
