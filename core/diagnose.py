"""Fix my error: read a Keras shape error (any generation's wording), the learner's shapes and model, and say why.

`diagnose(text, x_shape, y_shape, spec)` returns a `Diagnosis`: one cause code from `CAUSES`, two or three plain
sentences, the layer where it breaks, the shape flow with the broken step marked, and one to three `Fix`es (a
unified diff of the learner's Keras code, and a `ModelSpec` when the fix is a model today's spec can express).
The error text is the evidence of what broke; the shapes and the spec only fill in numbers and decide between two
readings of one message. Nothing here imports TensorFlow; `core.fix_check` asks Keras whether a fix really fits.

Example:
    >>> diagnose("ValueError: Arguments `target` and `output` must have the same rank (ndim). "
    ...          "Received: target.shape=(None, 2), output.shape=(None, 15, 2)").cause
    'target_rank'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from core.model.anatomy import format_shape
from core.model.spec import DEFAULTS, INT_RANGES, ModelSpec, SpecError

CAUSES = (
    "target_rank",
    "timesteps_mismatch",
    "output_size_mismatch",
    "labels_not_one_hot",
    "input_rank",
    "input_features_mismatch",
    "stacked_return_sequences",
    "timedistributed_needs_sequence",
    "repeatvector_needs_vector",
    "dense_needs_2d_keras1",
    "unknown",
)

TITLES = {
    "target_rank": "Your targets have another number of axes than the model's output",
    "timesteps_mismatch": "Your targets have another number of timesteps than the model's output",
    "output_size_mismatch": "Your targets' last axis differs from the Dense units",
    "labels_not_one_hot": "Integer class labels with categorical cross-entropy",
    "input_rank": "The recurrent layer needs (batch, timesteps, features)",
    "input_features_mismatch": "Your input's features differ from the model's input size",
    "stacked_return_sequences": "A recurrent layer gets only the last step of the one below",
    "timedistributed_needs_sequence": "TimeDistributed after a layer that returns only the last step",
    "repeatvector_needs_vector": "RepeatVector gets a sequence instead of one vector",
    "dense_needs_2d_keras1": "Keras 1's Dense refuses a 3D input",
    "unknown": "Not recognised",
}

MAX_CHARS = 20_000  # a traceback's last lines carry the error; more is pasted logs
# The text box takes a long log (its end is read); the browser stops a paste past this, and core cuts to MAX_CHARS.
MAX_PASTE_CHARS = 200_000
MAX_RANK = 8
MAX_SHAPE_CHARS = 200  # the shape boxes' own limit (max_chars); "(None, 1000000000, ...)" for 8 axes fits
MAX_DIM = 10**9

Dim = int | None
Shape = tuple[Dim, ...]


class ShapeError(ValueError):
    """A shape the learner typed cannot be read; the message says what is wrong and what is expected."""


@dataclass(frozen=True)
class Fix:
    """One way out: what to do, the change as a unified diff of Keras code, and what Keras must accept.

    `spec` is the fixed model when today's `ModelSpec` can express it (None for a data-only or code-only change
    that the app's one-layer model cannot show). `check` is (spec, X shape, Y shape) to fit with Keras before the
    fix is shown, or None when there is nothing the app can build.
    """

    description: str
    diff: str
    spec: ModelSpec | None = None
    check: tuple[ModelSpec, Shape, Shape] | None = None


@dataclass(frozen=True)
class FlowStep:
    """One box of the picture: a label, the shape there (None when unknown), and whether it is where it breaks."""

    label: str
    shape: Shape | None
    broken: bool = False
    note: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """The answer: a cause code from CAUSES, its headline, plain explanation, layer, fixes and picture.

    `problems` are complaints about the input itself (too long, not text, an unreadable shape); `error_line` is
    the line of the pasted text that was read.
    """

    cause: str
    explanation: str
    layer: str | None = None
    fixes: tuple[Fix, ...] = ()
    flow: tuple[FlowStep, ...] = ()
    error_line: str = ""
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def title(self) -> str:
        """A one-line headline for the cause."""
        return TITLES[self.cause]


# -- shapes -------------------------------------------------------------------------------------------------


def _is_ascii_integer(part: str) -> bool:
    """An optional sign and 1-12 ASCII digits: Python's `\\d` and `int()` also take "٣" or "３", which no one types
    as a shape."""
    digits = part[1:] if part[:1] in "+-" else part
    return 1 <= len(digits) <= 12 and all("0" <= char <= "9" for char in digits)


def parse_shape(text: str) -> Shape:
    """Read "(None, 64, 8)", "[1,15,127]", "(1822, 1)", "TensorShape([None, 16])", "[?,15,2]" or "64, 8".

    Raises `ShapeError` naming the bad part: dimensions must be whole numbers from 1 up, or None / ? for the batch.
    """
    if len(text) > MAX_SHAPE_CHARS:
        raise ShapeError(f"A shape is at most {MAX_SHAPE_CHARS} characters; this one has {len(text):,}.")
    cleaned = text.strip().replace("\u2212", "-")
    # str methods, not a regex: "TensorShape(" + 100,000 spaces made a backtracking pattern run for minutes.
    if cleaned.startswith("TensorShape") and cleaned.endswith(")"):
        inner = cleaned[len("TensorShape") :].lstrip()
        if inner.startswith("("):
            cleaned = inner[1:-1]
    cleaned = cleaned.strip().strip("()[]").strip()
    if not cleaned:
        raise ShapeError("The shape is empty; write it like (1822, 64, 15).")
    parts = [part.strip() for part in cleaned.split(",")]
    if parts and parts[-1] == "":  # "(1822,)"
        parts = parts[:-1]
    if len(parts) > MAX_RANK:
        raise ShapeError(f"A shape has at most {MAX_RANK} axes; got {len(parts)}.")
    dims: list[Dim] = []
    for part in parts:
        if part.lower() in ("none", "?"):
            dims.append(None)
            continue
        if not _is_ascii_integer(part):
            shown = part if len(part) <= 20 else part[:17] + "..."
            raise ShapeError(f"'{shown}' is not a dimension: use whole numbers from 1 up (or None for the batch).")
        value = int(part)
        if not 1 <= value <= MAX_DIM:
            raise ShapeError(f"{value} is not a dimension: sizes are whole numbers from 1 to {MAX_DIM:,}.")
        dims.append(value)
    return tuple(dims)


def _coerce_shape(value: object, name: str, problems: list[str]) -> Shape | None:
    """The learner's shape from a tuple or a string; a bad one becomes a problem message and None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, str):
            return parse_shape(value)
        if isinstance(value, list | tuple):
            return parse_shape("(" + ", ".join("None" if dim is None else str(dim) for dim in value) + ")")
    except ShapeError as error:
        problems.append(f"{name} shape: {error}")
        return None
    problems.append(f"{name} shape: expected something like (1822, 64, 15).")
    return None


