"""The wordings of every generation's shape errors: one parser per family, each reading a bounded window after its
anchor phrase with str methods (no regex over the paste). `ANCHORS` pairs each phrase with its parser."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.diagnosis.shapes import Shape, shape_at

WINDOW = 400


@dataclass(frozen=True)
class Hit:
    """Where a message starts and ends in the flat text, and the Reading fields it gives."""

    start: int
    end: int
    fields: dict


# -- small readers over a bounded window ------------------------------------------------------------------------

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_./-")


def _token(flat: str, start: int) -> tuple[str, int]:
    """The layer-name token at `start` (after spaces), and the index after it."""
    while start < len(flat) and flat[start] == " ":
        start += 1
    end = start
    while end < len(flat) and end - start < 120 and flat[end] in _NAME_CHARS:
        end += 1
    return flat[start:end].rstrip("."), end


def _number(flat: str, start: int) -> tuple[int | None, int]:
    """The whole number at `start` (after spaces and a sign), and the index after it; (None, start) when there is
    none or `start` is -1 (a phrase that was not found)."""
    if start < 0:
        return None, start
    while start < len(flat) and flat[start] in " -":
        start += 1
    end = start
    while end < len(flat) and end - start < 12 and "0" <= flat[end] <= "9":
        end += 1
    return (int(flat[start:end]) if end > start else None), end


def _after(flat: str, key: str, start: int, window: int = WINDOW) -> int:
    """The index just after `key` within the window from `start`, or -1."""
    found = flat.find(key, start, min(len(flat), start + window + len(key)))
    return -1 if found < 0 else found + len(key)


def _shape_after(flat: str, key: str, start: int, window: int = WINDOW) -> tuple[Shape | None, int]:
    position = _after(flat, key, start, window)
    if position < 0:
        return None, start
    return shape_at(flat, position, 250)


# -- one parser per family of wordings ---------------------------------------------------------------------------


def _target_output(flat: str, at: int) -> Hit | None:
    """Keras 3's loss checks: "... Received: target.shape=(None, 2), output.shape=(None, 15, 2)"."""
    target, end = shape_at(flat, at, 40)
    output, end = _shape_after(flat, "output.shape=", end if target else at, 60)
    before = flat[max(0, at - 200) : at]
    if target is None and output is None:
        return None
    sparse = "target.ndim - 1" in before or "up until the last dimension" in before
    fields = {"kind": "target", "target": target, "output": output, "loss": "sparse" if sparse else "cce"}
    if target is None or output is None:
        fields["rank_only"] = True
    return Hit(at, max(end, at + 20), fields)


def _rank_phrase(flat: str, at: int) -> Hit | None:
    """Keras 3's rank check quoted without shapes: "Arguments target and output must have the same rank"."""
    return Hit(at, at + 40, {"kind": "target", "loss": "cce", "rank_only": True})


def _target_array(flat: str, at: int) -> Hit | None:
    """Keras 2 / tf.keras: "A target array with shape (6682, 2) was passed for an output of shape (None, 15, 2)"."""
    target, end = shape_at(flat, at, 80)
    output, end = _shape_after(flat, "for an output of shape", end, 80)
    if target is None or output is None:
        return None
    return Hit(at, end, {"kind": "target", "target": target, "output": output})


def _labels_cce(flat: str, at: int) -> Hit | None:
    """Keras 2: "You are passing a target array of shape (1822, 1) while using as loss categorical_crossentropy"."""
    target, end = shape_at(flat, at, 80)
    if target is None:
        return None
    return Hit(at, end, {"kind": "labels", "target": target, "loss": "cce"})


def _input_to_have(flat: str, at: int) -> Hit | None:
    """The same check quoted without its first words: "expected lstm_1_input to have 3 dimensions, but got ..."."""
    start = flat.rfind("expected ", max(0, at - 160), at)
    if start < 0:
        return None
    return _checking(flat, start, "input")


