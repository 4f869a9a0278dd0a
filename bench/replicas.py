"""Replicas: K visitors opening the link at once through nginx, one replica against two, on this machine.

For 1 and then 2 replicas (deploy/replicas.py, as shipped, behind nginx) it measures one visitor alone, then K new
browsers opening the link together: the time until each sees an idle page with its title, the replicas' CPU time
(servers and their TensorFlow workers) per visitor, and each replica's memory (server + worker RSS) afterwards.
Browsers run at idle CPU priority so that the servers' share is what is measured. Prints the ratio of the last
visitor's time, two replicas against one. Run: `.venv/bin/python bench/replicas.py [K]` (default 6).

On one machine the replicas share its cores: expect no CPU gain. Replicas buy isolation (a visitor's heavy job or a
crash stays on one replica) and spread memory; more CPU needs more machines.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.replicas import wait_healthy  # noqa: E402
from tests.browser_support import APP_IDLE, CHROMIUM, CHROMIUM_ARGS, free_port, missing_browser  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes `pids` (alive ones)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def rss_mb(pids: list[int]) -> float:
    """Resident memory of the processes `pids`, in MB."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return total / 1024


def measure(browser_factory, replicas: int, visitors: int) -> dict:
    """Start `replicas` behind nginx; one visitor alone, then `visitors` together; stop. Returns the numbers."""
    ports = [free_port() for _ in range(replicas)]
    listen = free_port()
    prefix = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    command = [sys.executable, "deploy/replicas.py", "--ports", ",".join(map(str, ports)), "--prefix", str(prefix)]
    command += ["--listen", f"127.0.0.1:{listen}"]
    launcher = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{listen}"
    try:
        wait_healthy(url, 180, launcher)
        replica_pids = [int((prefix / f"replica-{port}.pid").read_text()) for port in ports]
        browser = browser_factory()
        alone = open_together(browser, url, 1)[0]
        before = cpu_seconds([pid for root in replica_pids for pid in _tree(root)])
        times = open_together(browser, url, visitors)
        used = cpu_seconds([pid for root in replica_pids for pid in _tree(root)]) - before
        memory = [rss_mb(_tree(root)) for root in replica_pids]
        browser.close()
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=60)
    return {"alone": alone, "times": times, "cpu_per_visitor": used / visitors, "rss": memory}


# Marks, from inside the page, the first moment it is idle with a visible title (as tests/browser_support.wait_idle
# checks): pages are read one after another, but each keeps the time it became ready (ms since its navigation).
MARK_READY = """setInterval(() => {
    if (window.__readyAt) return;
    const idle = document.querySelector(IDLE_SELECTOR);
    const skeleton = document.querySelector("[data-testid='stSkeleton']");
    const title = [...document.querySelectorAll("[data-testid='stMain'] h1")].some((h) => h.checkVisibility());
    if (idle && !skeleton && title) window.__readyAt = performance.now();
}, 50)""".replace("IDLE_SELECTOR", json.dumps(APP_IDLE))


def open_together(browser, url: str, visitors: int) -> list[float]:
    """Open `url` in `visitors` new browser contexts at once; seconds until each page is idle with its title."""
    pages = []
    for _ in range(visitors):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(MARK_READY)
        page = context.new_page()
        page.goto(url, wait_until="commit")
        pages.append(page)
    times = []
    for page in pages:
        page.wait_for_function("() => window.__readyAt", polling=200, timeout=600_000)
        times.append(page.evaluate("() => window.__readyAt") / 1000)
        page.context.close()
    return times


def main(visitors: int = 6) -> None:
    reason = missing_browser()
    if reason:
        sys.exit(f"cannot run: {reason}")
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        # The browser at idle priority (a wrapper), the replicas at the normal one.
        wrapper = Path(tempfile.mkdtemp(prefix="bench-replicas-")) / "chromium-idle"
        wrapper.write_text(f'#!/bin/sh\nexec nice -n 19 {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)

        def browser_factory():
            return playwright.chromium.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS)

        for replicas in (1, 2):
            results[replicas] = measure(browser_factory, replicas, visitors)
    for replicas, result in results.items():
        times = result["times"]
        print(
            f"{replicas} replica(s): alone {result['alone']:.1f} s; {visitors} together: median "
            f"{statistics.median(times):.1f} s, last {max(times):.1f} s; replicas' CPU {result['cpu_per_visitor']:.2f}"
            f" s per visitor; memory per replica (server + worker) " + ", ".join(f"{mb:.0f} MB" for mb in result["rss"])
        )
    print(f"ratio last visitor, 2 replicas / 1 replica: {max(results[2]['times']) / max(results[1]['times']):.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
