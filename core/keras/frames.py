"""Real Keras layers for the frames family: the shared CNN per frame and its counterfactuals (issue 27).

`frame_layers` gives the layers `core.keras.models.build_layers` puts before the recurrent stack, named as
`core.model.frames` describes them. Keras is imported by the caller (`load_keras`), never at module import.
"""

from __future__ import annotations

from typing import Any

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
