"""The Training page's controls as one value, read by the Training page and by the unrolled page's step panel.

The panel steps a sample of the dataset the Training page would train on; both read this one dataclass (and its
defaults) instead of each other's widget keys. Each field is a widget of the Training page, keyed `training_<field>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from core.model.datasets import tasks_for
from core.model.spec import ModelSpec

# Learning rates offered: RMSprop's default 0.001 (the seed's) learns the recall task slowly; 0.01 learns it in a few
# epochs at batch 128.
SEED_LEARNING_RATE = 0.001
RECALL_LEARNING_RATE = 0.01

WIDGET_PREFIX = "training_"


@dataclass(frozen=True)
class TrainingControls:
    """What the Training page's settings say: the data (task, samples, seed, normalise), the optimisation (batch,
    epochs, lr) and what to train ("current" or "variants")."""

    task: str = "recall"
    samples: int = 1000
    batch: int = 128
    epochs: int = 10
    seed: int = 0
    lr: float = RECALL_LEARNING_RATE
    what: str = "current"
    normalise: bool = False

    @staticmethod
    def widget_key(name: str) -> str:
        """The Training page's widget key of field `name`."""
        return WIDGET_PREFIX + name

    def widget_values(self) -> dict[str, Any]:
        """Each field under its widget key: what the Training page's widgets start from."""
        return {self.widget_key(name): value for name, value in asdict(self).items()}

    @classmethod
    def from_widgets(cls, state: Mapping[str, Any], base: TrainingControls | None = None) -> TrainingControls:
        """The controls the widgets in `state` hold; a widget not in `state` keeps `base`'s value (else the default)."""
        base = base or cls()
        return cls(**{f.name: state.get(cls.widget_key(f.name), getattr(base, f.name)) for f in fields(cls)})

    def task_for(self, spec: ModelSpec) -> str:
        """The task used for `spec`: this one when the spec's pattern has it, else the default task, else the
        pattern's first (a sequence pattern has its own tasks)."""
        fitting = tasks_for(spec)
        if self.task in fitting:
            return self.task
        default = TrainingControls.task
        return default if default in fitting else fitting[0]
