"""The largest jobs the budget allows, and a soak, inside a memory-limited cgroup the size of the container.

Community Cloud's smallest container has 690 MB (`TDE_MEMORY_MB`). This benchmark moves itself into a new memory
cgroup of that size (cgroup v2 or v1; needs root), where it stands in for the server: its own Python process plus a
balloon of anonymous memory up to `core.model.budget.SERVER_MB`. The TensorFlow worker it starts is its child, so it
runs in the same cgroup. Then it runs, one at a time, the largest training, Equivalence lab and Shape flow probe that
`core.model.budget` allows (the allowed job with the highest memory estimate in each family below), and prints for
each the worker's peak anonymous and resident memory, the cgroup's peak, and whether the kernel's OOM killer fired
(`oom_kill` in memory.events / memory.oom_control). Then the soak: 15 trainings of the seed's three models while a
second session asks for probes and warm-ups of changing settings; it prints the peak of server stand-in + worker.

Usage: .venv/bin/python bench/container.py [--memory-mb 690] [--no-cgroup] [--soak 15] [--only train|lab|probe|none]
Without a cgroup (not root, or --no-cgroup) it prints the same figures from /proc, with no OOM verdict.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import ModelSpec  # noqa: E402
from core.keras.requests import EquivalenceLab, FitProbe, Request, Summary, Training, WarmUp  # noqa: E402
from core.keras.training_session import TrainingSettings  # noqa: E402
from core.keras.worker import KerasWorker  # noqa: E402
from core.model.budget import SERVER_MB, _fits, fit_cost, lab_cost, largest_passing, training_cost  # noqa: E402

SEED = ModelSpec()
MB = 2**20


class Cgroup:
    """A memory cgroup this process has moved into (v2 or v1), with its peak and OOM-kill counters."""

    def __init__(self, limit_mb: int) -> None:
        unified = Path("/sys/fs/cgroup")
        if (unified / "cgroup.controllers").exists():
            self.v2 = True
            own = Path(open("/proc/self/cgroup").read().strip().split("::", 1)[1].lstrip("/"))
            self.path = unified / own.parent / "tde-container" if own.name else unified / "tde-container"
        else:
            self.v2 = False
            line = next(x for x in open("/proc/self/cgroup").read().splitlines() if ":memory:" in x)
            self.path = unified / "memory" / line.split(":memory:", 1)[1].lstrip("/") / "tde-container"
        self.path.mkdir(exist_ok=True)
        limit = str(limit_mb * MB)
        if self.v2:
            (self.path / "memory.max").write_text(limit)
            (self.path / "memory.swap.max").write_text("0") if (self.path / "memory.swap.max").exists() else None
        else:
            (self.path / "memory.limit_in_bytes").write_text(limit)
            swap = self.path / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(limit)
        (self.path / "cgroup.procs").write_text(str(os.getpid()))
        self.limit_mb = limit_mb

    def _read(self, name: str) -> str:
        return (self.path / name).read_text()

    def usage_mb(self) -> float:
        """Memory charged to the cgroup now (anonymous and page cache)."""
        return int(self._read("memory.current" if self.v2 else "memory.usage_in_bytes")) / MB

    def peak_mb(self) -> float | None:
        """The cgroup's high-water mark since the last reset (None where the kernel keeps none)."""
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        return int(self._read(name)) / MB if (self.path / name).exists() else None

    def reset_peak(self) -> None:
        """Start a new high-water mark (v1: write 0; v2 on Linux 6.12+: write anything to memory.peak)."""
        try:
            (self.path / ("memory.peak" if self.v2 else "memory.max_usage_in_bytes")).write_text("0")
        except OSError:
            pass

    def oom_kills(self) -> int:
        """How many processes the kernel's OOM killer ended in this cgroup."""
        text = self._read("memory.events" if self.v2 else "memory.oom_control")
        fields = dict(line.split() for line in text.splitlines() if line.strip())
        return int(fields.get("oom_kill", 0))