def _same(a: Dim, b: Dim) -> bool:
    return a is None or b is None or a == b


def _prefix_matches(short: Shape, long: Shape) -> bool:
    return len(short) == len(long) and all(_same(a, b) for a, b in zip(short, long, strict=True))


# -- reading the error text -----------------------------------------------------------------------------------

_SHAPE = r"(?:TensorShape\()?[\(\[][^\(\)\[\]]*[\)\]]\)?"
_NAME = r"['\"]?([\w./\-]+)['\"]?"


@dataclass
class Evidence:
    """What one error line says: its kind, the layer, and the shapes or ranks it names."""

    kind: str  # "target", "labels", "input", "layer_ndim", "td_rank", "matmul"
    line: str
    layer: str | None = None
    target: Shape | None = None
    output: Shape | None = None
    expected: Shape | None = None  # for input checks: what the model wanted
    found: Shape | None = None
    expected_ndim: int | None = None
    found_ndim: int | None = None
    loss: str | None = None  # "cce" or "mse" when the wording tells
    rank_only: bool = False  # the message says the ranks differ but shows no shapes


def _shape_or_none(text: str | None) -> Shape | None:
    if text is None:
        return None
    try:
        return parse_shape(text)
    except ShapeError:
        return None


def _loss_hint(text: str) -> str | None:
    lowered = text.lower()
    if "sparse_categorical" in lowered:
        return None
    if "categorical_crossentropy" in lowered or "categorical crossentropy" in lowered:
        return "cce"
    if "mean_squared_error" in lowered or "/mse/" in lowered or "squareddifference" in lowered:
        return "mse"
    return None


def _read_line(line: str) -> Evidence | None:
    """Recognise one line (or two joined) in any Keras generation's wording."""
    if m := re.search(
        r"Arguments `target` and `output` must have the same (?:rank \(ndim\)|shape)\.?\s*Received:\s*"
        rf"target\.shape=({_SHAPE}),\s*output\.shape=({_SHAPE})",
        line,
    ):
        return Evidence("target", line, target=_shape_or_none(m[1]), output=_shape_or_none(m[2]), loss="cce")
    if re.search(r"Arguments `target` and `output` must have the same rank", line):  # quoted without shapes
        return Evidence("target", line, loss="cce", rank_only=True)
    if m := re.search(rf"A target array with shape ({_SHAPE}) was passed for an output of shape ({_SHAPE})", line):
        return Evidence("target", line, target=_shape_or_none(m[1]), output=_shape_or_none(m[2]))
    if m := re.search(
        rf"passing a target array of shape ({_SHAPE}) while using as loss `?categorical_crossentropy", line
    ):
        return Evidence("labels", line, target=_shape_or_none(m[1]), loss="cce")
    if m := re.search(
        rf"Error when checking (?:model )?(target|input)s?:\s*expected {_NAME} to have (\d+) dimensions?,? "
        rf"but got array with shape ({_SHAPE})",
        line,
    ):
        kind = "target" if m[1] == "target" else "input"
        found = _shape_or_none(m[4])
        evidence = Evidence(kind, line, layer=m[2], expected_ndim=int(m[3]), found_ndim=len(found or ()))
        if kind == "target":
            evidence.target = found
        else:
            evidence.found = found
        return evidence
    if m := re.search(
        rf"Error when checking (?:model )?(target|input)s?:\s*expected {_NAME} to have shape ({_SHAPE}),? "
        rf"but got array with shape ({_SHAPE})",
        line,
    ):
        expected, found = _shape_or_none(m[3]), _shape_or_none(m[4])
        if expected and found and expected[0] is not None:  # Keras 2.1+ prints both shapes without the batch axis
            expected, found = (None, *expected), (None, *found)
        if m[1] == "target":
            return Evidence("target", line, layer=m[2], target=found, output=expected)
        return Evidence("input", line, layer=m[2], expected=expected, found=found)
    input_of = (
        rf"Input 0 (?:with name {_NAME} )?"
        rf"(?:of layer {_NAME} is incompatible with the layer|is incompatible with layer {_NAME})"
    )
    if m := re.search(
        input_of
        + rf":?\s*expected (?:min_|max_)?ndim=(\d+), found ndim=(\d+)(?:\.? ?Full shape received: ({_SHAPE}))?",
        line,
    ):
        return Evidence(
            "layer_ndim",
            line,
            layer=m[2] or m[3],
            expected_ndim=int(m[4]),
            found_ndim=int(m[5]),
            found=_shape_or_none(m[6]),
        )
    if m := re.search(input_of + rf":?\s*expected shape=({_SHAPE}),? found shape=({_SHAPE})", line):
        return Evidence("input", line, layer=m[2] or m[3], expected=_shape_or_none(m[4]), found=_shape_or_none(m[5]))
    if m := re.search(
        input_of + rf":?\s*expected axis -1 of input shape to have value (\d+),? but received input with shape "
        rf"({_SHAPE})",
        line,
    ):
        found = _shape_or_none(m[5])
        expected = (*found[:-1], int(m[4])) if found else None
        return Evidence("input", line, layer=m[2] or m[3], expected=expected, found=found)
    if m := re.search(rf"Expected shape ({_SHAPE}), but input has incompatible shape ({_SHAPE})", line):
        return Evidence("input", line, expected=_shape_or_none(m[1]), found=_shape_or_none(m[2]))
    if m := re.search(
        r"`TimeDistributed` Layer should be passed an `input_shape ?` with at least 3 dimensions, "
        rf"received: ({_SHAPE})",
        line,
    ):
        return Evidence("td_rank", line, layer="time_distributed", found=_shape_or_none(m[1]))
    if m := re.search(rf"Shapes ({_SHAPE}) and ({_SHAPE}) are incompatible", line):
        return Evidence("target", line, target=_shape_or_none(m[1]), output=_shape_or_none(m[2]), loss="cce")
    if m := re.search(rf"Incompatible shapes:\s*({_SHAPE})\s*vs\.?\s*({_SHAPE})", line):
        # TensorFlow's SquaredDifference(y_pred, y_true): the output comes first.
        return Evidence("target", line, output=_shape_or_none(m[1]), target=_shape_or_none(m[2]), loss="mse")
    if m := re.search(
        r"Dimensions must be equal, but are \d+ and \d+ for '\{\{node ([^}]*)\}\}.*?with input shapes: "
        rf"({_SHAPE}),\s*({_SHAPE})",
        line,
    ):
        node, first, second = m[1], _shape_or_none(m[2]), _shape_or_none(m[3])
        if "MatMul" in node and re.search(r"cell|lstm|gru|rnn", node, re.I):
            return Evidence("matmul", line, found=first, expected=second)
        if "compile_loss" in node:  # Keras 3: loss(target, output)
            return Evidence("target", line, target=first, output=second, loss=_loss_hint(node))
        return Evidence("target", line, output=first, target=second, loss=_loss_hint(node) or "mse")
    return None


