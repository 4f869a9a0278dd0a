"""Loading Keras quietly, once, and only when a caller really needs it.

Everything that imports TensorFlow goes through `load_keras()`, so that the environment variables that keep the
console clean are set before TensorFlow reads them. In the app only the TensorFlow worker process
(`core.keras.worker_child`) calls it; the tests call it to compare with real Keras.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType

_lock = threading.Lock()


def _quiet_environment() -> None:
    # Must happen before TensorFlow's C++ runtime starts: it reads these once.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # With oneDNN's custom ops on, TensorFlow prints a notice that no log level silences, and results may
    # vary in the last bits with the order of floating-point sums; off, the console is clean and a seed
    # reproduces a run bit for bit. These models are far too small for oneDNN to matter for speed.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def release_free_memory() -> None:
    """Hand the heap's free pages back to the OS (glibc's malloc_trim); a no-op elsewhere.

    After a training, TensorFlow has freed its batches and gradients, but glibc keeps the pages in its arenas, so
    the server's resident memory stays at its peak; on a 1 GB server that headroom is what other visitors need.
    """
    try:
        import ctypes  # noqa: PLC0415

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl)
        pass


def load_keras() -> ModuleType:
    """Import and return `keras` (TensorFlow backend), with TensorFlow's console chatter turned off."""
    with _lock:
        _quiet_environment()
        import keras  # noqa: PLC0415 - deliberately lazy: views must not pay for TensorFlow
        import tensorflow as tf  # noqa: PLC0415

        # Python-side warnings (e.g. "triggered tf.function retracing") would otherwise reach the console.
        tf.get_logger().setLevel("ERROR")
        return keras


def load_tensorflow() -> ModuleType:
    """Import and return `tensorflow`, quietly (for graph inspection in the equivalence lab)."""
    load_keras()
    import tensorflow as tf  # noqa: PLC0415

    return tf


def versions() -> dict[str, str]:
    """The installed Keras and TensorFlow versions (loads them)."""
    keras = load_keras()
    import tensorflow as tf  # noqa: PLC0415

    return {"keras": keras.__version__, "tensorflow": tf.__version__}
