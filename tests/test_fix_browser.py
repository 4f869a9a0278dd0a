"""Fix my error in a real browser: paste one of the issue's four cases with the learner's model, see the cause and
where the model came from, and load the fixed model; on a phone, the cause and the fixes.

Skips when Chromium or Playwright is missing, except with CI=true, where that is a failure (as tests/test_browser.py).
"""

from __future__ import annotations

import re

import pytest

from tests.browser_fixtures import new_tab
from tests.browser_support import screenshot, settle_frames, wait_idle
from tests.test_diagnose import CASE_C, MODEL_C, MODEL_D

pytestmark = pytest.mark.browser

# One of the four cases, its whole way through a real browser: (error, X, Y, model, cause, what the model
# line shows, what the URL holds once the first loadable fix is loaded). All four cases, each cause, model line, check
# and loaded URL, run through AppTest (tests/test_fix_page.py), which is where they differ; the page's widgets and
# the URL are the same for each.
CASE = (
    CASE_C,
    "(500, 30, 4)",
    "(500, 8)",
    MODEL_C,
    "target_rank",
    "GRU(16, return_sequences=True)",
    ("return_sequences=false", "timesteps=30", "input_size=4", "head=dense", "activation=linear"),
)


def _fill(main, label: str, value: str, key: str) -> None:
    box = main.get_by_label(label, exact=True)
    box.fill(value)
    box.press(key)


def test_paste_a_case_and_load_the_fix(chromium, app_server):
    text, x, y, model, cause, line, url_parts = CASE
    page = new_tab(chromium, app_server, 1400, 900)
    try:
        page.goto(f"{app_server}/fix")
        wait_idle(page)
        main = page.locator("[data-testid='stMain']")
        _fill(main, "model.summary() or the code that builds it", model, "Control+Enter")
        _fill(main, "Shape of X", x, "Enter")
        _fill(main, "Shape of Y", y, "Enter")
        if text:
            _fill(main, "Your Keras error", text, "Control+Enter")
        main.get_by_text(f"Cause code: {cause}").wait_for(timeout=90_000)
        assert main.get_by_text("Your model, as read from your code:").count() == 1
        assert line in main.get_by_text("Your model, as read from your code:").inner_text()
        load = main.get_by_role("button", name="Load this model into the app").first
        load.wait_for(timeout=120_000)
        wait_idle(page, timeout_ms=120_000)
        assert main.get_by_text("Checked by Keras").count() >= 1
        assert main.get_by_text("did not pass Keras's check").count() == 0
        assert main.locator("[data-testid='stException']").count() == 0
        screenshot(page, f"fix-{cause}")
        load.click()
        main.get_by_text("Loaded the fixed model").wait_for(timeout=30_000)
        page.wait_for_url(re.compile(re.escape(url_parts[0])), timeout=30_000)
        wait_idle(page)
        for part in url_parts:
            assert part in page.url, (part, page.url)
    finally:
        page.context.close()


def test_a_phone_width_shows_the_cause_and_the_fixes(chromium, app_server):
    page = new_tab(chromium, app_server, 400, 850)
    try:
        page.goto(f"{app_server}/fix")
        wait_idle(page)
        main = page.locator("[data-testid='stMain']")
        _fill(main, "model.summary() or the code that builds it", MODEL_D, "Control+Enter")
        _fill(main, "Shape of X", "(500, 30, 8)", "Enter")
        _fill(main, "Shape of Y", "(500, 30)", "Enter")
        main.get_by_text("Cause code: already_works").wait_for(timeout=90_000)
        main.get_by_role("button", name="Load this model into the app").first.wait_for(timeout=120_000)
        settle_frames(page)
        assert main.get_by_text("This already works in Keras").is_visible()
        screenshot(page, "fix-narrow")
    finally:
        page.context.close()
