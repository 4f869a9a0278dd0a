"""Outside text is bounded and read in linear time: one visitor's paste must never freeze the server for others."""

from __future__ import annotations

import pytest

from core.diagnosis import MAX_SHAPE_CHARS, ShapeError, parse_shape


@pytest.mark.parametrize("filler", [" ", "\t", "(", "1, "])
def test_a_huge_shape_is_refused_by_its_length_not_parsed(filler: str) -> None:
    # "TensorShape(" + 100,000 spaces froze the server for 28 s through a backtracking regex (issue 22).
    text = "TensorShape(" + filler * 100_000 + "1"
    with pytest.raises(ShapeError, match="at most 200 characters"):
        parse_shape(text)


def test_a_shape_at_the_box_limit_is_still_read() -> None:
    text = "TensorShape(" + " " * (MAX_SHAPE_CHARS - len("TensorShape(") - len("[None, 16])")) + "[None, 16])"
    assert len(text) == MAX_SHAPE_CHARS
    assert parse_shape(text) == (None, 16)


@pytest.mark.parametrize("digit", ["٣", "３", "²", "①"])
def test_only_ascii_digits_are_dimensions(digit: str) -> None:
    with pytest.raises(ShapeError):
        parse_shape(f"(None, {digit})")
