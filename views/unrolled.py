"""Unrolled network: the model drawn over time, so the seed's question is answered at a glance."""

from __future__ import annotations

from dataclasses import replace

import plotly.graph_objects as go
import streamlit as st

from core import describe
from core.figures.alt_text import unrolled_alt
from core.figures.theme import COMPACT, SLIDE_STRIP_HEIGHT, TALK, TALL_PICTURE_HEIGHT, theme_for
from core.figures.unrolled import (
    Diagram,
    column_of,
    head_caption,
    hidden_steps_caption,
    layout,
    mark_focus,
    pattern_caption,
    phone_hidden_steps_caption,
    unrolled_figure,
)
from core.figures.unrolled import render as draw
from core.figures.unrolled.clicks import clicked_element
from core.model.anatomy import Description
from core.model.spec import ModelSpec
from core.model.step_focus import after_click, initial
from views import cache, common, step_panel, story
from views.common import current_spec, talk_mode

TALL_KEY = "unrolled_figure_tall"
TALL_CLICK_KEY = "unrolled_tall_last_click"


def render() -> None:
    """The page: the diagram (kept drawn around the step panel's step), its captions, then the step panel."""
    st.title("Unrolled network")
    spec = current_spec()
    talk = talk_mode()
    description = describe(spec)
    # A click on the diagram opens the panel, so it is read before the page lays itself out, against the Diagram the
    # learner clicked. On a slide with the panel open, the diagram is a strip with the cell's numbers right under it
    # (one 1280×720 screen): the introduction, the compact twin and the captions step aside.
    step_panel.take_click(description, talk)
    _take_tall_click(description)
    focus = step_panel.focus(spec)
    slide_with_panel = talk and focus is not None
    if slide_with_panel:
        story.bar()  # a running story keeps its bar; the one-line introduction waits for the panel to close
    else:
        _intro(description)
    if description.error:
        st.error(f"**This combination cannot be built.** {description.error}")
        st.code(f"ValueError: {description.keras_error}", language="text")
    diagram = _diagram(description, focus, talk, slide_with_panel)
    if not slide_with_panel:
        # Counted from the diagram as drawn (two time axes, a focused step), never from a rule of thumb about T.
        hidden = hidden_steps_caption(diagram) if diagram is not None else None
        _hidden_caption(hidden, phone_hidden_steps_caption(description, focus) if diagram is not None else None)
        st.caption(head_caption(description))
    step_panel.show(spec, description, talk)


def _hidden_caption(wide: str | None, narrow: str | None) -> None:
    """What the ellipses hide, counted from the diagram beside it: the phone's diagram draws fewer columns, so it gets
    its own caption, shown with it by the page's CSS (views.common.chart's wide-/narrow- containers)."""
    if wide == narrow:
        if wide is not None:
            st.caption(wide)
        return
    for name, caption in (("wide", wide), ("narrow", narrow)):
        if caption is not None:
            st.container(key=f"{name}-unrolled_hidden").caption(caption)


def _intro(description: Description) -> None:
    """What the picture shows, in words: the layers, the time axes, what return_sequences keeps, the pattern."""
    spec = description.spec
    layer_name = f"bidirectional {spec.cell}" if spec.bidirectional else spec.cell
    # Stacks and decoders are named as such: "one layer over T steps" would be untrue for them.
    subject = f"One **{layer_name}** layer" if spec.layers == 1 else f"**{spec.layers} stacked {layer_name}** layers"
    over = f"**{spec.timesteps}** timesteps" + (
        f", then a decoder over its own **{spec.output_timesteps}**" if spec.repeat == "encoder" else ""
    )
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


def _diagram(
    description: Description, focus: tuple[str, int] | None, talk: bool, slide_with_panel: bool
) -> Diagram | None:
    """Lay the diagram out once around the panel's step and draw it (a strip on a slide with the panel open, with
    its phone twin otherwise); returns the Diagram, which the next click and the hidden-steps caption read (None
    when drawing failed: the page says what failed instead of going down)."""
    with common.key_picture("unrolled_picture"):
        try:
            diagram, figure, compact = picture(description.spec, talk, focus, slide_with_panel)
        except Exception as error:  # a drawing bug must not take the page down; say what failed instead
            st.error(f"The diagram could not be drawn for this model: {error}")
            return None
        step_panel.remember_drawn(focus)  # the next click is read against the diagram as drawn here
        # A click on a node opens the numbers of that step (the step panel below); the diagram keeps that step drawn.
        common.chart(
            figure,
            key="unrolled_figure",
            alt=unrolled_alt(description),
            compact=compact,
            on_select="rerun",
            selection_mode=("points",),
        )
        if talk and not slide_with_panel:
            _tall_twin(description.spec, focus, figure)
    return diagram


def _tall_twin(spec: ModelSpec, focus: tuple[str, int] | None, short: go.Figure) -> None:
    """A deep diagram (a stack, an encoder-decoder) drawn for a 1920x1080 slide's height as well: the talk CSS shows it
    instead of the 1280x720 one on a screen that tall (assets/talk.css: "tall-"). Clickable like the other."""
    tall = tall_picture(spec, focus)
    if tall.to_dict()["layout"]["height"] <= short.to_dict()["layout"]["height"]:  # (served figures: read the dict)
        return  # the 1280x720 drawing already has every row at full size
    with st.container(key="tall-unrolled_figure"):
        st.plotly_chart(
            tall,
            width="stretch",
            key=TALL_KEY,
            config=common.PNG_EXPORT,
            on_select="rerun",
            selection_mode=("points",),
        )


def _take_tall_click(description: Description) -> None:
    """A click on the tall twin, read as the step panel reads one on the diagram: against the Diagram drawn (the same
    layout, only taller), remembered under its own key so that the other figure's last click is not read again."""
    selection = st.session_state.get(TALL_KEY) or {}
    points = list((selection.get("selection") or {}).get("points") or [])
    if not points or points == st.session_state.get(TALL_CLICK_KEY):
        return
    st.session_state[TALL_CLICK_KEY] = points
    panel = step_panel.state()
    clicked = clicked_element(layout(description, theme_for(True), panel.drawn), points)
    if clicked is not None:
        spec = description.spec
        panel.focus = after_click(panel.focus or initial(spec), spec, clicked)


def _picture(
    spec: ModelSpec, talk: bool, focus: tuple[str, int] | None, strip: bool
) -> tuple[Diagram, go.Figure, go.Figure | None]:
    """The Diagram laid out around `focus`, its figure (a strip on a slide with the panel open) made clickable with
    the focused step banded, and its phone twin (None for a strip): pure, so built once per input for every session."""
    description = describe(spec)
    theme = theme_for(talk)
    diagram = layout(description, theme, focus)
    figure = draw(diagram, replace(theme, picture_height=SLIDE_STRIP_HEIGHT) if strip else theme)
    band = column_of(figure, focus[1], focus[0]) if focus is not None else None
    compact = None if strip else unrolled_figure(description, COMPACT, focus=focus)
    return diagram, mark_focus(figure, band), compact


picture = cache.once(_picture)


def _tall_picture(spec: ModelSpec, focus: tuple[str, int] | None) -> go.Figure:
    """The slide's diagram drawn for a 1920x1080 screen's height, the focused step banded (pure, built once)."""
    figure = unrolled_figure(describe(spec), TALK, focus=focus, height=TALL_PICTURE_HEIGHT)
    band = column_of(figure, focus[1], focus[0]) if focus is not None else None
    return mark_focus(figure, band)


tall_picture = cache.once(_tall_picture)