def _clean_text(text: object, problems: list[str], notes: list[str]) -> str:
    """The pasted text, made safe to read: decoded, tail-trimmed, and refused when it is not text."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        problems.append("The error must be text: paste the message (or the whole traceback).")
        return ""
    if len(text) > MAX_CHARS:
        notes.append(
            f"The text is {len(text):,} characters long; only its last {MAX_CHARS:,} were read "
            "(the error is at the end of a traceback)."
        )
        text = text[-MAX_CHARS:]
    if text.strip():
        printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
        if printable / len(text) < 0.9 or "\ufffd" * 4 in text:
            problems.append(
                "This does not look like an error message (it is mostly unprintable characters). "
                "Paste the text of the error, or the whole traceback."
            )
            return ""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)  # Keras 3 colours its messages in a terminal


def read_error(text: str) -> Evidence | None:
    """The last recognised error in a text (a bare message or a whole traceback), or None."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for index in range(len(lines) - 1, -1, -1):
        evidence = _read_line(lines[index])
        if evidence is None and index + 1 < len(lines):  # a message wrapped over two lines
            evidence = _read_line(lines[index] + " " + lines[index + 1])
        if evidence is not None:
            evidence.loss = evidence.loss or _loss_hint(text)
            if evidence.kind == "layer_ndim" and _mentions_old_td_assert(text):
                evidence.kind = "td_rank"
            return evidence
    if _mentions_old_td_assert(text):
        line = next((line for line in reversed(lines) if "assert" in line), lines[-1])
        return Evidence("td_rank", line, layer="time_distributed")
    return None


def _mentions_old_td_assert(text: str) -> bool:
    """Keras 1 and 2's TimeDistributed.build failed on `assert len(input_shape) >= 3` with no message."""
    return "assert len(input_shape) >= 3" in text and re.search(r"TimeDistributed|wrappers\.py", text) is not None


def last_error_line(text: str) -> str:
    """The last line that looks like an exception ("ValueError: ..."), or the last non-empty line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.match(r"^[\w.]*(Error|Exception)\b", line):
            return line
    return lines[-1] if lines else ""


# -- the learner's model --------------------------------------------------------------------------------------


def _in_range(name: str, value: Dim) -> bool:
    low, high = INT_RANGES[name]
    return value is not None and low <= value <= high


def _with(spec: ModelSpec | None, **changes: object) -> ModelSpec | None:
    """`spec` with the changes that are in range; None when the spec cannot hold them (e.g. 50,000 classes)."""
    if spec is None:
        return None
    for name in INT_RANGES:
        if name in changes and not _in_range(name, changes[name]):  # type: ignore[arg-type]
            return None
    try:
        spec = spec.replace(**changes)
    except SpecError:
        return None
    return spec if spec.is_valid else None


def _model_from_output(spec: ModelSpec, output: Shape | None) -> ModelSpec | None:
    """The learner's model as far as its output shape tells: T and O from (None, T, O), a last-step model from 2D."""
    if output is None or len(output) not in (2, 3):
        return spec
    if len(output) == 3:
        changes: dict[str, object] = {"return_sequences": True, "output_size": output[2]}
        if output[1] is not None:
            changes["timesteps"] = output[1]
        return _with(spec, **changes)
    return _with(spec, return_sequences=False, head="dense", output_size=output[1])


def _model_from_x(spec: ModelSpec | None, x_shape: Shape | None) -> ModelSpec | None:
    if spec is None or x_shape is None or len(x_shape) != 3:
        return spec
    return _with(spec, timesteps=x_shape[1], input_size=x_shape[2]) or spec


def _output_shape(spec: ModelSpec) -> Shape:
    if spec.return_sequences:
        return (None, spec.timesteps, spec.output_size)
    return (None, spec.output_size)


def _batch_for(*shapes: Shape | None) -> int:
    """A small batch that equals no other dimension, so that no broadcast succeeds by coincidence."""
    taken = {dim for shape in shapes if shape for dim in shape[1:]}
    return next(size for size in (4, 5, 6, 7, 9, 11) if size not in taken)


def _check(spec: ModelSpec | None, x_shape: Shape | None, y_shape: Shape | None) -> tuple | None:
    """(spec, X, Y) with concrete shapes for Keras to fit; X and Y default to the spec's own."""
    if spec is None or not spec.is_valid:
        return None
    x = x_shape if x_shape is not None and len(x_shape) == 3 else (None, spec.timesteps, spec.input_size)
    y = y_shape if y_shape is not None else _output_shape(spec)
    if any(dim is None for dim in (*x[1:], *y[1:])):
        return None
    batch = _batch_for(x, y)
    return spec, (batch, *x[1:]), (batch, *y[1:])


# -- Keras code and diffs -------------------------------------------------------------------------------------


def model_code(spec: ModelSpec, data_lines: tuple[str, ...] = ()) -> list[str]:
    """The spec as short Keras code (Sequential), with optional lines that change X or Y before `fit`."""
    args = [str(spec.hidden_size)]
    if spec.return_sequences:
        args.append("return_sequences=True")
    recurrent = f"layers.{spec.cell}({', '.join(args)})"
    if spec.bidirectional:
        recurrent = f'layers.Bidirectional({recurrent}, merge_mode="{spec.merge_mode}")'
    head = f"layers.Dense({spec.output_size})"
    if spec.head == "time_distributed":
        head = f"layers.TimeDistributed({head})"
    return [
        "model = keras.Sequential([",
        f"    keras.Input(shape=({spec.timesteps}, {spec.input_size})),",
        f"    {recurrent},",
        f"    {head},",
        f'    layers.Activation("{spec.activation}"),',
        "])",
        f'model.compile(loss="{spec.loss}", optimizer="rmsprop")',
        *data_lines,
        "model.fit(X, Y)",
    ]


