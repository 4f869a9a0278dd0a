"""The Training page through AppTest, and its figures as pure functions.

AppTest does not run fragments on a timer, so a test reruns the whole page while the job trains (bounded loop).
Tests that need a run still in progress hold the job before its first batch with a gated model cache, so that
their outcome does not depend on how fast the machine is.
"""

from __future__ import annotations

import json
import math
import re
import threading

import numpy as np
import pytest

from core.figures.training import batch_positions, loss_figure, prediction_figure, timestep_heatmap
from core.keras.training_session import TrainingSettings
from core.model.budget import training_work
from core.model.spec import ModelSpec
from tests.conftest import page_text, run_app, settle
from tests.worker_handlers import HELD, Hold

TINY_PARAMS = {"timesteps": "6", "input_size": "3", "hidden_size": "4", "output_size": "2"}
TINY = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
JOIN = 120


def _set_controls(at, samples=32, batch=8, epochs=2, what="current"):
    at.number_input(key="training_samples").set_value(samples)
    at.number_input(key="training_batch").set_value(batch)
    at.number_input(key="training_epochs").set_value(epochs)
    at.radio(key="training_what").set_value(what)
    return at.run()


def _run_until_done(at, job):
    """Wait for the training in the worker, then rerun the page as its polling fragment would."""
    assert job.wait(JOIN), "training did not finish"
    return settle(at)


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _keras_epoch_losses(spec: ModelSpec, task: str, samples: int, batch: int, epochs: int, lr: float) -> list[float]:
    """Keras's own fit() on the same data, weights and order, independently of core.keras.training."""
    from core.keras.models import build_model
    from core.model.datasets import make_dataset

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
    # The page warmed the model up in the worker before the click, so even the first run reuses its trace; the
    # caption that says so appears exactly when a model was reused.
    assert ("A reused model" in page_text(at)) == bool(table["compiled model reused"][0])
    titles = [f["layout"]["title"]["text"] for f in figures]
    assert any("per timestep" in title for title in titles)  # the spec returns sequences: a per-timestep heatmap
    prediction = next(f for f in figures if "prediction" in f["layout"]["title"]["text"])
    assert np.asarray(prediction["data"][0]["z"]).shape == (6, 2)

    # Training again with the same settings replays the run (deterministic: core/keras/audience.py), says so, and
    # draws the same curve.
    at.button(key="training_train").click().run()
    at = _run_until_done(at, job)
    assert not at.exception
    assert job.snapshot().computed_at is not None and "Cached: computed at" in page_text(at)
    again = next(f for f in _figures(at) if f["layout"]["title"]["text"] == "Training loss")
    assert {t["name"]: t["y"] for t in again["data"]} == {name: t["y"] for name, t in traces.items()}


@pytest.fixture
def held_worker(tmp_path):
    """The server's worker busy with another visitor's job until the test opens the gate: a Train click then stays
    queued, whatever the speed of the machine. Yields the gate's path."""
    from core.keras.audience import audience_for
    from core.keras.worker import shared_worker

    audience_for(shared_worker()).forget()  # a Train click must queue, not replay another test's run
    gate = tmp_path / "gate"
    started = threading.Event()
    blocker = shared_worker().submit("another-visitor", Hold(str(gate)), listener=lambda e: e == HELD and started.set())
    assert started.wait(JOIN), blocker.error
    yield gate
    gate.touch()
    assert blocker.wait(JOIN)


def _queued_app():
    at = _set_controls(run_app("training", TINY_PARAMS), samples=64, batch=4, epochs=3)
    at.button(key="training_train").click().run()
    return at, at.session_state["training_job"]


def test_a_click_answers_at_once_with_a_disabled_starting_button_and_the_queue(held_worker):
    at, job = _queued_app()
    assert not at.exception
    assert job.running and job.snapshot().status == "queued"
    train = at.button(key="training_train")
    assert train.disabled and train.label == "Starting…"
    assert "Queued: 1 job(s) of other visitors first" in " ".join(str(p.proto.text) for p in at.get("progress"))
    held_worker.touch()
    at = _run_until_done(at, job)
    assert job.snapshot().status == "done"
    assert not at.button(key="training_train").disabled and at.button(key="training_train").label == "Train"


