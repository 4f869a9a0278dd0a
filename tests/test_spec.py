"""The spec validates at the boundary and round-trips through its flat string form."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from core import ModelSpec, SpecError, parse_params, seed_variants
from core.spec import CHOICES, INT_RANGES, PRESETS


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
    assert len(str(caught.value)) < 300  # a long value is shortened, never echoed whole


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
    assert all(isinstance(spec, ModelSpec) and spec.is_valid for spec in PRESETS.values())
