"""Datasets and core.train on real Keras: shapes, learning, stopping, reproducibility, model reuse."""

from __future__ import annotations

import numpy as np
import pytest

from core import ModelSpec, describe
from core.keras.models import build_model
from core.keras.training import ModelCache, train
from core.model.datasets import FRAME_ONLY_TASKS, TASKS, make_dataset

TINY = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)


@pytest.mark.parametrize("task", sorted(set(TASKS) - set(FRAME_ONLY_TASKS)))  # motion: test_frames_training
@pytest.mark.parametrize("return_sequences", [True, False])
def test_datasets_fit_the_models_target_shape(task: str, return_sequences: bool) -> None:
    repeat = "input" if task == "count" else "none"  # unrolling a vector is the one-to-many pattern's task
    spec = ModelSpec(
        return_sequences=return_sequences, head="dense", timesteps=7, input_size=2, output_size=5, repeat=repeat
    )
    x, y = make_dataset(spec, task, samples=12, seed=1)
    model = build_model(spec, compile=False)
    assert x.shape == ((12, 2) if repeat == "input" else (12, 7, 2))
    assert y.shape == (12, *describe(spec).target_shape[1:]) == (12, *model.output.shape[1:])
    assert x.dtype == y.dtype == np.float32
    again = make_dataset(spec, task, samples=12, seed=1)
    np.testing.assert_array_equal(x, again[0])
    np.testing.assert_array_equal(y, again[1])
    other = make_dataset(spec, task, samples=12, seed=2)
    assert not np.array_equal(x, other[0])


def test_random_task_is_uniform_like_the_seeds_data() -> None:
    x, y = make_dataset(ModelSpec(), "random", samples=1000, seed=0)
    for array in (x, y):
        assert 0.0 <= array.min() and array.max() < 1.0
        assert abs(float(array.mean()) - 0.5) < 0.01


def test_recall_targets_are_the_previous_token() -> None:
    spec = ModelSpec(timesteps=5, input_size=4, output_size=4)
    x, y = make_dataset(spec, "recall", samples=3, seed=0)
    tokens = x.argmax(axis=-1)  # one-hot inputs when input_size >= output_size
    np.testing.assert_array_equal(y[:, 1:].argmax(axis=-1), tokens[:, :-1])
    np.testing.assert_allclose(y[:, 0], 0.25)
    last_only = spec.replace(return_sequences=False, head="dense")
    x2, y2 = make_dataset(last_only, "recall", samples=3, seed=0)
    np.testing.assert_array_equal(y2.argmax(axis=-1), x2.argmax(axis=-1)[:, -2])


def test_bad_dataset_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="task"):
        make_dataset(TINY, "nope")
    with pytest.raises(ValueError, match="samples"):
        make_dataset(TINY, "random", samples=0)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_loss_falls_by_30_percent_on_the_learnable_task_with_the_seeds_sizes(return_sequences: bool) -> None:
    spec = ModelSpec(return_sequences=return_sequences, head="dense")
    dataset = make_dataset(spec, "recall", samples=1000, seed=0)
    result = train(spec, dataset, epochs=10, batch_size=128, seed=0, learning_rate=0.01)
    assert len(result.epoch_losses) == 10
    assert result.epoch_losses[-1] <= 0.7 * result.batch_losses[0]


def test_callbacks_report_every_batch_and_epoch_and_the_epoch_loss_is_kerass() -> None:
    dataset = make_dataset(TINY, "recall", samples=40, seed=0)
    batches, epochs = [], []
    result = train(
        TINY,
        dataset,
        epochs=3,
        batch_size=16,
        seed=0,
        on_batch=lambda e, b, loss: batches.append((e, b, loss)),
        on_epoch=lambda e, loss: epochs.append((e, loss)),
        track_timesteps=True,
    )
    assert [(e, b) for e, b, _ in batches] == [(e, b) for e in range(3) for b in range(3)]  # 40 = 16 + 16 + 8
    assert [loss for _, _, loss in batches] == result.batch_losses
    assert [loss for _, loss in epochs] == result.epoch_losses
    # Keras's epoch loss is the sample-weighted mean of the batches' own losses.
    for epoch in range(3):
        own = result.batch_losses[3 * epoch : 3 * epoch + 3]
        assert result.epoch_losses[epoch] == pytest.approx((16 * own[0] + 16 * own[1] + 8 * own[2]) / 40, rel=1e-5)
    assert len(result.timestep_losses) == 3 and all(len(row) == TINY.timesteps for row in result.timestep_losses)
    assert result.sample_prediction.shape == (TINY.timesteps, TINY.output_size)


def test_per_timestep_losses_average_to_the_models_loss() -> None:
    dataset = make_dataset(TINY, "recall", samples=32, seed=0)
    result = train(TINY, dataset, epochs=1, batch_size=32, seed=0, track_timesteps=True)
    model = build_model(TINY, seed=0)
    model.fit(*dataset, epochs=1, batch_size=32, shuffle=False, verbose=0)
    keras_loss = float(model.evaluate(*dataset, batch_size=32, verbose=0))
    assert np.mean(result.timestep_losses[-1]) == pytest.approx(keras_loss, rel=1e-4)


def test_should_stop_stops_within_one_batch() -> None:
    dataset = make_dataset(TINY, "random", samples=64, seed=0)
    calls = []
    result = train(
        TINY,
        dataset,
        epochs=5,
        batch_size=8,
        seed=0,
        should_stop=lambda: len(calls) >= 3,
        on_batch=lambda *a: calls.append(a),
    )
    assert result.stopped
    assert len(result.batch_losses) == 3  # planned: 5 epochs x 8 batches
    assert result.epoch_losses == []


def test_one_seed_gives_the_same_losses_and_another_seed_does_not() -> None:
    dataset = make_dataset(TINY, "recall", samples=32, seed=0)
    first = train(TINY, dataset, epochs=2, batch_size=8, seed=5)
    second = train(TINY, dataset, epochs=2, batch_size=8, seed=5)
    third = train(TINY, dataset, epochs=2, batch_size=8, seed=6)
    assert first.batch_losses == second.batch_losses
    assert first.batch_losses != third.batch_losses


def test_a_cached_model_is_reset_and_reused_with_identical_losses() -> None:
    dataset = make_dataset(TINY, "recall", samples=32, seed=0)
    cache = ModelCache()
    fresh = train(TINY, dataset, epochs=2, batch_size=8, seed=1, cache=cache)
    reused = train(TINY, dataset, epochs=2, batch_size=8, seed=1, cache=cache)
    other_seed = train(TINY, dataset, epochs=2, batch_size=8, seed=2, cache=cache)
    uncached = train(TINY, dataset, epochs=2, batch_size=8, seed=2)
    assert not fresh.reused_model and reused.reused_model and other_seed.reused_model
    assert fresh.batch_losses == reused.batch_losses
    assert other_seed.batch_losses == uncached.batch_losses
    assert len(cache) == 1


def test_the_invalid_combination_cannot_be_trained() -> None:
    spec = TINY.replace(return_sequences=False)
    with pytest.raises(ValueError, match="return_sequences"):
        train(spec, make_dataset(spec, "random", 8), epochs=1, batch_size=8)