def unified_diff(before: list[str], after: list[str]) -> str:
    """A unified diff of two code listings, labelled as the learner's code and the fix."""
    lines = difflib.unified_diff(before, after, "your_model.py", "fixed.py", lineterm="", n=2)
    return "\n".join(lines)


def _model_fix(description: str, base: ModelSpec, fixed: ModelSpec | None, x: Shape | None, y: Shape | None) -> Fix:
    if fixed is None:
        return Fix(description, "")
    return Fix(description, unified_diff(model_code(base), model_code(fixed)), fixed, _check(fixed, x, y))


def _data_fix(description: str, base: ModelSpec, line: str, x: Shape | None, y: Shape | None) -> Fix:
    """A change of X or Y only: the learner's model stays; Keras checks it with the new shapes."""
    diff = unified_diff(model_code(base), model_code(base, (line,)))
    return Fix(description, diff, None, _check(base, x, y))


def _code_fix(description: str, before: list[str], after: list[str]) -> Fix:
    return Fix(description, unified_diff(before, after))


# -- the causes -----------------------------------------------------------------------------------------------


@dataclass
class Context:
    """Everything known while diagnosing: the learner's model as understood, and the shapes."""

    spec: ModelSpec  # the learner's model as far as the message and shapes tell (sidebar values elsewhere)
    given_spec: bool
    x: Shape | None
    y: Shape | None
    output: Shape | None
    loss: str | None
    notes: list[str] = field(default_factory=list)


def _target_cause(target: Shape, output: Shape, loss: str | None) -> str:
    """Which of the target causes two shapes show (target and output, batch first)."""
    classes = output[-1] if output else None
    counts_classes = loss != "mse" and classes is not None and classes > 1
    if counts_classes and _prefix_matches(target, output[:-1]):
        return "labels_not_one_hot"
    if len(target) != len(output):
        return "target_rank"
    if counts_classes and target[-1] == 1:
        return "labels_not_one_hot"
    if len(target) == 3 and not _same(target[1], output[1]):
        return "timesteps_mismatch"
    if not _same(target[-1], output[-1]):
        return "output_size_mismatch"
    return "unknown"


def _flow(ctx: Context, broken_at: str, y_label: str = "your Y") -> tuple[FlowStep, ...]:
    """X → recurrent → head → Y for the learner's model, with the step named `broken_at` marked."""
    spec = ctx.spec
    recurrent = f"{spec.cell}({spec.hidden_size}{', return_sequences=True' if spec.return_sequences else ''})"
    if spec.bidirectional:
        recurrent = f"Bidirectional({recurrent})"
    x = ctx.x if ctx.x is not None else (None, spec.timesteps, spec.input_size)
    hidden = spec.hidden_size * (2 if spec.bidirectional and spec.merge_mode == "concat" else 1)
    rec_shape = (None, spec.timesteps, hidden) if spec.return_sequences else (None, hidden)
    head = f"Dense({spec.output_size})"
    if spec.head == "time_distributed":
        head = f"TimeDistributed({head})"
    steps = [
        FlowStep("X", x, broken_at == "x"),
        FlowStep(recurrent, rec_shape, broken_at == "recurrent"),
        FlowStep(head, ctx.output if spec.is_valid else None, broken_at == "head"),
    ]
    if ctx.y is not None or broken_at == "y":
        steps.append(FlowStep(y_label, ctx.y, broken_at == "y", "must match the output"))
    return tuple(steps)


def _explain_target(ctx: Context, cause: str, target: Shape, output: Shape) -> str:
    t, o = format_shape(target), format_shape(output)
    if cause == "target_rank":
        if len(output) > len(target):
            return (
                f"The model predicts at every timestep (output {o}: return_sequences=True keeps the time axis), but "
                f"your targets {t} have one row per sequence. Keras compares targets with outputs axis by axis, so "
                "both must say the same thing: one prediction per sequence, or one per timestep."
            )
        return (
            f"The model predicts once per sequence (output {o}: the recurrent layer returns only its last step), "
            f"but your targets {t} have a time axis. Keras compares targets with outputs axis by axis, so both must "
            "say the same thing: one prediction per sequence, or one per timestep."
        )
    if cause == "timesteps_mismatch":
        return (
            f"The model outputs {output[1]} timesteps ({o}) and your targets have {target[1]} ({t}). A recurrent "
            "layer with return_sequences=True gives exactly one output per input step, so the lengths must match: "
            "cut the longer side, or use an encoder–decoder (RepeatVector) for outputs of another length."
        )
    if cause == "output_size_mismatch":
        return (
            f"The last Dense has {output[-1]} units, so each prediction has {output[-1]} values ({o}); your targets "
            f"have {target[-1]} ({t}). The Dense units must equal the number of values per target."
        )
    return (
        f"Your targets {t} look like integer class labels, while the model outputs {output[-1]} class "
        f"probabilities ({o}) and categorical cross-entropy wants one-hot targets of that shape. One-hot encode the "
        "labels, or use sparse_categorical_crossentropy, which takes the integers as they are."
    )


def _target_fixes(ctx: Context, cause: str, target: Shape, output: Shape) -> list[Fix]:
    spec, x = ctx.spec, ctx.x
    fixes: list[Fix] = []
    if cause == "target_rank" and len(output) == 3 and len(target) == 2:
        size = target[-1]
        fixed = _with(spec, return_sequences=False, head="dense", output_size=size)
        if fixed is not None and size == 1 and fixed.activation == "softmax":
            fixed = fixed.replace(activation="linear")
        fixes.append(
            _model_fix(
                "One prediction per sequence: return only the last step and use a plain Dense "
                "(a sigmoid or linear output for a single value; softmax over one unit is always 1)"
                if size == 1
                else "One prediction per sequence: return only the last step and use a plain Dense",
                spec,
                fixed,
                x,
                target,
            )
        )
        if _same(target[-1], output[-1]) and output[1] is not None:
            repeated = (target[0], output[1], target[-1])
            fixes.append(
                _data_fix(
                    "Keep one prediction per timestep: give every step its sequence's target",
                    spec,
                    f"Y = np.repeat(Y[:, None, :], {output[1]}, axis=1)  # {format_shape(repeated)}",
                    x,
                    repeated,
                )
            )
    elif cause == "target_rank" and len(output) == 2 and len(target) == 3:
        fixed = _with(spec, return_sequences=True, head="time_distributed", output_size=target[-1])
        if fixed is not None and target[1] is not None:
            fixed = _with(fixed, timesteps=target[1])
        fixes.append(
            _model_fix(
                "Predict at every timestep: return_sequences=True and TimeDistributed(Dense)", spec, fixed, x, target
            )
        )
        last = (target[0], target[-1])
        fixes.append(
            _data_fix(
                "Keep one prediction per sequence: use each sequence's last target",
                spec,
                f"Y = Y[:, -1, :]  # {format_shape(last)}",
                x,
                last,
            )
        )
    elif cause == "timesteps_mismatch":
        fixes.extend(_timesteps_fixes(ctx, target, output))
    elif cause == "output_size_mismatch":
        fixed = _with(spec, output_size=target[-1])
        if fixed is not None and target[-1] == 1 and fixed.activation == "softmax":
            fixed = fixed.replace(activation="linear")
        fixes.append(
            _model_fix(f"Give the last Dense {target[-1]} units, one per target value", spec, fixed, x, target)
        )
    elif cause == "labels_not_one_hot":
        classes = output[-1]
        one_hot = (*target[:-1], classes) if len(target) == len(output) else (*target, classes)
        fixes.append(
            _data_fix(
                "One-hot encode the labels",
                spec,
                f"Y = keras.utils.to_categorical(Y, num_classes={classes})  # {format_shape(one_hot)}",
                x,
                one_hot,
            )
        )
        before = model_code(spec)
        after = [line.replace('"categorical_crossentropy"', '"sparse_categorical_crossentropy"') for line in before]
        fixes.append(_code_fix("Or keep the integer labels and use sparse_categorical_crossentropy", before, after))
    return [fix for fix in fixes if fix.diff]


