"""What the frames part of a model adds to a job's cost (issue 27), on top of `core.model.budget.fit_cost`.

Keras 3's TimeDistributed loops in Python over a static T (see core/keras/wrapper_cost.py), so each wrapped frame
layer (the Conv2D, the per-frame reduction) adds a chain of small ops per step: to the trace, once, and to every
batch, forward and backward. Fitted on the 2-core development machine under load (bench/frames_training.py prints the
estimate next to the measured time): about 0.1 s of tracing and 1.5 ms per batch for each wrapped step. Memory: the
feature maps of every frame are kept for the backward pass (about 4 copies: maps, their gradient, the pooled or
flattened vectors and theirs).
"""

from __future__ import annotations

import math

from core.model.frame_fields import feature_map
from core.model.spec import ModelSpec

MB = 2**20
TRACE_SECONDS_PER_WRAPPED_STEP = 0.1
SECONDS_PER_BATCH_WRAPPED_STEP = 1.5e-3
MAP_COPIES = 4


def wrapped_steps(spec: ModelSpec) -> int:
    """Per-step calls TimeDistributed makes: T for the convolution, T more for a wrapped reduction."""
    wrappers = (1 if spec.conv_wrapped else 0) + (1 if spec.reduction_wrapped and spec.frame_reduction != "none" else 0)
    return wrappers * spec.timesteps


def frames_fit_extra(spec: ModelSpec, samples: int, batch_size: int, epochs: int, trace: bool) -> tuple[float, float]:
    """(seconds, megabytes) the frames part adds to `fit()` on `samples` for `epochs` (0 for a vectors spec)."""
    if spec.input_kind != "frames":
        return 0.0, 0.0
    batch = min(batch_size, samples)
    batches = math.ceil(samples / batch) * epochs
    seconds = batches * wrapped_steps(spec) * SECONDS_PER_BATCH_WRAPPED_STEP
    if trace:
        seconds += wrapped_steps(spec) * TRACE_SECONDS_PER_WRAPPED_STEP
    height, width = feature_map(spec)
    maps = spec.timesteps * max(height, 0) * max(width, 0) * spec.filters
    return seconds, MAP_COPIES * 4 * batch * maps / MB
