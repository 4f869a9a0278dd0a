"""The step panel on a slide, in a real browser: at 1280x720 in talk mode, a click on h_2 of the seed's diagram opens
the panel, ▶ steps to t=5, and the cell's numbers (every gate of step 5, a table) are on the first screen, under the
diagram strip; h_5's numbers are what Keras's own GRU layer returns at step 5 of the same sample, with the seed's
initial weights (the expected values are computed here, in the test's process, by Keras, not by the app's numpy
stepper).

Skips like tests/test_browser.py when Chromium or Playwright is missing (fails under CI).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from core import ModelSpec
from tests.browser_fixtures import new_tab
from tests.browser_support import APP_IDLE, CELL_SHOWS, hidden_texts, wait_idle

pytestmark = pytest.mark.browser

STEP = 5
CLICKED = 2  # drawn on the closed diagram of a slide (its first steps); STEP is drawn once the panel shows it
SCREEN = {"width": 1280, "height": 720}
# The panel's defaults: the Training page's recall task, 1000 samples, seed 0, sample 0, the seed's initial weights.
TASK, SAMPLES, SEED, SAMPLE = "recall", 1000, 0, 0

# The page coordinates of the node with role `role` at timestep `step` of the unrolled figure (plotly's own axes).
NODE_XY = """([role, step]) => {
    const graph = document.querySelector('.st-key-unrolled_figure .js-plotly-plot');
    const layout = graph._fullLayout, box = graph.getBoundingClientRect();
    for (const trace of graph.data) {
        if (!trace.meta || trace.meta.role !== role) continue;
        const index = trace.customdata.findIndex(c => (Array.isArray(c) ? c[0] : c) === step);
        if (index < 0) continue;
        const xaxis = layout[(trace.xaxis || 'x').replace('x', 'xaxis')];
        const yaxis = layout[(trace.yaxis || 'y').replace('y', 'yaxis')];
        return [box.left + xaxis._offset + xaxis.d2p(trace.x[index]),
                box.top + yaxis._offset + yaxis.d2p(trace.y[index])];
    }
    return null;
}"""
# The cell table's rows as the browser shows them: labels, full values (each cell's title) and the text written.
CELL_ROWS = """() => {
    const table = document.querySelector('.st-key-step_forward_vectors table');
    const rows = [...table.querySelectorAll('tbody tr')];
    return {labels: rows.map((row) => row.querySelector('th').innerHTML),
            full: rows.map((row) => [...row.querySelectorAll('td')].map((td) => (td.title || '').split(': ').pop())),
            text: rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)),
            title: table.querySelector('caption').textContent};
}"""


def _keras_h(step: int) -> np.ndarray:
    """h_step of the seed's GRU on the panel's sample, as Keras's own layer returns it (initial weights, seed 0)."""
    from core.keras.env import load_keras
    from core.keras.models import build_model
    from core.model.datasets import make_dataset

    keras = load_keras()
    spec = ModelSpec()
    model = build_model(spec, seed=SEED, compile=False)
    recurrent = next(layer for layer in model.layers if isinstance(layer, keras.layers.RNN))
    x, _ = make_dataset(spec, TASK, SAMPLES, SEED, False)
    states = keras.Model(model.input, recurrent.output)(x[SAMPLE : SAMPLE + 1])
    return np.asarray(states)[0, step]


def _wait_step(page, step: int) -> None:
    """Wait until the cell's table shows `step` (its caption names it) and the script has finished its run."""
    page.wait_for_function(CELL_SHOWS, arg=step, timeout=120_000)
    page.wait_for_selector(APP_IDLE, timeout=60_000)


def test_the_cell_of_step_5_fits_a_slide_under_the_diagram_with_keras_numbers(chromium, app_server):
    url = app_server
    page = new_tab(chromium, app_server, **SCREEN)
    with ThreadPoolExecutor(1) as pool:
        try:
            page.goto(f"{url}/unrolled?talk=true")
            wait_idle(page)
            page.locator(".st-key-unrolled_figure .js-plotly-plot .main-svg").first.wait_for(state="attached")
            x, y = page.evaluate(NODE_XY, ["state", CLICKED])
            page.mouse.click(x, y)  # the click opens the panel at that step (the worker fetches the weights)
            _wait_step(page, CLICKED)
            # Keras loads in this process while the browser steps (once the app's worker has started: two cores).
            expected = pool.submit(_keras_h, STEP)
            for step in range(CLICKED + 1, STEP + 1):
                page.locator(".st-key-step_forward button").first.click()
                _wait_step(page, step)
            assert page.locator("[data-testid='stException']").count() == 0

            strip = page.locator(".st-key-unrolled_figure").bounding_box()
            cell = page.locator(".st-key-step_forward_vectors").bounding_box()
            assert strip["y"] >= 0 and cell["y"] >= strip["y"] + strip["height"], (strip, cell)
            assert cell["y"] + cell["height"] <= SCREEN["height"], (
                f"the cell spans {cell['y']:.0f}-{cell['y'] + cell['height']:.0f}"
            )
            assert cell["x"] >= 0 and cell["x"] + cell["width"] <= SCREEN["width"]
            # The strip's headings are whole: not under the Play buttons (which covered the head's heading here),
            # not cut at the figure's edge.
            assert hidden_texts(page, "unrolled_figure") == []

            rows = page.evaluate(CELL_ROWS)
            assert f"t={STEP}" in rows["title"]
            h_row = next(i for i, label in enumerate(rows["labels"]) if label.startswith("<b>h<sub>t</sub></b>"))
            h = expected.result(timeout=300)
            shown = [float(value) for value in rows["full"][h_row] if value != ""]
            np.testing.assert_allclose(shown, h, atol=1e-5)  # the title's full value is Keras's
            rounded = [f"{value:.2f}" for value in h]
            assert [text for text in rows["text"][h_row] if text] == rounded  # the cell's text: 2 decimals
        finally:
            page.context.close()
