"""TimeDistributed Explorer's engine: the spec, its anatomy, and the real Keras models.

`import core` is cheap: it never imports TensorFlow. The Keras-backed functions live in `core.keras`
(`core.keras.models`, `core.keras.training`, `core.keras.equivalence`) and import Keras only when called; import them
from there.
"""

from core.model.anatomy import Description, Layer, Weight, describe, format_shape
from core.model.spec import PRESETS, ModelSpec, SpecError, parse_params, seed_variants

__all__ = [
    "PRESETS",
    "Description",
    "Layer",
    "ModelSpec",
    "SpecError",
    "Weight",
    "describe",
    "format_shape",
    "parse_params",
    "seed_variants",
]
