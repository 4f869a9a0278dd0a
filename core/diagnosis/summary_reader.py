"""Reading a pasted `model.summary()`: Keras 3's box-drawing table and the ASCII tables of Keras 1, 2 and tf.keras.

Rows are cut by the header's columns (box rules or the header's title positions), wrapped cells are joined, and each
row becomes a `LearnerLayer`: units from the output's last axis, return_sequences from its rank, the input features
and use_bias from the parameter counts. Everything is read with str methods in one pass per line: no regex.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.diagnosis.learner_model import LearnerLayer, LearnerModel, ModelReadError, Shape, with_family_note
from core.model.anatomy import GATES

MAX_SUMMARY_CHARS = 300_000
MAX_LINE = 400
MAX_ROWS = 500
KNOWN_KINDS = (
    "InputLayer", "LSTM", "GRU", "SimpleRNN", "Dense", "TimeDistributed", "Bidirectional", "RepeatVector", "Embedding",
    "Conv1D", "Conv2D", "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "Activation", "Dropout",
    "Masking", "Reshape", "Concatenate", "Attention", "MultiHeadAttention", "LayerNormalization", "BatchNormalization",
    "MaxPooling1D", "MaxPooling2D", "Functional", "Sequential",
)  # fmt: skip
TITLES = ("Layer (type)", "Output Shape", "Param #", "Connected to", "Trainable")
BOX_RULES = ("├", "└", "┡", "╞", "┏", "┗")
SUMMARY_MARKS = ("Layer (type)", "Param #", "Total params", "┃", "│ (None")


@dataclass(frozen=True)
class _Row:
    """One layer's row, its wrapped cells joined."""

    name: str
    kind: str
    shapes: tuple[Shape, ...]
    params: int | None
    inputs: int = 1  # tensors listed under "Connected to": a decoder started from states lists more than one


def looks_like_summary(text: str) -> bool:
    """True when the text carries a summary table's marks (its header, a box rule, "Total params")."""
    head = text[:MAX_SUMMARY_CHARS]
    return any(mark in head for mark in SUMMARY_MARKS)


def parse_shapes(text: str) -> tuple[Shape, ...]:
    """Every parenthesised shape in a cell, in order: "[(None, 16), (None, 16)]" → ((None, 16), (None, 16))."""
    shapes: list[Shape] = []
    current: list[int | None] | None = None
    token = ""
    for char in text + " ":
        if char == "(":
            current, token = [], ""
        elif current is not None and char in ",)":
            word = token.strip()
            if word == "None":
                current.append(None)
            elif word.isdigit() and word.isascii():
                current.append(int(word))
            elif word:
                current = None if char == "," else current
            token = ""
            if char == ")" and current is not None:
                shapes.append(tuple(current))
                current = None
        elif current is not None:
            token += char
            if len(token) > 12:
                current, token = None, ""
    return tuple(shapes)


def _count(text: str) -> int | None:
    digits = text.replace(",", "").replace("_", "").strip()
    return int(digits) if digits.isdigit() and digits.isascii() and len(digits) < 13 else None


def _kind(text: str) -> str:
    """The class name as read; a name Keras 1 cut short ("TimeDistribut") completed when only one fits."""
    text = text.strip()
    if text in KNOWN_KINDS:
        return text
    matches = [kind for kind in KNOWN_KINDS if kind.startswith(text)] if len(text) >= 4 else []
    return matches[0] if len(matches) == 1 else text


def _name_and_kind(cell: str) -> tuple[str, str] | None:
    """ "lstm_1 (LSTM)" (or "time_distributed(TimeDistributed)" once wrapped cells are joined) → ("lstm_1", "LSTM")."""
    cell = cell.strip()
    opening = cell.find("(")
    if opening <= 0:
        return None
    name = cell[:opening].strip()
    closing = cell.find(")", opening)
    kind = cell[opening + 1 : closing if closing > 0 else len(cell)].strip()
    if not name or not kind or " " in name or not kind.replace("_", "").isalnum():
        return None
    return name, _kind(kind)


