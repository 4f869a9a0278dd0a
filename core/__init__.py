"""TimeDistributed Explorer's engine: the spec, its anatomy, and the real Keras models.

`import core` is cheap: it never imports TensorFlow. Functions that need Keras import it when called.
"""

from core.anatomy import Description, Layer, Weight, describe, format_shape
from core.spec import PRESETS, ModelSpec, SpecError, parse_params, seed_variants

__all__ = [
    "PRESETS",
    "Description",
    "Layer",
    "ModelSpec",
    "SpecError",
    "Weight",
    "build_model",
    "describe",
    "format_shape",
    "keras_code",
    "make_dataset",
    "parse_params",
    "seed_variants",
    "train",
    "twin_outputs",
]


def __getattr__(name: str):
    """Reach the Keras-backed functions lazily, so `import core` stays free of TensorFlow."""
    lazy = {
        "build_model": "core.models",
        "make_dataset": "core.datasets",
        "train": "core.training",
        "twin_outputs": "core.equivalence",
        "keras_code": "core.code",
    }
    if name in lazy:
        import importlib

        return getattr(importlib.import_module(lazy[name]), name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