def _timesteps_fixes(ctx: Context, target: Shape, output: Shape) -> list[Fix]:
    spec, x = ctx.spec, ctx.x
    t_out, t_target = output[1], target[1]
    fixes: list[Fix] = []
    if t_out is not None and t_target is not None and t_target < t_out:
        shorter = _with(spec, timesteps=t_target)
        new_x = (x[0] if x else None, t_target, spec.input_size)
        if shorter is not None:
            fixes.append(
                Fix(
                    f"Feed windows as long as the targets: the last {t_target} input steps for {t_target} targets",
                    unified_diff(
                        model_code(spec), model_code(shorter, (f"X = X[:, -{t_target}:, :]  # {format_shape(new_x)}",))
                    ),
                    shorter,
                    _check(shorter, new_x, target),
                )
            )
    elif t_out is not None:
        cut = (target[0], t_out, target[-1])
        fixes.append(
            _data_fix(
                f"Keep the targets of the last {t_out} steps, one per input step",
                spec,
                f"Y = Y[:, -{t_out}:, :]  # {format_shape(cut)}",
                x,
                cut,
            )
        )
    length = t_target if t_target is not None else "T_OUT"
    before = model_code(spec)
    rec = before[2].strip().rstrip(",")
    encoder = rec.replace(", return_sequences=True", "")
    decoder = encoder.replace(")", ", return_sequences=True)", 1)
    after = [
        *before[:2],
        f"    {encoder},  # encoder: one vector per sequence",
        f"    layers.RepeatVector({length}),",
        f"    {decoder},  # decoder: {length} steps",
        *before[3:],
    ]
    fixes.append(
        _code_fix(
            f"Or an encoder–decoder: read the {t_out or 'T'} steps into one vector, repeat it {length} times, decode",
            before,
            after,
        )
    )
    return fixes


def _diagnose_target(ctx: Context, target: Shape, output: Shape, layer: str | None) -> Diagnosis:
    cause = _target_cause(target, output, ctx.loss)
    if cause == "unknown":
        return _unknown(
            f"The targets {format_shape(target)} match the output {format_shape(output)}: fit() accepts these "
            "shapes. If Keras still fails, the error is about something else (the batch sizes of X and Y, the "
            "dtype...): paste it."
        )
    ctx.y = target
    ctx.output = output
    return Diagnosis(
        cause=cause,
        explanation=_explain_target(ctx, cause, target, output),
        layer=layer or "the loss (targets vs. output)",
        fixes=tuple(_target_fixes(ctx, cause, target, output)),
        flow=_flow(ctx, "y"),
    )


def _unknown(explanation: str) -> Diagnosis:
    return Diagnosis("unknown", explanation)


def _stacked_code(layer: str, below_units: int | str) -> tuple[list[str], list[str]]:
    cls = _layer_class(layer)
    lower = f"layers.{cls}({below_units})"
    before = [
        "model = keras.Sequential([",
        "    keras.Input(shape=(T, F)),",
        f"    {lower},",
        f"    layers.{cls}(UNITS),  # '{layer}'",
        "    ...",
        "])",
    ]
    after = [*before[:2], f"    layers.{cls}({below_units}, return_sequences=True),", *before[3:]]
    return before, after


def _layer_class(layer: str | None) -> str:
    name = (layer or "").lower()
    for key, cls in (("lstm", "LSTM"), ("gru", "GRU"), ("simple_rnn", "SimpleRNN"), ("simplernn", "SimpleRNN")):
        if key in name:
            return cls
    return "LSTM"


def _is_recurrent(layer: str | None) -> bool:
    return re.search(r"lstm|gru|rnn|bidirectional", layer or "", re.I) is not None


def _diagnose_layer_ndim(ctx: Context, ev: Evidence, text: str) -> Diagnosis:
    """ "expected ndim=…, found ndim=…" on a named layer: which layer and which ranks decide the cause."""
    layer = ev.layer or "a layer"
    name = layer.lower()
    expected, found = ev.expected_ndim, ev.found_ndim
    if re.search(r"time_?distributed", name) and found == 2:
        return _diagnose_td(ctx, ev.found)
    if re.search(r"repeat_?vector", name) and expected == 2 and found == 3:
        return _diagnose_repeat(ctx, layer, ev.found)
    if name.startswith("dense") and expected == 2 and found == 3:
        return _diagnose_keras1_dense(ctx, layer, ev.found)
    if expected == 3 and found is not None and found != 3:
        if found == 2 and _is_recurrent(layer) and _stacked_reading(ctx, ev, text):
            return _diagnose_stacked(ctx, layer, ev.found)
        return _diagnose_input_rank(ctx, layer, ev.found or ctx.x, found)
    return _unknown(
        f"Keras says layer '{layer}' expected {expected} axes and got {found}; this app only knows the shape errors "
        "of recurrent models with a Dense head, so it will not guess."
    )


