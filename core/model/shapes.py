"""How shapes and counts are written, as Keras prints them: (None, 64, 8) and 1,720."""

from __future__ import annotations

Shape = tuple[int | None, ...]


def fmt(number: int) -> str:
    """An integer with thousands separators, as Keras's summary prints it."""
    return f"{number:,}"


def format_shape(shape: tuple[int | str | None, ...] | None) -> str:
    """(None, 64, 8) as Keras prints it (a named batch such as "N" as given); None (no shape) as an em dash."""
    if shape is None:
        return "—"
    inside = ", ".join("None" if dim is None else str(dim) for dim in shape)
    return f"({inside},)" if len(shape) == 1 else f"({inside})"
