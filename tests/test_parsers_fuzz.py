"""Property tests (Hypothesis) for every parser of outside text: links, story links, shapes and error text.

Each parser must give its documented answer for any text (never another exception), read back what the app writes
(`parse(format(x)) == x`), and take only ASCII digits as numbers. The profile (tests/conftest.py) is derandomized when
CI=true, so that CI runs the same examples every time; a developer's run explores new ones. Timing on hostile
megabytes is in tests/test_bounded_input.py.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.diagnosis import MAX_DIM, MAX_RANK, MAX_SHAPE_CHARS, Diagnosis, ShapeError, diagnose, parse_shape
from core.model.anatomy import format_shape
from core.model.spec import (
    BOOL_FIELDS,
    CHOICES,
    DEFAULTS,
    FIELD_NAMES,
    INT_RANGES,
    ModelSpec,
    SpecError,
    parse_params,
    parse_value,
)
from core.model.url_state import MAX_SHOWN, problem_message, read_url, spec_to_query
from core.talk.stories import STORIES, read_story, story_query

# -- strategies ---------------------------------------------------------------------------------------------

# Text a visitor might send: anything, plus the characters and words parsers look for.
TRICKY = ("", " ", "(", ")", "[", "]", ",", "None", "?", "TensorShape(", "-", "+", "1e3", "1_0", "٣", "３", "²", "①")
any_text = st.one_of(st.text(max_size=40), st.sampled_from(TRICKY))
link_values = st.one_of(any_text, st.lists(any_text, max_size=4))
link_keys = st.one_of(st.sampled_from((*FIELD_NAMES, "talk", "story", "step", "not_found")), st.text(max_size=20))
links = st.dictionaries(link_keys, link_values, max_size=8)

valid_specs = (
    st.fixed_dictionaries(
        {
            **{name: st.sampled_from(choices) for name, choices in CHOICES.items()},
            **{name: st.booleans() for name in BOOL_FIELDS},
            **{name: st.integers(low, high) for name, (low, high) in INT_RANGES.items()},
        }
        # Frames are already a sequence: the one pair of choices the spec refuses (core.model.frame_fields).
    )
    .filter(lambda fields: not (fields["input_kind"] == "frames" and fields["repeat"] == "input"))
    # Padding takes sequences of vectors read from step 0 (core.model.sequence_fields): elsewhere it is "none".
    .map(
        lambda fields: (
            fields | ({} if fields["input_kind"] == "vectors" and fields["repeat"] == "none" else {"padding": "none"})
        )
    )
    .map(lambda fields: ModelSpec(**fields))
)

# A non-ASCII decimal digit: every Unicode "Nd" character belongs to a run of ten, zero to nine, so its family is
# what it is minus its value.
foreign_digits = st.characters(categories=["Nd"]).filter(lambda char: not char.isascii())


def in_digits(number: int, digit: str) -> str:
    """`number` written in the digits of `digit`'s family (e.g. 12 → "١٢" for an Arabic-Indic digit)."""
    zero = ord(digit) - unicodedata.decimal(digit)
    return "".join(chr(zero + int(char)) for char in str(number))


dims = st.integers(1, MAX_DIM)
shapes = st.tuples(st.one_of(st.none(), dims)).flatmap(
    lambda batch: st.lists(dims, min_size=0, max_size=MAX_RANK - 1).map(lambda rest: (*batch, *rest))
)

KERAS_MESSAGES = (
    "ValueError: Arguments `target` and `output` must have the same rank (ndim). Received: "
    "target.shape=(None, 2), output.shape=(None, 15, 2)",
    'ValueError: Input 0 of layer "lstm_1" is incompatible with the layer: expected ndim=3, found ndim=2. Full shape '
    "received: (None, 16)",
    'ValueError: Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input shape to have '
    "value 16, but received input with shape (None, 8)",
    "ValueError: Error when checking target: expected time_distributed_1 to have 3 dimensions, but got array with "
    "shape (1822, 8)",
    "ValueError: Error when checking input: expected lstm_1_input to have shape (64, 15) but got array with shape "
    "(64, 3)",
    "ValueError: Shapes (None, 1) and (None, 10) are incompatible",
    "InvalidArgumentError: Incompatible shapes: [1,15,127] vs. [1,30,127]",
    "InvalidArgumentError: Dimensions must be equal, but are 16 and 8 for '{{node compile_loss/mse/sub}} = "
    "Sub[T=DT_FLOAT](sequential/dense/BiasAdd, IteratorGetNext:1)' with input shapes: [?,64,8], [?,8].",
    "`TimeDistributed` Layer should be passed an `input_shape ` with at least 3 dimensions, received: (None, 16)",
    "Exception: Input 0 is incompatible with layer repeatvector_1: expected ndim=2, found ndim=3",
    'File "keras/layers/wrappers.py", line 110, in build\n    assert len(input_shape) >= 3\nAssertionError',
)


