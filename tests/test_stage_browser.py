"""Issue 25 in Chromium: one key one action, one current step, a tappable diagram on a phone, stories own the stage.

Each test failed before the fix: → moved both a running story and the step panel; the panel opened below the fold, a
step reran the whole app and the Play slider stayed at "start"; a tap on the phone's diagram did nothing and its cell
drew 16 columns of numbers in 400 px; a story's element scrolled its bar off screen, and the seed story's step 5
claimed "the same outputs" over a button. Here the phone taps the step buttons under its diagram (a tap on a node
itself: tests/test_phone_tap_browser.py). The shared server runs no speculative warm-ups, so what a step shows
without a click was started by the step itself.

Skips like tests/test_browser.py when Chromium or Playwright is missing (fails under CI).
"""

from __future__ import annotations

import pytest

from tests.browser_fixtures import new_tab
from tests.browser_support import CELL_SHOWS, wait_idle

pytestmark = pytest.mark.browser

# The box of the first visible element matching a selector, in the viewport's coordinates.
BOX = """(selector) => {
    const element = [...document.querySelectorAll(selector)].find((e) => e.checkVisibility()
        && e.getBoundingClientRect().height > 0);
    if (!element) return null;
    const r = element.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height};
}"""
PLAY_LABEL = """() => {
    const graph = document.querySelector('.st-key-unrolled_figure .js-plotly-plot');
    const slider = graph.layout.sliders[0];
    return slider.steps[slider.active || 0].label;
}"""


def _open_panel(page) -> None:
    """Press "Show the numbers" and wait until the cell of t=0 is drawn (the worker sends the weights once)."""
    page.locator(".st-key-step_open_button button").click()
    page.wait_for_function(CELL_SHOWS, arg=0, timeout=180_000)
    wait_idle(page)


