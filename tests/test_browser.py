"""The real app in a real browser: `streamlit run app.py` on a free port, driven by headless Chromium (Playwright).

Skips when Chromium or Playwright is missing, except with CI=true, where that is a failure. Screenshots go to
artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    require_browser,
    screenshot,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

PAGE_PATHS = ["", "unrolled", "weights", "shapes", "training", "equivalence", "code"]



@pytest.fixture(scope="module")
def server():
    require_browser()
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


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


def test_deep_link_as_first_visit_of_a_fresh_server(page, server):
    """Must stay first in this module: it needs a server that no session has run yet."""
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


def test_overview_shows_the_seed_numbers(page, server):
    _open(page, server)
    main = _main(page)
    # 3u(i+u+2) + o(u+1) for the seed's GRU(16) on 15 inputs and Dense(8): Keras's 1,720.
    assert f"{3 * 16 * (15 + 16 + 2) + 8 * (16 + 1):,}" == "1,720"
    main.get_by_text("1,720", exact=True).first.wait_for(timeout=30_000)
    assert main.get_by_text("1,720", exact=True).count() == 3
    assert main.get_by_text("Model 1 and Model 2 are the same model").count() == 1
    _no_exception(page)


def test_a_sidebar_click_changes_the_view(page, server):
    _open(page, server)
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
    page.wait_for_url(re.compile(r"cell=LSTM"), timeout=30_000)
    wait_idle(page)
    assert "timesteps=12" in page.url
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


def test_talk_mode_link_enlarges_text(page, server):
    _open(page, f"{server}/?talk=true&timesteps=6&input_size=3&hidden_size=4&output_size=2")
    size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert size == "20px"
    _no_exception(page)
    screenshot(page, "talk-mode-tiny")


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_page_renders_offline(browser, server, path):
    """Every page draws its title and figures without an exception, with only localhost reachable: every other
    request is blocked and recorded, and none may be attempted (talks run offline)."""
    outside: list[str] = []

    def only_localhost(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        context.route("**/*", only_localhost)
        tab = context.new_page()
        _open(tab, f"{server}/{path}")
        heading = _main(tab).locator("h1").first
        heading.wait_for(state="visible", timeout=30_000)
        assert heading.inner_text().strip()
        _no_exception(tab)
        charts = _main(tab).locator("[data-testid='stPlotlyChart']")
        if charts.count():
            charts.first.locator(".main-svg").first.wait_for(state="attached", timeout=30_000)
        assert outside == []
        screenshot(tab, f"page-{path or 'overview'}")
    finally:
        context.close()


def test_training_runs_in_the_worker_and_the_server_never_loads_tensorflow(page, server):
    """Streamlit calls keras.backend.clear_session() after every rerun once Keras is imported in its process, which
    crashed trainings on a thread of the server: the server must never import TensorFlow, only its worker does."""
    from tests.browser_support import child_pids, loaded_libraries

    _open(page, server + "/training?timesteps=6&input_size=3&hidden_size=4&output_size=2")
    _no_exception(page)
    _main(page).get_by_role("button", name="Train").click()
    page.get_by_text("Final loss").wait_for(timeout=180_000)
    _no_exception(page)
    assert not [path for path in loaded_libraries(server.pid) if "tensorflow" in path]
    workers = [pid for pid in child_pids(server.pid) if "core.worker_child" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert len(workers) == 1  # the one TensorFlow worker, which did the training
    assert [path for path in loaded_libraries(workers[0]) if "tensorflow" in path]
    screenshot(page, "training-done")
