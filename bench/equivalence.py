"""Benchmark: how long a learner waits for the Equivalence lab of the seed's model, with a warm worker.

Submits the lab to a real TensorFlow worker (the one the server uses) once TensorFlow is loaded and a first tiny lab
has run (a warm worker, nothing of the seed's model traced yet), and records when the page can show the verdict (the
"outputs" and "control" measurements streamed as partial results) and when the whole lab has ended. Prints both, the
ratio of the first to the second, and each stage's own duration; asserts nothing. Target: the verdict <= 3 s.

Usage: .venv/bin/python bench/equivalence.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import ModelSpec  # noqa: E402
from core.keras.requests import EquivalenceLab  # noqa: E402
from core.keras.worker import KerasWorker  # noqa: E402

TINY = ModelSpec(timesteps=4, input_size=3, hidden_size=4, output_size=2)


def lab(worker: KerasWorker, spec: ModelSpec) -> tuple[float, float, list[tuple[str, float]]]:
    """(seconds to the verdict, seconds to the end, stages) of one lab, polled every 5 ms."""
    started = time.perf_counter()
    job = worker.submit("bench", EquivalenceLab(spec, 1e-3))
    verdict = None
    while job.active:
        if verdict is None and {"outputs", "control"} <= job.partial_results().keys():
            verdict = time.perf_counter() - started
        time.sleep(0.005)
    total = time.perf_counter() - started
    assert job.status == "done", (job.status, job.error)
    return verdict if verdict is not None else total, total, job.result["stages"]


def main() -> None:
    worker = KerasWorker()
    try:
        lab(worker, TINY)  # TensorFlow loaded and one lab run: a warm worker
        for run in (1, 2):
            verdict, total, stages = lab(worker, ModelSpec())
            print(
                f"seed's lab, run {run}: verdict shown after {verdict:.2f} s, whole lab {total:.2f} s "
                f"(ratio {verdict / total:.2f})"
            )
            for label, seconds in stages:
                print(f"    {seconds:6.2f} s  {label}")
    finally:
        worker.shutdown()


if __name__ == "__main__":
    main()
