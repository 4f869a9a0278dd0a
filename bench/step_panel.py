"""Step panel redraw: how long pressing ▶ (the next timestep) takes once the weights are loaded.

Measured in this one run, on the seed's model 1 (T=64) through Streamlit's AppTest (the whole script of the
unrolled page, sidebar frame included, as the server runs it), median of N presses:
- baseline: a rerun of the same page with the panel closed (the diagram only);
- step: a press on ▶ with the panel open (numpy lookup, every figure built and serialised).
Also the panel's own part alone: building and serialising the figures one step rebuilds (the weights figure is
built once per gate).
Target: step under 300 ms. Run: `.venv/bin/python bench/step_panel.py [presses]`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 0.3


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main(presses: int = 10) -> None:
    import plotly.io

    from core import ModelSpec
    from core.figures.step import cell_table, states_strip
    from core.model.stepper import ModelWeights
    from tests.conftest import run_app, settle

    at = run_app("unrolled")
    baseline = statistics.median(_timed(at.run) for _ in range(presses))
    next(b for b in at.button if b.label == "Show the numbers").click().run()
    settle(at)  # the worker fetches the weights once (TensorFlow starts here)
    assert not at.exception, at.exception
    steps = []
    for _ in range(presses):
        steps.append(_timed(lambda: next(b for b in at.button if b.label == "▶").click().run()))
        assert not at.exception, at.exception
    step = statistics.median(steps)

    spec = ModelSpec()
    weights = at.session_state["step_panel"].weights[1]
    assert isinstance(weights, ModelWeights)
    trace = at.session_state["step_panel"].trace[1]

    def figures() -> None:
        cell_table(trace.forward[5], "#000")
        plotly.io.to_json(states_strip(trace, None), validate=False)

    panel = statistics.median(_timed(figures) for _ in range(presses))
    print(f"spec: {spec}")
    print(f"page rerun, panel closed (baseline): {baseline * 1000:7.1f} ms")
    print(f"press ▶, panel open:                 {step * 1000:7.1f} ms   ratio {step / baseline:.2f}")
    print(f"the figures one ▶ rebuilds:          {panel * 1000:7.1f} ms (cell table, strip)")
    verdict = "OK" if step < TARGET_SECONDS else "TOO SLOW"
    print(f"target: under {TARGET_SECONDS * 1000:.0f} ms per step: {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
