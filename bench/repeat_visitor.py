"""Benchmark: the server's time for a repeat visitor's page run against the first visitor's, per page.

Each visitor is a new AppTest session of the whole app (frame + page) on the same link; the time is the script run's
own (wall and CPU of the script thread, from ScriptRunner's run of the page), not AppTest's polling. Imports are warmed
first on another spec, and the figure cache (views/cache.py) is emptied before each link, so "first" is a first visitor
on a warm server and "repeat" a second session on the same link. Prints the medians over several links and the ratio;
then the pickled size of the largest results the cache keeps (its bound: views/cache.py). Asserts nothing.

Usage: .venv/bin/python bench/repeat_visitor.py
"""

from __future__ import annotations

import os
import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TDE_SPECULATE", "0")  # no Keras work: the pages' drawing is what is measured

PAGES = ("overview", "unrolled", "weights", "shapes", "code")
LINKS = (
    {},
    {"head": "dense"},
    {"cell": "LSTM", "bidirectional": "true", "timesteps": "24", "hidden_size": "32"},
    {"layers": "3", "timesteps": "40", "talk": "true"},
    {"return_sequences": "false", "head": "dense", "timesteps": "9"},
)


class ScriptClock:
    """Times every script run (the thread's wall and CPU time), so a page run's server time can be read."""

    def __init__(self) -> None:
        from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

        self.runs: list[tuple[float, float]] = []  # (wall, CPU) seconds
        original = ScriptRunner._run_script
        clock = self

        def timed(runner, *args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(runner, *args, **kwargs)
            finally:
                clock.runs.append((time.perf_counter() - wall, time.thread_time() - cpu))

        ScriptRunner._run_script = timed

    def last(self) -> tuple[float, float]:
        return self.runs[-1]


def visit(clock: ScriptClock, page: str, params: dict) -> tuple[float, float]:
    """One new session opening `page` with `params`: the (wall, CPU) seconds of its page's script run."""
    from tests.conftest import run_app

    at = run_app(page, dict(params))
    assert not at.exception, [e.value for e in at.exception]
    return clock.last()


def largest_entries() -> None:
    """The pickled size of the largest results the app caches: the unrolled picture and the growth figure."""
    from core.figures.theme import theme_for
    from core.figures.weights import growth_figure
    from core.model.spec import ModelSpec
    from views.cache import MAX_ENTRIES, MAX_ENTRY_BYTES, _frozen
    from views.unrolled import _picture

    big = ModelSpec(cell="LSTM", bidirectional=True, layers=3, timesteps=512, input_size=512, hidden_size=512)
    sizes = {
        "unrolled picture, 3 bidirectional LSTM layers, T=512, talk, step focused": _frozen(
            _picture(big, True, ("time", 300), False)
        ),
        "unrolled picture, seed model 1": _frozen(_picture(ModelSpec(), False, None, False)),
        "growth figure, largest spec": _frozen(growth_figure(big, "hidden_size", theme_for(True))),
    }
    for label, value in sizes.items():
        print(f"  {label}: {len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) / 1024:.0f} KB")
    bound = MAX_ENTRIES * MAX_ENTRY_BYTES / 2**20
    print(f"  bound: {MAX_ENTRIES} entries x {MAX_ENTRY_BYTES // 1024} KB = {bound:.0f} MB")


def main() -> None:
    import tests.conftest  # noqa: F401 - the tests' environment (no speculation, quiet TensorFlow)
    from views import cache

    clock = ScriptClock()
    for page in PAGES:  # imports and first-use costs, on a spec no link uses
        visit(clock, page, {"hidden_size": "7"})
    first: dict[str, list[tuple[float, float]]] = {page: [] for page in PAGES}
    repeat: dict[str, list[tuple[float, float]]] = {page: [] for page in PAGES}
    for params in LINKS:
        cache.clear()
        for page in PAGES:
            first[page].append(visit(clock, page, params))
            repeat[page].extend(visit(clock, page, params) for _ in range(3))
    for index, measure in ((1, "CPU"), (0, "wall")):
        print(f"Server {measure} time of a page run (median over {len(LINKS)} links), first visitor vs repeat visitor:")
        print(f"  {'page':<10} {'first ms':>9} {'repeat ms':>10} {'ratio':>6}")
        totals = [0.0, 0.0]
        for page in PAGES:
            a = statistics.median(run[index] for run in first[page])
            b = statistics.median(run[index] for run in repeat[page])
            totals = [totals[0] + a, totals[1] + b]
            print(f"  {page:<10} {a * 1000:9.1f} {b * 1000:10.1f} {b / a:6.2f}")
        print(f"  {'all five':<10} {totals[0] * 1000:9.1f} {totals[1] * 1000:10.1f} {totals[1] / totals[0]:6.2f}")
    print("Largest cached results (pickled):")
    largest_entries()


if __name__ == "__main__":
    main()
