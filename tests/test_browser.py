"""The real app in a real browser: `streamlit run serve.py` (as shipped) on a free port, driven by headless Chromium
(Playwright).

Skips when Chromium or Playwright is missing, except with CI=true, where that is a failure. Screenshots go to
artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re

import pytest

from tests.browser_fixtures import new_tab
from tests.browser_support import screenshot, wait_idle

pytestmark = pytest.mark.browser

OVERVIEW_TITLE = "TimeDistributed(Dense) or Dense?"


@pytest.fixture
def server(app_server):
    """The shared app server (tests/browser_fixtures.py)."""
    return app_server


@pytest.fixture
def page(tab):
    """A fresh tab (its own session) on the shared server."""
    return tab


def _open(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def _main(page):
    return page.locator("[data-testid='stMain']")


def _sidebar(page):
    return page.locator("[data-testid='stSidebar']")


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']"
    ).first.inner_text()


def test_deep_link_as_first_visit_of_a_fresh_server(chromium, fresh_server):
    """Needs a server that no session has run yet: `fresh_server` starts one if another test ran first."""
    page = new_tab(chromium, fresh_server)
    try:
        _deep_link_as_first_visit(page, fresh_server)
    finally:
        page.context.close()


def _deep_link_as_first_visit(page, server) -> None:
    _open(page, f"{server}/weights?cell=LSTM")
    screenshot(page, "first-visit-deep-link")
    expect_frame = _sidebar(page).get_by_text("Recurrent cell")
    assert expect_frame.count() == 1
    assert _sidebar(page).get_by_role("combobox", name="Recurrent cell").input_value() == "LSTM"
    # Streamlit's legacy discovery would show "Page not found" and run the main page instead.
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("dialog").count() == 0
    assert page.locator("[data-testid='stMain'] h1").first.inner_text() == "Weights"
    _no_exception(page)


def test_the_seed_numbers_then_a_sidebar_click_changes_them(page, server):
    _open(page, server)
    main = _main(page)
    # 3u(i+u+2) + o(u+1) for the seed's GRU(16) on 15 inputs and Dense(8): Keras's 1,720.
    assert f"{3 * 16 * (15 + 16 + 2) + 8 * (16 + 1):,}" == "1,720"
    main.get_by_text("1,720", exact=True).first.wait_for(timeout=30_000)
    assert main.get_by_text("1,720", exact=True).count() == 3
    assert main.get_by_text("Model 1 and Model 2 are the same model").count() == 1
    _no_exception(page)
    # A sidebar click: the URL, the three totals and the copy-link box follow.
    hidden = _sidebar(page).locator("[data-testid='stNumberInput']").filter(has_text="Hidden size")
    hidden.locator("[data-testid='stNumberInputStepUp']").click()
    page.wait_for_url(re.compile(r"hidden_size=17"), timeout=30_000)
    wait_idle(page)
    total = 3 * 17 * (15 + 17 + 2) + 8 * (17 + 1)
    _main(page).get_by_text(f"{total:,}", exact=True).first.wait_for(timeout=30_000)
    assert _main(page).get_by_text(f"{total:,}", exact=True).count() == 3
    assert _main(page).get_by_text("1,720", exact=True).count() == 0
    screenshot(page, "overview-hidden-17")
    # The copy-link box follows.
    assert "hidden_size=17" in _sidebar(page).locator("[data-testid='stCode']").inner_text()
    _no_exception(page)


def test_a_shared_link_restores_its_configuration(page, server):
    _open(page, f"{server}/weights?cell=LSTM&timesteps=12&return_sequences=false&head=dense")
    sidebar = _sidebar(page)
    assert sidebar.get_by_role("combobox", name="Recurrent cell").input_value() == "LSTM"
    timesteps = sidebar.locator("[data-testid='stNumberInput']").filter(has_text="Timesteps").locator("input")
    assert timesteps.input_value() == "12"
    link = sidebar.locator("[data-testid='stCode']").inner_text()
    assert "/weights?" in link and "cell=LSTM" in link and "timesteps=12" in link
    # Switching page keeps the configuration, and the URL keeps mirroring it.
    sidebar.locator("[data-testid='stSidebarNav'] a").filter(has_text="Overview").click()
    wait_idle(page, title=OVERVIEW_TITLE)
    page.wait_for_url(re.compile(r"/\?(?=.*cell=LSTM)(?=.*timesteps=12)"), timeout=30_000)
    # LSTM: 4u(i+u+1) + o(u+1) = 4·16·32 + 136.
    total = 4 * 16 * (15 + 16 + 1) + 8 * (16 + 1)
    _main(page).get_by_text(f"{total:,}", exact=True).first.wait_for(timeout=30_000)
    assert _main(page).get_by_text(f"{total:,}", exact=True).count() == 3
    screenshot(page, "shared-link-overview")
    _no_exception(page)


def test_a_hostile_link_shows_one_message(page, server):
    _open(page, f"{server}/shapes?cell=foo&timesteps=-3&hidden_size=1000000000&junk=1&output_size=3&output_size=4")
    warnings = _main(page).locator("[data-testid='stAlertContentWarning']").filter(has_text="link")
    assert warnings.count() == 1
    text = warnings.inner_text()
    for field in ("cell", "timesteps", "hidden_size", "output_size", "junk"):
        assert field in text
    assert "from 1 to 512" in text
    _no_exception(page)
    screenshot(page, "hostile-link")


def test_a_link_below_a_page_opens_home_saying_so_with_its_settings(page, server):
    """Streamlit's own server answers /weights/x with a blank page; serve.py sends it home with a message."""
    _open(page, f"{server}/training/extra/deep?cell=LSTM")
    assert page.locator("[data-testid='stMain'] h1").first.inner_text() == OVERVIEW_TITLE
    message = _main(page).locator("[data-testid='stAlertContentError']").filter(has_text="Page not found")
    assert "/training/extra/deep" in message.inner_text()
    assert _sidebar(page).get_by_role("combobox", name="Recurrent cell").input_value() == "LSTM"
    _no_exception(page)


def test_talk_mode_link_enlarges_text(page, server):
    _open(page, f"{server}/?talk=true&timesteps=6&input_size=3&hidden_size=4&output_size=2")
    # The talk style arrives with the page's elements and applies when painted: wait for it, and fail if it never does.
    page.wait_for_function("getComputedStyle(document.documentElement).fontSize === '20px'", timeout=30_000)
    _no_exception(page)
    screenshot(page, "talk-mode-tiny")


def test_training_runs_in_the_worker_and_the_server_never_loads_tensorflow(page, server):
    """Streamlit calls keras.backend.clear_session() after every rerun once Keras is imported in its process, which
    crashed trainings on a thread of the server: the server must never import TensorFlow, only its worker does."""
    from tests.browser_support import loaded_libraries

    _open(page, server + "/training?timesteps=6&input_size=3&hidden_size=4&output_size=2")
    _no_exception(page)
    _main(page).get_by_role("button", name="Train").click()
    page.get_by_text("Final loss").wait_for(timeout=180_000)
    _no_exception(page)
    # Keras trained the models (the final losses are on the page) and the server never loaded TensorFlow: the training
    # ran in the worker. (Which child holds TensorFlow right now is not asked: the worker may already have replaced
    # the child that trained, by job count or memory, and a fresh child has not imported it yet.)
    assert not [path for path in loaded_libraries(server.pid) if "tensorflow" in path]
    screenshot(page, "training-done")
