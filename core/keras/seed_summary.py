"""The seed's model as today's Keras builds it: its `summary()`, for the Code page's "then and now".

Runs in the TensorFlow worker's child (the `seed_summary` job): it loads Keras.
"""

from __future__ import annotations

import numpy as np

from core.keras.env import load_keras
from core.model.code import OPTIMIZER
from core.model.datasets import random_batch
from core.model.spec import ModelSpec


def seed_summary_today(n_samples: int = 16) -> str:
    """The seed's model 1 as the Keras 3 translation builds it, compiled and fitted briefly: its summary() today.

    Loads TensorFlow. Few samples: only the summary matters, and it depends on the shapes, not on the data.
    """
    keras = load_keras()
    spec = ModelSpec()
    # Explicit names: the ones a fresh Python process would give, whatever else this server has built.
    model = keras.Sequential(name="sequential")
    model.add(keras.Input(shape=(spec.timesteps, spec.input_size)))
    model.add(keras.layers.GRU(spec.hidden_size, return_sequences=True, name="gru"))
    model.add(keras.layers.TimeDistributed(keras.layers.Dense(spec.output_size, name="dense"), name="time_distributed"))
    model.add(keras.layers.Activation("softmax", name="activation"))
    model.compile(loss="categorical_crossentropy", optimizer=OPTIMIZER)
    x, y = random_batch(spec, n_samples, np.random.default_rng(0))
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return "\n".join(lines)
