"""Sequence patterns (stacked layers, RepeatVector, encoder-decoder, return_state): describe() against real Keras."""

from __future__ import annotations

import itertools

import pytest

from core import ModelSpec, describe
from core.model.anatomy import Description
from core.model.spec import PATTERNS, PRESETS, STACKING_MISTAKE
from core.model.url_state import read_url, spec_to_query

TINY = {"timesteps": 3, "input_size": 2, "hidden_size": 2, "output_size": 2}
# inner_return_sequences matters only from 2 layers. To stay fast (one Keras build per spec), the LSTM (two states
# per direction, the most a decoder can be handed) takes every stack; the SimpleRNN (one state) a single layer and
# the stack Keras refuses; the GRU a valid stack, with a merge mode that keeps the width (sum).
STACKS = {
    "SimpleRNN": [(1, True), (2, False)],
    "GRU": [(2, True)],
    "LSTM": [(1, True), (2, True), (2, False), (3, True)],
}
BIDIRECTIONAL = {
    "SimpleRNN": [(False, "concat"), (True, "concat")],
    "GRU": [(False, "concat"), (True, "sum")],
    "LSTM": [(False, "concat"), (True, "concat")],
}


def grid() -> list[ModelSpec]:
    """Every combination of the pattern fields, for each cell and bidirectional choice (one Keras build each)."""
    specs = []
    for cell in ("SimpleRNN", "GRU", "LSTM"):
        for (bidirectional, merge_mode), (layers, inner), repeat, return_sequences, return_state in itertools.product(
            BIDIRECTIONAL[cell], STACKS[cell], ("none", "input", "encoder"), (True, False), (False, True)
        ):
            specs.append(
                ModelSpec(
                    cell=cell,
                    bidirectional=bidirectional,
                    merge_mode=merge_mode,
                    layers=layers,
                    inner_return_sequences=inner,
                    repeat=repeat,
                    output_timesteps=4,
                    return_sequences=return_sequences,
                    return_state=return_state,
                    **TINY,
                )
            )
    return specs


def _shapes(output) -> tuple:
    """A Keras layer's output shape, or its shapes (output first, then states) when it returns several tensors."""
    if isinstance(output, list | tuple):
        return tuple(tuple(tensor.shape) for tensor in output)
    return tuple(output.shape)


def keras_layers(model) -> list[tuple]:
    return [
        (
            layer.name,
            type(layer).__name__,
            _shapes(layer.output),
            layer.count_params(),
            tuple((w.path, tuple(w.shape)) for w in layer.weights),
        )
        for layer in model.layers
    ]


def described_layers(description: Description) -> list[tuple]:
    rows = []
    for layer in description.layers:
        shape = (layer.output_shape, *layer.state_shapes) if layer.state_shapes else layer.output_shape
        weights = tuple((w.name, w.shape) for w in layer.weights)
        rows.append((layer.name, layer.kind, shape, layer.params, weights))
    return rows


def test_describe_equals_keras_for_every_pattern_combination() -> None:
    from core.keras.models import build_model

    refused = {"stack": 0, "repeat": 0, "head": 0}
    built = 0
    for spec in grid():
        description = describe(spec)
        if not spec.is_valid:
            with pytest.raises(ValueError) as caught:
                build_model(spec, compile=False)
            # Keras's own words, naming the layer that refuses its input.
            assert str(caught.value) == description.keras_error, spec
            if spec.refused_at != "head":  # TimeDistributed's own message names its class, not its name
                assert f"'{description.broken_at}'" in str(caught.value)
            assert description.broken_at in description.error
            assert description.output_shape is None and description.target_shape is None
            refused[spec.refused_at] += 1
            continue
        model = build_model(spec, compile=False)
        assert described_layers(description) == keras_layers(model), spec
        assert description.total_params == model.count_params()
        assert description.output_shape == tuple(model.output.shape) == description.target_shape
        assert description.error is None
        built += 1
    assert built > 50 and all(count > 0 for count in refused.values()), (built, refused)


