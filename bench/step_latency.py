"""Step panel latency in a real browser: how long ▶ takes to answer, against a plain rerun of the same page.

Measured in this one run, in Chromium on a fresh server, on the seed's model 1 (T=64) at 1400×900 with the panel open
and the weights loaded, median of N presses each:
- baseline: a plain rerun of the whole app (the sidebar's Reset, which changes nothing here: the same page is run
  again and sent again), from the click to the end of the run (Streamlit's script_finished message) and idle;
- answer: a press on ▶, from the browser's pointerdown to the first animation frame in which the cell's table shows
  the new t (its caption), timed inside the page (performance.now), so Playwright's own round trips are not counted;
- settled: from the click until the app is idle with the diagram's Play control on the new t (for a step the diagram
  hides this includes the page fragment's run that lays the diagram out around it, after the answer);
  each press is checked to be fragment runs only (every rerun request names a fragment).
The issue's target is 300 ms per step in Chromium, for the answer; the ratio says how a step compares with a rerun on
this machine, whatever its load. Run: `.venv/bin/python bench/step_latency.py [presses]`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 0.3
PRESSED = """() => { window.benchPressed = null; document.addEventListener('pointerdown',
    () => { window.benchPressed = performance.now(); }, {capture: true, once: true}); }"""
ANSWERED = """(t) => new Promise((resolve) => {
    const check = () => (CELL_AT)(t) ? resolve(performance.now() - window.benchPressed) : requestAnimationFrame(check);
    check();
})"""
PLAY_AT = """(t) => { const graph = document.querySelector('.st-key-unrolled_figure .js-plotly-plot');
    const slider = graph.layout.sliders[0]; return slider.steps[slider.active || 0].label === `t=${t}`; }"""
CELL_AT = """(t) => {
    const caption = document.querySelector('.st-key-step_forward_vectors caption');
    return !!caption && new RegExp(`Cell at t=${t}(?![0-9])`).test(caption.textContent);
}"""


def _watch(page) -> dict:
    """Count the runs the server finishes and record each rerun request's fragment id, from the websocket."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    seen = {"finished": 0, "fragments": []}

    def received(payload) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg.FromString(payload)
            seen["finished"] += message.WhichOneof("type") == "script_finished"

    def sent(payload) -> None:
        if isinstance(payload, bytes):
            message = BackMsg.FromString(payload)
            if message.WhichOneof("type") == "rerun_script":
                seen["fragments"].append(message.rerun_script.fragment_id)

    page.on("websocket", lambda ws: (ws.on("framereceived", received), ws.on("framesent", sent)))
    return seen


def main(presses: int = 8) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle

    with streamlit_server(speculate=False) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        seen = _watch(page)
        page.goto(f"{url}/unrolled")
        wait_idle(page)
        page.locator(".st-key-step_open_button button").click()
        page.wait_for_function(CELL_AT, arg=0, timeout=180_000)
        wait_idle(page)
        answers, steps, fragment_runs = [], [], 0
        answered = ANSWERED.replace("(CELL_AT)", f"({CELL_AT})")
        for t in range(1, presses + 1):
            asked = len(seen["fragments"])
            page.evaluate(PRESSED)
            started = time.perf_counter()
            page.locator(".st-key-step_forward button").first.click()
            answers.append(page.evaluate(answered, t) / 1000)
            page.wait_for_function(PLAY_AT, arg=t, polling=10, timeout=60_000)
            wait_idle(page)
            steps.append(time.perf_counter() - started)
            fragment_runs += all(seen["fragments"][asked:])
        reruns = []
        for _ in range(presses):
            finished = seen["finished"]
            started = time.perf_counter()
            page.get_by_role("button", name="Reset").click()
            while seen["finished"] == finished:
                page.wait_for_timeout(5)
            wait_idle(page)
            reruns.append(time.perf_counter() - started)
        browser.close()
    answer, step, rerun = statistics.median(answers), statistics.median(steps), statistics.median(reruns)
    print("each press, answer (ms): ", [round(s * 1000) for s in answers])
    print("each press, settled (ms):", [round(s * 1000) for s in steps])
    print(f"plain rerun of the app (baseline): {rerun * 1000:7.1f} ms")
    print(f"press ▶, the cell answers:         {answer * 1000:7.1f} ms   ratio {answer / rerun:.2f}")
    print(f"press ▶, settled (diagram too):    {step * 1000:7.1f} ms   ratio {step / rerun:.2f}")
    print(f"presses run as fragments only:     {fragment_runs} of {presses}")
    print(f"target: {TARGET_SECONDS * 1000:.0f} ms per answer: {'OK' if answer <= TARGET_SECONDS else 'over'} here")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
