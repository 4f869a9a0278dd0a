"""Real Keras layers for the frames family: the shared CNN per frame and its counterfactuals (issue 27).

`frame_layers` gives the layers `core.keras.models.build_layers` puts before the recurrent stack, named as
`core.model.frames` describes them. Keras is imported by the caller (`load_keras`), never at module import.
"""

from __future__ import annotations

from typing import Any

import core.keras.masking  # noqa: F401 - registers the masking job's handler
import core.keras.wrapper_cost  # noqa: F401 - registers the wrapper cost job's handler
from core.keras.requests import FramesEquivalence, handles
from core.model.frames import CONV_WRAPPER, INNER_KINDS, INNER_NAMES, REDUCTION_WRAPPERS
from core.model.spec import ModelSpec

CONV_SEED_OFFSET = 50


def frame_conv(keras: Any, spec: ModelSpec, seed: int | None) -> Any:
    """The Conv2D (valid padding, stride 1), its kernel seeded when `seed` is given."""
    kwargs: dict[str, Any] = {"use_bias": spec.use_bias}
    if seed is not None:
        kwargs["kernel_initializer"] = keras.initializers.GlorotUniform(seed=seed * 16 + CONV_SEED_OFFSET)
    return keras.layers.Conv2D(spec.filters, spec.kernel, name=INNER_NAMES["conv"], **kwargs)


def frame_layers(keras: Any, spec: ModelSpec, seed: int | None = None) -> list[Any]:
    """The convolution and the per-frame reduction, each wrapped in TimeDistributed unless the spec says not."""
    conv = frame_conv(keras, spec, seed)
    layers = [keras.layers.TimeDistributed(conv, name=CONV_WRAPPER) if spec.conv_wrapped else conv]
    if spec.frame_reduction == "none":
        return layers
    reduction = getattr(keras.layers, INNER_KINDS[spec.frame_reduction])(name=INNER_NAMES[spec.frame_reduction])
    if spec.reduction_wrapped:
        reduction = keras.layers.TimeDistributed(reduction, name=REDUCTION_WRAPPERS[spec.frame_reduction])
    layers.append(reduction)
    return layers


def input_layers(keras: Any, spec: ModelSpec, seed: int | None = None) -> list[Any]:
    """The layers before the recurrent stack: the frames' CNN, or Masking(0.0) for padded sequences, or none."""
    if spec.input_kind == "frames":
        return frame_layers(keras, spec, seed)
    if spec.padding == "masking":
        return [keras.layers.Masking(mask_value=0.0, name="masking")]
    return []


def frames_equivalence(spec: ModelSpec, seed: int = 0, samples: int = 3, perturb: float = 1e-3) -> dict[str, Any]:
    """TimeDistributed(Conv2D) against the reshape it stands for: (batch·T, H, W, C) → the same Conv2D → back.

    Both sides hold the same kernel (copied bit for bit); the control moves one kernel weight by `perturb`, so a
    comparison that could not tell kernels apart would be caught. Returns the shapes, `equal` (np.array_equal),
    the largest difference, and the control's `equal` and largest difference.
    """
    import numpy as np  # noqa: PLC0415

    from core.keras.env import load_keras  # noqa: PLC0415

    keras = load_keras()
    batch, steps = samples, spec.timesteps
    frames = np.random.default_rng(seed).random(spec.input_shape(samples), dtype=np.float32)
    wrapped = keras.layers.TimeDistributed(frame_conv(keras, spec, seed), name=CONV_WRAPPER)
    through_wrapper = np.asarray(wrapped(frames))
    plain = frame_conv(keras, spec, seed + 1)  # other initial weights, replaced by the wrapper's below
    merged = frames.reshape(batch * steps, *frames.shape[2:])
    plain.build(merged.shape)
    weights = [np.array(array) for array in wrapped.layer.get_weights()]
    plain.set_weights(weights)

    def reshaped() -> np.ndarray:
        out = np.asarray(plain(merged))
        return out.reshape(batch, steps, *out.shape[1:])

    through_reshape = reshaped()
    moved = [array.copy() for array in weights]
    moved[0].flat[0] += perturb
    plain.set_weights(moved)
    control = reshaped()
    return {
        "input_shape": frames.shape,
        "merged_shape": merged.shape,
        "output_shape": through_wrapper.shape,
        "equal": bool(np.array_equal(through_wrapper, through_reshape)),
        "max_abs_diff": float(np.max(np.abs(through_wrapper - through_reshape))),
        "control_equal": bool(np.array_equal(through_wrapper, control)),
        "control_max_abs_diff": float(np.max(np.abs(through_wrapper - control))),
        "perturb": perturb,
    }


@handles(FramesEquivalence)
def frames_equivalence_job(request: FramesEquivalence, context: Any) -> dict[str, Any]:
    """The worker job: the frames equivalence for the spec's convolution, with the given seed."""
    context.stage("Running TimeDistributed(Conv2D) and the reshape on one batch of frames…")
    return frames_equivalence(request.spec, request.seed)