def _status(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_stand_in() -> bytearray:
    """Anonymous memory that brings this process to the server's measured idle size (core.model.budget.SERVER_MB)."""
    balloon = bytearray(max(0, int((SERVER_MB - _status(os.getpid(), "VmRSS")) * MB)))
    return balloon  # bytearray writes its zeros: every page is resident


def _settings(spec: ModelSpec, seed3: bool = False) -> TrainingSettings:
    return (TrainingSettings.for_seed_variants if seed3 else TrainingSettings.for_spec)(spec)


def _training(spec: ModelSpec, seed3: bool = False):
    settings = _settings(spec, seed3)
    return training_cost([v for _, v in settings.variants], settings.samples, settings.batch_size, settings.epochs)


# Each family grows with T; the largest T the budget allows in each is a candidate for "the largest allowed job".
FAMILIES = {
    "train": [
        ("seed's 3 models, TimeDistributed", lambda t: SEED.replace(timesteps=t), True),
        ("GRU h64, TimeDistributed", lambda t: SEED.replace(timesteps=t, hidden_size=64), False),
        ("Dense head, input 512", lambda t: SEED.replace(timesteps=t, head="dense", input_size=512), False),
        (
            "LSTM bidirectional h128",
            lambda t: SEED.replace(timesteps=t, hidden_size=128, cell="LSTM", bidirectional=True),
            False,
        ),
    ],
    "lab": [
        ("seed", lambda t: SEED.replace(timesteps=t), False),
        (
            "every size 128",
            lambda t: SEED.replace(timesteps=t, hidden_size=128, input_size=128, output_size=128),
            False,
        ),
    ],
    "probe": [
        ("seed, TimeDistributed", lambda t: SEED.replace(timesteps=t), False),
        (
            "LSTM bidirectional, every size 512",
            lambda t: ModelSpec(
                cell="LSTM", bidirectional=True, timesteps=t, input_size=512, hidden_size=512, output_size=512
            ),
            False,
        ),
    ],
}


def _cost(kind: str, spec: ModelSpec, seed3: bool):
    if kind == "train":
        return _training(spec, seed3)
    if kind == "lab":
        return lab_cost(spec)
    return fit_cost(spec, 4, 4, 1)


def _job(kind: str, spec: ModelSpec, seed3: bool) -> Request:
    if kind == "train":
        return Training(_settings(spec, seed3))
    if kind == "lab":
        return EquivalenceLab(spec, 1e-3)
    return FitProbe(spec, True, 4)


def largest_allowed(kind: str) -> list[tuple[str, ModelSpec, bool]]:
    """Per family, the spec with the largest T the budget allows."""
    found = []
    for label, make, seed3 in FAMILIES[kind]:
        t = largest_passing(513, lambda t, make=make, seed3=seed3: _fits(_cost(kind, make(t), seed3)))
        if t is not None:
            found.append((f"{label}, T={t}", make(t), seed3))
    return found


class Sampler:
    """Samples the stand-in server's and the worker's resident memory every 0.1 s: the soak's peak."""

    def __init__(self, worker: KerasWorker) -> None:
        self.worker = worker
        self.peak = 0.0
        self.peak_anon = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            total, anon = _status(os.getpid(), "VmRSS"), _status(os.getpid(), "RssAnon")
            pid = self.worker.stats().pid
            try:
                total += _status(pid, "VmRSS") if pid else 0.0
                anon += _status(pid, "RssAnon") if pid else 0.0
            except OSError:
                pass
            self.peak = max(self.peak, total)
            self.peak_anon = max(self.peak_anon, anon)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_largest(worker: KerasWorker, cgroup: Cgroup | None, kinds: list[str]) -> None:
    for kind in kinds:
        for label, spec, seed3 in largest_allowed(kind):
            estimate = _cost(kind, spec, seed3)
            request = _job(kind, spec, seed3)
            # A warm child, and its idle memory (a summary of the measured model: the worker keeps a summary's result,
            # so one of the seed's would run only once).
            idle = worker.submit("bench", Summary(spec))
            idle.wait(600)
            idle_anon = worker.stats().last_anon_mb or 0.0
            kills = cgroup.oom_kills() if cgroup else 0
            if cgroup:
                cgroup.reset_peak()
            started = time.monotonic()
            job = worker.submit("bench", request)
            job.wait(1800)
            seconds = time.monotonic() - started
            peak = cgroup.peak_mb() if cgroup else None
            oom = (cgroup.oom_kills() - kills) if cgroup else None
            print(
                f"{kind:5s} {label:52s} estimate {estimate.memory_mb:4.0f} MB {estimate.seconds:3.0f} s | "
                f"{job.status:7s} {seconds:5.1f} s | worker anon idle {idle_anon:4.0f} peak "
                f"{job.peak_anon_mb or 0:4.0f} (+{(job.peak_anon_mb or 0) - idle_anon:4.0f}) "
                f"rss peak {job.peak_mb or 0:4.0f}"
                + (f" | cgroup peak {peak:4.0f} MB, oom_kill {oom}" if cgroup else ""),
                flush=True,
            )
            if job.status != "done":
                print(f"      {job.error}", flush=True)


def soak(worker: KerasWorker, cgroup: Cgroup | None, trainings: int) -> None:
    """The seed's three models trained `trainings` times while a second session changes settings (probes, warm-ups)."""
    kills = cgroup.oom_kills() if cgroup else 0
    if cgroup:
        cgroup.reset_peak()
    sampler = Sampler(worker)
    settings = TrainingSettings.for_seed_variants(SEED, samples=1000, batch_size=128, epochs=10)
    statuses = []
    for index in range(trainings):
        train = worker.submit("learner", Training(settings))
        changed = SEED.replace(hidden_size=8 + index % 12, timesteps=32 + 8 * (index % 5))
        worker.warm_up("tinkerer", WarmUp((changed,), 256, 32, 0))
        probe = worker.submit("tinkerer", FitProbe(changed, True, 4))
        probe.wait(600)
        summary = worker.submit("tinkerer", Summary(changed))
        summary.wait(600)
        train.wait(1800)
        statuses.append(train.status)
    worker.wait_until_idle(600)
    peak = sampler.stop()
    stats = worker.stats()
    print(
        f"soak: {trainings} trainings of the seed's 3 models + a tinkerer's probes and warm-ups: "
        f"{statuses.count('done')} done; server stand-in + worker peak {peak:.0f} MB resident (goal < 900), "
        f"{sampler.peak_anon:.0f} MB of it anonymous; "
        f"worker processes started {stats.processes_started}"
        + (f"; cgroup peak {cgroup.peak_mb():.0f} MB, oom_kill {cgroup.oom_kills() - kills}" if cgroup else ""),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, default=int(os.environ.get("TDE_MEMORY_MB", "690")))
    parser.add_argument("--no-cgroup", action="store_true")
    parser.add_argument("--soak", type=int, default=15)
    parser.add_argument("--only", choices=["train", "lab", "probe", "none"], action="append")
    args = parser.parse_args()
    cgroup = None
    if not args.no_cgroup:
        try:
            cgroup = Cgroup(args.memory_mb)
            print(f"in cgroup {cgroup.path} (limit {args.memory_mb} MB, {'v2' if cgroup.v2 else 'v1'})", flush=True)
        except OSError as error:
            print(f"no cgroup ({error}): figures from /proc only", flush=True)
    balloon = server_stand_in()
    print(f"server stand-in: {_status(os.getpid(), 'VmRSS'):.0f} MB resident", flush=True)
    worker = KerasWorker(idle_seconds=600)
    try:
        run_largest(worker, cgroup, [kind for kind in args.only or ["train", "lab", "probe"] if kind != "none"])
        if args.soak:
            soak(worker, cgroup, args.soak)
    finally:
        worker.shutdown()
        del balloon


if __name__ == "__main__":
    main()
