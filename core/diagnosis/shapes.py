"""Shapes as the learner types them and as error messages print them: read in linear time, bounded, never a regex.

`parse_shape` reads one shape box; `shape_at` finds the first bracketed shape in a window of a message.
"""

from __future__ import annotations

MAX_RANK = 8
MAX_SHAPE_CHARS = 200  # the shape boxes' own limit (max_chars); "(None, 1000000000, ...)" for 8 axes fits
MAX_DIM = 10**9

Dim = int | None
Shape = tuple[Dim, ...]


class ShapeError(ValueError):
    """A shape the learner typed cannot be read; the message says what is wrong and what is expected."""


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
    return tuple(_dimension(part) for part in parts)


def _dimension(part: str) -> Dim:
    """One axis: None / ? for an open batch, else a whole number from 1 to MAX_DIM."""
    if part.lower() in ("none", "?"):
        return None
    if not _is_ascii_integer(part):
        shown = part if len(part) <= 20 else part[:17] + "..."
        raise ShapeError(f"'{shown}' is not a dimension: use whole numbers from 1 up (or None for the batch).")
    value = int(part)
    if not 1 <= value <= MAX_DIM:
        raise ShapeError(f"{value} is not a dimension: sizes are whole numbers from 1 to {MAX_DIM:,}.")
    return value


def coerce_shape(value: object, name: str, problems: list[str]) -> Shape | None:
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


def shape_at(text: str, start: int, window: int = 300) -> tuple[Shape | None, int]:
    """The first bracketed shape in text[start:start+window] and the index after it; (None, start) when none reads.

    A bracket opened inside another ("TensorShape([", "([") restarts the shape, so nesting costs nothing extra.
    """
    end = min(len(text), start + window)
    opened = -1
    for index in range(start, end):
        char = text[index]
        if char in "([":
            opened = index
        elif char in ")]" and opened >= 0:
            shape = message_shape(text[opened + 1 : index])
            if shape is not None:
                return shape, index + 1
            opened = -1
    return None, start


def message_shape(inside: str) -> Shape | None:
    """A shape as a message prints it, or None: like `parse_shape`, but Python 2's "100L" reads as 100 and an empty
    axis (0 samples) is kept as 0, since an empty array is itself a diagnosis."""
    parts = [part.strip().removesuffix("l").removesuffix("L") for part in inside.split(",")]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if not parts or len(parts) > MAX_RANK:
        return None
    dims: list[Dim] = []
    for part in parts:
        if part == "0":
            dims.append(0)
            continue
        try:
            dims.append(_dimension(part))
        except ShapeError:
            return None
    return tuple(dims)


def same(a: Dim, b: Dim) -> bool:
    """Two axes agree when they are equal or one is an open (None) axis."""
    return a is None or b is None or a == b


def same_shape(a: Shape, b: Shape) -> bool:
    """Shapes agree axis by axis (None matches anything)."""
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
