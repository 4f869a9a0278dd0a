"""Shared test helpers: run the app (or one page of it) through Streamlit's AppTest."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def _run_through_navigation() -> None:
    """Make every AppTest run go through app.py's st.navigation, as the real server does after its first run.

    Streamlit 1.67's AppTest resets `PagesManager.uses_pages_directory` before each run, and because a `pages/`
    folder exists, every run after the first would then execute the page script alone (legacy `pages/` discovery),
    skipping the frame: widget changes and reruns would silently test a page without its sidebar.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__
    if getattr(original, "_navigation_only", False):
        return

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    __init__._navigation_only = True
    PagesManager.__init__ = __init__


_run_through_navigation()

PAGES = {
    "overview": "pages/overview.py",
    "unrolled": "pages/unrolled.py",
    "weights": "pages/weights.py",
    "shapes": "pages/shapes.py",
    "training": "pages/training.py",
    "equivalence": "pages/equivalence.py",
    "code": "pages/code.py",
}


def run_app(page: str = "overview", params: dict[str, str | list[str]] | None = None, timeout: float = 60):
    """Run app.py on `page` (a key of PAGES) with the given URL query parameters; returns the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "overview":
        at.switch_page(PAGES[page]).run()
    return at


@pytest.fixture
def app():
    """The `run_app` function, as a fixture."""
    return run_app


def page_text(at) -> str:
    """All markdown, captions, titles, headers, infos, warnings and errors of a run, joined: for `in` checks."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text"):
        parts.extend(str(element.value) for element in getattr(at, kind))
    return "\n".join(parts)
