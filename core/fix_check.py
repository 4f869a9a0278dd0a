"""Does Keras accept a fix? Build the fix's real model and run one `fit` batch on zeros of the learner's shapes.

Only a fix that passes is shown: the page promises "a fix that Keras accepts". Keras is imported inside the
function (via `core.keras.models`), so importing this module stays free of TensorFlow; the page reaches it through
`views.common.keras_call("check_fix", ...)`, which the TensorFlow worker process will serve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.model.spec import ModelSpec

CHECK_BATCH = 4


def _concrete(shape: Sequence[int | None], batch: int) -> tuple[int, ...]:
    """The shape with its batch axis replaced by `batch`; other axes must be known."""
    dims = tuple(shape)
    if not dims or any(dim is None for dim in dims[1:]):
        raise ValueError(f"cannot make data of shape {dims}: only the batch axis may be None")
    return (batch, *(int(dim) for dim in dims[1:]))


def check_fix(
    spec: ModelSpec | Mapping[str, Any], x_shape: Sequence[int | None], y_shape: Sequence[int | None]
) -> str | None:
    """None when Keras builds `spec` and fits one batch of zeros shaped like X and Y; else Keras's message.

    `spec` may be a ModelSpec or its `to_params()` dict (what crosses a process boundary). The batch axis of both
    shapes is replaced by a small batch that equals no other dimension, so no broadcast succeeds by coincidence.
    """
    import numpy as np  # noqa: PLC0415

    from core.keras.models import OPTIMIZER, build_model, fit_refusal  # noqa: PLC0415 - loads Keras only when a fix is checked

    if not isinstance(spec, ModelSpec):
        spec = ModelSpec.from_params(spec)
    taken = {dim for shape in (x_shape, y_shape) for dim in tuple(shape)[1:]}
    batch = next(size for size in (CHECK_BATCH, 5, 6, 7, 9, 11) if size not in taken)
    try:
        x = np.zeros(_concrete(x_shape, batch), dtype="float32")
        y = np.zeros(_concrete(y_shape, batch), dtype="float32")
    except ValueError as error:
        return str(error)
    try:
        model = build_model(spec, seed=0, compile=False)
    except ValueError as error:
        return str(error)
    # Eagerly: one batch needs no traced train function (tracing costs seconds at T=64); the loss's shape checks are
    # the same Python code either way.
    model.compile(loss=spec.loss, optimizer=OPTIMIZER, run_eagerly=True)
    return fit_refusal(model, x, y, batch_size=batch)
