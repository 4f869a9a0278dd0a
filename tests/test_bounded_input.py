"""Outside text is bounded and read in linear time: one visitor's paste must never freeze the server for others."""

from __future__ import annotations

import pytest

from core.diagnose import MAX_SHAPE_CHARS, ShapeError, parse_shape
from core.spec import DEFAULTS, INT_RANGES, SpecError, parse_whole_number
from core.stories import STORIES, read_story
from core.url_state import problem_message, read_url
from tests.conftest import run_app


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


# -- only ASCII digits are numbers (issue 22: "layers=٣" and "layers=３" gave 3, "output_timesteps=1_0" gave 10) ---


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("layers", "٣"),  # Arabic-Indic three
        ("layers", "３"),  # fullwidth three
        ("layers", "³"),
        ("output_timesteps", "1_0"),
        ("timesteps", "١٢"),
        ("hidden_size", "1\u0660"),  # an ASCII 1 then an Arabic-Indic zero
        ("input_size", "𝟙𝟚"),  # mathematical bold digits
    ],
)
def test_a_url_number_in_other_digits_is_refused_with_its_field_and_range(field: str, text: str) -> None:
    state = read_url({field: [text]})
    assert getattr(state.spec, field) == getattr(DEFAULTS, field)
    assert [error.field for error in state.errors] == [field]
    low, high = INT_RANGES[field]
    message = problem_message(state)
    assert message is not None and f"**{field}**" in message and f"from {low} to {high}" in message


@pytest.mark.parametrize("text", ["٣", "３", "1_0", "²", "1\u0660", "١e١", "1٫5"])
def test_parse_whole_number_takes_only_ascii_digits(text: str) -> None:
    with pytest.raises(SpecError, match=r"output_timesteps: got .*; allowed: a whole number from 1 to 512"):
        parse_whole_number("output_timesteps", text, 1, 512)


@pytest.mark.parametrize("step", ["²", "①", "٣", "３", "𝟚", "1_0"])
def test_a_story_step_in_other_digits_is_no_step_and_says_so(step: str) -> None:
    story, index, problem = read_story({"story": ["seed"], "step": [step]})
    assert story is STORIES["seed"] and index == 0
    assert problem is not None and "allowed: 1 to 7" in problem


@pytest.mark.parametrize("step", ["²", "①"])
def test_a_story_link_with_a_superscript_step_shows_one_message_and_the_sidebar(step: str) -> None:
    # "/?story=seed&step=²" crashed every load with "ValueError: invalid literal for int()" before the sidebar.
    at = run_app("overview", {"story": "seed", "step": step})
    assert not at.exception, [e.value for e in at.exception]
    messages = [w.value for w in at.warning if "**step**" in w.value]
    assert len(messages) == 1 and "allowed: 1 to 7" in messages[0]
    # The frame was drawn: the sidebar's spec editor and the story's first step.
    assert at.sidebar.selectbox(key="cell").value == STORIES["seed"].steps[0].spec.cell
    assert at.session_state["spec"] == STORIES["seed"].steps[0].spec
    assert at.button(key="story_next") is not None
