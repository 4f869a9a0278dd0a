"""Benchmark: a room opening the same talk link at once, against one visitor alone, on one real server.

The presenter shares `/unrolled?talk=true`; N visitors (default 30) open it in new headless Chromium contexts, spread
over 5 s. Measured, against one visitor who opened it alone first (on the freshly started server, as a presenter would):
- the time until each visitor sees the unrolled diagram (its plotly SVG drawn in the key picture), from the moment that
  visitor's page was opened; and the time until the last of the room sees it, from the first opening;
- the Streamlit server's CPU time per visitor (the server process alone), and its TensorFlow worker's apart (the worker
  warms the cache after the first page: core.keras.prewarm, at nice 19).
Browsers run at idle CPU priority (a `nice -n 19` wrapper) so that the server's cost is what is measured. Prints the
ratios (room against alone); asserts nothing. Needs Chromium (/usr/bin/chromium) and Playwright.
Usage: .venv/bin/python bench/first_view.py [N]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.replicas import _tree, cpu_seconds  # noqa: E402
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, missing_browser, streamlit_server  # noqa: E402

LINK = "/unrolled?talk=true"
WITHIN = 5.0  # seconds over which the room opens the link
TIMEOUT_MS = 900_000

# Marks, from inside the page, the wall-clock moment (ms) the unrolled diagram is first drawn and visible.
MARK_DIAGRAM = """setInterval(() => {
    if (window.__diagramAt) return;
    const svg = document.querySelector(SELECTOR);
    if (svg && svg.checkVisibility()) window.__diagramAt = Date.now();
}, 50)""".replace("SELECTOR", json.dumps(".st-key-unrolled_picture .js-plotly-plot .main-svg"))


def open_room(browser, url: str, visitors: int, within: float) -> tuple[list[float], float]:
    """Open `url` in `visitors` new contexts spread over `within` s. Returns each visitor's seconds from opening to
    seeing the diagram, and the seconds from the first opening until the last saw it."""
    pages, opened = [], []
    first = time.time()
    for index in range(visitors):
        if visitors > 1:
            time.sleep(max(0.0, first + within * index / (visitors - 1) - time.time()))
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        context.add_init_script(MARK_DIAGRAM)
        page = context.new_page()
        opened.append(time.time())
        page.goto(url, wait_until="commit")
        pages.append(page)
    seen = []
    for page in pages:
        page.wait_for_function("() => window.__diagramAt", polling=200, timeout=TIMEOUT_MS)
        seen.append(page.evaluate("() => window.__diagramAt") / 1000)
    for page in pages:
        page.context.close()
    return [at - start for at, start in zip(seen, opened, strict=True)], max(seen) - first


def measure(browser, url: str, server_pid: int, visitors: int, within: float) -> dict:
    """CPU of the server process and of its worker (its children), and the times, for `visitors` opening the link."""

    def cpu() -> tuple[float, float]:
        tree = _tree(server_pid)
        return cpu_seconds([server_pid]), cpu_seconds([pid for pid in tree if pid != server_pid])

    server_before, worker_before = cpu()
    times, last = open_room(browser, url, visitors, within)
    server_after, worker_after = cpu()
    return {
        "times": times,
        "last": last,
        "server_cpu": (server_after - server_before) / visitors,
        "worker_cpu": worker_after - worker_before,
    }


def main(visitors: int = 30) -> None:
    reason = missing_browser()
    if reason:
        sys.exit(f"cannot run: {reason}")
    from playwright.sync_api import sync_playwright

    wrapper = Path(tempfile.mkdtemp(prefix="bench-first-view-")) / "chromium-idle"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n 19 {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    with sync_playwright() as playwright, streamlit_server(timeout=180) as url:
        browser = playwright.chromium.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS)
        alone = measure(browser, url + LINK, url.pid, 1, 0.0)
        room = measure(browser, url + LINK, url.pid, visitors, WITHIN)
        browser.close()
    print(
        f"alone: diagram after {alone['times'][0]:.1f} s; server CPU {alone['server_cpu']:.2f} s "
        f"(worker {alone['worker_cpu']:.1f} s)"
    )
    print(
        f"{visitors} visitors within {WITHIN:g} s: median {statistics.median(room['times']):.1f} s, last saw it "
        f"{room['last']:.1f} s after the first opened; server CPU {room['server_cpu']:.2f} s per visitor "
        f"(worker {room['worker_cpu']:.1f} s in all)"
    )
    print(
        f"ratios, room / alone: server CPU per visitor {room['server_cpu'] / max(alone['server_cpu'], 1e-9):.2f}x; "
        f"time until the last saw the diagram {room['last'] / alone['times'][0]:.1f}x"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
