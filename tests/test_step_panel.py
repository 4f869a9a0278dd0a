"""The step panel of the unrolled page: its figures' shapes and counts against describe(spec), a click on the
diagram read back as the element clicked, and the page through AppTest (open, wait for the worker, step with ▶)."""

from __future__ import annotations

import numpy as np
import pytest

from core import ModelSpec, describe
from core.figures.step import cell_table, head_figure, sharing_counts, weights_figure
from core.figures.step.scale import MAX_TEXT_COLUMNS
from core.figures.theme import NORMAL
from core.figures.unrolled import layout, render
from core.figures.unrolled.clicks import clicked_element, column_of
from core.keras.requests import InitialWeights
from core.model.stepper import GATE_NAMES, ModelWeights, run
from tests.cell_tables import page_cell_tables, read_cell_table
from tests.conftest import page_text, settle

TINY = {"timesteps": 6, "input_size": 3, "hidden_size": 4, "output_size": 2}


def _weights(spec: ModelSpec, seed: int = 0) -> ModelWeights:
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=w.shape).astype(np.float32) for layer in describe(spec).layers for w in layer.weights]
    return ModelWeights.from_arrays(spec, arrays)


@pytest.mark.parametrize(
    "fields",
    [
        {"cell": "GRU", "reset_after": True},
        {"cell": "GRU", "reset_after": False, "use_bias": False},
        {"cell": "LSTM", "bidirectional": True, "merge_mode": "concat"},
        {"cell": "SimpleRNN", "return_sequences": False, "head": "dense"},
    ],
)
def test_figures_show_the_shapes_describe_gives(fields):
    spec = ModelSpec(**{**TINY, **fields})
    description = describe(spec)
    weights = _weights(spec)
    trace = run(weights, np.ones((spec.timesteps, spec.input_size), np.float32))
    step = trace.forward[2]
    table = read_cell_table(cell_table(step, "#000"))
    widths = sorted({len(row) for row in table.full})
    assert widths == sorted({spec.input_size, spec.hidden_size})
    assert len(table.labels) == len(step.quantities)
    gates = [q for q in step.quantities if q.kind == "gate"]
    assert [q.symbol for q in gates] == (
        [symbol for symbol, _ in GATE_NAMES[spec.cell]] if spec.cell != "SimpleRNN" else []
    )
    # The weights figure: one heatmap per tensor, each of the shape Keras gives it, gates side by side.
    recurrent_shapes = [w.shape for w in description.recurrent.weights][: 3 if spec.use_bias else 2]
    drawn = [np.asarray(trace_.z).shape for trace_ in weights_figure(weights, "forward", 0).data]
    expected = [shape if len(shape) == 2 else (1, shape[0]) for shape in recurrent_shapes]
    if spec.cell == "GRU" and spec.reset_after and spec.use_bias:
        expected = expected[:2] + [(1, recurrent_shapes[2][1])] * 2  # input and recurrent bias rows
    assert drawn == expected
    # The head: W as describe says, y as wide as the model's output.
    head = head_figure(trace, weights, 1, 4)
    kernel = next(w for w in description.head.weights if w.short_name == "kernel")
    assert np.asarray(head.data[1].z).shape == kernel.shape
    assert np.asarray(head.data[2].z).shape[1] == description.output_shape[-1]
    panels = 2 if spec.return_sequences else 1
    assert len(head.data) == 3 * panels
    if panels == 2:  # the same W at both steps
        np.testing.assert_array_equal(head.data[1].z, head.data[4].z)


@pytest.mark.parametrize("cell", ["SimpleRNN", "GRU", "LSTM"])
def test_on_a_slide_a_cell_of_the_seed_size_writes_every_number_in_every_row(cell):
    """Talk mode: the seed-sized cell (16 units) keeps its numbers written, 2 decimals, in every row (that it fits a
    1280x720 slide under the diagram strip is measured in Chromium: tests/test_step_panel_browser.py)."""
    spec = ModelSpec(cell=cell)
    trace = run(_weights(spec), np.ones((spec.timesteps, spec.input_size), np.float32))
    step = trace.forward[5]
    markup = cell_table(step, "#000", talk=True)
    table = read_cell_table(markup)
    assert "talk" in markup.split("<table>")[0]  # the slide's font size
    assert spec.hidden_size <= MAX_TEXT_COLUMNS[True]
    for quantity, written, full in zip(step.quantities, table.text, table.full, strict=True):
        values = np.ravel(quantity.values)
        assert written[: len(values)] == [f"{v:.2f}" for v in values]
        np.testing.assert_allclose(full, values, rtol=1e-6)