def _checking(flat: str, at: int, what: str | None = None) -> Hit | None:
    """Keras 1/2: "Error when checking (model) target|input: expected NAME to have 3 dimensions|shape (..), but got
    array with shape (..)"."""
    head = flat[at : at + 40]
    if what is None:
        what = "target" if "target" in head else "input" if "input" in head else None
    name_at = _after(flat, "expected ", at, 60)
    if what is None or name_at < 0:
        return None
    layer, end = _token(flat, name_at)
    if layer == "to":  # "expected to have 2 dimensions": the name was lost in the copy
        layer, end = "", name_at
    rest = _after(flat, "to have ", end, 20)
    if rest < 0:
        return None
    ndim, after_ndim = _number(flat, rest)
    expected: Shape | None = None
    if ndim is None:
        expected, after_ndim = shape_at(flat, rest, 120)
    found, end = _shape_after(flat, "array with shape", after_ndim, 120)
    rank_at = _after(flat, "array with ", after_ndim, 120)
    rank_word, _ = _number(flat, rank_at) if rank_at >= 0 else (None, 0)
    if found is None and rank_word is not None and flat[rank_at + 1 : rank_at + 8] == "d shape":
        hit_fields = {"kind": what, "layer": layer or None, "expected_ndim": ndim, "found_ndim": rank_word}
        return Hit(at, rank_at + 8, hit_fields | ({"kind": "target", "rank_only": True} if what == "target" else {}))
    scalar = _after(flat, "array with shape ()", after_ndim, 120)
    if found is None and scalar >= 0:  # "got array with shape ()": Y is not an array of samples at all
        return Hit(at, scalar, {"kind": "target", "layer": layer, "expected_ndim": ndim, "found_ndim": 0})
    if found is None:
        if what != "target" or ndim is None:
            return None
        # Keras 1 quoted without the array: "expected time_distributed_1 to have 3 dimensions."
        return Hit(at, after_ndim, {"kind": "target", "layer": layer, "expected_ndim": ndim, "rank_only": True})
    if expected is not None and expected[:1] != (None,) and len(expected) == len(found):
        expected, found = (None, *expected), (None, *found)  # Keras 2.1+ printed both without the batch axis
    fields: dict = {"layer": layer, "expected_ndim": ndim, "found_ndim": len(found)}
    if what == "target":
        fields.update(kind="target", target=found, output=expected)
    else:
        fields.update(kind="input", found=found, expected=expected)
    return Hit(at, end, fields)


def _input_incompatible(flat: str, at: int) -> Hit | None:
    """All generations' layer-input checks: "Input 0 (with name X) of layer NAME is incompatible with the layer:
    expected ndim=3, found ndim=2. Full shape received: (None, 20)", "Input 0 is incompatible with layer NAME: ...",
    "expected shape=(..), found shape=(..)", "expected axis -1 of input shape to have value 5, but received input
    with shape (..)"."""
    head_end = _after(flat, "incompatible with", at, 160)
    if head_end < 0:
        return None
    layer_at = _after(flat, "of layer ", at, 120)
    if layer_at < 0 or layer_at > head_end:
        layer_at = _after(flat, "layer ", head_end, 12)
    layer, _ = _token(flat, layer_at) if layer_at >= 0 else ("", 0)
    fields: dict = {"kind": "layer_ndim", "layer": layer or None}
    end = head_end
    expected_ndim_at = _after(flat, "ndim=", head_end, 40)
    if expected_ndim_at >= 0:
        fields["expected_ndim"], end = _number(flat, expected_ndim_at)
        found_at = _after(flat, "found ndim=", end, 30)
        if found_at >= 0:
            fields["found_ndim"], end = _number(flat, found_at)
        fields["found"], end2 = _shape_after(flat, "full shape received:", end, 20)
        return Hit(at, max(end, end2), fields)
    expected, end = _shape_after(flat, "expected shape=", head_end, 40)
    if expected is not None:
        found, end = _shape_after(flat, "found shape=", end, 20)
        fields.update(kind="input", expected=expected, found=found)
        return Hit(at, end, fields)
    value_at = _after(flat, "to have value ", head_end, 80)
    if value_at >= 0:
        value, end = _number(flat, value_at)
        found, end = _shape_after(flat, "input with shape", end, 60)
        expected = (*found[:-1], value) if found else None
        fields.update(kind="input", expected=expected, found=found)
        return Hit(at, end, fields)
    return None


