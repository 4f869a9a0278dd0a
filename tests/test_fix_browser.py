"""Fix my error in a real browser: paste a real Keras 3 traceback, see the cause, load the suggested fix.

Skips when Chromium or Playwright is missing, except with CI=true, where that is a failure (as tests/test_browser.py).
"""

from __future__ import annotations

import re
import traceback

import pytest

from tests.browser_fixtures import new_tab
from tests.browser_support import screenshot, settle_frames, wait_idle

pytestmark = pytest.mark.browser



def _real_traceback() -> str:
    """The whole traceback Keras 3 prints for per-sequence targets fed to a per-timestep model."""
    import numpy as np

    from core.keras.env import load_keras

    keras = load_keras()
    model = keras.Sequential(
        [
            keras.Input((15, 3)),
            keras.layers.GRU(4, return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(2)),
            keras.layers.Activation("softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop")
    try:
        model.fit(np.zeros((4, 15, 3), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    except ValueError:
        return traceback.format_exc()
    raise AssertionError("Keras accepted per-sequence targets for a per-timestep model")


def test_paste_a_traceback_and_load_the_fix(chromium, app_server):
    """One session: the diagnosis and Keras's checks of the fixes at 1400x900, the same page at 400x850 (a phone), where
    the fix is loaded."""
    text = _real_traceback()
    assert text.startswith("Traceback") and "must have the same rank" in text
    page = new_tab(chromium, app_server, 1400, 900)
    try:
        page.goto(f"{app_server}/fix")
        wait_idle(page)
        main = page.locator("[data-testid='stMain']")
        main.locator("textarea").fill(text)
        main.locator("textarea").press("Control+Enter")
        # The cause is drawn at once; the fixes once Keras has checked them (the load button is drawn last).
        main.get_by_text("Cause code:").wait_for(timeout=90_000)
        load = main.get_by_role("button", name="Load this model into the app").first
        load.wait_for(timeout=90_000)
        wait_idle(page, timeout_ms=90_000)
        assert "target_rank" in main.get_by_text("Cause code:").inner_text()
        assert main.locator("[data-testid='stException']").count() == 0
        screenshot(page, "fix-wide")
        page.set_viewport_size({"width": 400, "height": 850})
        settle_frames(page)
        assert main.get_by_text("Cause code:").is_visible() and load.is_visible()
        screenshot(page, "fix-narrow")
        load.click()
        page.wait_for_url(re.compile(r"return_sequences=false"), timeout=30_000)
        wait_idle(page)
        assert "head=dense" in page.url and "timesteps=15" in page.url
        main.get_by_text("Loaded the fixed model").wait_for(timeout=30_000)
        assert main.locator("[data-testid='stException']").count() == 0
        screenshot(page, "fix-narrow-loaded")
    finally:
        page.context.close()
