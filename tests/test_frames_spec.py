"""The frames fields of the spec: defaults that leave old links unchanged, round trips, ranges, the one conflict, and
describe() without TensorFlow (issue 27)."""

from __future__ import annotations

import dataclasses

import pytest

from core import ModelSpec, describe
from core.model.frame_fields import FRAME_INT_RANGES, feature_map, frame_features
from core.model.frames import reduction_label
from core.model.spec import DEFAULTS, SpecError, parse_params
from core.model.url_state import read_url, spec_to_query

FRAMES = ModelSpec(input_kind="frames", timesteps=5, frame_height=7, frame_width=6, channels=3, filters=4, kernel=3)


def test_old_links_are_unchanged() -> None:
    assert spec_to_query(DEFAULTS) == {}
    assert spec_to_query(DEFAULTS.replace(cell="LSTM")) == {"cell": "LSTM"}
    assert DEFAULTS.input_kind == "vectors" and DEFAULTS.input_shape() == (None, 64, 15)


@pytest.mark.parametrize(
    "spec",
    [FRAMES, FRAMES.replace(frame_reduction="flatten", reduction_wrapped=False), FRAMES.replace(conv_wrapped=False)],
)
def test_frames_links_round_trip(spec: ModelSpec) -> None:
    query = spec_to_query(spec)
    assert query["input_kind"] == "frames"
    state = read_url({key: [value] for key, value in query.items()})
    assert state.spec == spec and not state.has_problems
    assert ModelSpec.from_params(spec.to_params()) == spec


@pytest.mark.parametrize(("name", "bounds"), FRAME_INT_RANGES.items())
def test_ranges_are_refused_naming_the_field(name: str, bounds: tuple[int, int]) -> None:
    low, high = bounds
    assert getattr(ModelSpec(**{name: high}), name) == high
    with pytest.raises(SpecError, match=name):
        ModelSpec(**{name: high + 1})
    state = read_url({name: [str(high + 1)], "input_kind": ["frames"]})
    assert state.spec.input_kind == "frames" and getattr(state.spec, name) == getattr(DEFAULTS, name)
    assert [error.field for error in state.errors] == [name]


def test_frames_are_already_a_sequence_so_repeat_input_is_refused() -> None:
    with pytest.raises(SpecError, match="repeat"):
        ModelSpec(input_kind="frames", repeat="input")
    spec, errors = parse_params({"input_kind": "frames", "repeat": "input", "cell": "LSTM"})
    assert spec == ModelSpec(input_kind="frames", cell="LSTM")
    assert [error.field for error in errors] == ["repeat"]
    assert ModelSpec(repeat="input").input_shape() == (None, 15)


def test_describe_gives_every_frames_shape_and_count_by_hand() -> None:
    """Worked by hand: 7×6×3 frames, four 3×3 filters → 5×4 maps; pooled, each frame hands on 4 features."""
    description = describe(FRAMES)
    rows = [(layer.name, layer.output_shape, layer.params) for layer in description.layers]
    assert rows == [
        ("input_layer", (None, 5, 7, 6, 3), 0),
        ("frame_conv", (None, 5, 5, 4, 4), 4 * (3 * 3 * 3 + 1)),
        ("frame_pool", (None, 5, 4), 0),
        ("gru", (None, 5, 16), 3 * 16 * (4 + 16 + 2)),
        ("time_distributed", (None, 5, 8), 8 * (16 + 1)),
        ("activation", (None, 5, 8), 0),
    ]
    conv = description.layers[1]
    assert conv.formula == "4 × (3 × 3 × 3 + 1) = 112" and conv.applications == 5
    assert conv.macs == 5 * 5 * 4 * 4 * 3 * 3 * 3
    assert description.total_params == 112 + 1056 + 136
    assert feature_map(FRAMES) == (5, 4) and frame_features(FRAMES.replace(frame_reduction="flatten")) == 80
    assert reduction_label(FRAMES) == "TimeDistributed(GlobalAveragePooling2D)"
    assert reduction_label(FRAMES.replace(reduction_wrapped=False)) == "GlobalAveragePooling2D"
    assert reduction_label(FRAMES.replace(frame_reduction="none")) == "no reduction"


def test_the_refusals_stop_where_keras_does() -> None:
    cases = {
        FRAMES.replace(conv_wrapped=False): ("conv", ["input_layer"], "conv2d"),
        FRAMES.replace(kernel=5, frame_width=4): ("frame_size", ["input_layer"], "frame_conv"),
        FRAMES.replace(reduction_wrapped=False): (
            "reduction",
            ["input_layer", "frame_conv"],
            "global_average_pooling2d",
        ),
        FRAMES.replace(frame_reduction="none"): ("no_reduction", ["input_layer", "frame_conv"], "gru"),
        FRAMES.replace(frame_reduction="flatten", reduction_wrapped=False, bidirectional=True): (
            "flatten",
            ["input_layer", "frame_conv", "flatten"],
            "bidirectional",
        ),
    }
    for spec, (where, built, broken) in cases.items():
        description = describe(spec)
        assert spec.refused_at == where and not spec.is_valid
        assert [layer.name for layer in description.layers] == built
        assert description.broken_at == broken and description.keras_error and description.error
        refusal = description.refusal  # one Refusal, like the vectors' three: every wording filled, Keras's phrase
        assert refusal.kind == where and refusal.before_head and refusal.given is not None
        assert all(getattr(refusal, field.name) for field in dataclasses.fields(refusal)), refusal
        assert refusal.keras_phrase in refusal.keras_error and refusal.fix in refusal.why
        assert refusal.keras_phrase in refusal.sidebar_note and refusal.script_fix.startswith("Fix: ")
    assert describe(FRAMES.replace(kernel=5, frame_width=4)).error.endswith("Use a kernel of at most 4.")
