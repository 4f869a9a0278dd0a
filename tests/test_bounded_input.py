"""Outside text is bounded and read in linear time: one visitor's paste must never freeze the server for others."""

from __future__ import annotations

import ast
import time
from collections.abc import Callable

import pytest

from core.diagnosis import MAX_CHARS, MAX_PASTE_CHARS, MAX_SHAPE_CHARS, Diagnosis, ShapeError, diagnose, parse_shape
from core.figures.theme import NORMAL
from core.figures.unrolled import layout
from core.figures.unrolled.clicks import clickable, clicked_element
from core.model.anatomy import describe
from core.model.spec import (
    CHOICES,
    DEFAULTS,
    FIELD_NAMES,
    INT_RANGES,
    SpecError,
    parse_params,
    parse_value,
    parse_whole_number,
)
from core.model.url_state import MAX_VALUE_CHARS, not_found_message, problem_message, read_url
from core.talk.stories import STORIES, read_story
from serve import not_found_redirect
from tests.conftest import ROOT, run_app

MB = 1_000_000
# A bound, not a measurement: each of these reads takes milliseconds; a backtracking pattern took minutes.
BOUND_SECONDS = 1.0
TRACEBACK = """Traceback (most recent call last):
  File "/content/train.py", line 42, in <module>
    model.fit(X, Y, epochs=10, batch_size=32)
  File "/usr/local/lib/python3.11/dist-packages/keras/src/utils/traceback_utils.py", line 122, in error_handler
    raise e.with_traceback(filtered_tb) from None
  File "/usr/lib/python3/dist-packages/keras/src/backend/tensorflow/nn.py", line 553, in categorical_crossentropy
    raise ValueError(
ValueError: Arguments `target` and `output` must have the same rank (ndim). Received: target.shape=(None, 2), \
output.shape=(None, 15, 2)
"""
# Texts a hostile visitor might paste or link, about a megabyte each: what a backtracking pattern chokes on (long runs
# of one character, a prefix that starts a match over and over) and what a real one looks like, many times over.
ADVERSARIAL = {
    "brackets": "(" * MB,
    "TensorShape and spaces": "TensorShape(" + " " * MB + "1",
    "TensorShape and tabs": "TensorShape(" + "\t" * MB + "1)",
    "a shape of 100,000 axes": "shape (" + "1, " * 100_000,
    "Received, 20,000 times": "Received: target.shape=(" * 20_000,
    "a real traceback, 500 times": TRACEBACK * 500,
    "a node prefix, over and over": "Dimensions must be equal, but are 16 and 8 for '{{node x}} = Sub" * (MB // 64),
    "a layer name of a megabyte": "Input 0 of layer " + "a" * MB + " is incompatible with the layer",
    "digits": "9" * MB,
    "newlines": "\n" * MB,
    "colour codes": "\x1b[" + "0;" * (MB // 2),
}


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


# -- every parser of outside text reads a megabyte of hostile text in bounded time -----------------------------


def _within_bound(read: Callable[[], object]) -> float:
    """Run `read` once and return its duration; ShapeError and SpecError are answers, not failures."""
    start = time.perf_counter()
    try:
        read()
    except (ShapeError, SpecError):
        pass
    elapsed = time.perf_counter() - start
    assert elapsed < BOUND_SECONDS, f"{elapsed:.2f} s"
    return elapsed


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_shape_boxes_read_a_hostile_megabyte_in_bounded_time(text: str) -> None:
    _within_bound(lambda: parse_shape(text))
    with pytest.raises(ShapeError):
        parse_shape(text)
    _within_bound(lambda: diagnose("", text, text))


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_error_text_reads_a_hostile_megabyte_in_bounded_time(text: str) -> None:
    _within_bound(lambda: diagnose(text))
    assert isinstance(diagnose(text, model=DEFAULTS), Diagnosis)


def test_the_error_text_reads_ten_megabytes_in_bounded_time() -> None:
    # diagnose() reads only the last MAX_CHARS characters: 10 MB costs what 20,000 characters do, plus one cut.
    text = TRACEBACK * (10 * MB // len(TRACEBACK))
    assert len(text) > 9 * MB
    _within_bound(lambda: diagnose(text))
    result = diagnose(text)
    assert result.cause != "unknown"
    assert any(f"last {MAX_CHARS:,}" in note for note in result.notes)
    _within_bound(lambda: diagnose(text.encode()))


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_a_link_value_of_a_hostile_megabyte_is_read_in_bounded_time(text: str) -> None:
    params = {"timesteps": [text], "cell": [text], "return_sequences": [text], "talk": [text], "junk": [text]}
    _within_bound(lambda: problem_message(read_url(params)))
    state = read_url(params)
    assert state.spec == DEFAULTS
    assert {error.field for error in state.errors} == {"timesteps", "cell", "return_sequences"}
    message = problem_message(state)
    assert message is not None and len(message) < 2000
    for name in ("timesteps", "cell", "return_sequences"):
        _within_bound(lambda name=name: parse_value(name, text))
    _within_bound(lambda: parse_params({name: [text] for name in FIELD_NAMES}))
    _within_bound(lambda: read_story({"story": [text], "step": [text]}))
    _within_bound(lambda: read_story({"story": ["seed"], "step": [text]}))
    assert read_story({"story": ["seed"], "step": [text]})[1] == 0


def test_a_link_of_ten_thousand_keys_or_values_is_read_in_bounded_time() -> None:
    many_keys = {f"key{index}": ["1"] for index in range(10_000)}
    _within_bound(lambda: problem_message(read_url(many_keys)))
    message = problem_message(read_url(many_keys))
    assert message is not None and "and 9992 more" in message and len(message) < 2000
    huge_key = {"k" * MB: ["v"], "cell": ["LSTM"]}
    _within_bound(lambda: problem_message(read_url(huge_key)))
    assert read_url(huge_key).spec.cell == "LSTM" and len(problem_message(read_url(huge_key))) < 2000
    repeated = {"cell": ["LSTM"] * 10_000, "step": ["1"] * 10_000, "story": ["seed"]}
    _within_bound(lambda: problem_message(read_url(repeated)))
    assert "repeated" in problem_message(read_url(repeated))
    _within_bound(lambda: read_story(repeated))
    assert "repeated" in read_story(repeated)[2]


def test_a_link_value_is_cut_before_it_is_read() -> None:
    # The longest valid value is far shorter than the cut: one that long is refused, as it would be whole.
    assert max(len(choice) for choices in CHOICES.values() for choice in choices) < MAX_VALUE_CHARS
    padded = " " * MAX_VALUE_CHARS + "LSTM"
    state = read_url({"cell": [padded]})
    assert state.spec.cell == DEFAULTS.cell and [error.field for error in state.errors] == ["cell"]
    assert read_url({"cell": [" LSTM "]}).spec.cell == "LSTM"


def test_a_deep_path_of_a_megabyte_is_redirected_and_named_in_bounded_time() -> None:
    path = "/weights/" + "x" * MB
    _within_bound(lambda: not_found_redirect(path, "text/html"))
    target = not_found_redirect(path, "text/html")
    assert target is not None and target.startswith("/?not_found=/weights/x") and len(target) < 3 * MAX_VALUE_CHARS
    _within_bound(lambda: not_found_message(path, ["", "weights"]))
    assert len(not_found_message(path, ["", "weights"])) < 1000


@pytest.mark.parametrize(
    "hostile",
    [{"cell": "x" * 500_000}, {f"key{index}": "v" for index in range(990)}],
    ids=["a 500,000-character value", "990 unknown keys"],
)
def test_the_largest_link_streamlit_passes_on_opens_with_one_short_message(hostile: dict[str, str]) -> None:
    # Streamlit 1.67 drops a query string over 512 Ki characters or 1,000 fields before the app sees it; up to
    # there, the frame reads it and says what it could not use, in a message of bounded length.
    at = run_app("overview", {**hostile, "input_size": "7"})
    assert not at.exception, [e.value for e in at.exception]
    messages = [w.value for w in at.warning if "link" in w.value]
    assert len(messages) == 1 and len(messages[0]) < 2000
    assert at.session_state["spec"] == DEFAULTS.replace(input_size=7)


@pytest.mark.parametrize(
    "point",
    [
        {"curve_number": 0, "customdata": float("nan")},
        {"curve_number": 0, "customdata": float("inf")},
        {"curve_number": 0, "customdata": 2.5},
        {"curve_number": 0, "customdata": "2"},
        {"curve_number": "0", "customdata": 2},
        {"curve_number": 0.0, "customdata": 2},
        {"curve_number": True, "customdata": 2},
        {"curve_number": 7, "customdata": 2},
        "not a point",
    ],
)
def test_a_crafted_click_on_the_diagram_is_no_click(point: object) -> None:
    # A selection event is JSON from the browser: int(NaN) raised ValueError, a string curve number TypeError.
    drawn = layout(describe(DEFAULTS.replace(timesteps=3)), NORMAL)
    curve = next(index for index, trace in enumerate(clickable(drawn)) if trace)
    assert clicked_element(drawn, [point]) is None
    real = {"curve_number": curve, "point_index": 0}
    assert clicked_element(drawn, [point, real]) == clickable(drawn)[curve][0]


# -- every text box is bounded at the widget too ---------------------------------------------------------------

# The widgets a visitor types, pastes or uploads text into, and the argument that bounds each in the browser.
TEXT_WIDGETS = {"text_input": "max_chars", "text_area": "max_chars", "chat_input": "max_chars"}
UPLOAD_WIDGETS = {"file_uploader": "max_upload_size"}


def _widget_calls() -> list[tuple[str, int, str, set[str]]]:
    """(file, line, widget, keyword names) of every text or upload widget the app's scripts create."""
    calls = []
    for path in [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in TEXT_WIDGETS | UPLOAD_WIDGETS:
                    keywords = {keyword.arg for keyword in node.keywords if keyword.arg}
                    calls.append((path.name, node.lineno, node.func.attr, keywords))
    return calls


def test_every_text_widget_carries_a_length_limit() -> None:
    calls = _widget_calls()
    assert any(widget == "text_area" for _, _, widget, _ in calls)  # the Fix page's paste box, at least
    unbounded = [call[:3] for call in calls if (TEXT_WIDGETS | UPLOAD_WIDGETS)[call[2]] not in call[3]]
    assert not unbounded, f"a text widget without its limit: {unbounded}"


def test_the_fix_page_boxes_are_bounded_in_the_browser_and_in_core() -> None:
    at = run_app("fix")
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_area(key="fix_text").proto.max_chars == MAX_PASTE_CHARS
    assert at.text_input(key="fix_x").proto.max_chars == MAX_SHAPE_CHARS
    assert at.text_input(key="fix_y").proto.max_chars == MAX_SHAPE_CHARS
    assert MAX_CHARS <= MAX_PASTE_CHARS  # core reads at most MAX_CHARS of what the box lets through
