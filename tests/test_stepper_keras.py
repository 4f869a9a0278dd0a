"""The step panel's numpy arithmetic (core.model.stepper) against Keras's own calls: every state of every step, and the
model's outputs, to 1e-5, for every cell kind, reset_after, use_bias, merge mode and return_sequences.

The weights are randomised (biases included, which Keras initialises to zeros) so that every term is exercised.
"""

from __future__ import annotations

import numpy as np
import pytest

from core import ModelSpec, describe
from core.model.stepper import ModelWeights, run

TOL = 1e-5
TINY = {"timesteps": 4, "input_size": 3, "hidden_size": 3, "output_size": 2}
CELL_CASES = [
    ("SimpleRNN", True, True),
    ("SimpleRNN", True, False),
    ("GRU", True, True),
    ("GRU", False, True),
    ("GRU", True, False),
    ("GRU", False, False),
    ("LSTM", True, True),
    ("LSTM", True, False),
]


def _keras_model(spec: ModelSpec, seed: int):
    """The app's own Keras model of the spec (core.keras.models), its weights replaced by random ones."""
    from core.keras.models import build_model

    model = build_model(spec, seed=seed, compile=False)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.6, size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _sample(spec: ModelSpec, seed: int) -> np.ndarray:
    return np.random.default_rng(100 + seed).normal(size=(spec.timesteps, spec.input_size)).astype(np.float32)


def _keras_steps(cell, x: np.ndarray, units: int, lstm: bool, backward: bool) -> list[tuple[np.ndarray, ...]]:
    """Call Keras's cell step by step, feeding back its own states: [(h_t, c_t or nothing)] indexed by timestep."""
    states = [np.zeros((1, units), np.float32)] * (2 if lstm else 1)
    found: dict[int, tuple[np.ndarray, ...]] = {}
    order = range(len(x) - 1, -1, -1) if backward else range(len(x))
    for t in order:
        _, states = cell(x[None, t], states)
        states = [np.asarray(s) for s in (states if isinstance(states, list | tuple) else [states])]
        found[t] = tuple(s[0] for s in states)
    return [found[t] for t in range(len(x))]


def _check_direction(trace_steps, keras_steps, lstm: bool) -> None:
    for step, expected in zip(trace_steps, keras_steps, strict=True):
        np.testing.assert_allclose(step.h, expected[0], atol=TOL, err_msg=f"h at t={step.t}")
        if lstm:
            np.testing.assert_allclose(step.get("c<sub>t</sub>"), expected[1], atol=TOL, err_msg=f"c at t={step.t}")


@pytest.mark.parametrize(("cell", "reset_after", "use_bias"), CELL_CASES)
def test_every_step_of_every_cell_kind_equals_keras(cell, reset_after, use_bias):
    spec = ModelSpec(cell=cell, reset_after=reset_after, use_bias=use_bias, activation="linear", **TINY)
    seed = CELL_CASES.index((cell, reset_after, use_bias))
    model = _keras_model(spec, seed)
    x = _sample(spec, seed)
    names = [w.path for w in model.weights]
    trace = run(ModelWeights.from_arrays(spec, model.get_weights()), x)
    layer = model.get_layer(describe(spec).recurrent.name)
    lstm = cell == "LSTM"
    _check_direction(trace.forward, _keras_steps(layer.cell, x, spec.hidden_size, lstm, False), lstm)
    np.testing.assert_allclose(trace.outputs, np.asarray(model(x[None]))[0], atol=TOL)
    # The names the panel shows are Keras's variable paths.
    assert list(ModelWeights.from_arrays(spec, model.get_weights()).forward.names) == names[: 3 if use_bias else 2]
    # The gates really are gates: sigmoid gates lie in (0, 1).
    for quantity in trace.forward[1].quantities:
        if quantity.equation.startswith("σ"):
            assert np.all((quantity.values > 0) & (quantity.values < 1))