def test_a_wide_cell_shows_its_first_units_in_colour_and_says_how_many():
    """Past MAX_TEXT_COLUMNS units the numbers no longer fit: colour only, each value in its cell's title; past 64
    units the table shows the first 64 and its caption says so."""
    spec = ModelSpec(**{**TINY, "hidden_size": 100})
    trace = run(_weights(spec), np.ones((spec.timesteps, spec.input_size), np.float32))
    table = read_cell_table(cell_table(trace.forward[1], "#000"))
    assert "units 0–63 of 100 shown" in table.caption
    assert all(text == "" for row in table.text for text in row)
    np.testing.assert_allclose(table.row("<b>h<sub>t</sub></b>"), trace.forward[1].h[:64], rtol=1e-6)


def test_the_sharing_table_counts_come_from_describe():
    spec = ModelSpec()  # the seed's model 1: T=64, hidden 16, output 8
    rows = sharing_counts(describe(spec))
    head_params = describe(spec).head.params
    assert [row.params for row in rows] == [head_params, 64 * head_params, (64 * 16) * (64 * 8) + 64 * 8]
    assert head_params == 16 * 8 + 8


def test_a_click_on_the_diagram_names_the_element_and_its_step():
    spec = ModelSpec(bidirectional=True, **TINY)
    drawn = layout(describe(spec), NORMAL)
    figure = render(drawn, NORMAL)
    backward = next(
        i
        for i, trace in enumerate(figure.data)
        if (trace.meta or {}).get("direction") == "backward" and trace.meta.get("role") == "cell"
    )
    state = next(i for i, trace in enumerate(figure.data) if (trace.meta or {}).get("role") == "state")
    assert clicked_element(drawn, [{"curve_number": backward, "customdata": 4}]).direction == "backward"
    focus = clicked_element(drawn, [{"curve_number": state, "customdata": [5]}])
    assert (focus.step, focus.role) == (5, "state")
    assert clicked_element(drawn, []) is None
    assert clicked_element(drawn, [{"curve_number": 999, "customdata": 1}]) is None
    assert clicked_element(drawn, [{"curve_number": 0, "customdata": 1}]) is None  # the play highlight
    assert column_of(figure, 0) is not None and column_of(figure, 99) is None


def test_the_panel_opens_fetches_keras_weights_once_and_steps(app):
    at = app("unrolled", {k: str(v) for k, v in TINY.items()})
    assert not at.exception
    _press(at, "Show the numbers")
    settle(at)
    assert not at.exception
    text = page_text(at)
    assert "initial weights" in text and "seed 0" in text
    spec = ModelSpec(**TINY)
    weights = at.session_state["step_panel"].weights[1]
    # The weights the worker sent are the real model's: the shapes describe(spec) gives, named by Keras.
    assert weights.forward.names == tuple(w.name for w in describe(spec).recurrent.weights)
    first = at.session_state["step_panel"].trace[1]
    assert at.session_state["step_panel"].focus.t == 0
    _press(at, "▶")
    assert not at.exception and at.session_state["step_panel"].focus.t == 1
    # Stepping did not ask the worker again: the same weights object, the same trace.
    assert at.session_state["step_panel"].weights[1] is weights
    assert at.session_state["step_panel"].trace[1] is first
    # The cell's table shows step 1's state h_1 (the state leaving the cell), each full value in its cell's title.
    (table,) = page_cell_tables(at, "Cell at t=1")
    np.testing.assert_allclose(table.row("<b>h<sub>t</sub></b>"), first.forward[1].h, atol=1e-6)
    for _ in range(spec.timesteps + 2):  # ▶ past the end stays on the last step
        if _widget(at.button, "▶").disabled:
            break
        _press(at, "▶")
    assert at.session_state["step_panel"].focus.t == spec.timesteps - 1
    # The head's count and formula on the panel are describe(spec)'s.
    _open_tab(at, "The shared head")
    head = describe(spec).head
    assert f"{head.params:,} parameters ({head.formula})" in page_text(at)


