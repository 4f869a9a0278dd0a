"""Unrolled network: the model drawn over time, so the seed's question is answered at a glance."""

import streamlit as st

from core import describe
from core.figures.alt_text import unrolled_alt
from core.figures.theme import SLIDE_STRIP_HEIGHT, theme_for
from core.figures.unrolled import head_caption, hidden_steps_caption, layout, pattern_caption, unrolled_figure
from views import common, step_panel, story
from views.common import current_spec, talk_mode

st.title("Unrolled network")

spec = current_spec()
talk = talk_mode()
description = describe(spec)
layer_name = f"bidirectional {spec.cell}" if spec.bidirectional else spec.cell
# Stacks and decoders are named as such: "one layer over T steps" would be untrue for them.
subject = f"One **{layer_name}** layer" if spec.layers == 1 else f"**{spec.layers} stacked {layer_name}** layers"
over = f"**{spec.timesteps}** timesteps" + (
    f", then a decoder over its own **{spec.output_timesteps}**" if spec.repeat == "encoder" else ""
)


def diagram(focus: tuple[str, int] | None, height: int | None = None):
    """The unrolled figure kept drawn around the step panel's `focus`; `height` squeezes it into a strip."""
    return unrolled_figure(description, talk_mode=talk, focus=focus, height=height)


try:
    step_panel.take_click(diagram, spec)  # a click on the diagram opens the panel: known before the layout
except Exception:  # noqa: BLE001 (the same drawing error is shown where the diagram is drawn below)
    pass
# On a slide with the panel open, the diagram is a strip with the cell's numbers right under it (one 1280×720
# screen): the introduction, the compact twin and the captions step aside.
slide_with_panel = talk and step_panel.focus(spec) is not None

if slide_with_panel:
    story.bar()  # a running story keeps its bar; the one-line introduction waits for the panel to close
else:
    intro = common.intro(
        f"{subject} unrolled over {over}: the same cell (one set of weights per layer) runs at every step and "
        "passes its state on. "
        + (
            "With `return_sequences=True` every step's state goes up to the head."
            if spec.return_sequences
            else "With `return_sequences=False` only the last state leaves the layer; the others are computed, "
            "passed along, and dropped (faded)."
        )
        + " Hover any element for its shapes, parameters and formula; press ▶ Play to watch the data flow.",
        f"{subject.replace('**', '')}, one set of weights per layer, unrolled over {over.replace('**', '')}",
    )
    if (pattern := pattern_caption(description)) is not None:
        intro.markdown(pattern)  # part of the introduction: on a slide it folds with it

if description.error:
    st.error(f"**This combination cannot be built.** {description.error}")
    st.code(f"ValueError: {description.keras_error}", language="text")

with common.key_picture("unrolled_picture"):
    try:
        # A click on a node opens the numbers of that step (the step panel below); the diagram keeps that step drawn.
        strip = SLIDE_STRIP_HEIGHT if slide_with_panel else None
        figure = step_panel.prepare_figure(lambda focus: diagram(focus, strip), spec, talk)
        compact = None if slide_with_panel else unrolled_figure(description, compact=True, focus=step_panel.focus(spec))
    except Exception as error:  # a drawing bug must not take the page down; say what failed instead
        st.error(f"The diagram could not be drawn for this model: {error}")
    else:
        common.chart(
            figure,
            key="unrolled_figure",
            alt=unrolled_alt(description),
            compact=compact,
            on_select="rerun",
            selection_mode=("points",),
        )

focus = step_panel.focus(spec)
# Counted from the diagram as drawn (two time axes, a focused step), never from a rule of thumb about T.
hidden = hidden_steps_caption(layout(description, theme_for(talk), focus))
if hidden is not None and not slide_with_panel:
    st.caption(hidden)
if not slide_with_panel:
    st.caption(head_caption(description))
step_panel.show(spec, description, talk)
