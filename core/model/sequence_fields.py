"""Padded sequences and per-step weights: two fields of the spec (issue 27), defined here so the spec grows by a line.

`padding="masking"`: the sequences have different real lengths and are padded with zeros to T; a `Masking(0.0)` layer
before the recurrent stack hands the mask on, so the recurrent layer skips the padded steps and the loss is the mean
over the real steps. The real lengths are simple on purpose: sample n keeps its first `T - (n mod ceil(T/2))` steps,
so lengths cycle from T down to just over T/2 and no sequence loses more than half of its steps.

`sample_weight="rising"`: a (batch, T) `sample_weight` with w_t = (t + 1) / T (later steps count more), which Keras 3
divides by the number of steps, not by the sum of the weights. It weighs steps, so it applies only to a model that
outputs one prediction per step; for a model with one output per sequence the Training page says it is not used.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from core.model.stepper import CellStep

PADDINGS = ("none", "masking")
SAMPLE_WEIGHTS = ("none", "rising")
SEQUENCE_CHOICES: dict[str, tuple[str, ...]] = {"padding": PADDINGS, "sample_weight": SAMPLE_WEIGHTS}
PADDING_LABELS = {"none": "none (every sequence has T real steps)", "masking": "zeros + Masking"}
SAMPLE_WEIGHT_LABELS = {"none": "none", "rising": "rising: w_t = (t+1)/T"}


def padding_conflict(spec: Any) -> tuple[str, str, str] | None:
    """Padding needs sequences of vectors read from step 0 (no RepeatVector, not frames): (field, value, allowed)."""
    if spec.padding == "none":
        return None
    if spec.input_kind != "vectors":
        return "padding", spec.padding, "none with input_kind=frames (padding is for sequences of vectors)"
    if spec.repeat != "none":
        return "padding", spec.padding, "none with a RepeatVector (padding is for a sequence read step by step)"
    return None


def real_lengths(samples: int, timesteps: int) -> np.ndarray:
    """Each sample's real length (N,): T - (n mod ceil(T/2)), from T down to just over T/2, then again."""
    cycle = -(-timesteps // 2)
    return timesteps - np.arange(samples) % cycle


def real_steps(samples: int, timesteps: int) -> np.ndarray:
    """(N, T) booleans: True at each sample's real steps, False at its padding (its last steps)."""
    return np.arange(timesteps)[None, :] < real_lengths(samples, timesteps)[:, None]


def step_weights(timesteps: int) -> np.ndarray:
    """The rising per-step weights (T,): w_t = (t + 1) / T."""
    return (np.arange(timesteps, dtype=np.float32) + 1.0) / np.float32(timesteps)


def sample_weight_array(spec: Any, samples: int) -> np.ndarray | None:
    """The (N, T) `sample_weight` `fit()` gets for the spec, or None when none applies (no weights, or one output per
    sequence)."""
    if spec.sample_weight == "none" or not spec.sequence_output:
        return None
    return np.tile(step_weights(spec.output_steps), (samples, 1))


def pad(x: np.ndarray, spec: Any) -> np.ndarray:
    """X with every sample's steps after its real length set to 0.0, the value Masking skips; unchanged without
    padding."""
    if spec.padding == "none":
        return x
    mask = real_steps(len(x), spec.timesteps)
    padded = x.copy()
    padded[~mask] = 0.0
    return padded


def shortest_length(timesteps: int) -> int:
    """The shortest real length of the cycle, T - ceil(T/2) + 1 = floor(T/2) + 1 (sample ceil(T/2) - 1's)."""
    return timesteps // 2 + 1


def padded_steps_drawn(spec: Any) -> frozenset[int]:
    """The steps the unrolled diagram greys: the padding of the shortest sequence, t from floor(T/2) + 1 to T - 1
    (none without padding)."""
    if spec.padding == "none":
        return frozenset()
    return frozenset(range(shortest_length(spec.timesteps), spec.timesteps))


def keras_mask(spec: Any, x: np.ndarray) -> np.ndarray | None:
    """The mask Keras's Masking(0.0) gives one sample x (T, I): True where a step has a non-zero feature; None without
    padding. Computed from the values, as Keras does (a real step of zeros would be masked too)."""
    return None if spec.padding == "none" else np.any(x != 0.0, axis=-1)


def kept_state(step: CellStep, h: np.ndarray, c: np.ndarray | None) -> CellStep:
    """The stepper's step at a masked t: Keras computes the cell, then hands on the incoming h (and an LSTM's c)
    instead of its result; the outgoing quantities say so."""
    prev = "t+1" if step.direction == "backward" else "t-1"
    kept = {"h<sub>t</sub>": (h, f"h<sub>{prev}</sub>"), "c<sub>t</sub>": (c, f"c<sub>{prev}</sub>")}
    quantities = tuple(
        replace(q, values=kept[q.symbol][0], equation=f"{kept[q.symbol][1]} (masked step: kept)")
        if q.kind == "outgoing"
        else q
        for q in step.quantities
    )
    return replace(step, quantities=quantities, masked=True)