@pytest.mark.parametrize(("page", "key"), [("overview", "overview_step_link"), ("weights", "weights_step_link")])
def test_overview_and_weights_link_to_the_panel_open(app, page, key):
    at = app(page, {k: str(v) for k, v in TINY.items()})
    at.button(key=key).click().run()
    assert not at.exception
    # The switch lands on the unrolled page with the panel open (its weights asked of the worker).
    assert at.title[0].value == "Unrolled network"
    assert at.session_state["step_panel"].focus is not None
    assert "Inside one timestep: the real numbers" in page_text(at)
    assert "Show the numbers" not in [button.label for button in at.button]
    from core.keras.worker import shared_worker

    assert shared_worker().wait_until_idle(300)  # leave no job running for the next test


def test_after_training_the_panel_shows_the_trained_weights_numbers(app):
    """Trained on the Training page, the panel says so with the epoch count, and its numbers are the numpy step of
    the trained weights (which Keras's own calls equal, tests/test_stepper_keras.py), not of the initial ones."""
    from core.keras.worker import shared_worker
    from core.model.datasets import make_dataset

    at = app("training", {k: str(v) for k, v in TINY.items()})
    at.number_input(key="training_samples").set_value(16)
    at.number_input(key="training_batch").set_value(8)
    at.number_input(key="training_epochs").set_value(2)
    at.radio(key="training_what").set_value("current").run()
    at.button(key="training_train").click().run()
    job = at.session_state["training_job"]
    assert job.wait(120), "training did not finish"
    settle(at)
    snap = job.snapshot()
    (variant,) = snap.variants
    assert len(variant.result.epoch_losses) == 2
    at.switch_page("views/unrolled.py").run()
    _press(at, "Show the numbers")
    assert not at.exception
    text = page_text(at)
    assert "after training" in text and "(2 epochs" in text and "initial weights" not in text

    spec = ModelSpec(**TINY)
    settings = snap.settings
    x, _ = make_dataset(spec, settings.task, settings.samples, settings.seed, settings.normalise_targets)
    trained = run(ModelWeights.from_arrays(spec, variant.result.final_weights), x[0]).forward[0].h
    initial_job = shared_worker().submit("test-initial-weights", InitialWeights(spec, settings.seed))
    assert initial_job.wait(120)
    initial = run(ModelWeights.from_arrays(spec, initial_job.result.arrays), x[0]).forward[0].h
    (table,) = page_cell_tables(at, "Cell at t=0")
    shown = table.row("<b>h<sub>t</sub></b>")  # the outgoing h_0
    np.testing.assert_allclose(shown, trained, atol=1e-6)
    assert np.abs(np.asarray(shown) - initial).max() > 1e-4


def test_the_panel_shows_a_lower_layer_and_the_decoder_of_a_sequence_to_sequence_model(app):
    """The layer picker (a click on the diagram sets it too) shows the encoder's or the decoder's steps, each as long
    as its own time axis; the decoder's first step starts from the encoder's final state (return_state)."""
    fields = {**TINY, "cell": "LSTM", "return_sequences": False, "repeat": "encoder", "output_timesteps": 3}
    at = app("unrolled", {**{k: str(v) for k, v in fields.items()}, "return_state": "true"})
    _press(at, "Show the numbers")
    settle(at)
    assert not at.exception
    assert at.session_state["step_panel"].focus.layer == 1  # the decoder, which the head reads
    assert _widget(at.slider, "Timestep t").max == 2
    trace = at.session_state["step_panel"].trace[1]
    (decoder,) = page_cell_tables(at, "Cell at t=0", "of 'lstm_1'")
    assert any("the encoder's final state" in label for label in decoder.labels)
    _widget(at.segmented_control, "Layer").set_value(0).run()
    _widget(at.slider, "Timestep t").set_value(4).run()
    assert not at.exception and _widget(at.slider, "Timestep t").max == TINY["timesteps"] - 1
    (cell,) = page_cell_tables(at, "Cell at t=4", "of 'lstm'")
    np.testing.assert_allclose(cell.row("<b>h<sub>t</sub></b>"), trace.layers[0].forward[4].h, atol=1e-6)
    _open_tab(at, "The shared head")
    assert "The head reads the top layer 'lstm_1'" in page_text(at)


def _open_tab(at, label: str) -> None:
    """Open the panel's tab `label` as a click on it does: the panel keeps the open tab in its state (AppTest cannot
    click a tab), and the page is run again."""
    from dataclasses import replace

    at.session_state["step_panel"] = replace(at.session_state["step_panel"], tab=label)
    at.run()