def _watch_reruns(page) -> list[tuple]:
    """What crosses the websocket, in order: ("rerun", fragment id) for each rerun the browser asks for (id empty: the
    whole app), ("figure",) for each plotly figure the server sends, ("finished",) at the end of each run."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    seen: list[tuple] = []

    def sent(payload) -> None:
        if isinstance(payload, bytes):
            message = BackMsg.FromString(payload)
            if message.WhichOneof("type") == "rerun_script":
                seen.append(("rerun", message.rerun_script.fragment_id))

    def received(payload) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg.FromString(payload)
            kind = message.WhichOneof("type")
            if kind == "script_finished":
                seen.append(("finished",))
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                if message.delta.new_element.WhichOneof("type") == "plotly_chart":
                    seen.append(("figure",))

    page.on("websocket", lambda ws: (ws.on("framesent", sent), ws.on("framereceived", received)))
    return seen


def test_a_running_story_owns_the_arrows_and_the_panel_steps_only_with_the_focus(chromium, app_server):
    page = new_tab(chromium, app_server, 1400, 900)
    try:
        page.goto(f"{app_server}/unrolled?story=seed&step=3")
        wait_idle(page)
        _open_panel(page)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press("ArrowRight")  # the focus is on the page: the story's key
        page.wait_for_url("**step=4**", timeout=30_000)
        # The new model's cell (its weights come from the worker): still at t=0, or → moved the panel too.
        wait_idle(page)
        page.wait_for_function(
            f"""() => !document.querySelector('.st-key-step_panel_box [data-testid=stAlert]')
                && (({CELL_SHOWS})(0) || ({CELL_SHOWS})(1))""",
            timeout=180_000,
        )
        wait_idle(page)
        assert page.evaluate(CELL_SHOWS, 0), "→ moved the story and the step panel at once"
        page.locator(".st-key-step_panel_box [data-testid='stCaptionContainer']").last.click()  # focus in the panel
        page.keyboard.press("ArrowRight")
        page.wait_for_function(CELL_SHOWS, arg=1, timeout=30_000)
        wait_idle(page)
        assert "step=4" in page.url, "→ inside the panel moved the story too"
        # The key map is one table, in a popover that Tab and Enter reach.
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.innerText.includes('Keys')"):
                break
        page.keyboard.press("Enter")
        page.get_by_text("inside the step panel (Tab to it, or click in it)").first.wait_for(timeout=10_000)
    finally:
        page.context.close()


def test_the_panel_opens_in_view_and_steps_as_one_current_step_without_rerunning_the_app(chromium, app_server):
    """▶ reruns the panel's own fragment, which sends no figure but the states strip (sent unchanged, not redrawn):
    the cell is a table and the diagram is not in that fragment, so the browser answers without a plotly redraw
    (bench/step_latency.py times it). A step the diagram hides (t=2 of the seed at 1400 px) is drawn around after
    the panel has answered: the page's fragment runs second. Play, the band and the strip's outline end on the step."""
    page = new_tab(chromium, app_server, 1400, 900)
    seen = _watch_reruns(page)
    try:
        page.goto(f"{app_server}/unrolled")
        wait_idle(page)
        _open_panel(page)
        controls = page.evaluate(BOX, ".st-key-step_forward")  # the panel's first row: ◀ t ▶
        assert 0 <= controls["top"] < 900 / 2, f"the panel opened at y={controls['top']:.0f}, not in view"
        runs = []
        for t in (1, 2):
            before = len(seen)
            page.locator(".st-key-step_forward button").first.click()
            page.wait_for_function(CELL_SHOWS, arg=t, timeout=30_000)
            wait_idle(page)
            page.wait_for_function(f"() => ({PLAY_LABEL})() === 't={t}'", timeout=30_000)  # Play follows the step
            wait_idle(page)
            runs.append(seen[before:])
        for events in runs:
            reruns = [event[1] for event in events if event[0] == "rerun"]
            assert reruns and all(reruns), f"a step reran the whole app: {events}"
            first_run = events[: events.index(("finished",)) + 1]
            assert first_run.count(("figure",)) <= 1, f"a step sent figures to redraw: {first_run}"
        panel = [event[1] for event in runs[0] if event[0] == "rerun"]
        assert len(panel) == 1, f"t=1 is drawn: the panel's run alone, {runs[0]}"
        second = [event[1] for event in runs[1] if event[0] == "rerun"]
        assert second[0] == panel[0] and len(second) == 2 and second[1] != panel[0], f"t=2 is hidden: {runs[1]}"
        page.wait_for_function(  # the outline of the states strip, which a step does not redraw, and the band
            """() => {
                const named = (key, name) => (document.querySelector(`.st-key-${key} .js-plotly-plot`).layout.shapes
                    || []).filter((shape) => shape.name === name);
                const outline = named('step_strip', 'step'), band = named('unrolled_figure', 'focus');
                return outline.length === 1 && outline[0].x0 === 1.5 && band.length === 1;
            }""",
            timeout=10_000,
        )
        cell = page.evaluate(BOX, ".st-key-step_forward_vectors table")
        assert cell["top"] >= 0 and cell["bottom"] <= 900, f"the gate numbers are off screen: {cell}"
    finally:
        page.context.close()


@pytest.mark.parametrize(
    ("link", "size", "element"),
    [("/weights?story=seed&step=2", (1400, 900), "unrolled_picture"),
     ("/shapes?story=return_sequences&step=3&talk=true", (1280, 720), "overview_invalid")],
)  # fmt: skip
def test_the_story_bar_stays_on_screen_with_its_outlined_element(chromium, app_server, link, size, element):
    """Next, from the step before, lands on seed step 3 at 1400×900 and return_sequences step 4 on a 1280×720 slide:
    the bar (its sentence and Next) and the outlined element's top are both on screen."""
    page = new_tab(chromium, app_server, *size)
    try:
        page.goto(f"{app_server}{link}")
        wait_idle(page)
        page.locator(".st-key-story_next button").click()
        page.wait_for_function("""(key) => !!document.querySelector(`.st-key-${key}`)""", arg=element, timeout=30_000)
        wait_idle(page)
        page.wait_for_function(
            """(key) => { const e = document.querySelector(`.st-key-${key}`);
                return e && e.getBoundingClientRect().top < window.innerHeight; }""",
            arg=element,
            timeout=10_000,
        )
        page.wait_for_timeout(800)  # the highlight's script scrolls once its element is drawn (it looks every 200 ms)
        bar = page.evaluate(BOX, ".st-key-story_bar")
        outlined = page.evaluate(BOX, f".st-key-{element}")
        assert 0 <= bar["top"] and bar["bottom"] <= size[1], f"the story bar is off screen: {bar}"
        assert outlined["top"] >= bar["bottom"] - 1, f"the element's top is under the bar: {outlined}, {bar}"
        assert outlined["top"] < size[1], outlined
    finally:
        page.context.close()


def test_the_seed_storys_equivalence_step_shows_the_labs_verdict_without_a_click(chromium, app_server):
    page = new_tab(chromium, app_server, 1400, 900)
    try:
        page.goto(f"{app_server}/equivalence?story=seed&step=5")
        page.get_by_text("Same weights, same outputs").first.wait_for(timeout=240_000)
        verdict = page.locator(".st-key-equivalence_picture [data-testid='stMetricValue']").first
        assert float(verdict.inner_text()) == 0.0, "the twins' outputs differ"
    finally:
        page.context.close()
