"""The spec validates at the boundary and round-trips through its flat string form."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

import core.model.spec as spec_module
from core import ModelSpec, SpecError, parse_params, seed_variants
from core.model.spec import CHOICES, FIELD_NAMES, INT_RANGES, PRESETS, parse_bool, parse_whole_number, whole_number


def test_defaults_are_the_seeds_sizes() -> None:
    spec = ModelSpec()
    assert (spec.timesteps, spec.input_size, spec.hidden_size, spec.output_size) == (64, 15, 16, 8)
    assert (spec.cell, spec.return_sequences, spec.head) == ("GRU", True, "time_distributed")


@pytest.mark.parametrize("field", sorted(INT_RANGES))
@pytest.mark.parametrize("value", [0, -1, -3, 10**9, 2.5, "12", None, True])
def test_bad_sizes_raise_spec_error_naming_field_and_range(field: str, value: object) -> None:
    low, high = INT_RANGES[field]
    with pytest.raises(SpecError) as caught:
        ModelSpec(**{field: value})
    message = str(caught.value)
    assert caught.value.field == field
    assert field in message and str(low) in message and str(high) in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("field", sorted(INT_RANGES))
def test_size_range_ends_are_accepted(field: str) -> None:
    low, high = INT_RANGES[field]
    assert getattr(ModelSpec(**{field: low}), field) == low
    assert getattr(ModelSpec(**{field: high}), field) == high
    with pytest.raises(SpecError):
        ModelSpec(**{field: high + 1})


@pytest.mark.parametrize("field", sorted(CHOICES))
def test_unknown_choice_raises(field: str) -> None:
    with pytest.raises(SpecError) as caught:
        ModelSpec(**{field: "nonsense"})
    assert caught.value.field == field
    for choice in CHOICES[field]:
        assert choice in str(caught.value)


@pytest.mark.parametrize("field", ["bidirectional", "return_sequences", "use_bias", "reset_after"])
def test_booleans_must_be_booleans(field: str) -> None:
    with pytest.raises(SpecError):
        ModelSpec(**{field: "yes"})
    with pytest.raises(SpecError):
        ModelSpec(**{field: 1})


def test_spec_is_frozen_and_hashable() -> None:
    spec = ModelSpec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.cell = "LSTM"  # type: ignore[misc]
    assert {spec: 1}[ModelSpec()] == 1


def test_params_round_trip_for_many_specs() -> None:
    combos = itertools.product(
        CHOICES["cell"], [False, True], CHOICES["merge_mode"], [False, True], CHOICES["head"], [1, 512]
    )
    for cell, bidirectional, merge_mode, return_sequences, head, size in combos:
        spec = ModelSpec(
            cell=cell,
            bidirectional=bidirectional,
            merge_mode=merge_mode,
            return_sequences=return_sequences,
            head=head,
            timesteps=size,
            hidden_size=size,
            use_bias=not bidirectional,
            activation="linear" if return_sequences else "softmax",
        )
        params = spec.to_params()
        assert all(isinstance(value, str) for value in params.values())
        assert ModelSpec.from_params(params) == spec
        assert ModelSpec.from_params(spec.to_params(omit_defaults=True)) == spec


def test_to_params_spells_booleans_and_omits_defaults() -> None:
    spec = ModelSpec(return_sequences=False, timesteps=12)
    assert spec.to_params(omit_defaults=True) == {"return_sequences": "false", "timesteps": "12"}
    assert spec.to_params()["use_bias"] == "true"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"cell": "Transformer"}, "cell"),
        ({"timesteps": "-3"}, "timesteps"),
        ({"hidden_size": "1000000000"}, "hidden_size"),
        ({"hidden_size": "9" * 400}, "hidden_size"),
        ({"input_size": "abc"}, "input_size"),
        ({"input_size": "2.5"}, "input_size"),
        ({"output_size": "nan"}, "output_size"),
        ({"output_size": "inf"}, "output_size"),
        ({"timesteps": ""}, "timesteps"),
        ({"return_sequences": "maybe"}, "return_sequences"),
        ({"head": "😀"}, "head"),
        ({"cell": ["GRU", "LSTM"]}, "cell"),
        ({"junk": "1"}, "junk"),
    ],
)
def test_from_params_rejects_garbage(params: dict, field: str) -> None:
    with pytest.raises(SpecError) as caught:
        ModelSpec.from_params(params)
    assert caught.value.field == field
    # A long value is shortened, never echoed whole; the list of known fields is the one fixed-length part.
    assert len(str(caught.value).replace(", ".join(FIELD_NAMES), "")) < 300


def test_lenient_parse_keeps_every_valid_field() -> None:
    spec, errors = parse_params({"cell": "lstm", "timesteps": "-3", "hidden_size": "32", "head": "bogus"})
    assert spec == ModelSpec(cell="LSTM", hidden_size=32)
    assert sorted(error.field for error in errors) == ["head", "timesteps"]


def test_repeated_key_with_one_value_is_accepted() -> None:
    spec, errors = parse_params({"cell": ["SimpleRNN"]})
    assert spec.cell == "SimpleRNN" and errors == []


def test_seed_variants_and_presets() -> None:
    variants = seed_variants(ModelSpec(cell="LSTM", timesteps=7))
    assert [v.is_valid for v in variants.values()] == [True, True, True, False]
    assert all(v.cell == "LSTM" and v.timesteps == 7 for v in variants.values())
    assert [(v.return_sequences, v.head) for v in variants.values()] == [
        (True, "time_distributed"),
        (True, "dense"),
        (False, "dense"),
        (False, "time_distributed"),
    ]
    # Every preset builds, except the classic stacking mistake, which is there to be seen breaking.
    refused = [name for name, spec in PRESETS.items() if not spec.is_valid]
    assert refused == ["Classic mistake: stacked LSTMs without return_sequences"]


# -- the rules every boundary shares ----------------------------------------------------------------------


@pytest.mark.parametrize("cell", CHOICES["cell"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_input_and_target_shapes_are_what_describe_says(cell: str, bidirectional: bool) -> None:
    from core import describe

    for spec in seed_variants(ModelSpec(cell=cell, bidirectional=bidirectional, timesteps=7, output_size=5)).values():
        description = describe(spec)
        assert spec.input_shape() == description.layers[0].output_shape == (None, 7, spec.input_size)
        if description.error is None:
            assert spec.target_shape() == description.target_shape == description.output_shape
        assert spec.target_shape(32) == ((32, 7, 5) if spec.return_sequences else (32, 5))
        # The targets a learner has may differ from what the model needs: the Shape flow page asks Keras about both.
        assert spec.target_shape(4, per_timestep=True) == (4, 7, 5)
        assert spec.target_shape(4, per_timestep=False) == (4, 5)


@pytest.mark.parametrize("value", [0, 13, -1, True, 2.0, "3", None])
def test_whole_number_refuses_and_names_field_and_range(value: object) -> None:
    with pytest.raises(SpecError) as caught:
        whole_number("samples", value, 1, 12)
    assert caught.value.field == "samples"
    assert str(caught.value).endswith("allowed: a whole number from 1 to 12.")


def test_whole_number_accepts_the_range_ends() -> None:
    assert whole_number("samples", 1, 1, 12) == 1
    assert whole_number("samples", 12, 1, 12) == 12


@pytest.mark.parametrize("text, expected", [("12", 12), (" 12 ", 12), ("12.0", 12), ("1e1", 10), ("1", 1)])
def test_parse_whole_number_reads_what_people_type(text: str, expected: int) -> None:
    assert parse_whole_number("timesteps", text, 1, 512) == expected


@pytest.mark.parametrize("text", ["", "abc", "2.5", "0", "513", "1e3", "nan", "inf", "0x10", "9" * 20])
def test_parse_whole_number_refuses_the_rest(text: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_whole_number("timesteps", text, 1, 512)
    assert caught.value.allowed == "a whole number from 1 to 512"


@pytest.mark.parametrize(
    "text, expected",
    [("true", True), ("TRUE", True), (" yes ", True), ("1", True), ("false", False), ("No", False), ("0", False)],
)
def test_parse_bool_accepts_the_url_spellings(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["", "maybe", "2", "TRUE!", "yes please", "on"])
def test_parse_bool_says_none_for_anything_else(text: str) -> None:
    assert parse_bool(text) is None


def test_largest_model_is_as_the_comment_says() -> None:
    """core/model/spec.py bounds the sizes by the largest model's size: keep the comment's number true."""
    from core import describe

    sizes = {name: high for name, (_, high) in INT_RANGES.items() if name != "layers"}
    largest = ModelSpec(cell="LSTM", bidirectional=True, **sizes)
    assert describe(largest).total_params == 4_723_200
    assert "4,723,200 parameters" in Path(spec_module.__file__).read_text()
    stack = largest.replace(layers=3, repeat="encoder", return_sequences=False)
    assert f"{describe(stack).total_params:,} parameters" in Path(spec_module.__file__).read_text()
