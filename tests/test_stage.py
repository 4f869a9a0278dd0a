"""Issue 25's pure side: the one key map, the Play control on the panel's step, the phone's cell read gate by gate."""

from __future__ import annotations

import re

import numpy as np

from core import ModelSpec, describe
from core.figures.step import cell_table, vectors_by_gate
from core.figures.theme import NORMAL
from core.figures.unrolled import layout, render
from core.figures.unrolled.clicks import BAND, focused
from core.model.stepper import ModelWeights, run
from core.talk.keys import KEYS, PANEL_NEXT, STORY_NEXT, keys_markdown
from tests.cell_tables import read_cell_table

TINY = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)


def test_one_key_one_action_wherever_it_acts():
    """No key does two things in one place: the story's → is page-wide, the panel's only inside the panel."""
    places = [(key.shown, key.where) for key in KEYS]
    assert len(places) == len(set(places))
    assert STORY_NEXT.shown == PANEL_NEXT.shown and STORY_NEXT.where != PANEL_NEXT.where
    assert STORY_NEXT.shortcut == "Right" and PANEL_NEXT.shortcut is None  # the panel's arrows are not page-wide
    table = keys_markdown()
    assert all(key.action in table for key in KEYS) and table.count("\n") == len(KEYS) + 1


def test_the_play_control_and_the_band_sit_on_the_panels_step():
    description = describe(ModelSpec())
    diagram = layout(description, NORMAL, ("time", 5))
    figure = focused(render(diagram, NORMAL), diagram, ("time", 5))
    slider = figure.layout.sliders[0]
    assert slider.steps[slider.active].label == "t=5"
    frame = figure.frames[slider.active]
    assert list(figure.data[0].x) == list(frame.data[0].x)  # the "now computing" ring where that frame draws it
    assert [shape.name for shape in figure.layout.shapes].count(BAND) == 1
    names = figure.layout.meta["frames"]
    assert names["t=5"] == [frame.name, slider.active]  # what the browser's script reads to move them
    plain = focused(render(layout(description, NORMAL, None), NORMAL), layout(description, NORMAL, None), None)
    assert plain.layout.sliders[0].active == 0 and BAND not in [shape.name for shape in plain.layout.shapes]


def test_the_phones_cell_is_the_same_numbers_one_column_per_vector():
    spec = TINY.replace(cell="LSTM")
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=w.shape).astype(np.float32) for layer in describe(spec).layers for w in layer.weights]
    step = run(ModelWeights.from_arrays(spec, arrays), rng.normal(size=(6, 3)).astype(np.float32)).forward[2]
    table = vectors_by_gate(step)
    head, body = table.split("</thead>")
    assert head.count("<th scope='col'>") == 1 + len(step.quantities) <= 11  # unit, then one column per vector
    rows = body.split("</tr>")[:-1]
    assert len(rows) == max(len(q.values) for q in step.quantities)
    for index, quantity in enumerate(step.quantities):
        shown = [re.findall(r">(-?\d+\.\d\d)</td>|<td></td>", row.split("</th>", 1)[1]) for row in rows]
        column = [float(cells[index]) for cells in shown if cells[index]]
        np.testing.assert_allclose(column, np.round(quantity.values.astype(float), 2), atol=0.0051)
    wide = read_cell_table(cell_table(step, "#000"))  # the screen's table: the same vectors, one row each
    assert len(wide.labels) == len(step.quantities)
    for quantity, values in zip(step.quantities, wide.full, strict=True):
        np.testing.assert_allclose(values, np.ravel(quantity.values), rtol=1e-6)