@st.composite
def error_texts(draw: st.DrawFn) -> str:
    """Pieces of real Keras messages (cut anywhere) mixed with any text, on one or more lines."""
    pieces = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            message = draw(st.sampled_from(KERAS_MESSAGES))
            start = draw(st.integers(0, len(message)))
            pieces.append(message[start : draw(st.integers(start, len(message)))])
        else:
            pieces.append(draw(any_text))
    return draw(st.sampled_from(("", " ", "\n", "\r\n"))).join(pieces)


# -- links ------------------------------------------------------------------------------------------------


@settings(max_examples=150)
@given(links)
def test_any_link_gives_a_spec_and_at_most_one_bounded_message(params: dict) -> None:
    state = read_url(params)
    assert isinstance(state.spec, ModelSpec) and isinstance(state.talk, bool)
    assert all(error.field in FIELD_NAMES for error in state.errors)
    message = problem_message(state)
    assert (message is None) == (not state.has_problems)
    if message is not None:
        assert len(message) < 3000  # every value and key shown is cut; no echo of what was sent


@settings(max_examples=100)
@given(valid_specs, st.booleans(), st.booleans())
def test_a_spec_round_trips_through_its_link(spec: ModelSpec, talk: bool, as_lists: bool) -> None:
    query = spec_to_query(spec, talk)
    state = read_url({key: [value] if as_lists else value for key, value in query.items()})
    assert (state.spec, state.talk, state.has_problems) == (spec, talk, False)
    assert parse_params(spec.to_params()) == (spec, [])
    assert ModelSpec.from_params(spec.to_params(omit_defaults=True)) == spec


@settings(max_examples=200)
@given(st.sampled_from(FIELD_NAMES), st.one_of(any_text, st.lists(any_text, max_size=3)))
def test_a_field_value_is_its_type_or_a_spec_error_naming_the_field(name: str, raw: str | list[str]) -> None:
    try:
        value = parse_value(name, raw)
    except SpecError as error:
        assert error.field == name and str(error).startswith(f"{name}: got ")
        return
    if name in INT_RANGES:
        low, high = INT_RANGES[name]
        assert type(value) is int and low <= value <= high
        # Only ASCII digits are numbers: what was read is ASCII apart from the surrounding spaces.
        text = raw if isinstance(raw, str) else raw[0]
        assert text.strip().isascii()
    elif name in BOOL_FIELDS:
        assert type(value) is bool
    else:
        assert value in CHOICES[name]


@settings(max_examples=100)
@given(st.sampled_from(sorted(INT_RANGES)), st.integers(0, 10**6), foreign_digits)
@example("layers", 2, "٣")  # issue 22: layers=٣ and layers=３ gave 3 layers
@example("layers", 2, "３")
def test_a_number_in_other_digits_is_refused(name: str, seed: int, digit: str) -> None:
    low, high = INT_RANGES[name]
    number = low + seed % (high - low + 1)
    assert parse_value(name, str(number)) == number
    with pytest.raises(SpecError, match=f"{name}: got .*; allowed: a whole number from {low} to {high}"):
        parse_value(name, in_digits(number, digit))


@settings(max_examples=50)
@given(st.sampled_from(sorted(INT_RANGES)), st.integers(1, 99))
def test_underscores_in_a_number_are_refused(name: str, number: int) -> None:
    text = str(number)
    with pytest.raises(SpecError, match=name):
        parse_value(name, text[0] + "_" + text[1:] if len(text) > 1 else text + "_0")


# -- story links -------------------------------------------------------------------------------------------


story_names = st.one_of(st.sampled_from(list(STORIES)), link_values)
# Digits to str.isdigit that int() refuses ("²", "①"): the story crash of issue 22.
DIGITS_NOT_DECIMAL = tuple(chr(code) for code in range(0x10000) if chr(code).isdigit() and not chr(code).isdecimal())
step_texts = st.one_of(
    st.integers(-3, 12).map(str),
    st.sampled_from(DIGITS_NOT_DECIMAL),
    st.integers(1, 9).flatmap(lambda number: foreign_digits.map(lambda digit: in_digits(number, digit))),
    link_values,
)
story_links = st.fixed_dictionaries({}, optional={"story": story_names, "step": step_texts, "cell": link_values})


@settings(max_examples=150)
@given(story_links)
@example({"story": "seed", "step": "²"})  # issue 22: crashed the frame with "invalid literal for int()"
def test_any_story_link_gives_a_step_of_a_story_or_none(params: dict) -> None:
    story, index, problem = read_story(params)
    assert story is None or STORIES.get(story.name) is story
    assert index == 0 if story is None else 0 <= index < len(story.steps)
    assert problem is None or (isinstance(problem, str) and len(problem) < 200 + MAX_SHOWN)
    step = params.get("step")
    if story is not None and problem is None and step:  # a step was read: only ASCII digits are numbers
        assert (step if isinstance(step, str) else step[0]).strip().isascii()