def _stacked_reading(ctx: Context, ev: Evidence, text: str) -> bool:
    """True when a recurrent layer's 2D input comes from the layer below it rather than from X (the data)."""
    if ctx.x is not None:
        return len(ctx.x) == 3
    received = ev.found[-1] if ev.found else None
    if ctx.given_spec and received is not None:
        hidden = ctx.spec.hidden_size * (2 if ctx.spec.bidirectional and ctx.spec.merge_mode == "concat" else 1)
        if received == hidden and received != ctx.spec.input_size:
            return True
        if received == ctx.spec.input_size and received != hidden:
            return False
    if ev.found and ev.found[0] is not None:
        return False  # a concrete batch size: the data itself reached the layer (fit on 2D X)
    if re.search(r"\b(train_function|data_adapter|in fit|\.fit\()", text):
        return False
    return True


def _diagnose_stacked(ctx: Context, layer: str, found: Shape | None) -> Diagnosis:
    units = found[-1] if found and found[-1] is not None else "units"
    before, after = _stacked_code(layer, units)
    fixes = [
        _code_fix(
            "Let the layer below return every step: return_sequences=True on every recurrent layer "
            "except possibly the top one",
            before,
            after,
        )
    ]
    single = (_with(ctx.spec, hidden_size=units) if isinstance(units, int) else None) or ctx.spec
    single = _fit_targets(single, ctx.y)
    if single is not None:
        fixes.append(
            Fix(
                "Or keep a single recurrent layer (this app's model)",
                unified_diff(before, model_code(single)),
                single,
                _check(single, ctx.x, ctx.y),
            )
        )
    received = format_shape(found) if found else "a 2D tensor"
    steps = (
        FlowStep("X", ctx.x or (None, "T", "F")),  # type: ignore[arg-type]
        FlowStep(f"{_layer_class(layer)}({units}), last step only", found or (None, units)),  # type: ignore[arg-type]
        FlowStep(f"'{layer}' needs (batch, T, features)", found or (None, units), True, "no time axis left"),  # type: ignore[arg-type]
    )
    return Diagnosis(
        "stacked_return_sequences",
        f"Layer '{layer}' is a recurrent layer on top of another one, and it received {received}: only the last "
        "step of the layer below, because that layer has return_sequences=False (the default). A recurrent layer "
        "walks along a time axis, so every recurrent layer below the top one needs return_sequences=True.",
        layer,
        tuple(fixes),
        steps,
    )


def _diagnose_input_rank(ctx: Context, layer: str | None, found: Shape | None, found_ndim: int | None) -> Diagnosis:
    spec = ctx.spec
    rank = found_ndim or (len(found) if found else None)
    shown = format_shape(found) if found else f"a {rank}D array"
    fixes: list[Fix] = []
    x_batch = found[0] if found else None
    if rank == 2 and found and found[-1] is not None:
        features = found[-1]
        as_sequence = _with(spec, timesteps=features, input_size=1)
        x_seq = (x_batch, features, 1)
        fixes.append(
            _reshape_fix(
                spec,
                as_sequence,
                "A sequence of values per sample: one feature per step",
                f"X = X.reshape(len(X), {features}, 1)  # {format_shape(x_seq)}",
                x_seq,
                ctx.y,
            )
        )
        one_step = _with(spec, timesteps=1, input_size=features)
        x_one = (x_batch, 1, features)
        fixes.append(
            _reshape_fix(
                spec,
                one_step,
                "Or one step of features per sample (add a time axis of 1)",
                f"X = X[:, None, :]  # {format_shape(x_one)}",
                x_one,
                ctx.y,
            )
        )
    elif rank is not None and rank > 3 and found and all(dim is not None for dim in found[1:]):
        steps, features = found[1], 1
        for dim in found[2:]:
            features *= dim  # type: ignore[operator]
        flat = _with(spec, timesteps=steps, input_size=features)
        x_flat = (x_batch, steps, features)
        fixes.append(
            _reshape_fix(
                spec,
                flat,
                "Merge the axes after time into one feature axis",
                f"X = X.reshape(len(X), {steps}, {features})  # {format_shape(x_flat)}",
                x_flat,
                ctx.y,
            )
        )
    where = f"layer '{layer}'" if layer else "the model's first layer"
    explanation = (
        f"A recurrent layer reads (batch, timesteps, features), three axes, but {where} received {shown}. "
        + (
            "There is no time axis: decide what a step is, then reshape X."
            if rank == 2
            else "There are too many axes: fold the extra ones into the features."
        )
    )
    if rank == 2 and _is_recurrent(layer) and ctx.x is None:
        explanation += (
            " If X is already 3D, this layer sits on another recurrent layer instead: set "
            "return_sequences=True on the one below."
        )
    flow = (
        FlowStep("your X", found, True, "needs 3 axes"),
        FlowStep(f"{spec.cell}: expects (batch, T, features)", (None, spec.timesteps, spec.input_size)),
    )
    return Diagnosis(
        "input_rank", explanation, layer or "the first recurrent layer", tuple(fix for fix in fixes if fix.diff), flow
    )


def _reshape_fix(
    base: ModelSpec, fixed: ModelSpec | None, description: str, line: str, x: Shape, y: Shape | None
) -> Fix:
    if fixed is None:
        return Fix(description, "")
    fitted = _fit_targets(fixed, y)
    return Fix(description, unified_diff(model_code(base), model_code(fitted, (line,))), fitted, _check(fitted, x, y))


def _fit_targets(spec: ModelSpec, y: Shape | None) -> ModelSpec:
    """Make the model's output agree with known targets, so a fix for the input is not refused for the output."""
    if y is None:
        return spec
    if len(y) == 2:
        return _with(spec, return_sequences=False, head="dense", output_size=y[1]) or spec
    if len(y) == 3 and y[1] is not None:
        return _with(spec, return_sequences=True, timesteps=y[1], output_size=y[2]) or spec
    return spec


def _diagnose_features(ctx: Context, layer: str | None, expected: int, found: Shape) -> Diagnosis:
    spec = ctx.spec
    if len(found) == 3 and found[1] is not None:
        spec = _with(spec, timesteps=found[1]) or spec
    fixed = _with(spec, input_size=found[-1])
    base = _with(spec, input_size=expected) or spec
    fixes = []
    if fixed is not None:
        fixed = _fit_targets(fixed, ctx.y)
        fixes.append(
            Fix(
                f"Declare the input as {found[-1]} features per step",
                unified_diff(model_code(base), model_code(fixed)),
                fixed,
                _check(fixed, found, ctx.y),
            )
        )
    flow = (
        FlowStep("your X", found, True, f"{found[-1]} features"),
        FlowStep(f"model input: {expected} features", (None, base.timesteps, expected)),
    )
    return Diagnosis(
        "input_features_mismatch",
        f"The model was built for {expected} features per timestep (its input's last axis), but X has {found[-1]} "
        f"({format_shape(found)}). The recurrent layer's kernel has one row per input feature, so the numbers must "
        "agree: change the Input shape, or select the features the model was built for.",
        layer or "the input layer",
        tuple(fixes),
        flow,
    )