def _row(name_cell: str, shape_cell: str, param_cell: str, connected: str = "") -> _Row | None:
    named = _name_and_kind(name_cell)
    if named is None:
        return None
    params = _count(param_cell.split(" ")[0] if param_cell else "")
    inputs = sum(1 for token in connected.replace(",", " ").split() if "[" in token)
    return _Row(named[0], named[1], parse_shapes(shape_cell), params, max(inputs, 1))


def _scan_line(line: str) -> _Row | None:
    """A row read without columns: `name (Type)  (None, 30, 32)  5248  [connected]`."""
    text = line.strip(" |│")
    closing = text.find(")")
    if closing < 0:
        return None
    rest = text[closing + 1 :].strip()
    if rest.startswith("multiple"):
        shape_text, rest = "", rest[len("multiple") :]
    else:
        end = rest.find(")")
        if rest.startswith("["):
            end = rest.find("]")
        shape_text, rest = rest[: end + 1], rest[end + 1 :]
    return _row(text[: closing + 1], shape_text, rest.strip())


def _box_rows(lines: list[str]) -> list[_Row]:
    """Rows of Keras 3's table: cells between │, records between ├ rules."""
    rows: list[_Row] = []
    cells: list[str] = []

    def flush() -> None:
        if cells:
            padded = cells + [""] * 4
            row = _row(padded[0], padded[1], padded[2], padded[3])
            if row is not None:
                rows.append(row)
            cells.clear()

    for line in lines:
        stripped = line.strip()
        if stripped.startswith(BOX_RULES):
            flush()
        elif stripped.startswith("│"):
            parts = stripped.strip("│").split("│")
            if not cells:
                cells.extend("" for _ in parts)
            for index, part in enumerate(parts[: len(cells)]):
                cells[index] += part.strip() + (" " if index == 3 else "")
    flush()
    return rows


def _columns(header: str) -> list[int]:
    starts = [header.find(title) for title in TITLES]
    return sorted(start for start in starts if start >= 0)


def _cut(line: str, starts: list[int]) -> list[str] | None:
    """The line's cells by the header's columns, or None when a cell runs across a column's start."""
    cells = []
    for index, start in enumerate(starts):
        if 0 < start < len(line) and line[start - 1] != " " and line[start] != " ":
            return None
        end = starts[index + 1] if index + 1 < len(starts) else len(line)
        cells.append(line[start:end].strip())
    return cells


def _ascii_rows(lines: list[str], starts: list[int]) -> list[_Row]:
    """Rows of a Keras 1/2 or tf.keras table: records between ____ rules or blank lines, cut by the header."""
    rows: list[_Row] = []
    record: list[str] = []

    def flush() -> None:
        if not record:
            return
        first = _cut(record[0], starts)
        if first is None:
            row = _scan_line(record[0])
        else:
            cells = list(first)
            for line in record[1:]:
                more = _cut(line, starts) or []
                for index, part in enumerate(more):
                    if index < len(cells):
                        cells[index] += part + (" " if index == 3 else "")
            cells += [""] * 4
            row = _row(cells[0], cells[1], cells[2], cells[3])
        if row is not None:
            rows.append(row)
        record.clear()

    for line in lines:
        stripped = line.strip()
        if not stripped or set(stripped) <= {"_", "=", "-"}:
            flush()
        elif stripped.startswith(("Total params", "Trainable params", "Non-trainable")):
            flush()
        else:
            if record and _starts_row(line, starts):
                flush()
            record.append(line)
    flush()
    return rows


def _starts_row(line: str, starts: list[int]) -> bool:
    """A line that opens its own row ("dense (Dense) ..."), not the wrapped rest of the row above."""
    cells = _cut(line, starts)
    first = cells[0] if cells else line.strip()
    return ")" in first and _name_and_kind(first) is not None


