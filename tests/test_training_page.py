"""The Training page through AppTest, and its figures as pure functions.

AppTest does not run fragments on a timer, so a test reruns the whole page while the job trains (bounded loop).
Tests that need a run still in progress hold the job before its first batch with a gated model cache, so that
their outcome does not depend on how fast the machine is.
"""

from __future__ import annotations

import json
import math
import threading
import time

import numpy as np
import pytest

from core.spec import ModelSpec
from core.training_figures import batch_positions, loss_figure, prediction_figure, timestep_heatmap
from core.training_session import TrainingJob
from tests.conftest import page_text, run_app

TINY_PARAMS = {"timesteps": "6", "input_size": "3", "hidden_size": "4", "output_size": "2"}
TINY = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
JOIN = 120


class GatedCache:
    """A real ModelCache whose first answer waits for `gate`: the job is 'running' but has trained nothing yet."""

    def __init__(self) -> None:
        from core.training import ModelCache

        self.inner = ModelCache()
        self.gate = threading.Event()

    def model(self, spec, seed):
        self.gate.wait(JOIN)
        return self.inner.model(spec, seed)


def _set_controls(at, samples=32, batch=8, epochs=2, what="current"):
    at.number_input(key="training_samples").set_value(samples)
    at.number_input(key="training_batch").set_value(batch)
    at.number_input(key="training_epochs").set_value(epochs)
    at.radio(key="training_what").set_value(what)
    return at.run()


def _run_until_done(at, job, limit: int = 400):
    """Rerun the page (as the fragment's timer would) while the job trains; then once more for the results."""
    for _ in range(limit):
        if not job.running:
            break
        time.sleep(0.1)  # let the worker thread have the CPU between reruns
        at.run()
    assert not job.running, "training did not finish"
    return at.run()


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _keras_epoch_losses(spec: ModelSpec, task: str, samples: int, batch: int, epochs: int, lr: float) -> list[float]:
    """Keras's own fit() on the same data, weights and order, independently of core.training."""
    from core.datasets import make_dataset
    from core.models import build_model

    x, y = make_dataset(spec, task, samples, 0)
    model = build_model(spec, seed=0)
    model.optimizer.learning_rate.assign(lr)
    history = model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    return history.history["loss"]


def test_training_page_trains_and_shows_chart_and_final_table():
    at = _set_controls(run_app("training", TINY_PARAMS))
    assert not at.exception
    assert "No training yet" in page_text(at)
    at.button(key="training_train").click().run()
    job = at.session_state["training_job"]
    at = _run_until_done(at, job)
    assert not at.exception

    figures = _figures(at)
    loss = next(f for f in figures if f["layout"]["title"]["text"] == "Training loss")
    traces = {trace["name"]: trace for trace in loss["data"]}
    assert len(traces["Current model · per batch"]["y"]) == 2 * 4  # 2 epochs of 32 / 8 batches
    epoch_curve = traces["Current model · per epoch"]["y"]
    keras_losses = _keras_epoch_losses(TINY, "recall", 32, 8, 2, 0.01)
    np.testing.assert_allclose(epoch_curve, keras_losses, rtol=1e-5)

    table = at.dataframe[0].value
    assert list(table["model"]) == ["Current model"]
    assert table["final epoch categorical_crossentropy"][0] == pytest.approx(keras_losses[-1], rel=1e-5)
    assert not table["compiled model reused"][0]
    titles = [f["layout"]["title"]["text"] for f in figures]
    assert any("per timestep" in title for title in titles)  # the spec returns sequences: a per-timestep heatmap
    prediction = next(f for f in figures if "prediction" in f["layout"]["title"]["text"])
    assert np.asarray(prediction["data"][0]["z"]).shape == (6, 2)

    # Training again with the same settings reuses the compiled model and draws the same curve.
    at.button(key="training_train").click().run()
    at = _run_until_done(at, job)
    assert not at.exception
    assert bool(at.dataframe[0].value["compiled model reused"][0])
    again = next(f for f in _figures(at) if f["layout"]["title"]["text"] == "Training loss")
    assert {t["name"]: t["y"] for t in again["data"]} == {name: t["y"] for name, t in traces.items()}