@settings(max_examples=50)
@given(st.sampled_from(list(STORIES.values())), st.data(), st.booleans())
def test_a_story_step_round_trips_through_its_link(story, data: st.DataObject, as_lists: bool) -> None:
    index = data.draw(st.integers(0, len(story.steps) - 1))
    query = story_query(story, index)
    assert read_story({key: [value] if as_lists else value for key, value in query.items()}) == (story, index, None)


@settings(max_examples=50)
@given(st.sampled_from(list(STORIES.values())), st.integers(0, 100), foreign_digits)
@example(STORIES["seed"], 2, "٣")
def test_a_story_step_in_other_digits_is_refused_with_a_message(story, seed: int, digit: str) -> None:
    text = in_digits(1 + seed % len(story.steps), digit)
    found, index, problem = read_story({"story": [story.name], "step": [text]})
    assert found is story and index == 0 and problem is not None and "allowed: 1 to" in problem


@pytest.mark.parametrize("step", ["²", "①", "¹", "⑦"])  # digits to str.isdigit, but not decimals: not drawn from "Nd"
def test_a_story_step_in_superscript_or_circled_digits_is_refused(step: str) -> None:
    found, index, problem = read_story({"story": ["seed"], "step": [step]})
    assert found is STORIES["seed"] and index == 0 and problem is not None and "allowed: 1 to 7" in problem


# -- shapes --------------------------------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.one_of(any_text, st.lists(st.sampled_from(TRICKY + ("1", "64", " 8")), max_size=12).map("".join)))
def test_any_shape_text_gives_a_shape_or_a_shape_error(text: str) -> None:
    try:
        shape = parse_shape(text)
    except ShapeError as error:
        assert str(error)
        return
    assert 1 <= len(shape) <= MAX_RANK and len(text) <= MAX_SHAPE_CHARS
    assert all(dim is None or (type(dim) is int and 1 <= dim <= MAX_DIM) for dim in shape)
    assert None not in shape[1:] or "?" in text or "none" in text.lower()
    # Only ASCII digits are numbers: a shape that was read has no other digit in it.
    assert not any(char.isdigit() and not char.isascii() for char in text)


@settings(max_examples=150)
@given(shapes)
def test_a_shape_round_trips_through_every_way_it_is_printed(shape: tuple) -> None:
    listed = "[" + ", ".join("None" if dim is None else str(dim) for dim in shape) + "]"
    for text in (format_shape(shape), listed, f"TensorShape({listed})", listed.replace("None", "?").replace(" ", "")):
        assert parse_shape(text) == shape, text


@settings(max_examples=100)
@given(shapes.filter(lambda shape: any(dim is not None for dim in shape)), foreign_digits)
def test_a_shape_in_other_digits_is_refused(shape: tuple, digit: str) -> None:
    text = "(" + ", ".join("None" if dim is None else in_digits(dim, digit) for dim in shape) + ")"
    with pytest.raises(ShapeError):
        parse_shape(text)


# -- error text ----------------------------------------------------------------------------------------------


def _answers(result: Diagnosis) -> None:
    """A diagnosis is an answer, never the safety net that catches the parser's own exceptions."""
    assert isinstance(result, Diagnosis) and isinstance(result.title, str) and result.explanation
    assert "could not be analysed" not in result.explanation, result.explanation
    assert all(isinstance(line, str) for line in (*result.problems, *result.notes))


@settings(max_examples=200)
@given(st.one_of(error_texts(), st.text(max_size=200)))
def test_any_error_text_gives_a_diagnosis(text: str) -> None:
    _answers(diagnose(text))


@settings(max_examples=100)
@given(error_texts(), st.one_of(st.none(), any_text, shapes), st.one_of(st.none(), any_text, shapes))
def test_any_error_text_with_any_shapes_gives_a_diagnosis(text: str, x: object, y: object) -> None:
    _answers(diagnose(text, x, y, DEFAULTS))


@settings(max_examples=30)
@given(st.sampled_from(KERAS_MESSAGES[:8]))
def test_a_real_keras_message_is_recognised(message: str) -> None:
    # The generator above is made of these: check that whole they are read, so the fuzz reaches the readers.
    assert diagnose(message).cause != "unknown"


ASCII_TO_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    "text",
    [
        "ValueError: Input 0 of layer lstm is incompatible with the layer: expected ndim=٣, found ndim=٢",
        "ValueError: Input 0 of layer lstm is incompatible with the layer: expected ndim=3, found ndim=" + "2" * 5000,
    ],
    ids=["arabic-indic ndim", "a 5000-digit ndim"],
)
def test_the_error_text_takes_only_ascii_digits_as_numbers(text: str) -> None:
    # Python's \\d and int() take any Unicode digit and any length: the old reader called "٣" a 3 and crashed on a
    # 5000-digit number. Neither may be read as a number now.
    result = diagnose(text)
    _answers(result)
    shown = " ".join([result.explanation, *result.problems, *result.notes])
    assert "2" * 20 not in shown
    if "٣" in text:
        assert result.cause == "unknown"
