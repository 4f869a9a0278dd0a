"""In Chromium: a run that ends before the sidebar is drawn must not reset the learner's model (issue 22).

The browser forgets widgets that a finished run did not draw and redraws them at their floor values (SimpleRNN, off,
0), then sends those back as the learner's edit. The server must send the spec with every widget, so the browser can
never hold values the spec does not have. A fault is injected through a wrapper of app.py that raises once, before
the sidebar, when the test touches a flag file.
"""

from __future__ import annotations

import pytest

from tests.browser_support import APP_IDLE, ROOT, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

WRAPPER = """
import os, pathlib, runpy
import views.story as story

_flag = pathlib.Path(os.environ["TDE_TEST_FAULT_FLAG"])
_before_sidebar = story.before_sidebar


def before_sidebar(*args, **kwargs):
    if _flag.exists():
        _flag.unlink()
        raise RuntimeError("injected fault before the sidebar")
    return _before_sidebar(*args, **kwargs)


story.before_sidebar = before_sidebar
runpy.run_path(str(pathlib.Path(__file__).with_name("app.py")), run_name="__main__")
"""
LINK = "/?cell=LSTM&timesteps=12&input_size=3&hidden_size=5&output_size=2"


OVERVIEW = "TimeDistributed(Dense) or Dense?"


def _press_r(page) -> None:
    """Rerun the script as the learner's R key does (with the focus on the page, not in a widget)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("r")


def test_the_model_survives_a_run_that_ended_before_the_sidebar(tmp_path, monkeypatch, chromium):
    flag = tmp_path / "fault"
    monkeypatch.setenv("TDE_TEST_FAULT_FLAG", str(flag))
    wrapper = ROOT / f".fault_frame_{tmp_path.name}.py"  # beside app.py, so that the pages resolve as they do for it
    wrapper.write_text(WRAPPER)
    try:
        with streamlit_server(script=wrapper.name, speculate=False) as url:
            page = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(url + LINK)
            wait_idle(page, title=OVERVIEW)
            timesteps = page.get_by_role("spinbutton", name="Timesteps (T)")
            assert timesteps.input_value() == "12"
            flag.touch()
            _press_r(page)
            page.wait_for_selector("[data-testid='stException']", timeout=60_000)  # this run drew no sidebar
            page.wait_for_selector(APP_IDLE, state="attached", timeout=60_000)
            _press_r(page)
            wait_idle(page, title=OVERVIEW)  # the sidebar is drawn again
            page.get_by_text("Talk mode").click()  # a real edit: the browser sends every widget's value with it
            page.wait_for_url("**talk=true**", timeout=60_000)
            wait_idle(page, title=OVERVIEW)
            assert timesteps.input_value() == "12"
            assert page.get_by_role("spinbutton", name="Output size (Dense units)").input_value() == "2"
            assert "timesteps=12" in page.url and "cell=LSTM" in page.url, page.url
            assert page.get_by_text("is below 1").count() == 0
            page.context.close()
    finally:
        wrapper.unlink(missing_ok=True)
