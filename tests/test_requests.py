"""The worker's typed requests (core/keras/requests.py): each its own cache key, its handler found by its type, and
its estimate the one the page shows before the click (so the worker's timings calibrate what a person reads)."""

from __future__ import annotations

import pickle

import pytest

from core.keras.requests import (
    CheckFix,
    EquivalenceLab,
    FitProbe,
    InitialWeights,
    Request,
    SeedSummary,
    Summary,
    Training,
    TrainingSettings,
    WarmUp,
    handler_for,
)
from core.model.budget import lab_work, probe_work, summary_work, training_work
from core.model.spec import ModelSpec

SPEC = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)


def test_equal_requests_are_one_key_and_survive_the_trip_to_the_child():
    checks = ({"net": [{"kind": "LSTM", "units": 4}], "x_shape": [None, 6, 3], "y_shape": [None, 2]},)
    for make in (
        lambda: FitProbe(SPEC, True, 4),
        lambda: Summary(SPEC),
        lambda: InitialWeights(SPEC, 0),
        lambda: EquivalenceLab(SPEC, 1e-3),
        lambda: Training(TrainingSettings.for_spec(SPEC)),
        lambda: WarmUp((SPEC,), 8, 4, 0),
        lambda: CheckFix(tuple(dict(check) for check in checks)),  # dicts inside: compared by their text
    ):
        first, second = make(), make()
        assert first == second and hash(first) == hash(second) and {first: 1}[second] == 1
        assert pickle.loads(pickle.dumps(first)) == first
    assert FitProbe(SPEC, True, 4) != FitProbe(SPEC, False, 4) and Summary(SPEC) != InitialWeights(SPEC, 0)
    assert CheckFix(checks) != CheckFix(())


def test_each_request_says_how_the_worker_treats_it():
    assert (Training.group, Training.kept) == ("train", False)  # the audience keeps a training's result, by bytes
    assert (WarmUp.group, WarmUp.kept) == ("probe", False)  # its value is what it traced in the child
    assert all(kind.group == "probe" and kind.kept for kind in (FitProbe, Summary, InitialWeights, EquivalenceLab))


def test_the_estimate_the_worker_times_is_the_one_the_page_shows():
    settings = TrainingSettings.for_seed_variants(SPEC, samples=64, batch_size=16, epochs=2)
    assert Training(settings).estimate() == training_work(settings).seconds
    assert FitProbe(SPEC, True, 4).estimate() == probe_work(SPEC, 4).seconds
    assert EquivalenceLab(SPEC, 1e-3).estimate() == lab_work(SPEC).seconds
    assert Summary(SPEC).estimate() == InitialWeights(SPEC, 0).estimate() == summary_work(SPEC).seconds
    assert SeedSummary().estimate() is None and WarmUp((SPEC,), 8, 4, 0).estimate() is None


def test_a_request_without_a_handler_is_refused_by_name():
    import core.keras.jobs  # noqa: F401 - registers the app's handlers

    assert handler_for(Summary(SPEC)).__name__ == "summary"
    with pytest.raises(LookupError, match="No worker handler for Request"):
        handler_for(Request())
