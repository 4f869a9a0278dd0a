"""The app's pages in one table, the `st.Page`s the frame navigates over, and the way a page links to another.

Each view is a function, `views.<name>.render`, reached at `/<name>` (the Overview at `/`). A page given by a callable
has no script path, so pages link and switch by `st.Page` (`page`, `link`, `switch`), never by a file name. A view
is rendered alone in a test through `AppTest.from_function` (`tests/conftest.py`'s `run_view`). Not a page itself.
"""

from __future__ import annotations

import importlib
from typing import Any

import streamlit as st

# url path (= the view's module name) -> (title, icon). The first is the default page, at `/`.
VIEWS: dict[str, tuple[str, str]] = {
    "overview": ("Overview", ":material/home:"),
    "unrolled": ("Unrolled network", ":material/account_tree:"),
    "weights": ("Weights", ":material/table_chart:"),
    "shapes": ("Shape flow", ":material/swap_horiz:"),
    "training": ("Training", ":material/monitoring:"),
    "equivalence": ("Equivalence", ":material/compare_arrows:"),
    "code": ("Code", ":material/code:"),
    "fix": ("Fix my error", ":material/build:"),
}
DEFAULT = next(iter(VIEWS))


def page(url_path: str) -> Any:
    """The `st.Page` at `url_path` ("" is the default page, the Overview)."""
    name = url_path or DEFAULT
    title, icon = VIEWS[name]
    # Imported here: the views import this module to link to each other.
    render = importlib.import_module(f"views.{name}").render
    return st.Page(render, title=title, icon=icon, url_path=name, default=name == DEFAULT)


def pages() -> list[Any]:
    """Every page, in the navigation's order."""
    return [page(name) for name in VIEWS]


def link(url_path: str, label: str, icon: str | None = None) -> None:
    """A link to the page at `url_path`."""
    st.page_link(page(url_path), label=label, icon=icon)


def switch(url_path: str) -> None:
    """Go to the page at `url_path` now (the current run stops)."""
    st.switch_page(page(url_path))
