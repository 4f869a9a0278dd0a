"""Every page that draws the model, under every pattern preset, in a real browser, offline: its title, no exception,
its charts drawn (issue 13). The other pages (Training, Equivalence, Code, Fix my error) draw nothing of a preset
before a click: tests/test_app_shell.py opens them under these presets.

One session per preset (a link with the preset's spec fields as query parameters, read once by the frame), then the
sidebar's page links in that session; the presets' tabs take each step together, so the server runs one preset's
page while Chromium draws another's. Only localhost is reachable (tests/browser_fixtures.py): any other request is
recorded, and none may be attempted (talks run offline). Skips like tests/test_browser.py without Chromium (fails
under CI).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest

from core.model.spec import DEFAULTS, PATTERNS, STACKING_MISTAKE, ModelSpec
from core.model.url_state import spec_to_query
from tests.browser_fixtures import new_tab
from tests.browser_support import screenshot, wait_idle

pytestmark = pytest.mark.browser

# (the sidebar's link, the page's title), in the order the sidebar lists them (app.py's PAGES).
PAGES = [
    ("Overview", "TimeDistributed(Dense) or Dense?"),
    ("Unrolled network", "Unrolled network"),
    ("Weights", "Weights"),
    ("Shape flow", "Shape flow"),
]
PRESETS: dict[str, ModelSpec] = {"seed": DEFAULTS, **PATTERNS, "stacking mistake": STACKING_MISTAKE}


def _problem(page, title: str) -> str | None:
    """What is wrong with the page drawn in `page` (expected `title`), or None."""
    main = page.locator("[data-testid='stMain']")
    exceptions = main.locator("[data-testid='stException']")
    if exceptions.count():
        return "exception: " + exceptions.first.inner_text()[:300]
    heading = main.locator("h1").first.inner_text().strip()
    if heading != title:
        return f"title {heading!r}"
    charts = main.locator("[data-testid='stPlotlyChart']")
    if charts.count():
        charts.first.locator(".main-svg").first.wait_for(state="attached", timeout=30_000)
    return None


def test_every_drawing_page_renders_every_pattern_preset_offline(chromium, app_server):
    outside: list[str] = []
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})  # one cache; a session per tab
    context.on("request", lambda request: _record_outside(request.url, outside))
    tabs = {}
    try:
        for name, spec in PRESETS.items():
            tab = tabs[name] = new_tab(chromium, app_server, context=context)
            query = urlencode(spec_to_query(spec))
            tab.goto(f"{app_server}/?{query}" if query else f"{app_server}/", wait_until="commit")
        problems = []
        for index, (link, title) in enumerate(PAGES):
            if index:
                for tab in tabs.values():
                    # The link's own click event, without Playwright's actionability checks, which wait for
                    # animation frames that Chromium throttles in all but one of these tabs (about 1 s a click).
                    tab.locator("[data-testid='stSidebarNav'] a").filter(has_text=link).dispatch_event("click")
            for name, tab in tabs.items():
                wait_idle(tab, title=title)
                problem = _problem(tab, title)
                if problem:
                    problems.append(f"{link} under {name}: {problem}")
                    screenshot(tab, f"patterns-{name}-{link}".replace(" ", "-"))
        # Each session kept its preset through every page (the URL mirrors the spec).
        for name, spec in PRESETS.items():
            assert set(spec_to_query(spec).items()) <= set(_query(tabs[name].url).items()), name
        assert problems == []
        assert outside == []
    finally:
        context.close()


def _record_outside(url: str, outside: list[str]) -> None:
    """Keep `url` if it leaves localhost (the shared Chromium resolves no host name: such a request fails)."""
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        outside.append(url)


def _query(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl  # noqa: PLC0415

    return dict(parse_qsl(urlsplit(url).query))