def _table_rows(text: str) -> tuple[list[_Row], str]:
    """The rows of the first table in the text and its style: "box", "ascii" or "lines" (no header found)."""
    lines = [line[:MAX_LINE].rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    for index, line in enumerate(lines):
        if "Layer (type)" in line:
            body = lines[index + 1 :]
            if "┃" in line or "│" in line:
                return _box_rows(body), "box"
            return _ascii_rows(body, _columns(line)), "ascii"
    rows = [row for row in (_scan_line(line) for line in lines if "(" in line) if row is not None]
    return rows, "lines"


# -- from rows to layers ---------------------------------------------------------------------------------------------
def _bias_options(cell: str, old_gru: bool = False) -> list[tuple[int, bool, bool]]:
    """(bias vectors per gate, use_bias, reset_after), Keras's defaults first (standalone Keras's GRU: one bias)."""
    if cell == "GRU":
        options = [(2, True, True), (1, True, False), (0, False, True)]
        return [options[1], options[0], options[2]] if old_gru else options
    return [(1, True, True), (0, False, True)]


def _recurrent_features(cell: str, units: int, params: int, old_gru: bool) -> tuple[int, bool, bool] | None:
    """(input features, use_bias, reset_after) that give `params`, Keras's defaults tried first."""
    gates = GATES[cell]
    for biases, use_bias, reset_after in _bias_options(cell, old_gru):
        per_gate, remainder = divmod(params, gates * units)
        features = per_gate - units - biases
        if remainder == 0 and features >= 1:
            return features, use_bias, reset_after
    return None


def _bias_given_features(cell: str, units: int, params: int, features: int, old_gru: bool) -> tuple[bool, bool] | None:
    gates = GATES[cell]
    for count, use_bias, reset_after in _bias_options(cell, old_gru):
        if gates * units * (features + units + count) == params:
            return use_bias, reset_after
    return None


@dataclass
class _Walk:
    """State carried down the rows: the width the previous layer hands on, and what was inferred."""

    width: int | None = None
    input_shape: Shape | None = None
    notes: list[str] | None = None
    old_gru: bool = False  # standalone Keras 1/2: a GRU's default is one bias per gate (reset_after=False)


def _recurrent(row: _Row, walk: _Walk, output: Shape) -> LearnerLayer:
    width = output[-1] if output else None
    states = len(row.shapes) - 1
    guessed: list[str] = []
    cell, units, merge = row.kind, width, None
    use_bias = reset_after = None
    if row.kind == "Bidirectional":
        cell, units, merge, guessed = "LSTM", (width or 0) // 2 or None, "concat", ["inner", "merge_mode"]
        for candidate in ("LSTM", "GRU", "SimpleRNN"):
            for mode, size in (("concat", (width or 0) // 2), ("sum", width or 0)):
                fit = _fit(candidate, size, (row.params or 0) // 2, walk) if size and row.params else None
                if fit is not None:
                    cell, units, merge = candidate, size, mode
                    (use_bias, reset_after), guessed = fit, ["inner"] + (["merge_mode"] if mode != "concat" else [])
                    break
            else:
                continue
            break
    elif units and row.params is not None:
        fit = _fit(cell, units, row.params, walk)
        if fit is not None:
            use_bias, reset_after = fit
    starts_from_states = row.inputs > 1
    inner = LearnerLayer(
        cell,
        units=units,
        return_sequences=len(output) == 3,
        return_state=states > 0,
        use_bias=use_bias,
        reset_after=reset_after if cell == "GRU" else None,
    )
    if row.kind != "Bidirectional":
        return replace(inner, name=row.name, output_shape=output, params=row.params, initial_state=starts_from_states)
    return LearnerLayer(
        "Bidirectional", name=row.name, inner=inner, merge_mode=merge, output_shape=output, params=row.params,
        guessed=tuple(guessed), initial_state=starts_from_states,
    )  # fmt: skip


def _fit(cell: str, units: int, params: int, walk: _Walk) -> tuple[bool, bool] | None:
    if walk.width is not None:
        return _bias_given_features(cell, units, params, walk.width, walk.old_gru)
    found = _recurrent_features(cell, units, params, walk.old_gru)
    return None if found is None else found[1:]


def _first_features(row: _Row, output: Shape, old_gru: bool) -> int | None:
    """The input's features, solved from the first layer's parameter count (guessed: Keras's defaults assumed)."""
    if not output or output[-1] is None:
        return None
    width = output[-1]
    if row.kind == "RepeatVector":
        return width
    if row.params is None:
        return None
    if row.kind in GATES:
        found = _recurrent_features(row.kind, width, row.params, old_gru)
        return found[0] if found else None
    if row.kind == "Bidirectional":
        for cell in ("LSTM", "GRU", "SimpleRNN"):
            found = _recurrent_features(cell, width // 2, row.params // 2, old_gru) if width >= 2 else None
            if found:
                return found[0]
    if row.kind in ("Dense", "TimeDistributed"):
        features, remainder = divmod(row.params, width)
        return features - 1 if remainder == 0 and features > 1 else None
    return None


def _layer(row: _Row, walk: _Walk) -> LearnerLayer:
    output = row.shapes[0] if row.shapes else ()
    if row.kind in GATES or row.kind == "Bidirectional":
        return _recurrent(row, walk, output)
    width = output[-1] if output else None
    if row.kind in ("Dense", "TimeDistributed"):
        use_bias = None
        if width and row.params is not None and walk.width is not None:
            use_bias = row.params == (walk.width + 1) * width
        dense = LearnerLayer("Dense", units=width, use_bias=use_bias)
        if row.kind == "Dense":
            return replace(dense, name=row.name, output_shape=output, params=row.params)
        return LearnerLayer(
            "TimeDistributed", name=row.name, inner=dense, output_shape=output, params=row.params, guessed=("inner",)
        )
    repeat = output[1] if row.kind == "RepeatVector" and len(output) == 3 else None
    return LearnerLayer(row.kind, name=row.name, output_shape=output or None, params=row.params, repeat=repeat)


def _generation(style: str, rows: list[_Row], text: str) -> str | None:
    """Keras 3 draws boxes; standalone Keras numbers its first layer of a class _1 (Keras 1 also writes
    `timedistributed_1`); tf.keras 2 and Keras 3 name it plainly."""
    if style == "box":
        return "keras3"
    names = [row.name for row in rows if row.kind != "InputLayer"]
    if any(name.startswith(("timedistributed_", "simplernn_", "timedistributeddense_")) for name in names):
        return "keras1"
    bases = {}
    for name in names:
        base, _, suffix = name.rpartition("_")
        if suffix.isdigit() and base:
            bases.setdefault(base, []).append(int(suffix))
        else:
            bases.setdefault(name, []).append(0)
    if not bases or style != "ascii":
        return None
    if all(min(indices) >= 1 for indices in bases.values()):
        return "keras1" if "Connected to" in text and "_input_1" in text else "keras2"
    return "tf.keras2"


def read_summary_text(text: str) -> LearnerModel:
    """The model a summary table describes; raises `ModelReadError` with one sentence when no row can be read."""
    if not isinstance(text, str) or not text.strip():
        raise ModelReadError("There is no summary to read: paste the table model.summary() printed.")
    if len(text) > MAX_SUMMARY_CHARS:
        raise ModelReadError(f"The summary is longer than {MAX_SUMMARY_CHARS:,} characters; paste only its table.")
    rows, style = _table_rows(text)
    if not rows:
        raise ModelReadError("No layer rows like 'lstm (LSTM)   (None, 30, 32)   5,248' were found in this summary.")
    if len(rows) > MAX_ROWS:
        raise ModelReadError(f"The summary lists more than {MAX_ROWS} layers; paste a smaller model's table.")
    generation = _generation(style, rows, text)
    walk = _Walk(
        old_gru=generation in ("keras1", "keras2"),
        notes=["a summary does not show activations or the loss: Dense layers taken as linear"],
    )
    layers: list[LearnerLayer] = []
    for row in rows:
        output = row.shapes[0] if row.shapes else ()
        if row.kind == "InputLayer":
            walk.input_shape = walk.input_shape or output or None
            walk.width = output[-1] if output else None
            continue
        if not layers and walk.width is None and walk.input_shape is None:
            features = _first_features(row, output, walk.old_gru)
            if features is not None:
                walk.width = features
                steps = output[1] if len(output) == 3 else None
                walk.input_shape = (None, steps, features) if row.kind != "RepeatVector" else (None, features)
                walk.notes.append(f"input features ({features}) solved from the first layer's parameter count")
        layers.append(_layer(row, walk))
        walk.width = output[-1] if output else None
    if any(layer.kind == "Activation" for layer in layers):
        walk.notes.append("a summary does not show an Activation layer's function: taken as softmax")
    return with_family_note(
        LearnerModel(
            tuple(layers),
            "summary",
            input_shape=walk.input_shape,
            keras_generation=generation,
            notes=tuple(walk.notes),
        )
    )
