"""Real-browser test support: start `streamlit run serve.py` (the app as shipped) on a free port and drive it with
headless Chromium.

Used by tests/test_browser.py; kept apart so that a one-off check can reuse it from a script.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
APP_IDLE = "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
# True when a visible table of the step panel's cell (the wide one or a phone's) names step t in its caption.
CELL_SHOWS = """(t) => [...document.querySelectorAll('.tde-cell caption')].some((caption) =>
    caption.checkVisibility() && new RegExp(`Cell at t=${t}(?![0-9])`).test(caption.textContent))"""


def missing_browser() -> str | None:
    """Why the browser test cannot run here (no Chromium, no Playwright), or None when it can."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def require_browser() -> None:
    """Skip a browser test where Chromium or Playwright is missing, except under CI=true, where that is a failure."""
    import pytest  # noqa: PLC0415

    reason = missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(f"browser test skipped: {reason}")


def free_port() -> int:
    """A TCP port that is free on localhost right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class ServerUrl(str):
    """The server's base URL, carrying the server's process id (to inspect what the process has loaded)."""

    pid: int


def loaded_libraries(pid: int) -> set[str]:
    """The shared objects a process has mapped (from /proc/PID/maps)."""
    paths = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 6 and ".so" in parts[5]:
            paths.add(parts[5])
    return paths


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended between the listing and the read
            continue
    return found


@contextmanager
def streamlit_server(
    timeout: float = 90, script: str = "serve.py", cwd: Path = ROOT, speculate: bool = True
) -> Iterator[str]:
    """Run `script` (the app by default) on a free localhost port for the duration of the block; yields its base URL.

    The server runs as shipped, except that `speculate=False` turns off its speculative Keras warm-ups
    (TDE_SPECULATE=0).
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    for name in ("TDE_SPECULATE", "TDE_WORKER_RSS_LIMIT_MB"):  # the tests' settings; a real server runs as shipped
        env.pop(name, None)
    if not speculate:
        env["TDE_SPECULATE"] = "0"
    (ROOT / "artifacts").mkdir(exist_ok=True)
    log = open(ROOT / "artifacts" / "streamlit-server.log", "w")  # noqa: SIM115 (closed in finally)
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = ServerUrl(f"http://127.0.0.1:{port}")
    url.pid = process.pid
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {process.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not become healthy on {url} within {timeout} s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


# True when the app is idle and its main area shows a visible title (equal to `title`, when given). Checked every
# 50 ms in the page with one call, rather than three selector waits that each poll on every animation frame.
# Skeletons: after a run ends, Streamlit's frontend still shows placeholders while it loads the code of the elements
# it draws (measured: about 2 s in a second tab of one browser, every element of the page, the sidebar's included).
_IDLE_WITH_TITLE = """([idle, title]) => {
    if (!document.querySelector(idle)) return false;
    if (document.querySelector("[data-testid='stSkeleton']")) return false;
    return [...document.querySelectorAll("[data-testid='stMain'] h1")].some(
        (heading) => heading.checkVisibility() && (title === null || heading.innerText.trim() === title));
}"""


def wait_idle(page, timeout_ms: float = 60_000, title: str | None = None) -> None:
    """Wait until the app is connected, its script is not running, no element is still a loading placeholder, and
    its main area shows a page title (`title` exactly, when given).

    Precise, no sleeping: after `page.goto` a fresh page has no title and no idle state until its first run ends (a
    link's run is the only one). After a click, the old page stays idle until the rerun starts: first wait for a
    change that run makes (the URL it writes, a text it draws, a new `title`), then call this.
    """
    page.wait_for_function(_IDLE_WITH_TITLE, arg=[APP_IDLE, title], polling=50, timeout=timeout_ms)


def settle_frames(page) -> None:
    """Let the browser lay out and paint twice (after a viewport change), instead of sleeping a guessed time."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


_SIDEBAR_SETTLED = """(narrow) => {
    const width = document.querySelector("[data-testid='stSidebar']").getBoundingClientRect().width;
    return narrow ? width === 0 : width > 0;
}"""


def shrink_to(page, width: int, height: int) -> None:
    """Resize the tab, wait until the sidebar has collapsed (a phone's width) or is open (a desktop's), then for the
    layout. From a desktop width down to a phone's, the page is laid out as a phone that opened it: the layout's
    widths are CSS (assets/layout.css), and the sidebar collapses on the resize as on a phone's first load (measured:
    the same sidebar and sidebar-link boxes)."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(_SIDEBAR_SETTLED, arg=width < 768, polling=50, timeout=10_000)
    settle_frames(page)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_HIDDEN_TEXTS = """(key) => {
    const graph = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    const figure = graph.getBoundingClientRect();
    const buttons = [...graph.querySelectorAll('.updatemenu-button')].map(b => b.getBoundingClientRect());
    const notes = [...graph.querySelectorAll('.annotation')].map(a => [a.textContent, a.getBoundingClientRect()]);
    const hidden = notes.filter(([, r]) => r.left < figure.left - 1 || r.right > figure.right + 1 || buttons.some(
        b => b.left < r.right && r.left < b.right && b.top < r.bottom && r.top < b.bottom));
    return {buttons: buttons.length, hidden: hidden.map(([text]) => text)};
}"""


def hidden_texts(page, key: str) -> list[str]:
    """The texts (headings, notes) of the plotly figure in the container `key` that its Play/Pause buttons cover or
    that run past the figure's edges (cut off), once both buttons are drawn."""
    page.locator(f".st-key-{key} .updatemenu-button").nth(1).wait_for(state="attached", timeout=30_000)
    found = page.evaluate(_HIDDEN_TEXTS, key)
    assert found["buttons"] == 2, found
    return found["hidden"]
