"""Issue 25 on a phone (400×850, touch), in Chromium: a tap on a node of the unrolled diagram's phone twin opens the
step panel at that step (again after ◀ had moved it), a tap on an ellipsis selects nothing, a finger swiped over the
diagram scrolls the page and selects nothing, a step button under the twin opens its step too, and the cell reads gate
by gate.

Failed before the fix: plotly turns no tap into a selection (plotly.js#6721; it reads the point under the finger only
after its own selection step) and takes every touch on the plot for a pan, so the tap selected nothing and the page
did not move under the swipe. The selections are read from plotly's own `plotly_selected` event (the one Streamlit
listens to), recorded by the test on the drawn figure.

Skips like tests/test_browser.py when Chromium or Playwright is missing (fails under CI).
"""

from __future__ import annotations

import pytest

from tests.browser_fixtures import new_tab
from tests.browser_support import CELL_SHOWS, wait_idle

pytestmark = pytest.mark.browser

PHONE = {"width": 400, "height": 850}
TWIN = ".st-key-unrolled_figure_compact .js-plotly-plot"
DRAWN = f"""() => {{ const graph = document.querySelector("{TWIN}"); return !!(graph && graph._fullLayout); }}"""
# Record every selection plotly reports on the phone twin as drawn now, from now on: the timesteps of its points.
RECORD = f"""() => {{
    const graph = document.querySelector("{TWIN}");
    window.tapSelections = [];
    if (graph.tapRecorded) return;  // the same figure, sent again, is the same element: one listener
    graph.tapRecorded = true;
    graph.on('plotly_selected', (event) => window.tapSelections.push(((event && event.points) || []).map(
        (point) => Array.isArray(point.customdata) ? point.customdata[0] : point.customdata)));
}}"""
# The viewport coordinates of the phone twin's `role` node at timestep `step`, or of its first ellipsis (role null).
WHERE = f"""([role, step]) => {{
    const graph = document.querySelector("{TWIN}");
    const layout = graph._fullLayout, box = graph.getBoundingClientRect();
    const at = (x, y, xname, yname) => [box.left + layout[xname]._offset + layout[xname].d2p(x),
                                        box.top + layout[yname]._offset + layout[yname].d2p(y)];
    if (role === null) {{
        const note = layout.annotations.find((a) => (a.name || '').startsWith('ellipsis'));
        return note ? at(note.x, note.y, 'xaxis', 'yaxis') : null;
    }}
    for (const trace of graph.data) {{
        const index = trace.meta && trace.meta.role === role ? trace.customdata.indexOf(step) : -1;
        if (index >= 0) return at(trace.x[index], trace.y[index], (trace.xaxis || 'x').replace('x', 'xaxis'),
                                  (trace.yaxis || 'y').replace('y', 'yaxis'));
    }}
    return null;
}}"""
SCROLLED = """() => document.querySelector("[data-testid='stMain']").scrollTop"""


def _swipe_up(page, x: float, y: float, distance: int = 200) -> None:
    """A finger put down at (x, y) and moved `distance` px up, in steps, then lifted (Chromium's own touch input)."""
    session = page.context.new_cdp_session(page)
    session.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for moved in range(20, distance + 1, 20):
        session.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - moved}]})
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()


def _twin_in_view(page) -> None:
    """The phone twin scrolled into the screen, drawn, with its selections recorded from now on."""
    page.wait_for_function(DRAWN, timeout=30_000)
    page.locator(".st-key-unrolled_figure_compact").scroll_into_view_if_needed()
    page.evaluate(RECORD)


def test_on_a_phone_a_tap_on_a_node_opens_the_step_panel_there_and_a_swipe_scrolls(chromium, app_server):
    context = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = new_tab(chromium, app_server, context=context)
    try:
        page.goto(f"{app_server}/unrolled")
        wait_idle(page)
        _twin_in_view(page)
        dots = page.evaluate(WHERE, [None, None])
        assert dots is not None, "the phone twin draws no ellipsis for the default 64 steps"
        page.touchscreen.tap(*dots)  # Chromium runs the page's touch listeners before the tap returns
        assert page.evaluate("() => window.tapSelections.flat()") == [], "a tap on the ellipsis selected a step"
        last = page.evaluate(WHERE, ["cell", 63])
        assert last is not None and 0 < last[1] < PHONE["height"], last
        page.touchscreen.tap(*last)
        assert page.evaluate("() => window.tapSelections") == [[63]], "a tap on the cell of t=63 selected no step"
        page.wait_for_function(CELL_SHOWS, arg=63, timeout=180_000)  # the panel, at the tapped step
        wait_idle(page)
        # ◀ to t=62: the node tapped again (on the twin laid out around t=62) is a new selection, which moves the
        # panel back.
        page.locator(".st-key-step_back button:visible").first.click()
        page.wait_for_function(CELL_SHOWS, arg=62, timeout=30_000)
        # The phone's twin hides t=62 behind its ellipsis: it is laid out around the step after the panel answered.
        page.wait_for_function(
            f"""() => {{ const graph = document.querySelector("{TWIN}");
            return !!(graph && graph.layout && graph.layout.xaxis.ticktext.includes('t=62')); }}""",
            timeout=30_000,
        )
        wait_idle(page)
        _twin_in_view(page)
        page.touchscreen.tap(*page.evaluate(WHERE, ["cell", 63]))
        page.wait_for_function(CELL_SHOWS, arg=63, timeout=30_000)
        wait_idle(page)
        # The panel scrolled to itself: back to the diagram, and a swipe over it.
        _twin_in_view(page)
        node = page.evaluate(WHERE, ["cell", 0])
        before = page.evaluate(SCROLLED)
        _swipe_up(page, *node)
        page.wait_for_function(f"(before) => ({SCROLLED})() !== before", arg=before, timeout=10_000)
        assert page.evaluate("() => window.tapSelections") == [], "a swipe over the diagram was taken for a tap"
        assert page.evaluate(CELL_SHOWS, 63), "the swipe moved the panel"
        # The step buttons under the twin (for a keyboard and a screen reader) open a step too, and the cell reads
        # gate by gate at 400 px: one column per vector, nothing cut at the edge, no number overflowing its cell.
        page.locator(".st-key-narrow-unrolled_steps button", has_text="t=1").tap()
        page.wait_for_function(CELL_SHOWS, arg=1, timeout=30_000)
        wait_idle(page)
        table = page.evaluate(
            """() => {
                const table = document.querySelector('.st-key-narrow-step_forward_vectors table');
                const heads = [...table.querySelectorAll('thead th')].map((th) => th.getBoundingClientRect());
                const cells = [...table.querySelectorAll('td')].map((td) => [td.scrollWidth, td.clientWidth]);
                const wide = document.querySelector('.st-key-step_forward_vectors table');
                return {count: heads.length, right: Math.max(...heads.map((r) => r.right)), cells,
                        wide: !!wide && wide.checkVisibility()};
            }"""
        )
        assert table["count"] <= 11, f"{table['count']} columns at 400 px"  # unit, then one per vector
        assert table["right"] <= PHONE["width"], table["right"]
        assert all(scroll <= client for scroll, client in table["cells"]), "a number overflows its cell"
        assert not table["wide"], "the 16-column table is shown on a phone"
    finally:
        context.close()