def _constructed(flat: str, at: int) -> Hit | None:
    """tf.keras: "Model was constructed with shape (None, 5, 3) for input ... but it was called on an input with
    incompatible shape (None, 5, 5)"; Keras 3: "expected shape (..), but input has incompatible shape (..)"."""
    expected, end = shape_at(flat, at, 40)
    found, end = _shape_after(flat, "incompatible shape", end, 300)
    if expected is None or found is None:
        return None
    return Hit(at, end, {"kind": "input", "expected": expected, "found": found})


def _td_rank(flat: str, at: int) -> Hit | None:
    """Keras 3: "TimeDistributed Layer should be passed an input_shape with at least 3 dimensions, received: (..)"."""
    found, end = _shape_after(flat, "received", at, 120)
    fields = {"kind": "td_rank", "layer": "time_distributed", "found": found}
    received = _after(flat, "received:", at, 120)
    if found is None and received >= 0 and flat[received : received + 4].strip().startswith(("[]", "()")):
        fields["found_ndim"] = 0  # not a tensor at all: a layer object, a list of states...
    return Hit(at, max(end, at + 30), fields)


def _td_layer(flat: str, at: int) -> Hit | None:
    """tf.keras: "Please initialize TimeDistributed layer with a tf.keras.layers.Layer instance. Received: ..."."""
    return Hit(at, at + 60, {"kind": "td_layer", "layer": "time_distributed"})


def _td_assert(flat: str, at: int) -> Hit | None:
    """Keras 1 and 2's TimeDistributed.build failed on `assert len(input_shape) >= 3` with no message."""
    context = flat[max(0, at - 600) : at]
    if "timedistributed" not in context and "wrappers.py" not in context:
        return None
    return Hit(at, at + 30, {"kind": "td_rank", "layer": "time_distributed"})


def _shapes_incompatible(flat: str, at: int) -> Hit | None:
    """tf.keras's loss check: "Shapes (None, 30, 1) and (None, 1) are incompatible" (target first)."""
    target, end = shape_at(flat, at, 20)
    output, end = _shape_after(flat, "and", end, 10)
    if target is None or output is None or _after(flat, "are incompatible", end, 10) < 0:
        return None
    return Hit(at, end, {"kind": "target", "target": target, "output": output, "loss": "cce"})


def _logits_labels_shape(flat: str, at: int) -> Hit | None:
    """tf.keras binary cross-entropy: "logits and labels must have the same shape ((None, 10) vs (None, 1))"."""
    output, end = shape_at(flat, at, 40)
    target, end = shape_at(flat, end, 20)
    if target is None or output is None:
        return None
    return Hit(at, end, {"kind": "target", "target": target, "output": output, "loss": "bce"})


def _incompatible_shapes(flat: str, at: int) -> Hit | None:
    """TensorFlow at run time: "Incompatible shapes: [32,10] vs. [32,10,1]" and the node where it happened."""
    first, end = shape_at(flat, at, 30)
    second, end = _shape_after(flat, "vs", end, 10)
    if first is None or second is None:
        return None
    return Hit(at, end, _runtime_fields(first, second, _node_after(flat, end)))


def _runtime_fields(first: Shape, second: Shape, node: str) -> dict:
    """Which of TensorFlow's two operands is the target: tf.keras's MSE is squared_difference(output, target);
    Keras 3's losses compute target - output and target * log(output); elsewhere the order stays unknown."""
    fields = {"kind": "runtime", "expected": first, "found": second, "node": node}
    if "squareddifference" in node:
        fields.update(output=first, target=second)
    elif "compile_loss" in node or node.endswith(("/sub", "/mul")):
        fields.update(target=first, output=second)
    return fields