def _diagnose_input(ctx: Context, ev: Evidence) -> Diagnosis:
    """A model-input check ("expected shape=…, found shape=…", "Error when checking input")."""
    found, expected = ev.found, ev.expected
    if found is None:
        return _unknown("Keras refused the input, but the message shows no shape to compare.")
    if ev.expected_ndim is not None and ev.expected_ndim != len(found):
        return _diagnose_input_rank(ctx, ev.layer, found, len(found))
    if expected is None:
        return _unknown("Keras refused the input, but the message shows no expected shape to compare.")
    if len(expected) != len(found):
        if len(expected) == 3:
            ctx.spec = _with(ctx.spec, timesteps=expected[1], input_size=expected[2]) or ctx.spec
        return _diagnose_input_rank(ctx, ev.layer, found, len(found))
    if not _same(expected[-1], found[-1]) and expected[-1] is not None:
        ctx.x = found
        return _diagnose_features(ctx, ev.layer, expected[-1], found)
    return _unknown(
        f"Keras expected an input shaped {format_shape(expected)} and got {format_shape(found)}; they differ on an "
        "axis this app does not diagnose (the timesteps of a model built for a fixed length?)."
    )


def _diagnose_td(ctx: Context, found: Shape | None) -> Diagnosis:
    spec = ctx.spec.replace(return_sequences=False, head="time_distributed")
    received = format_shape(found) if found else f"(None, {spec.hidden_size})"
    per_sequence = _with(spec, return_sequences=False, head="dense")
    per_step = _with(spec, return_sequences=True)
    if ctx.y is not None:  # only the reading the targets allow
        fitted = _fit_targets(spec.replace(head="dense"), ctx.y)
        per_sequence = fitted if not fitted.return_sequences else None
        per_step = _with(fitted, head="time_distributed") if fitted.return_sequences else None
    fixes = [
        _model_fix("One prediction per sequence: a plain Dense after the last step", spec, per_sequence, ctx.x, ctx.y),
        _model_fix(
            "One prediction per timestep: return_sequences=True keeps the time axis TimeDistributed walks",
            spec,
            per_step,
            ctx.x,
            ctx.y,
        ),
    ]
    if ctx.y is not None and len(ctx.y) == 3:
        fixes.reverse()
    ctx.spec = spec
    return Diagnosis(
        "timedistributed_needs_sequence",
        f"TimeDistributed applies its layer at every timestep, so it needs an input with a time axis (3 axes or "
        f"more). The recurrent layer below has return_sequences=False and hands it only its last step, {received}, "
        "so Keras refuses to build the model.",
        "time_distributed",
        tuple(fix for fix in fixes if fix.diff),
        (
            FlowStep("X", ctx.x or (None, spec.timesteps, spec.input_size)),
            FlowStep(f"{spec.cell}({spec.hidden_size}), last step only", found or (None, spec.hidden_size)),
            FlowStep("TimeDistributed(Dense) needs a time axis", None, True),
        ),
    )


def _diagnose_repeat(ctx: Context, layer: str, found: Shape | None) -> Diagnosis:
    units = found[-1] if found and found[-1] is not None else "UNITS"
    cls = _layer_class(None) if ctx.spec is None else ctx.spec.cell
    before = [
        "model = keras.Sequential([",
        "    keras.Input(shape=(T, F)),",
        f"    layers.{cls}({units}, return_sequences=True),",
        "    layers.RepeatVector(T_OUT),",
        f"    layers.{cls}({units}, return_sequences=True),",
        "    ...",
        "])",
    ]
    after = [*before[:2], f"    layers.{cls}({units}),  # the encoder: one vector per sequence", *before[3:]]
    return Diagnosis(
        "repeatvector_needs_vector",
        f"RepeatVector copies one vector per sample into a new time axis, so it needs (batch, features); layer "
        f"'{layer}' got a whole sequence, {format_shape(found) if found else 'a 3D tensor'}, because the encoder "
        "below it has return_sequences=True. The encoder should hand over its last step only.",
        layer,
        (_code_fix("Let the encoder return only its last step (return_sequences=False)", before, after),),
        (
            FlowStep("encoder, return_sequences=True", found),
            FlowStep(f"'{layer}' needs (batch, features)", found, True),
        ),
    )


def _diagnose_keras1_dense(ctx: Context, layer: str, found: Shape | None) -> Diagnosis:
    spec = _with(ctx.spec, return_sequences=True, head="dense") or ctx.spec
    ctx.spec = spec
    per_step = _with(spec, head="time_distributed")
    per_sequence = _with(spec, return_sequences=False, head="dense")
    if ctx.y is not None:  # only the reading the targets allow
        fitted = _fit_targets(spec, ctx.y)
        per_step = _with(fitted, head="time_distributed") if fitted.return_sequences else None
        per_sequence = fitted if not fitted.return_sequences else None
    fixes = [
        _model_fix(
            "Wrap the Dense in TimeDistributed (what the seed's answer did in Keras 1)", spec, per_step, ctx.x, ctx.y
        ),
        _model_fix(
            "Or one prediction per sequence: return_sequences=False before the Dense", spec, per_sequence, ctx.x, ctx.y
        ),
    ]
    if ctx.y is not None and len(ctx.y) == 2:
        fixes.reverse()
    return Diagnosis(
        "dense_needs_2d_keras1",
        f"In Keras 1, Dense accepted only 2D inputs (batch, features), and layer '{layer}' got a sequence "
        f"{format_shape(found) if found else '(3D)'}. That is why answers of that time wrapped it in TimeDistributed. "
        "Since Keras 2, Dense on a 3D input applies itself at every timestep, exactly like TimeDistributed(Dense).",
        layer,
        tuple(fix for fix in fixes if fix.diff),
        (
            FlowStep("X", ctx.x or (None, spec.timesteps, spec.input_size)),
            FlowStep(
                f"{spec.cell}({spec.hidden_size}, return_sequences=True)", (None, spec.timesteps, spec.hidden_size)
            ),
            FlowStep(f"Keras 1 Dense '{layer}' needs 2D", found, True),
        ),
    )