def _press(at, label: str):
    """Click the button labelled `label` (the panel's widgets have no keys: the panel's state is one session key)."""
    return _widget(at.button, label).click().run()


def _widget(widgets, label: str):
    """The widget labelled `label` among `widgets`."""
    return next(widget for widget in widgets if widget.label == label)


def _keys_in_order(node) -> list[str]:
    """The keys of the page's keyed elements, and the labels of its widgets ("w:Layer"), in the order they are
    drawn; the diagram's chart is named by its container."""
    keys = []
    for child in getattr(node, "children", {}).values():
        key = getattr(child, "key", None)
        label = getattr(child, "label", None)
        proto = getattr(child, "proto", None)
        if key:
            keys.append(key)
        elif label and child.type != "tab":
            keys.append(f"w:{label}")
        elif getattr(child, "type", None) == "plotly_chart" and '"meta": {"frames"' in (proto.spec if proto else ""):
            keys.append("unrolled_figure")
        keys.extend(_keys_in_order(child))
    return keys


@pytest.mark.parametrize("talk", [False, True])
def test_on_a_slide_the_cell_comes_before_the_layer_picker(app, talk):
    """On a screen the layer picker leads the panel; on a slide (1280x720) the cell's numbers must be right under the
    diagram strip, so the picker follows them (the cell figure's title names the layer shown)."""
    params = {**{k: str(v) for k, v in TINY.items()}, "layers": "2", **({"talk": "true"} if talk else {})}
    at = app("unrolled", params)
    _press(at, "Show the numbers")
    settle(at)
    assert not at.exception
    keys = _keys_in_order(at.main)
    assert keys.index("unrolled_figure") < keys.index("step_forward_vectors")
    cell_first = keys.index("step_forward_vectors") < keys.index("w:Layer")
    assert cell_first == talk, keys


def test_on_a_slide_a_bidirectional_cell_shows_one_direction_at_a_time(app):
    """A screen stacks the forward cell, the backward cell and the merge; a slide has room under the diagram strip for
    one, chosen with the direction picker that follows it."""
    params = {**{k: str(v) for k, v in TINY.items()}, "bidirectional": "true"}
    figures = ("step_forward_vectors", "step_backward_vectors", "step_merge")
    at = app("unrolled", params)
    _press(at, "Show the numbers")
    settle(at)
    assert [key for key in _keys_in_order(at.main) if key in figures] == list(figures)
    at = app("unrolled", {**params, "talk": "true"})
    _press(at, "Show the numbers")
    settle(at)
    for direction, figure in zip(("forward", "backward", "merged"), figures, strict=True):
        if direction != "forward":
            _widget(at.segmented_control, "Direction").set_value(direction).run()
        assert not at.exception
        keys = _keys_in_order(at.main)
        assert [key for key in keys if key in figures] == [figure], direction
        assert keys.index(figure) < keys.index("w:Direction")


def test_the_panel_steps_the_data_the_training_pages_controls_describe(app):
    """The panel reads the Training page's controls (one TrainingControls), not defaults of its own: a seed set there
    is the seed of the sample and of the initial weights here."""
    at = app("training", {k: str(v) for k, v in TINY.items()})
    at.number_input(key="training_seed").set_value(5).run()
    at.switch_page("views/unrolled.py").run()
    _press(at, "Show the numbers")
    settle(at)
    assert not at.exception
    text = page_text(at)
    assert "initial weights** of seed 5" in text and "data (seed 5)" in text


def test_the_panel_keeps_its_state_in_one_session_key(app):
    """Issue 24: opening, stepping, picking a layer and a gate add one key of the panel's own (its PanelState) to the
    session; the rest are the shared job APIs' (the weights job's slot, this session's training)."""
    at = app("unrolled", {**{k: str(v) for k, v in TINY.items()}, "layers": "2"})
    before = set(at.session_state)
    _press(at, "Show the numbers")
    settle(at)
    _press(at, "▶")
    _widget(at.segmented_control, "Layer").set_value(0).run()
    assert "Gate" not in [widget.label for widget in at.segmented_control]  # a closed tab runs nothing
    _open_tab(at, "Weights per gate")
    _widget(at.segmented_control, "Gate").set_value(1).run()
    assert not at.exception
    added = set(at.session_state) - before
    assert added <= {"step_panel", "keras_jobs_step_weights", "training_job"}, added
    panel = at.session_state["step_panel"]
    assert (panel.focus.t, panel.focus.layer, panel.gate) == (1, 0, 1)
