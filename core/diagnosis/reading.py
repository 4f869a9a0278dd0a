"""Reading an error text into a frozen `Reading`: which check failed, the layer, the shapes, ranks, loss and numbers.

Every recognisable message (Keras 1, 2, 3, tf.keras, TensorFlow's runtime) starts with a fixed phrase, its anchor.
The reader looks for the last few places of each anchor with `str.rfind`, reads the numbers in a bounded window after
it, and keeps the reading that starts last: with several errors pasted, the last one is the answer. No regex runs
over the paste, so a megabyte of adversarial text costs a few linear scans.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.diagnosis.shapes import Shape
from core.diagnosis.text import clean_text, flatten, last_error_line, line_around
from core.diagnosis.wordings import ANCHORS, Hit

NOTEBOOK_MARKS = ("<ipython-input", "ipykernel", "cell in[", "jupyter")
TRIES_PER_ANCHOR = 6  # the last few places of each phrase: bounded work on a paste that repeats one phrase


@dataclass(frozen=True)
class Reading:
    """What an error text says. `kind` is "none" when no known message was found (`line` is then its last line)."""

    kind: str = "none"
    line: str = ""
    layer: str | None = None
    target: Shape | None = None
    output: Shape | None = None
    expected: Shape | None = None
    found: Shape | None = None
    expected_ndim: int | None = None
    found_ndim: int | None = None
    loss: str | None = None  # "cce", "sparse", "bce", "mse", "mae" when the text names or implies it
    label_value: int | None = None
    classes: int | None = None
    x_samples: int | None = None
    y_samples: int | None = None
    generation: str | None = None  # "keras3_or_tf2" (first LSTM is `lstm`), "keras2" (first is `lstm_1`), None
    node: str = ""
    rank_only: bool = False
    notebook: bool = False  # pasted from Jupyter/IPython, where layer-name counters run across models

    @property
    def recognised(self) -> bool:
        """True when a known Keras or TensorFlow message was read."""
        return self.kind != "none"


def _last_hit(flat: str) -> Hit | None:
    """The recognised message that starts last (several pasted errors: the last one is the answer)."""
    best: Hit | None = None
    for anchor, parse in ANCHORS:
        end = len(flat)
        for _ in range(TRIES_PER_ANCHOR):
            at = flat.rfind(anchor, 0, end)
            if at < 0 or (best is not None and at < best.start):
                break
            hit = parse(flat, at + len(anchor))
            if hit is not None:
                best = Hit(at, hit.end, hit.fields)
                break
            end = at
    return best


_LOSS_WORDS = (
    ("sparse_categorical_crossentropy", "sparse"),
    ("sparsecategoricalcrossentropy", "sparse"),
    ("sparse categorical", "sparse"),
    ("categorical_crossentropy", "cce"),
    ("categoricalcrossentropy", "cce"),
    ("binary_crossentropy", "bce"),
    ("binarycrossentropy", "bce"),
    ("mean_squared_error", "mse"),
    ("meansquarederror", "mse"),
    ("squareddifference", "mse"),
    ("loss=mse", "mse"),
    ("mean_absolute_error", "mae"),
    ("loss=mae", "mae"),
)


def loss_named(flat: str) -> str | None:
    """The loss the text names last ("sparse_categorical_crossentropy" is sparse, not categorical)."""
    best, where = None, -1
    for word, loss in _LOSS_WORDS:
        at = flat.rfind(word)
        if at > where and not (loss == "cce" and flat[max(0, at - 7) : at] == "sparse_"):
            best, where = loss, at
    return best


def generation(flat: str) -> str | None:
    """Which layer naming the text's Keras used: "keras3_or_tf2" (first LSTM `lstm`), "keras2" (`lstm_1`), or None.

    Standalone Keras 1 and 2 numbered layers from 1; tf.keras and Keras 3 name the first one bare.
    """
    modern = ("keras/src/", "full shape received", "target.shape=", "exception encountered when calling", "with name ")
    old = ("error when checking", "input 0 is incompatible with layer", "_1_input", "input_1_1", "timedistributed_")
    if any(mark in flat for mark in modern) or "tensorflow/python/keras" in flat:
        return "keras3_or_tf2"
    if any(mark in flat for mark in old):
        return "keras2"
    return None


def read_error(text: object, problems: list[str] | None = None, notes: list[str] | None = None) -> Reading:
    """The last recognised error in a text (a bare message or a whole traceback); kind "none" when there is none."""
    cleaned = clean_text(
        text if text is not None else "", [] if problems is None else problems, [] if notes is None else notes
    )
    if not cleaned.strip():
        return Reading()
    flat = flatten(cleaned)
    hit = _last_hit(flat)
    gen = generation(flat)
    notebook = any(mark in flat for mark in NOTEBOOK_MARKS)
    if hit is None:
        return Reading(line=last_error_line(cleaned), loss=loss_named(flat), generation=gen, notebook=notebook)
    line = line_around(cleaned, hit.start, hit.end)
    reading = Reading(**hit.fields, line=line, generation=gen, notebook=notebook)
    if reading.loss is None or reading.kind == "target":
        window = flat[max(0, hit.start - 3000) : hit.end + 3000]
        named = loss_named(window) or loss_named(reading.node)
        if named is not None and (reading.loss is None or reading.loss == "cce"):
            reading = replace(reading, loss=named)
    return reading
