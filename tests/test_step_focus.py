"""The step panel's state as a value: StepFocus moves, clicks, clamping on a changed spec, and the data source."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from core import ModelSpec
from core.keras.training_session import TrainingSettings
from core.model.datasets import tasks_for
from core.model.step_focus import (
    MAX_SAMPLE_CHOICES,
    StepFocus,
    after_click,
    clamped,
    data_source,
    initial,
    moved,
)
from core.model.training_controls import TrainingControls

TINY = {"timesteps": 6, "input_size": 3, "hidden_size": 4, "output_size": 2}
SEQ2SEQ = ModelSpec(**TINY, repeat="encoder", output_timesteps=3, return_sequences=False, head="dense")


@dataclass(frozen=True)
class Clicked:
    step: int
    role: str
    layer: int = 0
    axis: str = "time"


def test_the_panel_opens_on_the_top_layer_and_its_axis() -> None:
    assert initial(ModelSpec(**TINY)) == StepFocus(layer=0, axis="time", t=0, sample=0, other=5)
    assert initial(SEQ2SEQ) == StepFocus(layer=1, axis="decoder", t=0, sample=0, other=2)
    stacked = ModelSpec(**TINY, layers=3, inner_return_sequences=True)
    assert initial(stacked).layer == 2


def test_moving_stops_at_the_axis_ends_the_decoder_at_its_own_length() -> None:
    spec = ModelSpec(**TINY)
    assert moved(initial(spec), spec, -1).t == 0
    assert moved(initial(spec), spec, 99).t == 5
    assert moved(initial(SEQ2SEQ), SEQ2SEQ, 99).t == 2  # output_timesteps, not T
    encoder = replace(initial(SEQ2SEQ), layer=0)
    assert moved(encoder, SEQ2SEQ, 99) == StepFocus(0, "time", 5, 0, 2)


def test_a_click_on_the_head_reads_the_top_layer_and_the_decoders_axis_belongs_to_the_decoder() -> None:
    stacked = ModelSpec(**TINY, layers=2, inner_return_sequences=True)
    start = initial(stacked)
    assert after_click(start, stacked, Clicked(3, "cell", layer=0)) == replace(start, layer=0, t=3)
    assert after_click(start, stacked, Clicked(4, "head", layer=0)) == replace(start, layer=1, t=4)
    assert after_click(initial(SEQ2SEQ), SEQ2SEQ, Clicked(1, "state", 0, "decoder")).layer == 1
    # A click beyond the axis (a stale figure) is clamped, never an error.
    assert after_click(start, stacked, Clicked(40, "cell", layer=7)) == replace(start, layer=1, t=5)


def test_a_changed_spec_clamps_the_focus_instead_of_losing_it() -> None:
    focus = StepFocus(layer=2, axis="time", t=50, sample=5000, other=70)
    spec = ModelSpec(**TINY)
    assert clamped(focus, spec) == StepFocus(0, "time", 5, MAX_SAMPLE_CHOICES - 1, 5)
    assert clamped(focus, spec, samples=10).sample == 9
    assert clamped(StepFocus(0, "decoder", 1, other=-1), spec).other == 5  # an invalid other step: the default's
    assert clamped(StepFocus(0, "time", 3, 2, 1), ModelSpec()) == StepFocus(0, "time", 3, 2, 1)


def test_the_data_source_reads_the_training_controls_and_falls_back_to_a_task_the_pattern_has() -> None:
    controls = TrainingControls(task="first", samples=300, seed=7, normalise=True)
    many_to_one = ModelSpec(**TINY, return_sequences=False, head="dense")
    source = data_source(many_to_one, controls)
    assert (source.task, source.samples, source.seed, source.normalise) == ("first", 300, 7, True)
    assert source.weights_key == ("seed", 7) and "initial weights** of seed 7" in source.sentence
    one_to_many = ModelSpec(**TINY, repeat="input")
    assert "first" not in tasks_for(one_to_many)
    assert data_source(one_to_many, controls).task == tasks_for(one_to_many)[0]


@dataclass
class Result:
    epoch_losses: list
    stopped: bool = False


def test_a_trained_source_is_keyed_by_the_runs_value_not_its_identity() -> None:
    spec = ModelSpec(**TINY)
    settings = TrainingSettings.for_spec(spec, task="recall", samples=64, seed=3)
    first = data_source(spec, TrainingControls(), (Result([0.5, 0.25]), settings))
    again = data_source(spec, TrainingControls(), (Result([0.5, 0.25]), settings))
    other = data_source(spec, TrainingControls(), (Result([0.5, 0.2], stopped=True), settings))
    assert first == again and hash(first) == hash(again) and first.weights_key == again.weights_key
    assert other.weights_key != first.weights_key
    assert (first.task, first.samples, first.seed) == ("recall", 64, 3)
    assert "(2 epochs, seed 3)" in first.sentence and "stopped early" in other.sentence


def test_training_controls_round_trip_through_the_training_pages_widget_keys() -> None:
    controls = TrainingControls(task="first", samples=200, batch=16, epochs=3, seed=4, lr=0.1, what="variants")
    values = controls.widget_values()
    assert values["training_batch"] == 16 and values["training_what"] == "variants"
    assert TrainingControls.from_widgets(values) == controls
    # A widget Streamlit has dropped (its page not drawn) keeps the saved value, not the default.
    assert TrainingControls.from_widgets({"training_seed": 9}, controls) == replace(controls, seed=9)


@pytest.mark.parametrize("task", ["recall", "random"])
def test_the_default_task_is_kept_where_the_pattern_has_it(task: str) -> None:
    assert TrainingControls(task=task).task_for(ModelSpec()) == task
