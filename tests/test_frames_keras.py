"""The frames family against real Keras: describe() on a random grid of frame specs, and the counterfactuals in
Keras's own words (issue 27)."""

from __future__ import annotations

import random

import pytest

from core import ModelSpec, describe
from core.keras.env import load_keras
from core.keras.models import build_model
from core.model.frame_fields import FRAME_REFUSALS
from tests.test_anatomy_keras import described_anatomy

GRID_SIZE = 100


def keras_anatomy(model) -> list[tuple]:
    """Each layer as test_anatomy_keras reads it; a layer with return_state=True gives its main output's shape."""
    rows = []
    for layer in model.layers:
        output = layer.output[0] if isinstance(layer.output, list | tuple) else layer.output
        weights = tuple((w.path, tuple(w.shape)) for w in layer.weights)
        rows.append((layer.name, type(layer).__name__, tuple(output.shape), layer.count_params(), weights))
    return rows


def state_shapes(model) -> list[tuple]:
    """The extra outputs of return_state=True, per layer (empty for the others)."""
    return [
        tuple(tuple(state.shape) for state in layer.output[1:]) if isinstance(layer.output, list | tuple) else ()
        for layer in model.layers
    ]


def random_frame_spec(rng: random.Random) -> ModelSpec:
    """A small frames spec with every choice drawn: the wrappers are mostly on, so that most specs build."""
    bidirectional = rng.random() < 0.3
    return ModelSpec(
        input_kind="frames",
        cell=rng.choice(["SimpleRNN", "GRU", "LSTM"]),
        bidirectional=bidirectional,
        merge_mode=rng.choice(["concat", "sum", "ave", "mul"]) if bidirectional else "concat",
        return_sequences=rng.random() < 0.6,
        head=rng.choice(["time_distributed", "dense"]),
        timesteps=rng.randint(1, 4),
        hidden_size=rng.randint(1, 4),
        output_size=rng.randint(1, 3),
        use_bias=rng.random() < 0.7,
        reset_after=rng.random() < 0.5,
        activation=rng.choice(["softmax", "linear"]),
        layers=rng.choice([1, 1, 2]),
        inner_return_sequences=rng.random() < 0.85,
        repeat=rng.choice(["none", "none", "encoder"]),
        output_timesteps=rng.randint(1, 3),
        return_state=rng.random() < 0.2,
        frame_height=rng.randint(3, 6),
        frame_width=rng.randint(3, 6),
        channels=rng.randint(1, 3),
        filters=rng.randint(1, 4),
        kernel=rng.randint(1, 3) if rng.random() < 0.9 else 5,
        frame_reduction=rng.choice(["pool", "pool", "pool", "flatten", "flatten", "none"]),
        conv_wrapped=rng.random() < 0.9,
        reduction_wrapped=rng.random() < 0.85,
    )


def test_describe_equals_keras_on_a_random_grid_of_frame_specs() -> None:
    """Every layer's name, class, output shape, count and weight paths, or Keras's own refusal, word for word."""
    rng = random.Random(27)
    seen: dict[str, int] = {}
    for _ in range(GRID_SIZE):
        spec = random_frame_spec(rng)
        description = describe(spec)
        where = spec.refused_at or "builds"
        seen[where] = seen.get(where, 0) + 1
        if where != "builds":
            with pytest.raises(ValueError) as caught:
                build_model(spec, compile=False)
            assert str(caught.value) == description.keras_error, spec
            assert description.output_shape is None and description.error
            continue
        model = build_model(spec, compile=False)
        assert described_anatomy(description) == keras_anatomy(model), spec
        assert [layer.state_shapes for layer in description.layers] == state_shapes(model), spec
        assert description.total_params == model.count_params()
        assert description.output_shape == tuple(model.output.shape) == description.target_shape
        assert model.input.shape == spec.input_shape()
    assert seen["builds"] >= 35, seen
    assert set(FRAME_REFUSALS) <= set(seen), seen  # every counterfactual was met on the grid


def _keras_refusal(*layers: object, frames: tuple[int, ...]) -> str:
    """Keras's message for a model written by hand as a learner would (Sequential, default names)."""
    keras = load_keras()
    with pytest.raises(ValueError) as caught:
        keras.Sequential([keras.Input(shape=frames), *layers])
    return str(caught.value)


FRAMES = {"input_kind": "frames", "timesteps": 3, "frame_height": 6, "frame_width": 5, "channels": 2}


@pytest.mark.parametrize(
    ("changes", "phrase", "why"),
    [
        ({"conv_wrapped": False}, "Kernel shape must have the same length as input", "Wrap it"),
        ({"frame_reduction": "flatten", "reduction_wrapped": False}, "expected ndim=3, found ndim=2", "merged"),
        ({"frame_reduction": "none"}, "expected ndim=3, found ndim=5", "Reduce each frame first"),
        ({"frame_reduction": "pool", "reduction_wrapped": False}, "expected ndim=4, found ndim=5", "Wrap it"),
    ],
    ids=["conv_unwrapped", "flatten_unwrapped", "no_reduction", "pool_unwrapped"],
)
def test_each_counterfactual_says_what_keras_says(changes: dict, phrase: str, why: str) -> None:
    """The message is captured from a hand-written Keras model; describe() gives the same text after its layer name."""
    keras = load_keras()
    layers = keras.layers
    spec = ModelSpec(cell="LSTM", hidden_size=4, **{**FRAMES, **changes})
    conv = layers.Conv2D(spec.filters, spec.kernel)
    conv = layers.TimeDistributed(conv) if spec.conv_wrapped else conv
    reduction = {"pool": [layers.GlobalAveragePooling2D()], "flatten": [layers.Flatten()], "none": []}
    reduce = reduction[spec.frame_reduction]
    if spec.frame_reduction != "none" and spec.reduction_wrapped:
        reduce = [layers.TimeDistributed(reduce[0])]
    message = _keras_refusal(conv, *reduce, layers.LSTM(4), frames=spec.input_shape()[1:])
    assert phrase in message
    description = describe(spec)
    assert phrase in description.keras_error
    # Keras names the layer it refuses; past that name the learner's model and the app's say the same words.
    assert message.split("is incompatible")[-1] == description.keras_error.split("is incompatible")[-1]
    assert why in description.error and description.error.count(". ") <= 2
    assert spec.refused_at in FRAME_REFUSALS


def test_the_issue_s_conv2d_message_for_64_by_64_frames() -> None:
    """The issue's example, (None, 10, 64, 64, 3) with eight 3×3 filters: the same message word for word."""
    keras = load_keras()
    message = _keras_refusal(keras.layers.Conv2D(8, 3), frames=(10, 64, 64, 3))
    expected = (
        "Kernel shape must have the same length as input, but received kernel of shape (3, 3, 3, 8) and input of "
        "shape (None, 10, 64, 64, 3)."
    )
    assert message == expected
    small = ModelSpec(input_kind="frames", timesteps=10, frame_height=16, frame_width=16, channels=3, filters=8)
    assert describe(small.replace(conv_wrapped=False)).keras_error == message.replace("64, 64", "16, 16")