BIDIRECTIONAL_CASES = [
    (merge, return_sequences, CELL_CASES[(index * 3 + int(return_sequences)) % len(CELL_CASES)])
    for index, merge in enumerate(("concat", "sum", "ave", "mul"))
    for return_sequences in (True, False)
]


@pytest.mark.parametrize(("merge_mode", "return_sequences", "cell_case"), BIDIRECTIONAL_CASES)
def test_both_directions_and_the_merge_equal_keras(merge_mode, return_sequences, cell_case):
    cell, reset_after, use_bias = cell_case
    spec = ModelSpec(
        cell=cell,
        reset_after=reset_after,
        use_bias=use_bias,
        bidirectional=True,
        merge_mode=merge_mode,
        return_sequences=return_sequences,
        head="time_distributed" if return_sequences else "dense",
        activation="softmax" if return_sequences else "linear",
        **TINY,
    )
    seed = 20 + BIDIRECTIONAL_CASES.index((merge_mode, return_sequences, cell_case))
    model = _keras_model(spec, seed)
    x = _sample(spec, seed)
    trace = run(ModelWeights.from_arrays(spec, model.get_weights()), x)
    wrapper = model.get_layer("bidirectional")
    lstm = cell == "LSTM"
    _check_direction(trace.forward, _keras_steps(wrapper.forward_layer.cell, x, spec.hidden_size, lstm, False), lstm)
    _check_direction(trace.backward, _keras_steps(wrapper.backward_layer.cell, x, spec.hidden_size, lstm, True), lstm)
    np.testing.assert_allclose(trace.layer_output, np.asarray(wrapper(x[None]))[0], atol=TOL)
    np.testing.assert_allclose(trace.outputs, np.asarray(model(x[None]))[0], atol=TOL)


@pytest.mark.parametrize("cell_case", CELL_CASES[::3])
def test_last_step_only_models_equal_keras(cell_case):
    cell, reset_after, use_bias = cell_case
    spec = ModelSpec(
        cell=cell, reset_after=reset_after, use_bias=use_bias, return_sequences=False, head="dense", **TINY
    )
    model = _keras_model(spec, 40)
    x = _sample(spec, 40)
    trace = run(ModelWeights.from_arrays(spec, model.get_weights()), x)
    assert trace.outputs.shape == describe(spec).output_shape[1:]
    np.testing.assert_allclose(trace.outputs, np.asarray(model(x[None]))[0], atol=TOL)


def test_the_worker_handler_returns_the_seeds_initial_weights():
    """What the panel fetches: the same arrays as the model a training with that seed starts from."""
    from core.keras.jobs import model_weights
    from core.keras.models import build_model
    from core.keras.requests import InitialWeights

    class Context:
        def stage(self, text: str) -> None:
            self.staged = text

    spec = ModelSpec(cell="GRU", bidirectional=True, **TINY)
    answer = model_weights(InitialWeights(spec, 3), Context())
    names, arrays = answer.paths, answer.arrays
    expected = build_model(spec, seed=3, compile=False).get_weights()
    assert len(arrays) == len(expected) == len(names)
    for got, want in zip(arrays, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    split = ModelWeights.from_arrays(spec, arrays)
    assert split.backward is not None and "backward" in names[3]
    wanted = [w.shape for layer in describe(spec).layers for w in layer.weights]
    assert [a.shape for a in arrays] == wanted


def test_weights_of_the_wrong_shape_are_refused_with_the_tensor_named():
    spec = ModelSpec(**TINY)
    arrays = [np.zeros(w.shape, np.float32) for layer in describe(spec).layers for w in layer.weights]
    arrays[1] = np.zeros((2, 2), np.float32)
    with pytest.raises(ValueError, match="recurrent_kernel"):
        ModelWeights.from_arrays(spec, arrays)


def _intermediate(model, names: list[str], x: np.ndarray) -> list:
    """Keras's own outputs of the named layers on one sample, from a Model on the same inputs (lists for
    return_state layers: [output, h, (c), …])."""
    import keras

    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in names])
    found = probe(x[None])
    found = found if isinstance(found, list | tuple) else [found]
    return [
        [np.asarray(part)[0] for part in out] if isinstance(out, list | tuple) else np.asarray(out)[0] for out in found
    ]


