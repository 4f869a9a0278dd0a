"""Accessibility in a real browser: axe-core (WCAG 2.1 A and AA rules) finds no serious or critical violation on any
of the 8 pages, in normal mode (1400x900), in talk mode (1280x720) and on a phone (400x850); every figure on them has
a text alternative that a screen reader reaches; a story and the step panel work from the keyboard.

axe-core runs from the copy that axe-playwright-python ships (axe.min.js, injected into the page): offline. One tab
goes from page to page (each link a new session, as a visitor's reload), and nothing is clicked: no Keras job runs.
The browser test files' shared server and Chromium (tests/browser_fixtures.py); skips like tests/test_browser.py when
Chromium or Playwright is missing (fails under CI).
"""

from __future__ import annotations

import pytest

from tests.browser_fixtures import new_tab
from tests.browser_support import CELL_SHOWS, wait_idle

pytestmark = pytest.mark.browser

# Every page by its path, with its sidebar link and its title (wait_idle waits for it: the page, not the previous
# one, is checked).
PAGES = {
    "": ("Overview", "TimeDistributed(Dense) or Dense?"),
    "unrolled": ("Unrolled network", "Unrolled network"),
    "weights": ("Weights", "Weights"),
    "shapes": ("Shape flow", "Shape flow"),
    "training": ("Training", "Training"),
    "equivalence": ("Equivalence", "Equivalence lab"),
    "code": ("Code", "Code"),
    "fix": ("Fix my error", "Fix my error"),
}
# Talk mode on a 1280x720 projector; a phone (400 px: there a code block or a figure may scroll sideways).
MODES = {"normal": ("", (1400, 900)), "talk": ("?talk=true", (1280, 720)), "phone": ("", (400, 850))}
FRAMES_OWN_PAGES = ("unrolled", "shapes", "training", "equivalence")  # views/frame_step, frames_training, frames_lab
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = ("serious", "critical")

# True once every figure the page shows has been drawn by plotly (its SVG exists): axe then sees the page whole.
_FIGURES_DRAWN = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
    .filter((chart) => chart.checkVisibility())
    .every((chart) => chart.querySelector('.main-svg'))"""


def _open(page, url: str, path: str, query: str) -> None:
    """Open a page by its link and wait until it is idle and its figures are drawn."""
    page.goto(f"{url}/{path}{query}")
    _wait_drawn(page, path)


def _go(page, path: str) -> None:
    """Go to a page by the sidebar's link, as a visitor does (no reload: the page's session and talk mode stay; the
    sidebar may be collapsed, so the link gets its click event directly)."""
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text=PAGES[path][0]).first.dispatch_event("click")
    _wait_drawn(page, path)


def _wait_drawn(page, path: str) -> None:
    wait_idle(page, title=PAGES[path][1])
    page.wait_for_function(_FIGURES_DRAWN, polling=100, timeout=30_000)


# Each figure shown and its text alternative: the tde-alt paragraph (views.common.chart) in the element right before
# it, or before the innermost container it opens; a figure sent twice, wide and compact, shares one text, before both.
_FIGURE_ALTS = """() => [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
    .filter((chart) => chart.checkVisibility())
    .map((chart) => {
        let box = chart.closest("[data-testid='stElementContainer']");
        while (box && !box.previousElementSibling) box = box.parentElement;
        let before = box && box.previousElementSibling;
        const wide = (node) => node.matches('[class*="st-key-wide-"]') || node.querySelector('[class*="st-key-wide-"]');
        while (before && wide(before)) before = before.previousElementSibling;  // a compact figure's wide twin
        const alt = before && before.querySelector('.tde-alt');
        const key = chart.closest("[data-testid='stElementContainer']").className.match(/st-key-([\\w-]+)/);
        return [key ? key[1] : 'unkeyed', alt ? alt.innerText : ''];
    })"""


def _figure_alts(page) -> dict[str, str]:
    """Each figure the page shows (by its element key) and its text alternative ('' when it has none)."""
    return dict(page.evaluate(_FIGURE_ALTS))


def _blocking_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page: rule id, impact, and each target."""
    from axe_playwright_python.sync_playwright import Axe  # noqa: PLC0415 (a test dependency, imported when run)

    results = Axe().run(page, options={**WCAG_AA, "resultTypes": ["violations"]}).response
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']}"
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
        for node in violation["nodes"]
    ]


def test_no_serious_axe_violation_on_any_page_in_either_mode(chromium, app_server):
    """8 pages × 3 modes, one tab: 0 serious or critical violations (each listed with its target if any)."""
    page = new_tab(chromium, app_server, *MODES["normal"][1])
    found: dict[str, list[str]] = {}
    figures = dict.fromkeys(MODES, 0)
    try:
        for mode, (query, (width, height)) in MODES.items():
            page.set_viewport_size({"width": width, "height": height})
            _open(page, app_server, "", query)
            for path in PAGES:
                if path:
                    _go(page, path)
                assert query.lstrip("?") in page.url, f"{mode} /{path}: {page.url}"  # talk mode stays on
                violations = _blocking_violations(page)
                if violations:
                    found[f"{mode} /{path}"] = violations
                # Every figure says what it shows, and a screen reader reaches the words (accessibility tree).
                alts = _figure_alts(page)
                tree = page.locator("[data-testid='stMain']").aria_snapshot() if alts else ""
                for key, alt in alts.items():
                    if len(alt) < 40 or alt.split("'")[0] not in tree:
                        found.setdefault(f"{mode} /{path}", []).append(f"figure {key}: text alternative {alt!r}")
                figures[mode] += len(alts)
    finally:
        page.context.close()
    assert not found, found
    assert all(count >= 3 for count in figures.values()), figures  # unrolled, weights, shapes at least: checked