def _diagnose_evidence(ctx: Context, ev: Evidence, text: str) -> Diagnosis:
    """Turn what the message says into a diagnosis, using the learner's shapes and spec for missing numbers."""
    if ev.kind == "td_rank":
        return _diagnose_td(ctx, ev.found)
    if ev.kind == "layer_ndim":
        return _diagnose_layer_ndim(ctx, ev, text)
    if ev.kind == "matmul" and ev.found and ev.expected:
        # The cell's MatMul: [batch, features of X] times the kernel [input size, gates × units].
        x = ctx.x or (None, ctx.spec.timesteps, ev.found[-1])
        return _diagnose_features(ctx, None, ev.expected[0], x)
    if ev.kind == "input":
        return _diagnose_input(ctx, ev)
    if ev.kind == "labels":
        target = ctx.y or ev.target
        if target is None:
            return _unknown("Integer labels with categorical cross-entropy, but the message shows no shape.")
        # Keras 2's message names no class count: the model's Dense units are it.
        classes = max(ctx.spec.output_size, 2)
        output = (None, classes) if len(target) <= 2 else (None, target[1], classes)
        ctx.loss = "cce"
        ctx.spec = _model_from_output(ctx.spec, output) or ctx.spec
        return _diagnose_target(ctx, target, output, None)
    return _diagnose_target_evidence(ctx, ev)


def _diagnose_target_evidence(ctx: Context, ev: Evidence) -> Diagnosis:
    target = ev.target if ev.target is not None else ctx.y
    output = ev.output
    if output is None and ev.expected_ndim is not None:  # Keras 1/2: "expected X to have 3 dimensions"
        if target is not None and len(target) != ev.expected_ndim:
            head = "time_distributed" if re.search(r"time_?distributed", ev.layer or "") else ctx.spec.head
            seq = ev.expected_ndim == 3
            spec = _with(ctx.spec, return_sequences=seq, head=head if seq else "dense") or ctx.spec
            ctx.spec = spec
            output = _output_shape(spec)
    if output is None and ev.rank_only:
        output = _output_shape(ctx.spec)
        if target is None:  # no shapes anywhere: the sidebar's model with targets of the other rank
            spec = ctx.spec
            target = (None, spec.output_size) if spec.return_sequences else (None, spec.timesteps, spec.output_size)
            ctx.notes.append("The message shows no shapes: this answer assumes your model is the sidebar's.")
    if target is None or output is None:
        return _unknown("Keras compared the targets with the output, but the message shows too few shapes.")
    model = _model_from_output(ctx.spec, output)
    if model is not None:
        if ev.layer and re.search(r"time_?distributed", ev.layer) and model.return_sequences:
            model = model.replace(head="time_distributed")
        ctx.spec = _model_from_x(model, ctx.x) or model
    return _diagnose_target(ctx, target, output, ev.layer)


def _diagnose_shapes(ctx: Context, spec: ModelSpec | None) -> Diagnosis | None:
    """No recognised text: the learner's X and Y against the sidebar model (the target checker, generalised)."""
    x, y = ctx.x, ctx.y
    if x is not None and len(x) != 3:
        return _diagnose_input_rank(ctx, None, x, len(x))
    if spec is None:
        return None
    if x is not None and x[-1] != spec.input_size:
        return _diagnose_features(ctx, "input_layer", spec.input_size, x)
    if not spec.is_valid:
        return _diagnose_td(ctx, (None, spec.hidden_size))
    if y is None:
        return None
    model = _model_from_x(spec, x) or spec
    ctx.spec = model
    output = _output_shape(model)
    return _diagnose_target(ctx, y, output, "the loss (targets vs. output)")


def diagnose(
    text: str = "",
    x_shape: tuple | str | None = None,
    y_shape: tuple | str | None = None,
    spec: ModelSpec | None = None,
) -> Diagnosis:
    """Diagnose a Keras shape error from its text, the learner's X and Y shapes and model; never raises.

    The text may be a bare message or a whole traceback (the last recognised error line is read). Shapes alone,
    with a spec, are enough. Anything unrecognised gives cause "unknown" with a plain explanation.
    """
    problems: list[str] = []
    notes: list[str] = []
    cleaned = _clean_text(text if text is not None else "", problems, notes)
    x = _coerce_shape(x_shape, "X", problems)
    y = _coerce_shape(y_shape, "Y", problems)
    if spec is not None and not isinstance(spec, ModelSpec):
        problems.append("The model spec is not a ModelSpec; it was ignored.")
        spec = None
    ctx = Context(spec or DEFAULTS, spec is not None, x, y, None, None)
    try:
        result = _diagnose(ctx, cleaned, spec, notes)
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as error:  # a safety net: never break the page
        result = _unknown(f"This input could not be analysed ({type(error).__name__}); please report it.")
    return Diagnosis(
        result.cause,
        result.explanation,
        result.layer,
        result.fixes,
        result.flow,
        result.error_line,
        tuple(problems),
        tuple(notes) + tuple(ctx.notes),
    )


def _diagnose(ctx: Context, text: str, spec: ModelSpec | None, notes: list[str]) -> Diagnosis:
    evidence = read_error(text) if text.strip() else None
    if evidence is not None:
        ctx.loss = evidence.loss or (("cce" if spec.activation == "softmax" else "mse") if spec else None)
        result = _diagnose_evidence(ctx, evidence, text)
        return Diagnosis(result.cause, result.explanation, result.layer, result.fixes, result.flow, evidence.line)
    if spec is not None:
        ctx.loss = "cce" if spec.activation == "softmax" else "mse"
    line = last_error_line(text) if text.strip() else ""
    shapes_result = _diagnose_shapes(ctx, spec) if (ctx.x or ctx.y) else None
    if shapes_result is not None:
        if line:
            notes.append("The error text was not recognised; this answer comes from your shapes and model.")
        return Diagnosis(
            shapes_result.cause,
            shapes_result.explanation,
            shapes_result.layer,
            shapes_result.fixes,
            shapes_result.flow,
            line,
        )
    if line:
        return Diagnosis(
            "unknown",
            "This is not one of the shape errors this page knows (targets vs. output, the input's axes, stacked "
            "recurrent layers, TimeDistributed, RepeatVector), so it will not guess. Adding X's and Y's shapes "
            "may help.",
            error_line=line,
        )
    if ctx.x is not None or ctx.y is not None:
        return _unknown(
            "These shapes fit the model as far as this page can tell; if Keras still fails, paste its error."
        )
    return _unknown("Paste a Keras error (a whole traceback is fine), or give the shapes of X and Y.")
