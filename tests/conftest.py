"""Shared test helpers: run the app (or one page of it) through Streamlit's AppTest."""

from __future__ import annotations

import functools
import gc
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# Every AppTest run is a new visitor: their speculative warm-ups would queue work nobody clicks, and the tests would
# wait for it. Warm-ups are tested on their own (test_worker, and a page test that turns them back on); the browser
# tests' servers run as shipped (tests/browser_support.py drops this variable).
os.environ["TDE_SPECULATE"] = "0"
# No warming of the cache at a server's start (core.keras.prewarm), here or in the servers the tests start.
os.environ["TDE_PREWARM"] = "0"
# The pages' estimates stay the cost model's (core.model.budget.SpeedCalibration and views.common.before_click have
# their own tests): the shared worker's timings and kept results would make a page's text depend on the tests before.
os.environ["TDE_CALIBRATE"] = "0"
# The tests' shared worker holds many small models at once; recycling by memory and the in-job memory guard have their
# own tests (test_worker, test_worker_watchdog).
os.environ.setdefault("TDE_WORKER_RSS_LIMIT_MB", "2000")
os.environ.setdefault("TDE_WORKER_MEMORY_LIMIT_MB", "4000")
# The tests wait for their worker's jobs while other test processes use the cores: at the shipped nice 19 it would
# get almost no CPU from them. Priority changes no result.
os.environ.setdefault("TDE_WORKER_NICE", "0")

# The real-browser tests share one server and one Chromium per test process (tests/browser_fixtures.py).
pytest_plugins = ["tests.browser_fixtures"]


def _hypothesis_profiles() -> None:
    """Property tests (tests/test_parsers_fuzz.py): the same examples on every CI run (derandomized, no example
    database), new ones on a developer's. No per-example deadline: the suite shares two cores, so a slow example is
    a busy machine; the parsers' time bounds are tested on hostile megabytes (tests/test_bounded_input.py)."""
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.register_profile("dev", deadline=None)
    settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")


_hypothesis_profiles()


def _scan_installed_components_once() -> None:
    """Every new AppTest scans the metadata of every installed package for Streamlit components: about 0.2 s and half
    a million Python calls, which coverage's tracer makes several times slower, for each of the suite's hundreds of
    AppTests. The installed packages do not change while the tests run: scan once per test process."""
    from streamlit.components.v2 import manifest_scanner

    scan = functools.cache(manifest_scanner.scan_component_manifests)
    # component_manager imports the function from the module when it scans: replacing the attribute suffices.
    manifest_scanner.scan_component_manifests = lambda max_workers=None: list(scan())


_scan_installed_components_once()


def _no_keras_cleanup_after_apptest_runs() -> None:
    """After every script run Streamlit calls `keras.backend.clear_session()` if Keras is in its process. The app's
    Streamlit process never imports Keras (the worker does; tests/test_browser.py and test_instant_views check it), so
    the shipped server never pays for that. A test process does: the Keras tests import it, and from then on every
    AppTest run of any later file clears a session full of models, which made the page files 3–4× slower
    (test_app_shell: 15 s alone, 51 s after test_training_core in the same process). Keep the shipped server's way."""
    from streamlit.runtime.scriptrunner import script_runner

    assert hasattr(script_runner, "_clean_problem_modules"), "Streamlit renamed its post-run cleanup: update this"
    script_runner._clean_problem_modules = lambda: None


_no_keras_cleanup_after_apptest_runs()


def _switch_page_reaches_the_callable_views() -> None:
    """The views are callable pages (`st.Page(render, url_path=...)`, views/navigation.py), and AppTest.switch_page
    finds a page only by its registered script path, which a callable page has not. Let `switch_page("views/x.py")`
    open the page whose url path is the view's name (the Overview: the default page), as a browser's /x does: the
    tests keep naming pages by their file, and views/navigation.py keeps url path and module name equal."""
    from streamlit.testing.v1 import AppTest

    assert hasattr(AppTest, "_resolve_page_hash"), "Streamlit renamed AppTest's page lookup: update this"
    by_script = AppTest._resolve_page_hash

    def resolve(self, page_path_str: str) -> str:
        path = Path(page_path_str)
        if path.parent == ROOT / "views":
            from views.navigation import DEFAULT

            url_path = "" if path.stem == DEFAULT else path.stem
            for page_hash, info in self._registered_pages.items():
                if not info.get("script_path") and info.get("url_pathname") == url_path:
                    return page_hash
        return by_script(self, page_path_str)

    AppTest._resolve_page_hash = resolve


_switch_page_reaches_the_callable_views()