# The element keys (st-key-…) of the element that has the keyboard focus, innermost first.
_FOCUSED_KEYS = """() => {
    const keys = [];
    for (let node = document.activeElement; node; node = node.parentElement) {
        const found = (node.className && node.className.toString().match(/st-key-([\\w-]+)/));
        if (found) keys.push(found[1]);
    }
    return keys;
}"""


def _tab_to(page, key: str, presses: int = 120) -> None:
    """Press Tab until the keyboard focus is in the element keyed `key` (fails if `presses` Tabs never reach it)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if key in page.evaluate(_FOCUSED_KEYS):
            return
    raise AssertionError(f"{presses} presses of Tab never reached {key}")


def test_story_and_step_panel_work_from_the_keyboard_and_pass_axe(chromium, app_server):
    """Tab reaches a story's Back and Next, and Enter on Next moves the story on; on the Unrolled page Tab reaches
    "Show the numbers", Enter opens the step panel (axe finds nothing serious in it, and each of its figures has a
    text alternative, its cell a table), and Tab then Enter on ▶ steps to t=1."""
    page = new_tab(chromium, app_server, *MODES["normal"][1])
    try:
        page.goto(f"{app_server}/?story=seed&step=2")
        wait_idle(page)
        _tab_to(page, "story_back")
        _tab_to(page, "story_next")
        page.keyboard.press("Enter")
        page.wait_for_url("**step=3**", timeout=30_000)
        wait_idle(page)
        assert _blocking_violations(page) == []

        _open(page, app_server, "unrolled", "")
        _tab_to(page, "step_open_button")
        page.keyboard.press("Enter")
        page.locator(".st-key-step_forward_vectors table").first.wait_for(timeout=180_000)
        wait_idle(page)
        page.wait_for_function(_FIGURES_DRAWN, polling=100, timeout=30_000)
        assert _blocking_violations(page) == []
        alts = _figure_alts(page)
        assert "step_strip" in alts, alts
        assert all(alt.startswith("Figure: ") and len(alt) > 40 for alt in alts.values()), alts
        # The cell's numbers are a table, which a screen reader reads as one: its caption names the step.
        assert page.evaluate(CELL_SHOWS, 0)
        _tab_to(page, "step_forward")
        page.keyboard.press("Enter")
        page.wait_for_function(CELL_SHOWS, arg=1, polling=100, timeout=60_000)
    finally:
        page.context.close()


def test_the_frames_pages_have_no_serious_axe_violation_and_their_figures_a_text_alternative(chromium, app_server):
    """A frames spec (issue 27), at 1400 px and on a phone, on the pages that draw something of their own for frames
    (the shared-CNN diagram and its step, the frames lab, the frames training, the shape flow; the sidebar's frames
    controls are on each): 0 serious or critical violations, and the diagram says what it shows. (The other pages
    draw the default spec's layouts, which test_no_serious_axe_violation_on_any_page_in_either_mode checks.)"""
    from urllib.parse import urlencode  # noqa: PLC0415

    from core.model.spec import ModelSpec  # noqa: PLC0415
    from core.model.url_state import spec_to_query  # noqa: PLC0415

    query = "?" + urlencode(spec_to_query(ModelSpec(input_kind="frames"), False))
    page = new_tab(chromium, app_server, *MODES["normal"][1])
    found: dict[str, list[str]] = {}
    frames_alts = []
    try:
        for mode in ("normal", "phone"):
            page.set_viewport_size(dict(zip(("width", "height"), MODES[mode][1], strict=True)))
            for path, (title, _) in PAGES.items():
                if path not in FRAMES_OWN_PAGES:
                    continue
                page.goto(f"{app_server}/{path}{query}")
                wait_idle(page, title=title)  # a frames page's title is its navigation title
                page.wait_for_function(_FIGURES_DRAWN, polling=100, timeout=30_000)
                if violations := _blocking_violations(page):
                    found[f"{mode} /{path}"] = violations
                alts = _figure_alts(page)
                for key, alt in alts.items():
                    if len(alt) < 40:
                        found.setdefault(f"{mode} /{path}", []).append(f"figure {key}: text alternative {alt!r}")
                frames_alts += [alt for key, alt in alts.items() if key.startswith("frames_diagram")]
    finally:
        page.context.close()
    assert not found, found
    assert len(frames_alts) == 2 and all("the same Conv2D kernel" in alt for alt in frames_alts), frames_alts
