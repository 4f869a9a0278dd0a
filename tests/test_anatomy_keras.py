"""describe() against real Keras: every combination of choices, two sets of sizes."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

import numpy as np
import pytest

from core import ModelSpec, describe
from core.keras.models import build_model
from tests.conftest import ROOT

SIZES = [
    {"timesteps": 5, "input_size": 3, "hidden_size": 4, "output_size": 2},
    {"timesteps": 9, "input_size": 7, "hidden_size": 6, "output_size": 5},
]
BIDIRECTIONAL = [(False, "concat"), (True, "concat"), (True, "sum"), (True, "ave"), (True, "mul")]


def all_specs(cell: str, sizes: dict, every_shape: bool = True) -> list[ModelSpec]:
    """Every combination for one cell; reset_after only varies for the GRU, where it exists.

    With `every_shape=False`, return_sequences and the head stay at the seed's (plus the one combination Keras
    refuses): only the choices that shape the weights vary, which is what a second set of sizes can get wrong.
    """
    reset_after = [True, False] if cell == "GRU" else [True]
    structure = (
        list(itertools.product([True, False], ["time_distributed", "dense"]))
        if every_shape
        else [(True, "time_distributed"), (False, "time_distributed")]
    )
    return [
        ModelSpec(
            cell=cell,
            bidirectional=bidirectional,
            merge_mode=merge_mode,
            return_sequences=return_sequences,
            head=head,
            use_bias=use_bias,
            reset_after=reset,
            **sizes,
        )
        for (bidirectional, merge_mode), (return_sequences, head), use_bias, reset in itertools.product(
            BIDIRECTIONAL, structure, [True, False], reset_after
        )
    ]


def keras_anatomy(model) -> list[tuple]:
    return [
        (
            layer.name,
            type(layer).__name__,
            tuple(layer.output.shape),
            layer.count_params(),
            tuple((w.path, tuple(w.shape)) for w in layer.weights),
        )
        for layer in model.layers
    ]


def described_anatomy(description) -> list[tuple]:
    return [
        (layer.name, layer.kind, layer.output_shape, layer.params, tuple((w.name, w.shape) for w in layer.weights))
        for layer in description.layers
    ]


@pytest.mark.parametrize("sizes", SIZES, ids=["small", "other"])
@pytest.mark.parametrize("cell", ["SimpleRNN", "GRU", "LSTM"])
def test_describe_equals_keras_for_every_combination(cell: str, sizes: dict) -> None:
    """Every combination at the small sizes; at the other sizes, every choice that shapes the weights."""
    checked_valid = checked_invalid = 0
    for spec in all_specs(cell, sizes, every_shape=sizes is SIZES[0]):
        description = describe(spec)
        if not spec.is_valid:
            with pytest.raises(ValueError) as caught:
                build_model(spec, compile=False)
            assert description.error and "return_sequences" in description.error
            assert str(caught.value) == description.keras_error
            assert description.output_shape is None and description.target_shape is None
            checked_invalid += 1
            continue
        model = build_model(spec, compile=False)
        assert described_anatomy(description) == keras_anatomy(model), spec
        assert description.total_params == model.count_params()
        assert description.output_shape == tuple(model.output.shape)
        assert description.target_shape == tuple(model.output.shape)
        assert description.error is None
        checked_valid += 1
    assert checked_valid > 0 and checked_invalid > 0


def test_seeded_models_have_the_same_anatomy_and_reproducible_weights() -> None:
    spec = ModelSpec(cell="LSTM", bidirectional=True, timesteps=4, input_size=3, hidden_size=2, output_size=2)
    first, second = build_model(spec, seed=3), build_model(spec, seed=3)
    assert keras_anatomy(first) == described_anatomy(describe(spec))
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    forward, backward = first.layers[1].forward_layer, first.layers[1].backward_layer
    assert not np.array_equal(forward.get_weights()[0], backward.get_weights()[0])
    other = build_model(spec, seed=4)
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])


@pytest.mark.parametrize("cell", ["SimpleRNN", "GRU", "LSTM"])
def test_formulas_evaluate_to_keras_counts(cell: str) -> None:
    for spec in all_specs(cell, SIZES[1])[:20]:
        description = describe(spec)
        model = build_model(spec, compile=False) if spec.is_valid else None
        for index, layer in enumerate(description.layers):
            if not layer.weights:
                continue
            expression, result = layer.formula.split("=")
            value = eval(re.sub(r"[^0-9+*() ]", "", expression.replace("×", "*")))  # only digits and operators
            assert value == int(result.replace(",", "")) == layer.params
            if model is not None:
                assert value == model.layers[index].count_params()


def test_the_seeds_three_models() -> None:
    seed1 = ModelSpec()
    seed2 = ModelSpec(head="dense")
    seed3 = ModelSpec(return_sequences=False, head="dense")
    expected_shapes = [(None, 64, 8), (None, 64, 8), (None, 8)]
    for spec, shape in zip([seed1, seed2, seed3], expected_shapes, strict=True):
        model = build_model(spec)
        description = describe(spec)
        assert model.count_params() == description.total_params == 1720
        assert [layer.params for layer in description.layers if layer.params] == [1584, 136]
        assert tuple(model.output.shape) == description.output_shape == shape
    assert describe(seed1).recurrent.formula == "3 × 16 × (15 + 16 + 2) = 1,584"
    assert describe(seed2).head.formula == "8 × (16 + 1) = 136"


def test_fitting_model_3_with_per_timestep_targets_fails_with_keras_rank_error() -> None:
    spec = ModelSpec(return_sequences=False, head="dense")
    model = build_model(spec, seed=0)
    x = np.random.default_rng(0).random((8, 64, 15))
    y_per_step = np.random.default_rng(1).random((8, 64, 8))
    with pytest.raises(ValueError, match="must have the same rank"):
        model.fit(x, y_per_step, batch_size=8, epochs=1, verbose=0)
    assert describe(spec).target_shape == (None, 8)


def test_macs_grow_with_timesteps_while_params_do_not() -> None:
    short, long = describe(ModelSpec(timesteps=8)), describe(ModelSpec(timesteps=80))
    assert short.total_params == long.total_params
    for a, b in zip(short.layers, long.layers, strict=True):
        assert a.macs * 10 == b.macs
        assert a.applications * 10 == b.applications
    last_only = describe(ModelSpec(return_sequences=False, head="dense", timesteps=80))
    assert last_only.head.applications == 1
    assert long.head.applications == 80


def test_importing_core_and_describing_does_not_load_tensorflow() -> None:
    code = (
        "import sys; import core; from core import describe, ModelSpec, seed_variants;"
        "[describe(s) for s in seed_variants(ModelSpec()).values()];"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'));"
        "print('LOADED', loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stdout