def test_every_layer_of_a_stack_equals_keras_step_by_step():
    spec = ModelSpec(cell="LSTM", layers=2, activation="linear", **TINY)
    model = _keras_model(spec, 50)
    x = _sample(spec, 50)
    trace = run(ModelWeights.from_arrays(spec, model.get_weights()), x)
    names = [layer.name for layer in describe(spec).recurrent_layers]
    assert [layer.name for layer in trace.layers] == names == ["lstm", "lstm_1"]
    for layer, expected in zip(trace.layers, _intermediate(model, names, x), strict=True):
        for t in range(spec.timesteps):  # the state each step hands on, layer by layer
            np.testing.assert_allclose(layer.merged(t), expected[t], atol=TOL, err_msg=f"{layer.name} t={t}")
    # The upper layer reads the lower one's states: its x_t is h_t of 'lstm'.
    upper = trace.layers[1].forward[2]
    np.testing.assert_allclose(upper.quantities[0].values, trace.layers[0].forward[2].h)
    np.testing.assert_allclose(trace.outputs, np.asarray(model(x[None]))[0], atol=TOL)


@pytest.mark.parametrize(("cell", "bidirectional"), [("LSTM", False), ("GRU", True)])
def test_the_decoder_starts_from_the_encoders_final_states_and_equals_keras(cell, bidirectional):
    spec = ModelSpec(
        cell=cell,
        bidirectional=bidirectional,
        merge_mode="sum",
        return_sequences=False,
        repeat="encoder",
        output_timesteps=3,
        return_state=True,
        **TINY,
    )
    model = _keras_model(spec, 60)
    x = _sample(spec, 60)
    trace = run(ModelWeights.from_arrays(spec, model.get_weights()), x)
    encoder, decoder = (layer.name for layer in describe(spec).recurrent_layers)
    keras_encoder, keras_decoder = _intermediate(model, [encoder, decoder], x)
    # The encoder's output and final states (h, c per direction), in Keras's return_state order.
    np.testing.assert_allclose(trace.layers[0].output, keras_encoder[0], atol=TOL)
    for ours, theirs in zip(trace.layers[0].final_states(), keras_encoder[1:], strict=True):
        np.testing.assert_allclose(ours, theirs, atol=TOL)
    # Every decoder step, which starts from them (not from zeros).
    assert trace.layers[1].steps == spec.output_timesteps
    for t in range(spec.output_timesteps):
        np.testing.assert_allclose(trace.layers[1].merged(t), keras_decoder[t], atol=TOL, err_msg=f"decoder t={t}")
    first = trace.layers[1].forward[0]
    np.testing.assert_allclose(first.quantities[1].values, trace.layers[0].final_states()[0])
    np.testing.assert_allclose(trace.outputs, np.asarray(model(x[None]))[0], atol=TOL)


def test_one_to_many_copies_the_vector_to_every_step_and_equals_keras():
    spec = ModelSpec(cell="GRU", reset_after=False, repeat="input", **TINY)
    model = _keras_model(spec, 70)
    x = np.random.default_rng(70).normal(size=(spec.input_size,)).astype(np.float32)
    trace = run(ModelWeights.from_arrays(spec, model.get_weights()), x)
    (expected,) = _intermediate(model, ["gru"], x)
    for t in range(spec.timesteps):
        np.testing.assert_allclose(trace.layers[0].forward[t].quantities[0].values, x)  # the same x at every step
        np.testing.assert_allclose(trace.layers[0].merged(t), expected[t], atol=TOL, err_msg=f"t={t}")
    np.testing.assert_allclose(trace.outputs, np.asarray(model(x[None]))[0], atol=TOL)