def _gated_app(**job_options):
    """The page on the tiny spec with a job whose training waits at the gate; returns (at, job, cache)."""
    at = run_app("training", TINY_PARAMS)
    cache = GatedCache()
    job = TrainingJob(cache=cache, **job_options)
    at.session_state["training_job"] = job
    at = _set_controls(at, samples=64, batch=4, epochs=3)
    return at, job, cache


def test_stop_button_stops_within_one_batch():
    at, job, cache = _gated_app()
    at.button(key="training_train").click().run()
    assert job.running
    at.button(key="training_stop").click().run()
    cache.gate.set()
    assert job.join(JOIN)
    at.run()
    assert not at.exception
    snap = job.snapshot()
    assert snap.status == "stopped"
    assert snap.batches_done == 1 < snap.settings.planned_batches
    assert "Training stopped early" in page_text(at)
    assert len(at.dataframe) == 1  # the partial run's table stays visible


def test_changing_a_control_stops_the_running_job():
    at, job, cache = _gated_app()
    at.button(key="training_train").click().run()
    at.number_input(key="training_epochs").set_value(2).run()
    assert "a setting changed" in page_text(at)
    cache.gate.set()
    assert job.join(JOIN)
    assert job.snapshot().status == "stopped"
    at.run()
    assert not at.exception
    assert "its settings differ" in page_text(at)


def test_leaving_the_page_stops_the_job_at_once():
    now = [0.0]
    at, job, cache = _gated_app(heartbeat_timeout=5.0, clock=lambda: now[0])
    at.button(key="training_train").click().run()
    assert job.running
    at.switch_page("views/overview.py").run()  # the clock stands still: no heartbeat timeout is involved
    assert not at.exception
    cache.gate.set()
    assert job.join(JOIN)
    snap = job.snapshot()
    assert snap.status == "stopped" and "left the Training page" in snap.stop_reason
    assert snap.batches_done <= 1


def test_invalid_spec_explains_and_offers_the_valid_variants():
    at = run_app("training", {**TINY_PARAMS, "return_sequences": "false"})
    assert not at.exception
    assert at.radio(key="training_what").value == "variants"
    assert at.radio(key="training_what").disabled
    assert "seed's three valid models" in page_text(at)
    assert not at.button(key="training_train").disabled


def test_too_much_work_is_refused_with_a_suggestion():
    at = run_app("training")  # the seed's sizes
    at = _set_controls(at, samples=20_000, batch=32, epochs=200, what="variants")
    assert not at.exception
    assert any("Too much work" in str(e.value) and "fewer epochs" in str(e.value) for e in at.error)
    assert at.button(key="training_train").disabled


# -- figures -----------------------------------------------------------------------------------------------------
def test_batch_positions_place_batches_inside_their_epoch():
    assert batch_positions(6, 3) == pytest.approx([1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2])


def test_loss_figure_has_one_colour_per_variant_and_grows_with_the_data():
    curves = [("A", [3.0, 2.0, 1.0], [2.5]), ("B", [1.0], [])]
    fig = loss_figure(curves, batches_per_epoch=2)
    names = [trace.name for trace in fig.data]
    assert names == ["A · per batch", "A · per epoch", "B · per batch", "B · per epoch"]
    assert list(fig.data[0].y) == [3.0, 2.0, 1.0] and list(fig.data[0].x) == [0.5, 1.0, 1.5]
    assert list(fig.data[1].x) == [1]
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color


def test_timestep_heatmap_rows_are_epochs_and_columns_timesteps():
    losses = [[0.7, 0.6, 0.5], [0.7, 0.3, 0.2]]
    fig = timestep_heatmap(losses)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), losses)
    assert list(fig.data[0].x) == [0, 1, 2] and list(fig.data[0].y) == [1, 2]


def test_prediction_figure_shows_prediction_beside_target_on_one_scale():
    rng = np.random.default_rng(0)
    prediction, target = rng.random((5, 3)), np.eye(3)[[0, 1, 2, 0, 1]]
    fig = prediction_figure(prediction, target)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), prediction)
    np.testing.assert_array_equal(np.asarray(fig.data[1].z), target)
    assert fig.data[0].zmax == fig.data[1].zmax == pytest.approx(max(prediction.max(), 1.0))
    single = prediction_figure(np.array([0.2, 0.8]), np.array([0.0, 1.0]))
    assert np.asarray(single.data[0].z).shape == (1, 2)
    assert not math.isnan(single.data[0].zmax)
