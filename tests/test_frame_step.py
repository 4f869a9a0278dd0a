"""One frame's convolution in numpy (core/model/frame_step.py) against Keras's own layers (issue 27): the feature maps,
the patch's value and the per-frame vector, to 1e-5, on the real model the app builds."""

from __future__ import annotations

import numpy as np
import pytest

from core import ModelSpec
from core.keras.env import load_keras
from core.keras.models import build_model
from core.model.frame_step import conv_weights, feature_maps, frame_step, reduce_maps
from core.model.frames import CONV_WRAPPER, REDUCTION_WRAPPERS

FRAMES = ModelSpec(input_kind="frames", timesteps=4, frame_height=7, frame_width=6, filters=3, kernel=3)
SPECS = [
    FRAMES,
    FRAMES.replace(frame_reduction="flatten", channels=3, kernel=2),
    FRAMES.replace(use_bias=False, kernel=5, channels=2),
    FRAMES.replace(kernel=1, filters=1, frame_height=3, frame_width=9),
]


@pytest.mark.parametrize("spec", SPECS, ids=range(len(SPECS)))
def test_one_frame_s_numbers_equal_kerass(spec: ModelSpec) -> None:
    keras = load_keras()
    model = build_model(spec, seed=0, compile=False)
    kernel, bias = conv_weights([variable.path for variable in model.weights], model.get_weights())
    assert kernel.shape == (spec.kernel, spec.kernel, spec.channels, spec.filters)
    probe = keras.Model(
        model.inputs,
        [model.get_layer(CONV_WRAPPER).output, model.get_layer(REDUCTION_WRAPPERS[spec.frame_reduction]).output],
    )
    frames = np.random.default_rng(1).random(spec.input_shape(2), dtype=np.float32)
    keras_maps, keras_vectors = (np.asarray(array) for array in probe.predict_on_batch(frames))
    sample, t = 1, 2
    last_row, last_col = keras_maps.shape[2] - 1, keras_maps.shape[3] - 1
    step = frame_step(frames[sample, t], kernel, bias, spec.frame_reduction, last_row, last_col, spec.filters - 1)
    np.testing.assert_allclose(step.maps, keras_maps[sample, t], atol=1e-5)
    np.testing.assert_allclose(step.vector, keras_vectors[sample, t], atol=1e-5)
    assert step.value == pytest.approx(float(keras_maps[sample, t, last_row, last_col, -1]), abs=1e-5)
    assert step.patch.shape == (spec.kernel, spec.kernel, spec.channels)


def test_the_arithmetic_on_numbers_worked_by_hand() -> None:
    frame = np.arange(12.0).reshape(3, 4, 1)
    kernel = np.zeros((2, 2, 1, 2))
    kernel[0, 0, 0, 0], kernel[1, 1, 0, 1] = 1.0, -1.0
    maps = feature_maps(frame, kernel, np.array([0.5, 0.0]))
    assert maps[:, :, 0].tolist() == [[0.5, 1.5, 2.5], [4.5, 5.5, 6.5]]  # the top-left pixel of each patch, + 0.5
    assert maps[:, :, 1].tolist() == [[-5.0, -6.0, -7.0], [-9.0, -10.0, -11.0]]
    assert reduce_maps(maps, "pool").tolist() == [3.5, -8.0]
    assert reduce_maps(maps, "flatten")[:4].tolist() == [0.5, -5.0, 1.5, -6.0]  # row-major, filters last
    step = frame_step(frame, kernel, np.array([0.5, 0.0]), "pool", row=1, col=2, filter_index=1)
    assert step.patch[:, :, 0].tolist() == [[6.0, 7.0], [10.0, 11.0]] and step.value == -11.0
    with pytest.raises(ValueError, match="outside"):
        frame_step(frame, kernel, np.zeros(2), "pool", row=2, col=0, filter_index=0)
    with pytest.raises(ValueError, match="reduction"):
        reduce_maps(maps, "none")
    _, no_bias = conv_weights(["m/frame_conv/conv2d/kernel"], [kernel])
    assert no_bias.tolist() == [0.0, 0.0]