def _node_after(flat: str, start: int) -> str:
    """The TensorFlow node named soon after `start` ("{{node mean_squared_error/SquaredDifference}}")."""
    position = _after(flat, "node ", start, 300)
    if position < 0:
        return ""
    name, _ = _token(flat, position)
    return name


def _dimensions_equal(flat: str, at: int) -> Hit | None:
    """TensorFlow's graph check: "Dimensions must be equal, but are 10 and 5 for {{node NAME}} ... with input shapes:
    [?,10], [?,5]"."""
    node = _node_after(flat, at)
    shapes_at = _after(flat, "input shapes:", at, 600)
    if shapes_at < 0:
        first_at = _after(flat, "but are ", at, 20)
        first, end = _number(flat, first_at) if first_at >= 0 else (None, at)
        second, end = _number(flat, _after(flat, "and ", end, 10)) if first is not None else (None, end)
        if first is None or second is None:
            return None
        return Hit(at, end, {"kind": "runtime", "expected": (first,), "found": (second,), "node": node})
    first, end = shape_at(flat, shapes_at, 40)
    second, end = shape_at(flat, end, 20)
    if first is None or second is None:
        return None
    return Hit(at, end, _runtime_fields(first, second, node))


def _label_range(flat: str, at: int) -> Hit | None:
    """TensorFlow's sparse check: "Received a label value of 5 which is outside the valid range of [0, 5)"."""
    value, end = _number(flat, at)
    range_at = _after(flat, "valid range of [0,", end, 60)
    classes, end = _number(flat, range_at) if range_at >= 0 else (None, end)
    if value is None:
        return None
    return Hit(at, end, {"kind": "label_range", "label_value": value, "classes": classes, "loss": "sparse"})


def _first_dimension(flat: str, at: int) -> Hit | None:
    """TensorFlow's sparse check: "logits and labels must have the same first dimension, got logits shape [32,5] and
    labels shape [320]"."""
    output, end = _shape_after(flat, "logits shape", at, 80)
    target, end = _shape_after(flat, "labels shape", end, 40)
    fields = {"kind": "first_dimension", "output": output, "target": target, "loss": "sparse"}
    return Hit(at, max(end, at + 40), fields)


def _cardinality(flat: str, at: int) -> Hit | None:
    """Keras 3 / tf.keras: "Data cardinality is ambiguous: x sizes: 1000 y sizes: 999"."""
    x_at = _after(flat, "x sizes:", at, 80)
    y_at = _after(flat, "y sizes:", at, 200)
    x, _ = _number(flat, x_at) if x_at >= 0 else (None, 0)
    y, end = _number(flat, y_at) if y_at >= 0 else (None, at + 30)
    return Hit(at, end, {"kind": "cardinality", "x_samples": x, "y_samples": y})


def _same_samples(flat: str, at: int) -> Hit | None:
    """Keras 2: "Input arrays should have the same number of samples as target arrays. Found 1000 input samples and
    999 target samples"."""
    found_at = _after(flat, "found ", at, 120)
    x, end = _number(flat, found_at) if found_at >= 0 else (None, at)
    y_at = _after(flat, "and ", end, 30)
    y, end = _number(flat, y_at) if y_at >= 0 else (None, end)
    return Hit(at, max(end, at + 30), {"kind": "cardinality", "x_samples": x, "y_samples": y})


def _same_size(flat: str, at: int) -> Hit | None:
    """TensorFlow 1: "logits and labels must be same size: logits_size=[6,20] labels_size=[12,20]"."""
    output, end = _shape_after(flat, "logits_size=", at, 40)
    target, end = _shape_after(flat, "labels_size=", end, 40)
    if output is None or target is None:
        return None
    return Hit(at, end, {"kind": "target", "output": output, "target": target, "loss": "cce"})


def _old_ndim(flat: str, at: int) -> Hit | None:
    """Keras 0/1: "layer expected input with ndim=2 but previous layer has output_shape (None, 196, 256)" and
    "Layer expects input ndim=5, was provided with input shape (None, 30, 256, 256)"."""
    expected, end = _number(flat, at)
    found, end = _shape_after(flat, "shape", end, 80)
    if expected is None or found is None:
        return None
    return Hit(at, end, {"kind": "layer_ndim", "expected_ndim": expected, "found_ndim": len(found), "found": found})


