"""Benchmark: a visitor's page redraw while three other visitors train, against the same redraw on an idle server.

A real `streamlit run` server and headless Chromium: three tabs press Train on the seed's three-model comparison,
a fourth tab changes the hidden size on the Weights page; the time from the change to the page being idle again is
measured (median of several) with and without the trainings. Prints the ratio (target <= 1.5); asserts nothing.

The three trainers' tabs run in a second Chromium at the lowest CPU priority (SCHED_IDLE): on a real server the other
visitors' browsers draw their live charts on their own machines, not on the server's cores. Without that, this
2-core machine also pays three browsers' chart rendering, which says nothing about the server (`--same-browser`
measures it that way anyway).

Usage: .venv/bin/python bench/redraw.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import APP_IDLE, CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle  # noqa: E402


def redraws(page, count: int = 6) -> list[float]:
    """Seconds from a sidebar change to the page being idle again, `count` times (alternating two values)."""
    box = page.locator("[data-testid='stSidebar'] input[aria-label*='Hidden size']")
    times = []
    for index in range(count):
        size = 17 + index % 2
        box.fill(str(size))
        started = time.perf_counter()
        box.press("Enter")
        # The sidebar's summary line names the new size once the rerun has drawn it; then the page goes idle.
        page.locator("[data-testid='stSidebar']").get_by_text(f"GRU({size})").first.wait_for(timeout=60_000)
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        times.append(time.perf_counter() - started)
    return times


def idle_priority_chromium() -> str:
    """A launcher that starts Chromium under SCHED_IDLE (Chromium resets nice values itself, as root even to -8;
    the scheduling class sticks). Playwright talks to it over the pipes `exec` keeps."""
    path = Path(tempfile.mkdtemp()) / "chromium-sched-idle"
    path.write_text(f'#!/bin/sh\nexec chrt --idle 0 {CHROMIUM} "$@"\n')
    path.chmod(0o755)
    return str(path)


def main() -> None:
    from playwright.sync_api import sync_playwright

    same_browser = "--same-browser" in sys.argv
    with streamlit_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        others = browser
        if not same_browser:
            others = playwright.chromium.launch(executable_path=idle_priority_chromium(), args=CHROMIUM_ARGS)
        reader = browser.new_page(viewport={"width": 1400, "height": 900})
        reader.goto(url + "/weights")
        wait_idle(reader)
        idle = redraws(reader)
        trainers = []
        for _ in range(3):
            tab = others.new_page(viewport={"width": 1400, "height": 900})
            tab.goto(url + "/training")
            wait_idle(tab)
            tab.get_by_text("The seed's three models, to compare").click()
            wait_idle(tab)
            tab.get_by_role("button", name="Train").click()
            trainers.append(tab)
        trainers[0].wait_for_selector("text=Training…", timeout=120_000)  # the worker is busy now
        busy = redraws(reader)
        for tab in trainers:
            tab.get_by_text("Final loss").wait_for(timeout=600_000)
        print(
            f"redraw while idle: median {statistics.median(idle):.2f} s; while three visitors train: "
            f"median {statistics.median(busy):.2f} s; ratio {statistics.median(busy) / statistics.median(idle):.2f}"
            f" ({'one browser for all tabs' if same_browser else 'the trainers in their own browser at idle priority'};"
            f" {os.cpu_count()} CPUs)"
        )
        browser.close()
        if others is not browser:
            others.close()


if __name__ == "__main__":
    main()
