"""The step panel's numpy stepper on a padded sample (`padding="masking"`) against the app's own Keras model with its
Masking layer: Keras keeps the state at a masked step (a plain layer returns its previous output there, a
Bidirectional one returning sequences returns zeros), and the head still runs on those outputs. Every step's state
and output, every layer's output and the model's output agree to 1e-5 for each cell kind, bidirectional and stacked.

Keras's state after step t is read from the layer itself: a copy with return_state=True run on the steps up to t
(the backward copy on the steps from t), with the sample's own mask.
"""

from __future__ import annotations

import numpy as np
import pytest

from core import ModelSpec, describe
from core.model.datasets import make_dataset
from core.model.sequence_fields import keras_mask
from core.model.stepper import ModelWeights, run
from tests.cell_tables import page_cell_tables, read_cell_table
from tests.conftest import settle

TOL = 1e-5
TINY = {"timesteps": 5, "input_size": 3, "hidden_size": 3, "output_size": 2, "activation": "linear"}
CASES = [
    {"cell": "SimpleRNN"},
    {"cell": "GRU"},
    {"cell": "LSTM"},
    {"cell": "GRU", "bidirectional": True, "merge_mode": "concat"},
    {"cell": "LSTM", "bidirectional": True, "merge_mode": "sum", "return_sequences": False, "head": "dense"},
    {"cell": "SimpleRNN", "layers": 2, "bidirectional": True, "merge_mode": "ave"},
]


def _model(spec: ModelSpec, seed: int):
    from core.keras.models import build_model

    model = build_model(spec, seed=seed, compile=False)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.6, size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def _keras_states(layer, x: np.ndarray, mask: np.ndarray, t: int, backward: bool) -> list[np.ndarray]:
    """The states the Keras layer holds after step t: [h] or [h, c]."""
    config = {**layer.get_config(), "return_sequences": False, "return_state": True}
    copy = type(layer).from_config(config)
    steps = slice(t, None) if backward else slice(0, t + 1)
    copy(x[None, steps], mask=mask[None, steps])  # builds it
    copy.set_weights(layer.get_weights())
    _, *states = copy(x[None, steps], mask=mask[None, steps])
    return [np.asarray(s)[0] for s in states]


def _check_states(keras_layer, layer_trace, x: np.ndarray, mask: np.ndarray) -> None:
    pairs = [(keras_layer, layer_trace.forward, False)]
    if layer_trace.backward is not None:
        pairs = [(keras_layer.forward_layer, layer_trace.forward, False)]
        pairs.append((keras_layer.backward_layer, layer_trace.backward, True))
    for keras_direction, steps, backward in pairs:
        for step in steps:
            expected = _keras_states(keras_direction, x, mask, step.t, backward)
            assert step.masked == (not mask[step.t])
            np.testing.assert_allclose(step.h, expected[0], atol=TOL, err_msg=f"h at t={step.t}, {backward=}")
            if len(expected) == 2:
                np.testing.assert_allclose(step.get("c<sub>t</sub>"), expected[1], atol=TOL, err_msg=f"c at {step.t}")


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(str(v) for v in case.values()))
def test_a_padded_sample_steps_as_keras_masks_it(case):
    import keras

    spec = ModelSpec(padding="masking", **TINY, **case)
    seed = CASES.index(case)
    model = _model(spec, seed)
    x = make_dataset(spec, "random", 3, seed)[0][2]  # sample 2: real length 3 of 5, then two steps of zeros
    if seed == 0:
        x[1] = 0.0  # a real step of zeros: Masking skips it too, and so does the stepper's mask
    mask = keras_mask(spec, x)
    keras_mask_found = model.get_layer("masking").compute_mask(x[None])
    np.testing.assert_array_equal(mask, np.asarray(keras_mask_found)[0])
    assert not mask[3:].any() and mask[2]

    trace = run(ModelWeights.from_arrays(spec, model.get_weights()), x, mask)
    np.testing.assert_allclose(trace.outputs, np.asarray(model(x[None]))[0], atol=TOL)
    layer_input = x
    for layer_trace, layer in zip(trace.layers, describe(spec).recurrent_layers, strict=True):
        keras_layer = model.get_layer(layer.name)
        found = keras.Model(model.inputs, keras_layer.output)([x[None]])
        np.testing.assert_allclose(layer_trace.output, np.asarray(found)[0], atol=TOL, err_msg=layer.name)
        _check_states(keras_layer, layer_trace, layer_input.astype(np.float32), mask)
        layer_input = layer_trace.output
    # Without the mask the stepper runs the cell on the padding: a different (wrong) state there.
    unmasked = run(ModelWeights.from_arrays(spec, model.get_weights()), x)
    assert not np.allclose(unmasked.forward[4].h, trace.forward[4].h, atol=TOL)


def test_a_masked_step_says_the_state_is_kept():
    from core.figures.step import cell_table, vectors_by_gate

    spec = ModelSpec(cell="LSTM", padding="masking", **TINY)
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=w.shape).astype(np.float32) for layer in describe(spec).layers for w in layer.weights]
    x = np.ones((5, 3), np.float32)
    x[3:] = 0.0
    trace = run(ModelWeights.from_arrays(spec, arrays), x, keras_mask(spec, x))
    step = trace.forward[3]
    assert step.masked and not trace.forward[2].masked
    np.testing.assert_array_equal(step.h, trace.forward[2].h)
    np.testing.assert_array_equal(step.get("c<sub>t</sub>"), trace.forward[2].get("c<sub>t</sub>"))
    assert "c<sub>t-1</sub> (masked step: kept)" in [q.equation for q in step.quantities]
    assert "masked: Keras skips it" in read_cell_table(cell_table(step, "#000")).caption
    assert "masked: Keras skips it" in read_cell_table(vectors_by_gate(step)).caption
    assert "masked" not in read_cell_table(cell_table(trace.forward[2], "#000")).caption
    with pytest.raises(ValueError, match="mask"):
        run(ModelWeights.from_arrays(spec, arrays), x, np.ones(4, bool))


def test_the_panel_steps_a_padded_sample_as_keras_masks_it(app):
    """The unrolled page's panel passes the sample's mask: at a padded step of sample 2 the state is the one before,
    and the cell's title says Keras skips the step."""
    at = app("unrolled", {**{k: str(v) for k, v in TINY.items()}, "padding": "masking"})
    _labelled(at.button, "Show the numbers").click().run()  # the panel's widgets have no keys: found by label
    settle(at)
    _labelled(at.number_input, "Sample").set_value(2).run()
    _labelled(at.slider, "Timestep t").set_value(4).run()
    assert not at.exception
    trace = at.session_state["step_panel"].trace[1]
    assert [step.masked for step in trace.forward] == [False, False, False, True, True]
    np.testing.assert_array_equal(trace.forward[4].h, trace.forward[2].h)
    assert page_cell_tables(at, "Cell at t=4", "masked: Keras skips it")


def _labelled(widgets, label: str):
    """The one widget labelled `label` among `widgets`."""
    (widget,) = [widget for widget in widgets if widget.label == label]
    return widget