def _cannot_feed(flat: str, at: int) -> Hit | None:
    """TensorFlow 1 placeholders: "Cannot feed value of shape (13, 16) for Tensor InputData/X:0, which has shape
    (?, 1, 16)"."""
    found, end = shape_at(flat, at, 20)
    expected, end = _shape_after(flat, "which has shape", end, 120)
    if found is None or expected is None:
        return None
    return Hit(at, end, {"kind": "input", "expected": expected, "found": found})


def _dense_undefined(flat: str, at: int) -> Hit | None:
    """tf.keras: "The last dimension of the inputs to Dense should be defined. Found None." (a Flatten over steps of
    unknown number)."""
    return Hit(at, at + 40, {"kind": "dense_undefined", "layer": "dense"})


def _matrix_size(flat: str, at: int) -> Hit | None:
    """TensorFlow: "Matrix size-incompatible: In[0]: [32,100], In[1]: [50,10]": a layer's input width is not the one
    its kernel was built for."""
    found, end = _shape_after(flat, "in[0]:", at, 40)
    kernel, end = _shape_after(flat, "in[1]:", end, 40)
    if found is None or kernel is None:
        return None
    return Hit(at, end, {"kind": "matmul", "found": found, "expected": kernel})


def _cannot_squeeze(flat: str, at: int) -> Hit | None:
    """tf.keras's sparse losses and metrics: "Can not squeeze dim[1], expected a dimension of 1, got 10": labels with
    one column per class where one integer per sample was expected."""
    got_at = _after(flat, "got ", at, 80)
    classes, end = _number(flat, got_at)
    return Hit(at, max(end, at + 20), {"kind": "squeeze", "classes": classes, "loss": "sparse"})


def _kernel_rank(flat: str, at: int) -> Hit | None:
    """Keras 3's convolution: "Kernel shape must have the same length as input, but received kernel of shape
    (3, 3, 3, 8) and input of shape (None, 10, 64, 64, 3)"."""
    kernel, end = _shape_after(flat, "kernel of shape", at, 120)
    found, end = _shape_after(flat, "input of shape", end, 60)
    return Hit(at, max(end, at + 40), {"kind": "kernel_rank", "expected": kernel, "found": found, "layer": "conv"})


ANCHORS: tuple[tuple[str, Callable[[str, int], Hit | None]], ...] = (
    ("received: target.shape=", _target_output),
    ("target and output must have the same rank", _rank_phrase),
    ("a target array with shape", _target_array),
    ("you are passing a target array of shape", _labels_cce),
    ("error when checking", _checking),
    ("_input to have ", _input_to_have),
    ("initialize timedistributed layer with a", _td_layer),
    ("input 0 ", _input_incompatible),
    ("constructed with shape", _constructed),
    ("expected shape", _constructed),
    ("should be passed an input_shape", _td_rank),
    ("assert len(input_shape) >= 3", _td_assert),
    ("shapes ", _shapes_incompatible),
    ("logits and labels must have the same shape", _logits_labels_shape),
    ("incompatible shapes:", _incompatible_shapes),
    ("dimensions must be equal", _dimensions_equal),
    ("received a label value of", _label_range),
    ("logits and labels must have the same first dimension", _first_dimension),
    ("data cardinality is ambiguous", _cardinality),
    ("should have the same number of samples as target", _same_samples),
    ("kernel shape must have the same length as input", _kernel_rank),
    ("logits and labels must be same size", _same_size),
    ("layer expected input with ndim=", _old_ndim),
    ("layer expects input ndim=", _old_ndim),
    ("cannot feed value of shape", _cannot_feed),
    ("matrix size-incompatible", _matrix_size),
    ("can not squeeze dim[", _cannot_squeeze),
    ("the last dimension of the inputs to dense should be defined", _dense_undefined),
)
