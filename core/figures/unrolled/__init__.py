"""The unrolled network: every timestep, the one set of shared weights, and where the head applies.

Data, then picture, then words, each in its own module:
- `model`: the Diagram's data types (time axes, rows, nodes, edges, notes, play frames) and which steps are drawn.
- `layout(describe(spec), theme) -> Diagram` places every element: `plan` decides the axes, rows and one block per
  recurrent layer (a stack, a decoder after RepeatVector), `elements` places the nodes and edges on it, `hover` writes
  each element's hover text from `facts` about its layer, `layout` adds the headings, notes and play frames. Pure
  data: tests read what is drawn where.
- `render(diagram, theme) -> go.Figure` draws a Diagram with plotly; `unrolled_figure(description, theme)` is the two
  composed. `clicks` reads a click on the figure back (the data `render` writes into each point).
- `captions`: the sentences under the picture.
Every shape, weight and parameter count comes from the `Description`, so the picture can never disagree with Keras.
Timesteps are numbered from 0, as Keras arrays index them (see core.figures.theme): x₀ … x_{T-1}, ticks t=0 … t=T-1.
Long sequences show their first and last steps around an ellipsis column, so the figure stays small at T=512.

Example:
    >>> from core import ModelSpec, describe
    >>> diagram = layout(describe(ModelSpec(timesteps=6)), NORMAL)
    >>> diagram.steps_of("head")
    [0, 1, 2, 3, 4, 5]
"""

from core.figures.theme import NORMAL, TALK
from core.figures.unrolled.captions import (
    head_caption,
    hidden_steps_caption,
    pattern_caption,
)
from core.figures.unrolled.clicks import Focus, clicked_element, column_of, mark_focus
from core.figures.unrolled.layout import layout
from core.figures.unrolled.model import (
    Diagram,
    Edge,
    Node,
    Note,
    PlayFrame,
    Row,
    Stop,
    TimeAxis,
    step_shape,
    visible_steps,
)
from core.figures.unrolled.render import LINE_SPACING, render, unrolled_figure

__all__ = [
    "LINE_SPACING",
    "NORMAL",
    "TALK",
    "Diagram",
    "Edge",
    "Focus",
    "Node",
    "Note",
    "PlayFrame",
    "Row",
    "Stop",
    "TimeAxis",
    "clicked_element",
    "column_of",
    "head_caption",
    "hidden_steps_caption",
    "layout",
    "mark_focus",
    "pattern_caption",
    "render",
    "step_shape",
    "unrolled_figure",
    "visible_steps",
]
