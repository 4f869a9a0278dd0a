"""One frame's convolution in numpy (issue 27): the kernel over one patch, the feature maps, the per-frame vector.

`TimeDistributed(Conv2D(F, k))` applies the same kernel (k, k, C, F) and bias (F,) to every frame: valid padding,
stride 1, no activation, so map[i, j, f] = sum(frame[i:i+k, j:j+k, :] · kernel[:, :, :, f]) + bias[f]. The reduction
then turns the maps (H', W', F) into the vector the recurrent layer reads at that step: their mean over H' and W'
(GlobalAveragePooling2D, F numbers) or all of them in row-major order (Flatten, H'·W'·F numbers).
tests/test_frame_step.py checks every number against Keras's own layers.

Example:
    >>> import numpy as np
    >>> frame = np.arange(9.0).reshape(3, 3, 1)
    >>> kernel = np.ones((2, 2, 1, 1))
    >>> step = frame_step(frame, kernel, np.zeros(1), "pool", row=0, col=1, filter_index=0)
    >>> float(step.value), step.maps[:, :, 0].tolist()
    (12.0, [[8.0, 12.0], [20.0, 24.0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

KERNEL_SUFFIX, BIAS_SUFFIX = "conv2d/kernel", "conv2d/bias"


@dataclass(frozen=True)
class FrameStep:
    """One frame through the shared CNN, with one patch's arithmetic spelled out."""

    frame: np.ndarray  # (H, W, C)
    kernel: np.ndarray  # (k, k, C, F)
    bias: np.ndarray  # (F,)
    row: int
    col: int
    filter_index: int
    patch: np.ndarray  # (k, k, C): the frame under the kernel at (row, col)
    products: np.ndarray  # (k, k, C): patch · kernel[..., filter_index]
    value: float  # sum(products) + bias[filter_index] = maps[row, col, filter_index]
    maps: np.ndarray  # (H', W', F)
    vector: np.ndarray  # what the recurrent layer reads at this step: (F,) pooled or (H'·W'·F,) flattened
    reduction: str


def conv_weights(paths: Sequence[str], arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The shared Conv2D's kernel and bias from a model's weights (Keras's variable paths and arrays); a zero bias
    when the model has none (use_bias=False)."""
    named = dict(zip(paths, arrays, strict=True))
    kernel = next(np.asarray(array) for path, array in named.items() if path.endswith(KERNEL_SUFFIX))
    bias = next((np.asarray(array) for path, array in named.items() if path.endswith(BIAS_SUFFIX)), None)
    return kernel, np.zeros(kernel.shape[-1], dtype=kernel.dtype) if bias is None else bias


def feature_maps(frame: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """The valid, stride-1 convolution of one frame (H, W, C) with the kernel (k, k, C, F): maps (H-k+1, W-k+1, F)."""
    k = kernel.shape[0]
    windows = np.lib.stride_tricks.sliding_window_view(frame, (k, k), axis=(0, 1))  # (H', W', C, k, k)
    return np.einsum("ijcab,abcf->ijf", windows, kernel, optimize=True) + bias


def reduce_maps(maps: np.ndarray, reduction: str) -> np.ndarray:
    """The per-frame vector: the mean of each map (pool) or the maps in row-major order (flatten)."""
    if reduction == "pool":
        return maps.mean(axis=(0, 1))
    if reduction == "flatten":
        return maps.reshape(-1)
    raise ValueError(f"reduction: got {reduction!r}; allowed: pool | flatten.")


def frame_step(
    frame: np.ndarray, kernel: np.ndarray, bias: np.ndarray, reduction: str, row: int, col: int, filter_index: int
) -> FrameStep:
    """One frame's convolution with the patch at (`row`, `col`) and filter `filter_index` spelled out."""
    frame = np.asarray(frame, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    bias = np.asarray(bias, dtype=np.float64)
    k = kernel.shape[0]
    maps = feature_maps(frame, kernel, bias)
    if not (0 <= row < maps.shape[0] and 0 <= col < maps.shape[1] and 0 <= filter_index < maps.shape[2]):
        raise ValueError(f"patch ({row}, {col}), filter {filter_index}: outside the maps {maps.shape}.")
    patch = frame[row : row + k, col : col + k, :]
    products = patch * kernel[:, :, :, filter_index]
    value = float(products.sum() + bias[filter_index])
    vector = reduce_maps(maps, reduction)
    return FrameStep(frame, kernel, bias, row, col, filter_index, patch, products, value, maps, vector, reduction)
