"""The page table: each view is reached at /<its module name> as a render() function (Fix my error too), and
the app registers them in the table's order, the Overview at /."""

from __future__ import annotations

import importlib

from tests.conftest import ROOT, run_app, run_view
from views.navigation import DEFAULT, VIEWS


def test_every_page_is_a_view_module_with_a_render_function() -> None:
    for name in VIEWS:
        assert (ROOT / "views" / f"{name}.py").is_file(), name
        assert callable(importlib.import_module(f"views.{name}").render), name
    assert DEFAULT == "overview"


def test_the_app_registers_the_table_in_order_with_the_overview_at_the_root() -> None:
    at = run_app()
    assert not at.exception
    registered = [info["url_pathname"] for info in at._registered_pages.values()]
    assert registered == ["" if name == DEFAULT else name for name in VIEWS]
    callables = [info["url_pathname"] for info in at._registered_pages.values() if not info["script_path"]]
    assert callables == ["" if name == DEFAULT else name for name in VIEWS]


def test_a_view_renders_alone_without_the_frame() -> None:
    at = run_view("views/weights.py").run()
    assert not at.exception and at.title[0].value == "Weights"
