"""What a diagnosis returns: the cause, its headline and explanation, the runner-up, the fixes, the picture."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.diagnosis.shapes import Shape
from core.model.spec import ModelSpec

TITLES = {
    "target_rank": "Your targets have another number of axes than the model's output",
    "timesteps_mismatch": "Your targets have another number of timesteps than the model's output",
    "output_size_mismatch": "Your targets' last axis differs from the Dense units",
    "labels_not_one_hot": "Integer class labels with categorical cross-entropy",
    "input_rank": "The recurrent layer needs (batch, timesteps, features)",
    "input_features_mismatch": "Your input's features differ from the model's input size",
    "stacked_return_sequences": "A recurrent layer gets only the last step of the one below",
    "timedistributed_needs_sequence": "TimeDistributed after a layer that returns only the last step",
    "repeatvector_needs_vector": "RepeatVector gets a sequence instead of one vector",
    "dense_needs_2d_keras1": "Keras 1's Dense refuses a 3D input",
    "sparse_label_range": "A class label is not below the number of output units",
    "batch_size_mismatch": "X and Y have different numbers of samples",
    "loss_head_mismatch": "The output layer does not suit the loss",
    "conv_needs_time_distributed": "A convolution gets a sequence of frames: wrap it in TimeDistributed",
    "flatten_merges_time": "Flatten merges the time axis into the features",
    "cnn_output_not_reduced": "The recurrent layer gets whole feature maps per frame",
    "sparse_with_one_hot": "One-hot targets with sparse categorical cross-entropy",
    "fixed_batch_size": "The model was built for one batch size and gets another",
    "flatten_on_vector": "Flatten gets a vector: there is nothing left to flatten",
    "embedding_needs_indices": "Embedding gets vectors instead of integer indices",
    "empty_data": "X or Y has no samples",
    "timedistributed_needs_layer": "TimeDistributed wraps a layer, not a tensor",
    "flatten_variable_length": "Flatten over a sequence of unknown length",
    "already_works": "This already works in Keras",
    "unknown": "Not recognised",
}
CAUSES = tuple(TITLES)


@dataclass(frozen=True)
class Fix:
    """One way out: what to do, the change as a unified diff of the learner's model as code, and what to check.

    `spec` is the fixed model when the app's `ModelSpec` can hold it (the "Load" button); `check` the payload the
    worker fits (None for a change the app cannot build: then it is never called checked); `changes_prediction`
    one sentence when the fix changes what the model predicts.
    """

    description: str
    diff: str
    spec: ModelSpec | None = None
    check: dict | None = None
    changes_prediction: str = ""
    net: Any = field(default=None, compare=False, repr=False)  # the fixed model (a Net), for variants of the fix
    shapes: Any = field(default=None, compare=False, repr=False)  # (X, Y, data lines) it was made for


@dataclass(frozen=True)
class FlowStep:
    """One box of the picture: a label, the shape there (None when unknown), and whether it is where it breaks."""

    label: str
    shape: Shape | None
    broken: bool = False
    note: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """The answer: a cause code from CAUSES, its explanation, layer, fixes and picture, and how sure it is.

    `runner_up` is the second cause when another fits too, and `separator` the one fact that would tell them
    apart; `model_line` / `model_source` / `guessed` say which model was diagnosed and from where; `problems` are
    complaints about the input itself; `error_line` is the part of the paste that was read.
    """

    cause: str
    explanation: str
    layer: str | None = None
    fixes: tuple[Fix, ...] = ()
    flow: tuple[FlowStep, ...] = ()
    error_line: str = ""
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    runner_up: str | None = None
    separator: str = ""
    model_line: str = ""
    model_source: str = ""
    guessed: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()
    model_spec: ModelSpec | None = None
    reasons: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """A one-line headline for the cause."""
        return TITLES[self.cause]
