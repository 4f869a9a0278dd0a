"""Talks in a real browser: at 1280x720 and 1920x1080 in talk mode each page's key picture is on the first screen
whole and no metric value is cut; both guided stories run from their first step to their last with Next.

The browser test files' shared server and Chromium (tests/browser_fixtures.py); skips like tests/test_browser.py when
Chromium or Playwright is missing (fails under CI).
"""

from __future__ import annotations

import pytest

from core.talk.stories import STORIES
from tests.browser_fixtures import new_tab
from tests.browser_support import hidden_texts, settle_frames, wait_idle

pytestmark = pytest.mark.browser

# Each page's key picture (a container keyed in the page) by the sidebar link that opens the page, with the page's
# title, and how much of it must show: the whole of it, or (the Code page's long script) its first lines.
KEY_PICTURES = {
    "Overview": ("TimeDistributed(Dense) or Dense?", "overview_cards", None),
    "Unrolled network": ("Unrolled network", "unrolled_picture", None),
    "Weights": ("Weights", "weights_picture", None),
    "Shape flow": ("Shape flow", "shapes_picture", None),
    "Code": ("Code", "code_picture", 250),
    "Training": ("Training", "training_picture", None),
    "Equivalence": ("Equivalence lab", "equivalence_picture", None),
}
SCREENS = [(1280, 720), (1920, 1080)]


@pytest.fixture
def browser(chromium, app_server):
    """The shared Chromium and app server (tests/browser_fixtures.py)."""
    return chromium, app_server


def _cut_metrics(page) -> list[str]:
    """The metric values whose text is wider than their box (drawn with an ellipsis)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
            .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.innerText)"""
    )


def test_each_key_picture_fits_the_first_screen(browser):
    """Each page is opened once, measured at 1920x1080, then at 1280x720 (the layout reflows, as on a projector).

    One talk-mode link, then the sidebar's links (the sidebar starts collapsed in talk mode: the link's own click
    event), as a speaker moves through the app: the page is not reloaded, and talk mode must stay on."""
    chromium, url = browser
    page = new_tab(chromium, url, 1920, 1080)
    try:
        page.goto(f"{url}/?talk=true")
        for link, (title, key, first_px) in KEY_PICTURES.items():
            if link != "Overview":
                page.locator("[data-testid='stSidebarNav'] a").filter(has_text=link).dispatch_event("click")
            wait_idle(page, title=title)
            assert "talk=true" in page.url, f"{link}: talk mode lost ({page.url})"
            picture = page.locator(f".st-key-{key}")
            picture.wait_for(state="visible", timeout=30_000)
            if page.locator(f".st-key-{key} [data-testid='stPlotlyChart']").count():
                page.locator(f".st-key-{key} .main-svg").first.wait_for(state="attached", timeout=30_000)
            assert page.locator("[data-testid='stException']").count() == 0, link
            for width, height in SCREENS[::-1]:
                page.set_viewport_size({"width": width, "height": height})
                settle_frames(page)  # the browser reflows the page
                box = picture.bounding_box()
                bottom = box["y"] + (first_px if first_px else box["height"])
                where = f"{link} at {width}x{height}: {key}"
                assert box["y"] >= 0 and bottom <= height, f"{where} spans {box['y']:.0f}-{bottom:.0f}"
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{where} is wider than the screen"
                assert _cut_metrics(page) == [], f"{where}: cut metric values"
            page.set_viewport_size({"width": 1920, "height": 1080})
    finally:
        page.context.close()


@pytest.mark.parametrize("name", list(STORIES))
def test_a_story_runs_from_start_to_end(browser, name):
    chromium, url = browser
    story = STORIES[name]
    page = new_tab(chromium, url, 1280, 720)
    try:
        page.goto(f"{url}/?talk=true&story={name}&step=1")
        wait_idle(page)
        for index, step in enumerate(story.steps):
            bar = page.locator(".st-key-story_bar")
            bar.get_by_text(step.takeaway).wait_for(timeout=30_000)
            # The takeaway and the step caption arrive in one rerun but may paint a frame apart: wait for both.
            bar.get_by_text(f"step {index + 1} of {len(story.steps)}").wait_for(timeout=30_000)
            assert f"step={index + 1}" in page.url and f"story={name}" in page.url
            highlighted = f".st-key-{step.highlight[0]}"
            page.locator(highlighted).wait_for(state="visible", timeout=30_000)
            # The highlight's style may paint after the takeaway: wait for the outline itself (the element may be
            # redrawn meanwhile, so a moment without it is a reason to wait, not an error).
            page.wait_for_function(
                """selector => {
                    const element = document.querySelector(selector);
                    return element !== null && getComputedStyle(element).outlineStyle.includes('solid');
                }""",
                arg=highlighted,
                timeout=30_000,
            )
            assert page.locator("[data-testid='stException']").count() == 0
            # On a slide no heading may run off the unrolled figure or under its Play buttons (frames: no buttons).
            if step.page == "unrolled" and step.spec.input_kind == "vectors":
                assert hidden_texts(page, "unrolled_figure") == [], f"step {index + 1}"
            if index < len(story.steps) - 1:
                bar.get_by_role("button", name="Next").click()
                page.wait_for_url(f"**step={index + 2}**", timeout=30_000)
        assert page.locator(".st-key-story_bar").get_by_role("button", name="Next").is_disabled()
    finally:
        page.context.close()
