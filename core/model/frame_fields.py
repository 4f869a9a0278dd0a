"""The frames family's fields of the spec: a sequence of images read by one shared CNN per frame (issue 27).

`ModelSpec(input_kind="frames")` reads X shaped (N, T, H, W, C): `TimeDistributed(Conv2D(filters, kernel))` applies
one kernel to every frame, `TimeDistributed(GlobalAveragePooling2D | Flatten)` turns each frame's feature maps into
one vector, and the recurrent stack and head follow as for vectors. `conv_wrapped` and `reduction_wrapped` turn the
wrapper off (the counterfactuals Keras refuses); `frame_reduction="none"` hands the recurrent layer the 5-D maps.

This module holds what `core.model.spec` validates and what `ModelSpec.refused_at` asks, and imports nothing from it,
so that the spec module only grows by a few lines. Ranges keep the largest frames model near the vectors' largest
(a bidirectional LSTM of 512 units on 16×16×8 flattened maps has 10.5 million parameters).
"""

from __future__ import annotations

from typing import Any, Protocol

INPUT_KINDS = ("vectors", "frames")
FRAME_REDUCTIONS = ("pool", "flatten", "none")
FRAME_INT_RANGES: dict[str, tuple[int, int]] = {
    "frame_height": (1, 16),
    "frame_width": (1, 16),
    "channels": (1, 3),
    "filters": (1, 8),
    "kernel": (1, 5),
}
FRAME_CHOICES: dict[str, tuple[str, ...]] = {"input_kind": INPUT_KINDS, "frame_reduction": FRAME_REDUCTIONS}
FRAME_BOOL_FIELDS = ("conv_wrapped", "reduction_wrapped")
REDUCTION_LABELS = {"pool": "GlobalAveragePooling2D", "flatten": "Flatten", "none": "no reduction"}

# Where Keras refuses a frames model, in the order it meets them while building.
FRAME_REFUSALS = ("conv", "frame_size", "reduction", "flatten", "no_reduction")


class FrameSpec(Protocol):
    """The spec fields this module reads (a `core.model.spec.ModelSpec`)."""

    input_kind: str
    repeat: str
    frame_height: int
    frame_width: int
    channels: int
    filters: int
    kernel: int
    frame_reduction: str
    conv_wrapped: bool
    reduction_wrapped: bool


def frames_conflict(spec: Any) -> tuple[str, str, str] | None:
    """The one choice frames cannot take, as (field, value, allowed): RepeatVector after a vector input, since frames
    are already a sequence. None when the fields agree."""
    if spec.input_kind == "frames" and spec.repeat == "input":
        return "repeat", spec.repeat, "none | encoder with input_kind=frames (the frames are already a sequence)"
    return None


def feature_map(spec: FrameSpec) -> tuple[int, int]:
    """Height and width of one frame's feature maps after the valid convolution: (H - k + 1, W - k + 1)."""
    return spec.frame_height - spec.kernel + 1, spec.frame_width - spec.kernel + 1


def frames_refused_at(spec: FrameSpec) -> str | None:
    """Where Keras refuses to build a frames model, first failure first, or None when the frames part builds.

    "conv": Conv2D without the wrapper gets 5-D frames; "frame_size": the kernel is larger than a frame;
    "reduction": GlobalAveragePooling2D without the wrapper gets 5-D maps; "flatten": Flatten without the wrapper
    merges time into features and the recurrent layer gets 2-D; "no_reduction": the recurrent layer gets 5-D maps.
    """
    if not spec.conv_wrapped:
        return "conv"
    height, width = feature_map(spec)
    if height < 1 or width < 1:
        return "frame_size"
    if spec.frame_reduction == "none":
        return "no_reduction"
    if not spec.reduction_wrapped:
        return "reduction" if spec.frame_reduction == "pool" else "flatten"
    return None


def frame_features(spec: FrameSpec) -> int:
    """The features one frame hands the recurrent layer: F after pooling, H'·W'·F after a per-frame Flatten."""
    height, width = feature_map(spec)
    return spec.filters if spec.frame_reduction == "pool" else height * width * spec.filters