def test_stop_button_ends_the_run_and_gives_train_back(held_worker):
    at, job = _queued_app()
    at.button(key="training_stop").click().run()
    assert not at.exception
    snap = job.snapshot()
    assert snap.status == "stopped" and snap.stop_reason == "Stopped by you."
    assert "Training stopped early" in page_text(at) and "Stopped by you" in page_text(at)
    assert not at.button(key="training_train").disabled


def test_leaving_the_page_or_changing_a_control_does_not_throw_the_run_away(held_worker):
    at, job = _queued_app()
    at.number_input(key="training_epochs").set_value(2).run()
    assert job.running and "uses the settings it started with" in page_text(at)
    at.switch_page("views/overview.py").run()
    assert not at.exception and job.running
    held_worker.touch()
    assert job.wait(JOIN) and job.snapshot().status == "done"
    at.switch_page("views/training.py").run()
    assert not at.exception
    assert "Final loss" in page_text(at) and len(at.dataframe) == 1
    assert "its settings differ" in page_text(at)  # the controls still say 2 epochs, the run had 3


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
    (error,) = [e.value for e in at.error if "Too much for a small server" in e.value]
    suggested = int(re.search(r"samples ≤ ([\d,]+)", error).group(1).replace(",", ""))
    settings = TrainingSettings.for_seed_variants(ModelSpec(), samples=20_000, batch_size=32, epochs=200)
    assert training_work(settings.replace(samples=suggested)).allowed  # the suggestion passes...
    assert not training_work(settings.replace(samples=suggested + 1)).allowed  # ...and is the largest that does
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


def test_the_three_model_comparison_keeps_model_3_apart_and_shows_kerass_refusal_of_its_wrong_targets():
    at = _set_controls(run_app("training", TINY_PARAMS), samples=16, batch=8, epochs=1, what="variants")
    at.button(key="training_train").click().run()
    job = at.session_state["training_job"]
    assert job.wait(JOIN)
    at.run()  # the results: the page now asks the worker whether Keras fits model 3 on per-timestep targets
    assert not at.exception
    # That question must not take the learner's one job slot: Train works again at once.
    at.button(key="training_train").click().run()
    assert not at.warning and job.snapshot().run_id == 2  # the second run started (it may already have ended)
    assert job.wait(JOIN)
    at = settle(at)
    charts = {f["layout"]["title"]["text"]: f for f in _figures(at) if "Loss" in f["layout"]["title"]["text"]}
    per_step = charts["Loss · targets per timestep (N, T, O)"]
    per_sequence = charts["Loss · one target per sequence (N, O)"]
    assert {t["legendgroup"] for t in per_step["data"]} == {"Model 1", "Model 2"}
    assert {t["legendgroup"] for t in per_sequence["data"]} == {"Model 3"}
    model2 = next(t for t in per_step["data"] if t["name"] == "Model 2 · per batch")
    assert model2["line"]["dash"] == "dash"  # drawn dashed over model 1, which it coincides with
    assert any("must have the same rank" in code.value for code in at.code)  # Keras's own words, not ours


def test_the_page_warms_the_model_up_so_the_first_click_reuses_its_trace(monkeypatch):
    monkeypatch.setenv("TDE_SPECULATE", "1")  # as a real server runs (the tests turn speculation off: conftest)
    spec = TINY.replace(hidden_size=7)  # traced by no other test
    params = {**TINY_PARAMS, "hidden_size": "7"}
    at = _set_controls(run_app("training", params), samples=24, batch=8, epochs=1)
    at = settle(at)  # the warm-up the page asked for has built and traced the model
    at.button(key="training_train").click().run()
    at = _run_until_done(at, at.session_state["training_job"])
    (variant,) = at.session_state["training_job"].snapshot().variants
    assert variant.spec == spec and variant.result.reused_model
    assert "A reused model had already been built and run once on this server" in page_text(at)
