"""The step panel's figures: one timestep's vectors, the weight matrices split per gate, the shared head W at two
steps, and what not sharing would cost.

Data first (`core.model.stepper` computes every value, `core.describe` every count), then the app's theme:
`cell_table` writes one step's vectors as HTML tables (they change at every step: a table is cheap to redraw);
`strip`, `weights`, `head` draw plotly figures; `sharing` counts; `scale` is their one colour scale and size limits.

Example:
    >>> from core import ModelSpec, describe
    >>> spec = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
    >>> [row.what for row in sharing_counts(describe(spec))]
    ['Keras: one Dense, shared by all steps', 'A separate Dense per timestep', 'Flatten → one big Dense']
"""

from core.figures.step.cell_table import cell_table, merge_table, vectors_by_gate
from core.figures.step.head import head_figure, head_title
from core.figures.step.sharing import SharingRow, describe_counts, sharing_counts
from core.figures.step.strip import states_strip
from core.figures.step.weights import weights_figure

__all__ = [
    "SharingRow",
    "cell_table",
    "describe_counts",
    "head_figure",
    "head_title",
    "merge_table",
    "sharing_counts",
    "states_strip",
    "vectors_by_gate",
    "weights_figure",
]
