"""Pytest fixtures of the real-browser tests: one `streamlit run` server and one headless Chromium per test process.

Starting a server, its TensorFlow worker and a Chromium costs seconds of CPU each; every browser test file shares them
(tests/conftest.py loads this plugin and keeps all browser files on one xdist worker). Each test still gets its own
browser context, so its own Streamlit session. The server runs as shipped but for speculative warm-ups (below).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, ServerUrl, require_browser, streamlit_server

# Talks run offline: the tests' Chromium resolves no host name (only the server's 127.0.0.1 is reachable), so a page
# that needs the internet shows it; tests/test_patterns_browser.py also records any attempt. This needs no request
# interception, which would turn off the browser's cache and route every request through Python.
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
BROWSER_FILES = (
    "tests/test_browser.py",
    "tests/test_fix_browser.py",
    "tests/test_patterns_browser.py",
    "tests/test_step_panel_browser.py",
    "tests/test_talk_browser.py",
    "tests/test_spec_wins_browser.py",
    "tests/test_a11y_browser.py",
    "tests/test_fit_browser.py",
    "tests/test_stage_browser.py",
    "tests/test_phone_tap_browser.py",
    "tests/test_status_boxes_browser.py",
)


class SharedServer(ServerUrl):
    """The shared server's URL; `visited` turns true once a test opened a page on it (a fresh server is one that no
    session has run yet)."""

    visited: bool = False


@pytest.fixture(scope="session")
def app_server() -> Iterator[SharedServer]:
    """The test process's one app server."""
    require_browser()
    # No speculative warm-ups: every page the tests open would queue builds and traces of models that no test clicks
    # (the preset grid alone: 12 s of TensorFlow CPU), competing with the tests for 2 cores. Warm-ups have their own
    # tests (test_worker, test_training_page); the clicked Keras work (training, fix checks) runs in the worker here.
    with streamlit_server(speculate=False) as url:
        shared = SharedServer(url)
        shared.pid = url.pid
        yield shared


@pytest.fixture(scope="session")
def chromium(app_server):
    """The test process's one headless Chromium (depends on the server so that the skip/fail check comes first)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + OFFLINE_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_tab(chromium, server: SharedServer, width: int = 1400, height: int = 1000, context=None):
    """A page (a new Streamlit session) on `server`, in a new browser context unless `context` is given; close it
    with `tab.context.close()`."""
    server.visited = True
    if context is not None:
        return context.new_page()
    return chromium.new_context(viewport={"width": width, "height": height}).new_page()


@pytest.fixture
def tab(chromium, app_server):
    """A fresh 1400x1000 tab (its own session) on the shared server, closed after the test."""
    page = new_tab(chromium, app_server)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def fresh_server(app_server) -> Iterator[SharedServer]:
    """A server that no session has run yet: the shared one while no test has opened a page on it (the browser
    tests' first test normally), else a private one started for this test, so the order of tests never matters."""
    if not app_server.visited:
        yield app_server
        return
    with streamlit_server() as url:
        private = SharedServer(url)
        private.pid = url.pid
        yield private