def test_refusals_quote_keras_words() -> None:
    stack = describe(STACKING_MISTAKE)
    assert "expected ndim=3, found ndim=2" in stack.keras_error and "expected ndim=3, found ndim=2" in stack.error
    assert stack.broken_at == "lstm_1" and [layer.name for layer in stack.layers] == ["input_layer", "lstm"]
    encoder = describe(PATTERNS["Sequence to sequence"].replace(return_sequences=True))
    assert encoder.broken_at == "repeat_vector" and "expected ndim=2, found ndim=3" in encoder.error
    head = describe(ModelSpec(return_sequences=False))
    assert head.broken_at == "time_distributed" and "at least 3 dimensions" in head.keras_error


def test_patterns_have_the_shapes_they_teach() -> None:
    one_to_many = describe(PATTERNS["One-to-many"])
    repeat = one_to_many.repeat_layer
    assert repeat.input_shape == (None, 6) and repeat.output_shape == (None, 12, 6)
    seq2seq = describe(PATTERNS["Sequence to sequence"])
    assert seq2seq.recurrent.state_shapes == ((None, 16), (None, 16))  # h and c of the encoder's LSTM
    assert seq2seq.output_shape == seq2seq.target_shape == (None, 6, 4)  # output_timesteps, not T
    assert seq2seq.head.applications == 6
    assert describe(PATTERNS["Many-to-one"]).output_shape == (None, 4)
    assert [layer.name for layer in describe(PATTERNS["Many-to-many (same length)"]).stack] == ["gru", "gru_1"]


def test_every_field_round_trips_through_the_url() -> None:
    values = {
        "layers": [1, 2, 3],
        "inner_return_sequences": [True, False],
        "repeat": ["none", "input", "encoder"],
        "output_timesteps": [1, 7, 512],
        "return_state": [True, False],
    }
    for name, options in values.items():
        for value in options:
            spec = ModelSpec(**{name: value})
            query = spec_to_query(spec)
            assert (name in query) == (value != getattr(ModelSpec(), name))
            state = read_url({key: [text] for key, text in query.items()})
            assert state.spec == spec and not state.has_problems
    for spec in PRESETS.values():
        assert read_url(spec_to_query(spec)).spec == spec


def test_bad_pattern_values_name_the_field_and_keep_the_rest() -> None:
    state = read_url({"layers": ["4"], "repeat": ["sideways"], "output_timesteps": ["0"], "cell": ["LSTM"]})
    assert {error.field for error in state.errors} == {"layers", "repeat", "output_timesteps"}
    assert state.spec == ModelSpec(cell="LSTM")
    assert "from 1 to 3" in next(error.allowed for error in state.errors if error.field == "layers")


# -- every pattern trains on a task it can learn ---------------------------------------------------------------------
LEARNERS = {
    "many-to-one": (PATTERNS["Many-to-one"], "first"),
    "stacked many-to-many": (PATTERNS["Many-to-many (same length)"], "recall"),
    "one-to-many": (PATTERNS["One-to-many"], "count"),
    "sequence to sequence": (PATTERNS["Sequence to sequence"], "reverse"),
}


def test_each_pattern_has_a_task_and_its_loss_falls() -> None:
    from core.keras.training import train
    from core.model.datasets import make_dataset, tasks_for

    for name, (spec, task) in LEARNERS.items():
        spec = spec.replace(timesteps=6, output_timesteps=4) if spec.repeat == "encoder" else spec.replace(timesteps=6)
        assert tasks_for(spec)[0] == task, name
        x, y = make_dataset(spec, task, samples=256, seed=0)
        assert x.shape == spec.input_shape(256) and y.shape == spec.target_shape(256), name
        result = train(spec, (x, y), epochs=4, batch_size=16, seed=0, learning_rate=0.01)
        first, last = result.epoch_losses[0], result.epoch_losses[-1]
        assert last < 0.8 * first, (name, result.epoch_losses)


