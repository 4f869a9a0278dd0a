"""Start-up: time until the Overview is visible in headless Chromium, against a one-line Streamlit app.

Both are measured in this one run, alternately, from `streamlit run` to the first visible heading, and the
median ratio is printed. Target: ratio <= 1.5. Run: `.venv/bin/python bench/startup.py [repeats]`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, missing_browser, streamlit_server  # noqa: E402

ONE_LINE_APP = 'import streamlit as st\nst.title("Hello")\n'
TARGET = 1.5


def time_to_visible(browser, script: str, cwd: Path, heading: str) -> float:
    """Seconds from starting the server to `heading` visible in a fresh browser tab."""
    started = time.perf_counter()
    with streamlit_server(script=script, cwd=cwd) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        page.get_by_role("heading", name=heading).first.wait_for(state="visible", timeout=120_000)
        elapsed = time.perf_counter() - started
        context.close()
    return elapsed


def main(repeats: int = 3) -> None:
    reason = missing_browser()
    if reason:
        sys.exit(f"cannot run: {reason}")
    from playwright.sync_api import sync_playwright

    baseline_dir = Path(tempfile.mkdtemp(prefix="one-line-app-"))
    (baseline_dir / "hello.py").write_text(ONE_LINE_APP)
    baseline, app = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            baseline.append(time_to_visible(browser, "hello.py", baseline_dir, "Hello"))
            app.append(time_to_visible(browser, "app.py", ROOT, "TimeDistributed(Dense) or Dense?"))
        browser.close()
    ratio = statistics.median(app) / statistics.median(baseline)
    print(f"one-line app : {', '.join(f'{t:.2f}' for t in baseline)} s (median {statistics.median(baseline):.2f} s)")
    print(f"Overview     : {', '.join(f'{t:.2f}' for t in app)} s (median {statistics.median(app):.2f} s)")
    print(f"ratio Overview / one-line app: {ratio:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
