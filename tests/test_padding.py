"""Padded sequences and per-step weights (issue 27): the spec's fields, describe() against the real model, the padded
data, and the masked training job's loss against the numpy hand computation."""

from __future__ import annotations

import numpy as np
import pytest

from core import ModelSpec, describe
from core.keras.masking import masked_training
from core.keras.models import build_model
from core.keras.requests import MaskedTraining
from core.keras.training_session import TrainingSettings
from core.model.datasets import make_dataset
from core.model.sequence_fields import real_lengths, real_steps, sample_weight_array, step_weights
from core.model.spec import SpecError
from core.model.step_loss import keras_step_mean, masked_step_means
from tests.test_anatomy_keras import described_anatomy, keras_anatomy

TINY = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2, padding="masking")
PADDED_GRID = [
    TINY,
    TINY.replace(cell="LSTM", head="dense"),
    TINY.replace(cell="SimpleRNN", return_sequences=False, head="dense"),
    TINY.replace(bidirectional=True, merge_mode="sum", layers=2),
    TINY.replace(cell="LSTM", layers=2, inner_return_sequences=False),  # refused: the stack
    TINY.replace(return_sequences=False),  # refused: the head
    TINY.replace(reset_after=False, use_bias=False, activation="linear"),
]


@pytest.mark.parametrize("spec", PADDED_GRID, ids=range(len(PADDED_GRID)))
def test_describe_equals_the_real_padded_model(spec: ModelSpec) -> None:
    description = describe(spec)
    if not spec.is_valid:
        with pytest.raises(ValueError) as caught:
            build_model(spec, compile=False)
        assert str(caught.value) == description.keras_error
        return
    model = build_model(spec, compile=False)
    assert described_anatomy(description) == keras_anatomy(model)
    assert description.total_params == model.count_params()
    mask = getattr(model.output, "_keras_mask", None)
    if spec.sequence_output:  # the mask reaches the output, so the loss can leave the padded steps out
        assert mask is not None and tuple(mask.shape) == (None, spec.timesteps)


def test_padding_refuses_frames_and_repeat_vector() -> None:
    with pytest.raises(SpecError, match="padding"):
        ModelSpec(padding="masking", input_kind="frames")
    with pytest.raises(SpecError, match="padding"):
        ModelSpec(padding="masking", repeat="encoder")
    assert ModelSpec.from_params(TINY.to_params(omit_defaults=True)) == TINY
    assert set(TINY.replace(sample_weight="rising").to_params(omit_defaults=True)) >= {"padding", "sample_weight"}


def test_real_lengths_cycle_from_t_down_to_just_over_half() -> None:
    assert real_lengths(7, 6).tolist() == [6, 5, 4, 6, 5, 4, 6]
    assert real_lengths(3, 1).tolist() == [1, 1, 1]
    assert real_steps(2, 3).tolist() == [[True, True, True], [True, True, False]]
    assert step_weights(4).tolist() == [0.25, 0.5, 0.75, 1.0]
    assert sample_weight_array(TINY, 3) is None
    assert sample_weight_array(TINY.replace(sample_weight="rising", return_sequences=False, head="dense"), 3) is None
    assert sample_weight_array(TINY.replace(sample_weight="rising"), 3).shape == (3, 6)


def test_padded_data_is_zero_exactly_at_the_padding() -> None:
    x, y = make_dataset(TINY, "recall", samples=9, seed=0)
    unpadded, same_y = make_dataset(TINY.replace(padding="none"), "recall", samples=9, seed=0)
    mask = real_steps(9, 6)
    assert (x[~mask] == 0).all() and np.array_equal(x[mask], unpadded[mask]) and np.array_equal(y, same_y)
    assert (np.abs(x[mask]).sum(axis=-1) > 0).all()  # no real step looks like padding to Masking


def test_hand_reductions_on_numbers_worked_by_hand() -> None:
    losses = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 7.0]])
    mask = np.array([[True, True, False], [True, False, False]])
    weights = np.array([[1.0, 0.5, 2.0], [1.0, 0.5, 2.0]])
    assert keras_step_mean(losses, mask) == pytest.approx((1 + 2 + 3) / 3)
    assert keras_step_mean(losses, None, weights) == pytest.approx((1 + 1 + 8 + 3 + 2.5 + 14) / 6)
    assert keras_step_mean(losses, mask, weights) == pytest.approx((1 + 1 + 3) / 3)
    assert masked_step_means(losses, mask) == [2.0, 2.0, None]