def test_target_checker_knows_the_decoder_length() -> None:
    from core.model.target_checker import target_verdict

    spec = PATTERNS["Sequence to sequence"]
    right = target_verdict(spec, per_timestep_targets=True)
    assert right.status == "ok" and right.targets_shape == (None, 6, 4) == right.output_shape
    wrong = target_verdict(spec, per_timestep_targets=False)
    assert wrong.status == "error" and "output_timesteps=6" in wrong.fix
    stacked = target_verdict(STACKING_MISTAKE, per_timestep_targets=False)
    assert stacked.status == "build_error" and stacked.keras_phrase in describe(STACKING_MISTAKE).keras_error


def test_shape_flow_has_every_layers_box_the_new_time_axis_and_the_states() -> None:
    from core.figures.shape_flow import flow_stages

    stages = flow_stages(PATTERNS["Sequence to sequence"])
    titles = [stage.title.split("<br>")[0] for stage in stages]
    assert titles == ["input_layer", "lstm", "repeat_vector", "lstm_1", "time_distributed", "activation", "targets Y"]
    repeat = stages[2]
    assert repeat.shape == (None, 6, 16) and repeat.time_acted and "new time axis" in repeat.note
    assert "(None, 16), (None, 16)" in stages[1].note and "initial_state" in stages[3].note
    broken = flow_stages(STACKING_MISTAKE)[-1]
    assert broken.failed and broken.title.startswith("lstm_1") and "expected ndim=3, found ndim=2" in broken.note


def test_the_largest_stack_is_refused_for_training_with_a_suggestion() -> None:
    from core.keras.training_session import TrainingSettings
    from core.model.budget import fit_cost, training_work

    largest = ModelSpec(
        cell="LSTM", bidirectional=True, layers=3, repeat="encoder", return_sequences=False, return_state=True,
        timesteps=512, input_size=512, hidden_size=512, output_size=512, output_timesteps=512,
    )  # fmt: skip
    work = training_work(TrainingSettings.for_spec(largest))
    assert not work.allowed and "It would fit with T, every size and the decoder's steps ≤ " in work.message
    value = int(work.message.rsplit("≤ ", 1)[1].rstrip(".").replace(",", ""))
    sizes = ("timesteps", "hidden_size", "input_size", "output_timesteps")
    suggested = largest.replace(**dict.fromkeys(sizes, value))
    assert training_work(TrainingSettings.for_spec(suggested)).allowed
    # Every layer counts: three layers cost more than one, and the decoder adds its own.
    one = fit_cost(largest.replace(layers=1, repeat="none", return_sequences=True), 100, 10, 1)
    assert fit_cost(largest.replace(repeat="none", return_sequences=True), 100, 10, 1).seconds > 2 * one.seconds


def test_weights_variants_and_growth_cover_the_stack() -> None:
    from core.figures.tables import growth_data, variants_table, weights_table

    spec = PATTERNS["Many-to-many (same length)"]
    assert list(weights_table(spec)["Layer"]) == ["input_layer", "gru", "gru_1", "time_distributed", "activation"]
    table = variants_table(spec).set_index("Fact")
    # GRU(16) on 6 inputs, then GRU(16) on 16: 3·16·(6+16+2) + 3·16·(16+16+2), Keras's documented formula.
    assert table.loc["Recurrent parameters", "Model 1"] == f"{3 * 16 * 24 + 3 * 16 * 34:,}"
    growth = growth_data(spec, "layers")
    gru = growth[growth.cell == "GRU"]
    assert list(gru["layers"]) == [1, 2, 3]
    assert list(gru["params"].diff().dropna()) == [3 * 16 * 34] * 2  # each layer above adds its own weights


def test_pages_name_the_decoders_length_where_it_applies() -> None:
    """An encoder-decoder's outputs and head run over output_timesteps, and its stack is not "one layer over T"."""
    from tests.conftest import page_text, run_view

    spec = PATTERNS["Sequence to sequence"].replace(layers=2, timesteps=7, output_timesteps=5)
    assert spec.is_valid
    unrolled = page_text(run_view("views/unrolled.py", spec).run()).replace("**", "")
    assert "2 stacked" in unrolled and "a decoder over its own 5" in unrolled and "One " not in unrolled.split(".")[0]
    overview = page_text(run_view("views/overview.py", spec).run())
    assert "at each of the 7 timesteps" not in overview
