"""Memory of a real server: `streamlit run serve.py`, driven in headless Chromium, trains the seed's three models.

Prints the server's resident memory (VmRSS) at start, after the Overview, after the first training of the seed's
three models (target: under 1 GB) and after ten more trainings (target: less than 50 MB more), with each
training's wall time. Run: `.venv/bin/python bench/memory.py [more_trainings]`.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, missing_browser, streamlit_server, wait_idle  # noqa: E402

LIMIT_MB, GROWTH_MB = 1024, 50


def server_pid(url: str) -> int:
    """The pid of the `streamlit run` process serving `url` (found by its --server.port argument)."""
    port = str(urlsplit(url).port)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return int(proc.name)
    raise RuntimeError(f"no streamlit process on port {port}")


def app_mb(pid: int) -> float:
    """The whole app's resident memory: the server plus its TensorFlow worker process, when one is running."""
    from tests.browser_support import child_pids  # noqa: PLC0415

    return rss_mb(pid) + sum(rss_mb(child) for child in child_pids(pid))


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc/<pid>/status."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def train_once(page) -> float:
    """Press Train and wait for the results table; returns the wall time in seconds."""
    started = time.perf_counter()
    page.get_by_role("button", name=re.compile(r"Train$")).click()
    page.get_by_text("Final loss", exact=True).wait_for(state="detached", timeout=60_000)
    page.get_by_text("Final loss", exact=True).wait_for(state="visible", timeout=600_000)
    return time.perf_counter() - started


IDLE_SECONDS = 20  # instead of the default 10 minutes, so that the benchmark sees the worker leave


def main(more: int = 10) -> None:
    reason = missing_browser()
    if reason:
        sys.exit(f"cannot run: {reason}")
    from playwright.sync_api import sync_playwright

    os.environ["TDE_WORKER_IDLE_SECONDS"] = str(IDLE_SECONDS)  # the server's worker leaves after this long idle
    with streamlit_server() as url, sync_playwright() as playwright:
        pid = server_pid(url)
        print(f"server started          : {app_mb(pid):7.1f} MB")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_idle(page)
        print(f"after the Overview      : {app_mb(pid):7.1f} MB")
        page.goto(f"{url}/training")
        wait_idle(page)
        page.get_by_text("The seed's three models, to compare").click()
        wait_idle(page)
        seconds = train_once(page)
        first = app_mb(pid)
        print(f"after the seed's 3 models: {first:7.1f} MB  ({seconds:.1f} s; target < {LIMIT_MB} MB)")
        for index in range(more):
            seconds = train_once(page)
            print(f"  training {index + 2:2d}: {seconds:5.1f} s, {app_mb(pid):7.1f} MB")
        last = app_mb(pid)
        print(f"after {more} more trainings : {last:7.1f} MB")
        print(f"growth over {more} trainings: {last - first:+.1f} MB (target < {GROWTH_MB} MB)")
        print(f"  of which the server itself: {rss_mb(pid):7.1f} MB (it never loads TensorFlow)")
        page.goto(url)  # leave the Training page: nothing asks the worker for work any more
        wait_idle(page)
        time.sleep(IDLE_SECONDS + 5)
        print(f"{IDLE_SECONDS} s idle (the worker gone): {app_mb(pid):7.1f} MB")
        browser.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