# After the browser files (one unit, run first), the test files that take longest (seconds measured with the full
# suite's --junitxml, 2026-12-06; every file over 5 s), in that order: xdist hands the files out in collection order,
# so the two processes end together instead of one waiting for a long file the other started last. Unlisted files
# follow, in their usual order.
LONGEST_AFTER_BROWSER = (
    "tests/test_diagnose.py",
    "tests/test_fix_page.py",
    "tests/test_snapshots.py",
    "tests/test_worker.py",
    "tests/test_code.py",
    "tests/test_deploy.py",
    "tests/test_training_sessions.py",
    "tests/test_fix_corpus.py",
    "tests/test_weights_shapes.py",
    "tests/test_training_core.py",
    "tests/test_worker_watchdog.py",
    "tests/test_anatomy_keras.py",
    "tests/test_patterns.py",
    "tests/test_equivalence.py",
    "tests/test_frames_pages.py",
    "tests/test_step_panel.py",
    "tests/test_training_page.py",
    "tests/test_wrapper_cost.py",
    "tests/test_padding.py",
    "tests/test_stepper_masking.py",
    "tests/test_app_shell.py",
    "tests/test_budget.py",
    "tests/test_frame_step_page.py",
    "tests/test_frames_diagram.py",
    "tests/test_story_talk.py",
)


def longest_first() -> tuple[str, ...]:
    """The browser files (test_browser.py first: its first test wants the shared server unvisited), then
    LONGEST_AFTER_BROWSER."""
    from tests.browser_fixtures import BROWSER_FILES

    return (*BROWSER_FILES, *LONGEST_AFTER_BROWSER)


def pytest_collection_modifyitems(config, items) -> None:
    """Longest files first (`longest_first`); a stable sort keeps each file's own order."""
    rank = {path: index for index, path in enumerate(longest_first())}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def pytest_xdist_make_scheduler(config, log):
    """With `--dist loadfile`, run all browser test files on one worker, as one unit: they then share one server, its
    TensorFlow worker and one Chromium, instead of starting one of each per file. Files go out in collection order
    (longest first), not xdist's default of the files with the most tests first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    from tests.browser_fixtures import BROWSER_FILES

    config.option.loadscopereorder = False

    class BrowserFilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "browser tests" if path in BROWSER_FILES else path

    return BrowserFilesTogether(config, log)


@pytest.fixture(scope="session", autouse=True)
def _shared_worker_ends_with_the_session():
    """Shut the test process's shared TensorFlow worker down while the session ends: its child then writes its
    coverage data before pytest-cov combines it (a child outliving its test process would write it too late)."""
    yield
    from core.keras import worker

    if worker._shared is not None:
        worker._shared.shutdown()


@pytest.fixture(scope="module", autouse=True)
def _long_lived_objects_leave_the_collectors_view():
    """After a file, freeze what is still alive (TensorFlow's and Keras's modules, cached models) out of the cyclic
    garbage collector's generations. AppTest runs allocate a lot, so Python's collector often makes a full pass; in a
    test process that holds TensorFlow each pass walks millions of objects the shipped server never holds (4,800
    collections took 16 s in one test process, 5 s once frozen). Frozen objects are still freed when their last
    reference goes."""
    yield
    gc.collect()
    gc.freeze()


PAGES = {
    "overview": "views/overview.py",
    "unrolled": "views/unrolled.py",
    "weights": "views/weights.py",
    "shapes": "views/shapes.py",
    "training": "views/training.py",
    "equivalence": "views/equivalence.py",
    "code": "views/code.py",
    "fix": "views/fix.py",
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


def _view_alone(module: str) -> None:
    """AppTest's script for one view alone: import it and render it (a view is a function of the session state)."""
    import importlib

    importlib.import_module(module).render()


def run_view(path: str, spec=None) -> object:
    """One view alone, without the frame (not yet run), with `spec` in session state as the frame would put it
    (None: no spec, as a page run without the frame). `path` names the view's file, e.g. "views/code.py"."""
    from streamlit.testing.v1 import AppTest

    module = Path(path).with_suffix("").as_posix().replace("/", ".")
    at = AppTest.from_function(_view_alone, args=(module,), default_timeout=120)
    if spec is not None:
        at.session_state["spec"] = spec
    return at


def settle(at, timeout: float = 300):
    """Let the server's TensorFlow worker finish every queued job (clicks, warm-ups), then rerun the page: what the
    page's polling fragment does in a browser (AppTest runs no fragment on a timer). Waits on the worker's own
    condition, not on time."""
    from core.keras.worker import shared_worker

    assert shared_worker().wait_until_idle(timeout), "the Keras worker did not finish its jobs"
    return at.run()


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
