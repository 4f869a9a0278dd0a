"""The Keras jobs the TensorFlow worker runs: one handler per request type of core.keras.requests,
`handler(request, context) -> result`, registered with `@handles(RequestType)`.

Each handler runs inside `core.keras.worker_child` (never in the Streamlit server), streams progress through
`context.emit` / `context.stage`, checks `context.should_stop()` where a job can stop early, and returns a picklable
result. Compiled models are kept in `context.cache` (one `ModelCache` for the whole worker, bounded), so a second
training of the same spec, by any session, reuses the traced model. Importing this module registers the frames
family's handlers too (core.keras.frames).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import core.keras.frames  # noqa: F401 - registers the frames family's handlers (issue 27)
from core.keras.protocol import Batch, EpochEnd, Partial, VariantDone, VariantStarted
from core.keras.requests import (
    CheckFix,
    EquivalenceLab,
    FitAnswer,
    FitProbe,
    InitialWeights,
    SeedSummary,
    Summary,
    SummaryResult,
    Training,
    WarmUp,
    WeightArrays,
    handles,
)


@handles(WarmUp)
def warm_up_training(request: WarmUp, context: Any) -> int:
    """Trace `fit()` (both the full and the last partial batch) and the per-timestep probe for each spec.

    A later `train()` of the same spec takes the model from the cache, resets its weights and optimizer, and starts
    at once. Returns how many models were traced.
    """
    from core.keras.training import probe_size  # noqa: PLC0415

    traced = 0
    for spec in request.specs:
        if context.should_stop():
            break
        model, _ = context.cache.model(spec, request.seed)
        remainder = request.samples % request.batch_size
        n = min(request.samples, request.batch_size + remainder)
        x = np.zeros(spec.input_shape(n), dtype=np.float32)
        y = np.zeros(spec.target_shape(n), dtype=np.float32)
        model.fit(x, y, batch_size=request.batch_size, epochs=1, shuffle=False, verbose=0)
        if spec.sequence_output:
            model.predict_on_batch(np.zeros(spec.input_shape(probe_size(request.samples)), dtype=np.float32))
        traced += 1
    return traced


@handles(Training)
def train_settings(request: Training, context: Any) -> list[Any]:
    """Train each variant of the settings in turn; stream batches, epochs and results. Returns the results so far."""
    from core.keras.training import train  # noqa: PLC0415
    from core.model.datasets import make_dataset  # noqa: PLC0415

    settings = request.settings
    results = []
    for index, (label, spec) in enumerate(settings.variants):
        if context.should_stop():
            break
        context.emit(VariantStarted(index))
        context.stage(f"{label}: building and tracing the model…")
        dataset = make_dataset(spec, settings.task, settings.samples, settings.seed, settings.normalise_targets)
        result = train(
            spec,
            dataset,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            seed=settings.seed,
            on_batch=lambda e, b, loss, i=index: context.emit(Batch(i, e, b, loss)),
            on_epoch=lambda e, loss, i=index: context.emit(EpochEnd(i, e, loss)),
            should_stop=context.should_stop,
            cache=context.cache,
            track_timesteps=True,
            learning_rate=settings.learning_rate,
        )
        context.emit(VariantDone(index, result))
        results.append(result)
        if result.stopped:
            break
    return results


@handles(FitProbe)
def fit_probe(request: FitProbe, context: Any) -> FitAnswer:
    """Keras's answer to fit(X, Y) on a tiny batch with per-timestep or per-sequence targets: None or its message."""
    from core.keras.models import fit_error  # noqa: PLC0415

    context.stage("Building the model and calling fit()…")
    return FitAnswer(fit_error(request.spec, request.per_timestep, samples=request.samples))


@handles(Summary)
def summary(request: Summary, context: Any) -> SummaryResult:
    """Keras's own model.summary() text, or (None, Keras's build error) for the combination it refuses."""
    from core.keras.models import keras_summary  # noqa: PLC0415

    context.stage("Building the model…")
    try:
        return SummaryResult(keras_summary(request.spec), None)
    except ValueError as error:
        return SummaryResult(None, str(error))


@handles(SeedSummary)
def seed_summary(_: SeedSummary, context: Any) -> str:
    """The seed's model 1, built and fitted as the Keras 3 translation does: its summary() today."""
    from core.keras.seed_summary import seed_summary_today  # noqa: PLC0415

    context.stage("Building and fitting the seed's model 1…")
    return seed_summary_today()


@handles(EquivalenceLab)
def equivalence_lab(request: EquivalenceLab, context: Any) -> dict[str, Any]:
    """Every measurement of the Equivalence lab, from one pair of twins, each stage timed.

    Returns {"outputs", "control", "counts", "timings", "training", "versions", "stages": [(label, seconds)]}.
    Each measurement is also streamed as a `Partial(key, value)` event when its stage ends, so the page shows the
    verdict (same outputs, and the control) about a second after the click while the slower stages still run. A stop
    is honoured between stages (what was measured is returned).
    """
    from core.keras import equivalence  # noqa: PLC0415

    spec, perturb = request.spec, request.perturb
    results: dict[str, Any] = {"stages": [], "versions": equivalence.versions()}
    context.emit(Partial("versions", results["versions"]))

    def stage(label: str, key: str, run: Any) -> None:
        if context.should_stop():  # a stop (or a visitor's job, for the server's own warming) ends it between stages
            return
        context.stage(label)
        started = time.perf_counter()
        results[key] = run()
        results["stages"].append((label, time.perf_counter() - started))
        if key != "twins":
            context.emit(Partial(key, results[key]))

    twins: dict[str, Any] = {}
    stage("Building both twins with one set of weights", "twins", lambda: twins.update(equivalence.build_twins(spec)))
    stage("Running both twins on one batch", "outputs", lambda: equivalence.twin_outputs(spec, twins=twins))
    stage(
        f"The control: one weight moved by {perturb:g}",
        "control",
        lambda: equivalence.twin_outputs(spec, perturb=perturb, twins=twins),
    )
    stage("Tracing both graphs and counting their ops", "counts", lambda: equivalence.graph_op_counts(spec, twins))
    stage(
        "Timing a first (tracing) call and later calls",
        "timings",
        lambda: equivalence.time_forward_and_trace(spec, twins),
    )
    stage("Training both twins from the same weights", "training", lambda: equivalence.train_twins(spec, twins=twins))
    results.pop("twins", None)
    return results


@handles(CheckFix)
def check_fix(request: CheckFix, context: Any) -> list[str | None]:
    """Fixes from the Fix my error page, checked by Keras in one job: each fixed model is built, fitted a few steps on
    synthetic data of the learner's shapes, and must lower its loss (None for a pass, else the reason)."""
    from core.keras.fix_check import check_net  # noqa: PLC0415

    results: list[str | None] = []
    for index, check in enumerate(request.checks):
        if context.should_stop():
            break
        context.stage(f"Building and fitting fix {index + 1} of {len(request.checks)}…")
        results.append(check_net(check))
    return results


@handles(InitialWeights)
def model_weights(request: InitialWeights, context: Any) -> WeightArrays:
    """The seed's initial weights of the spec's model (as a training with that seed starts from): Keras's variable
    paths and `get_weights()` arrays, for the numpy stepper of the unrolled page's step panel."""
    from core.keras.models import build_model  # noqa: PLC0415

    context.stage("Building the model with the seed's initial weights…")
    model = build_model(request.spec, seed=request.seed, compile=False)
    return WeightArrays([variable.path for variable in model.weights], [np.asarray(a) for a in model.get_weights()])