class _Context:
    """What a worker job sees of the worker: stages to report and a stop check (never asked to stop here)."""

    def stage(self, label: str) -> None:
        pass

    def should_stop(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("spec", "task"),
    [
        (TINY, "recall"),
        (TINY.replace(sample_weight="rising", activation="linear"), "recall"),
        (TINY.replace(padding="none", sample_weight="rising", head="dense"), "random"),
    ],
    ids=["mask", "mask+weights", "weights"],
)
def test_the_masked_training_loss_equals_the_hand_computation(spec: ModelSpec, task: str) -> None:
    settings = TrainingSettings.for_spec(spec, task=task, samples=48, batch_size=16, epochs=2, learning_rate=0.01)
    result = masked_training(MaskedTraining(settings), _Context())
    assert len(result["epoch_losses"]) == 2
    assert result["keras_loss"] == pytest.approx(result["hand_loss"], rel=1e-5)
    if spec.padding == "masking":  # counting the padded steps gives another number, which Keras does not report
        assert result["mask"].shape == (48, 6) and not result["mask"].all()
        assert result["keras_loss"] != pytest.approx(result["hand_all_steps"], rel=1e-3)
    if spec.sample_weight == "rising":  # sum(w·l) / steps, not / sum(w)
        assert result["keras_loss"] != pytest.approx(result["hand_over_weights"], rel=1e-3)


def test_the_unrolled_diagram_greys_the_shortest_sequences_padding() -> None:
    from core.figures.unrolled import NORMAL, layout, render

    diagram = layout(describe(TINY.replace(timesteps=7)), NORMAL)
    assert diagram.steps_of("input", faded=True) == [4, 5, 6]  # the shortest real length of T=7 is 4
    assert all("Padding (masked)" in node.hover for node in diagram.nodes_of("input", faded=True))
    assert diagram.steps_of("input", faded=False) == [0, 1, 2, 3]
    greyed = [trace for trace in render(diagram).data if trace.name == "padding (masked) after t=3"]
    assert len(greyed) == 1 and greyed[0].opacity < 1 and greyed[0].marker.symbol.endswith("-open")
    assert layout(describe(TINY.replace(padding="none")), NORMAL).steps_of("input", faded=True) == []


@pytest.mark.parametrize(
    "spec", [TINY.replace(sample_weight="rising"), TINY.replace(return_sequences=False, head="dense")]
)
def test_the_exported_script_pads_masks_weighs_and_runs(spec: ModelSpec, capsys: pytest.CaptureFixture) -> None:
    from core.model.code import keras_code, parse_count_params

    script = keras_code(spec)
    assert 'keras.layers.Masking(mask_value=0.0, name="masking")' in script and "LENGTHS = " in script
    assert ("sample_weight=W" in script) == spec.sequence_output
    exec(compile(script, "exported.py", "exec"), {"__name__": "__main__"})  # the learner's run, in this process
    assert parse_count_params(capsys.readouterr().out) == describe(spec).total_params


@pytest.mark.parametrize("page", ["overview", "unrolled", "weights", "shapes", "equivalence", "code", "fix"])
def test_every_page_opens_a_padded_weighted_link(page: str) -> None:
    from core.model.url_state import spec_to_query
    from tests.conftest import run_app

    spec = TINY.replace(sample_weight="rising")
    at = run_app(page, spec_to_query(spec))
    assert not at.exception, [str(error.value)[:300] for error in at.exception]
    assert at.session_state["spec"] == spec


@pytest.mark.parametrize("spec", [TINY, TINY.replace(cell="SimpleRNN", return_sequences=False, head="dense")])
def test_the_shape_flow_says_where_the_mask_goes_as_keras_sends_it(spec: ModelSpec) -> None:
    """The Masking box names the mask's shape (batch, T) and says it reaches the loss exactly when the built model's
    output carries Keras's mask (a recurrent layer that returns only its last state ends it)."""
    from core.figures.shape_flow import flow_stages

    note = next(stage.note for stage in flow_stages(spec) if stage.title.startswith("masking"))
    assert f"mask (None, {spec.timesteps})" in note
    x = np.ones((2, spec.timesteps, spec.input_size), np.float32)
    reaches_loss = getattr(build_model(spec, compile=False)(x), "_keras_mask", None) is not None
    assert reaches_loss == spec.sequence_output
    assert ("travels to the loss" in note) == reaches_loss
