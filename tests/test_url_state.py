"""The URL <-> spec mapping: round trips, defaults left out, and hostile links that must degrade field by field."""

from __future__ import annotations

import pytest

from core.model.spec import DEFAULTS, FIELD_NAMES, INT_RANGES, PRESETS, ModelSpec
from core.model.url_state import problem_message, read_url, share_url, spec_to_query

EVERY_FIELD = ModelSpec(
    cell="LSTM",
    bidirectional=True,
    merge_mode="ave",
    return_sequences=False,
    head="dense",
    timesteps=7,
    input_size=3,
    hidden_size=5,
    output_size=2,
    use_bias=False,
    reset_after=False,
    activation="linear",
    layers=2,
    inner_return_sequences=False,
    repeat="encoder",
    output_timesteps=4,
    return_state=True,
    input_kind="frames",
    frame_height=5,
    frame_width=6,
    channels=2,
    filters=3,
    kernel=2,
    frame_reduction="flatten",
    conv_wrapped=False,
    reduction_wrapped=False,
    sample_weight="rising",
)
# Padding takes sequences of vectors (no frames, no RepeatVector): the one field EVERY_FIELD cannot set.
PADDED = ModelSpec(padding="masking", sample_weight="rising", timesteps=9)


def test_every_field_differs_from_its_default():
    """The fixture really exercises every field (otherwise the round trip below would prove less)."""
    assert all(getattr(EVERY_FIELD, name) != getattr(DEFAULTS, name) for name in FIELD_NAMES if name != "padding")
    assert PADDED.padding != DEFAULTS.padding


@pytest.mark.parametrize("spec", [DEFAULTS, EVERY_FIELD, PADDED, *PRESETS.values()])
@pytest.mark.parametrize("talk", [False, True])
def test_round_trip(spec, talk):
    query = spec_to_query(spec, talk)
    state = read_url({key: [value] for key, value in query.items()})
    assert state.spec == spec
    assert state.talk is talk
    assert not state.has_problems
    assert problem_message(state) is None


def test_defaults_are_left_out():
    assert spec_to_query(DEFAULTS) == {}
    assert spec_to_query(DEFAULTS, talk=True) == {"talk": "true"}
    assert spec_to_query(DEFAULTS.replace(timesteps=12)) == {"timesteps": "12"}
    assert set(spec_to_query(EVERY_FIELD)) == set(FIELD_NAMES) - {"padding"}
    assert spec_to_query(PADDED) == {"padding": "masking", "sample_weight": "rising", "timesteps": "9"}


def test_plain_strings_and_any_case_are_accepted():
    state = read_url({"cell": "lstm", "return_sequences": "FALSE", "timesteps": " 12 ", "talk": "1"})
    assert state.spec == DEFAULTS.replace(cell="LSTM", return_sequences=False, timesteps=12)
    assert state.talk
    assert not state.has_problems


def _out_of_range(name):
    low, high = INT_RANGES[name]
    return [str(low - 1), str(high + 1), "-3", "2.5", "1e400", "nan", "", "12abc", "9" * 40]


HOSTILE = [
    ("cell", "foo"),
    ("cell", ""),
    ("cell", "GRU; DROP TABLE"),
    ("merge_mode", "concatenate"),
    ("head", "TimeDistributed(Dense)"),
    ("activation", "relu"),
    ("bidirectional", "maybe"),
    ("use_bias", "2"),
    ("hidden_size", "1000000000"),
    ("timesteps", "-3"),
    ("input_size", "ünïcödé"),
    ("output_size", "x" * 10_000),
] + [(name, value) for name in INT_RANGES for value in _out_of_range(name)]


@pytest.mark.parametrize(("field", "value"), HOSTILE)
def test_one_bad_field_falls_back_and_keeps_the_rest(field, value):
    valid = {
        "cell": ("LSTM", "LSTM"),
        "timesteps": ("12", 12),
        "return_sequences": ("false", False),
        "output_size": ("3", 3),
    }
    valid.pop(field, None)
    state = read_url({**{name: [raw] for name, (raw, _) in valid.items()}, field: [value]})
    assert getattr(state.spec, field) == getattr(DEFAULTS, field)
    for name, (_, expected) in valid.items():
        assert getattr(state.spec, name) == expected
    assert [error.field for error in state.errors] == [field]
    message = problem_message(state)
    assert f"**{field}**" in message
    if field in INT_RANGES:
        low, high = INT_RANGES[field]
        assert f"from {low} to {high}" in message
    assert len(message) < 1000


def test_repeated_key_falls_back_and_says_so():
    state = read_url({"timesteps": ["12", "13"], "cell": ["LSTM"]})
    assert state.spec == DEFAULTS.replace(cell="LSTM")
    message = problem_message(state)
    assert "**timesteps**" in message and "repeated" in message


def test_unknown_keys_are_named_but_talk_is_not_unknown():
    state = read_url({"junk": ["1"], "ключ": ["x"], "talk": ["true"], "cell": ["SimpleRNN"]})
    assert state.spec == DEFAULTS.replace(cell="SimpleRNN")
    assert state.talk
    assert state.unknown == ("junk", "ключ")
    message = problem_message(state)
    assert "`junk`" in message and "`ключ`" in message
    assert "talk`" not in message.split("Known ones")[0]


def test_bad_talk_value_is_reported_and_off():
    state = read_url({"talk": ["please"]})
    assert not state.talk and state.has_problems
    assert "**talk**" in problem_message(state)


def test_a_flood_of_junk_gives_a_bounded_message():
    params = {f"junk{i}" * 20: ["v" * 5000] for i in range(500)}
    params.update({name: ["`" * 3000] for name in FIELD_NAMES})
    state = read_url(params)
    assert state.spec == DEFAULTS
    assert len(state.errors) == len(FIELD_NAMES)
    message = problem_message(state)
    assert len(message) < 5000
    # Backticks from the link cannot break out of the inline code spans.
    assert message.count("`") % 2 == 0


def test_share_url():
    query = spec_to_query(DEFAULTS.replace(cell="LSTM", timesteps=12))
    assert share_url(None, "weights", query) == "/weights?cell=LSTM&timesteps=12"
    assert share_url(None, "", {}) == "/"
    assert share_url("http://host:8501/weights", "weights", query) == "http://host:8501/weights?cell=LSTM&timesteps=12"
    assert share_url("http://host/?old=1", "", {"talk": "true"}) == "http://host/?talk=true"
    assert share_url("http://host:8501", "", {"talk": "true"}) == "http://host:8501/?talk=true"
    assert share_url("https://x.streamlit.app/code#top", "code", {}) == "https://x.streamlit.app/code"
    # What the link says is what it restores.
    from urllib.parse import parse_qs, urlsplit

    link = share_url("http://h/shapes", "shapes", spec_to_query(EVERY_FIELD, talk=True))
    restored = read_url(parse_qs(urlsplit(link).query, keep_blank_values=True))
    assert restored.spec == EVERY_FIELD and restored.talk
