"""Unrolled network: the model drawn over time, so the seed's question is answered at a glance."""

from __future__ import annotations

import html
from contextlib import nullcontext
from dataclasses import replace

import plotly.graph_objects as go
import streamlit as st

from core import describe
from core.figures.alt_text import unrolled_alt
from core.figures.theme import COMPACT, SLIDE_STRIP_HEIGHT, TALK, TALL_PICTURE_HEIGHT, theme_for
from core.figures.unrolled import Diagram, head_caption, hidden_steps_caption, layout, pattern_caption
from core.figures.unrolled import render as draw
from core.figures.unrolled.clicks import focused
from core.model.anatomy import Description
from core.model.spec import ModelSpec
from views import cache, common, diagram_tap, step_panel, step_state, story
from views.common import current_spec, talk_mode


def render() -> None:
    """The page: the diagram (kept drawn around the step panel's step), its captions, then the step panel."""
    st.title("Unrolled network")
    spec = current_spec()
    talk = talk_mode()
    description = describe(spec)
    # On a slide with the panel open, the diagram is a strip with the cell's numbers right under it (one 1280×720
    # screen): the introduction, the compact twin and the captions step aside.
    slide_with_panel = talk and step_state.is_open()
    if slide_with_panel:
        story.bar()  # a running story keeps its bar; the one-line introduction waits for the panel to close
    else:
        _intro(description)
    if description.error:
        st.error(f"**This combination cannot be built.** {description.error}")
        st.code(f"ValueError: {description.keras_error}", language="text")
    _stage(description, talk, slide_with_panel)


@st.fragment
def _stage(description: Description, talk: bool, slide_with_panel: bool) -> None:
    """The diagram, its captions and the step panel: one fragment, so that a click on the diagram reruns them and not
    the whole app (the panel's own controls rerun its nested fragment alone). A click is read against the Diagram
    drawn in this run (the figure the learner clicked), and a new step draws the fragment again around it."""
    if talk and step_state.is_open() != slide_with_panel:
        st.rerun(scope="app")  # the panel opened or closed on a slide: the page around it changes too
    spec = description.spec
    focus = step_panel.focus(spec)
    drawn = _diagram(description, _anchor(spec, talk, focus, slide_with_panel), talk, slide_with_panel)
    if drawn is None:
        return
    diagram, events = drawn
    # The steps every drawing shows: a step the panel moves to outside them makes its script press this fragment's
    # hidden button, and the diagram is laid out around it after the panel has answered (views/step_script.py).
    step_state.put(diagram_steps=frozenset.intersection(*(_columns(drawn) for drawn, _ in events)))
    with st.container(key="unrolled_follow"):
        st.button("Draw the diagram around the panel's step", key="unrolled_follow_button")
    for clicked, points in events:
        step_state.take_click(clicked, spec, points)
    if not slide_with_panel:
        # Counted from the diagram as drawn (two time axes, a focused step), never from a rule of thumb about T: the
        # phone's twin draws fewer columns, so it has its own count, shown with it.
        _hidden_captions([hidden_steps_caption(drawn) for drawn, _ in events[:2]])
        st.caption(head_caption(description))
    step_panel.show(spec, description, talk, slide_with_panel)


def _columns(diagram: Diagram) -> frozenset[tuple[str, int]]:
    """The (time axis, step) columns a laid-out diagram draws."""
    return frozenset((axis.name, step) for axis in diagram.axes for step in axis.shown)


def _hidden_captions(captions: list[str | None]) -> None:
    """What the ellipses hide, for the wide diagram and its phone twin: one caption when both count the same, else
    each in the container the page's CSS shows with its diagram (views.common.chart's wide-/narrow- boxes)."""
    if len(set(captions)) == 1:
        if captions[0] is not None:
            st.caption(captions[0])
        return
    for caption, box in zip(captions, ("wide-unrolled_hidden", "narrow-unrolled_hidden"), strict=True):
        if caption is not None:
            st.container(key=box).caption(caption)


def _anchor(spec: ModelSpec, talk: bool, focus: tuple[str, int] | None, strip: bool) -> tuple[str, int] | None:
    """The step the diagram is laid out around: None while every drawing shows the panel's step anyway (the same
    figures are sent again, which the browser does not redraw; the step's band and the Play control move in the
    browser, views/step_script.py), else the step, which the layout then keeps drawn between two ellipses."""
    if focus is None or focus in drawn_steps(spec, talk, strip):
        return None
    return focus


def _drawn_steps(spec: ModelSpec, talk: bool, strip: bool) -> frozenset[tuple[str, int]]:
    """The (axis, step) columns that every drawing of this mode shows with no step kept: the slide's strip, or the
    wide diagram, its phone twin and a slide's 1920x1080 one (pure, built once per input)."""
    description = describe(spec)
    if strip:
        themes = [replace(theme_for(talk), picture_height=SLIDE_STRIP_HEIGHT)]
    else:
        themes = [theme_for(talk), COMPACT] + ([replace(TALK, picture_height=TALL_PICTURE_HEIGHT)] if talk else [])
    return frozenset.intersection(*(_columns(layout(description, theme, None)) for theme in themes))


drawn_steps = cache.once(_drawn_steps)


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
) -> tuple[Diagram, list[tuple[Diagram, list]]] | None:
    """Lay the diagram out once around `focus` and draw it (a strip on a slide with the panel open, with its phone
    twin otherwise, both clickable); returns the Diagram and each figure's (Diagram, selected points), or None when
    drawing failed (the page says what failed instead of going down)."""
    with common.key_picture("unrolled_picture"):
        try:
            diagram, figure, compact = picture(description.spec, talk, focus, slide_with_panel)
        except Exception as error:  # a drawing bug must not take the page down; say what failed instead
            st.error(f"The diagram could not be drawn for this model: {error}")
            return None
        st.html(f'<p class="tde-alt">Figure: {html.escape(unrolled_alt(description))}</p>')
        # A click (a tap on a phone) on a node opens the numbers of that step (the step panel below). No widget key:
        # a figure drawn around another step is another chart, so an old selection never comes back.
        events = [(diagram, _clickable(figure, "unrolled_figure", "wide-" if compact else ""))]
        if compact is not None:
            events.append((compact[0], _clickable(compact[1], "unrolled_figure_compact", "narrow-")))
            with st.container(key="narrow-unrolled_steps"):
                _step_pills(compact[0], description.spec)
        if talk and not slide_with_panel and (tall := tall_picture(description.spec, focus)) is not None:
            # A deep diagram (a stack, an encoder-decoder) drawn for a 1920x1080 slide's height as well: the talk CSS
            # shows it instead of the 1280x720 one on a screen that tall (assets/talk.css: "tall-"). Clickable too.
            events.append((tall[0], _clickable(tall[1], "unrolled_figure_tall", "tall-")))
    diagram_tap.tappable("unrolled_figure", "unrolled_figure_compact", "unrolled_figure_tall")  # a tap selects too
    return diagram, events


def _step_pills(diagram: Diagram, spec: ModelSpec) -> None:
    """On a phone, one button per drawn step under the diagram, opening the step panel at a step as a tap on that
    column's cell does (views/diagram_tap.py): plotly's nodes are no keyboard stops and have no names a screen reader
    reads, these are both."""
    steps = {axis.tick(step): (axis.name, step) for axis in diagram.axes for step in axis.shown}
    current = step_panel.focus(spec)
    shown = next((label for label, drawn in steps.items() if drawn == current), None)
    chosen = st.pills("Tap a step to see its numbers", list(steps), default=shown)
    if chosen is not None and chosen != shown:
        step_state.open_at(spec, *steps[chosen])


def _clickable(figure: go.Figure, key: str, twin: str) -> list:
    """Draw the diagram's figure in a container keyed `key` (for the page's CSS, scripts and tests), inside the wide
    or the phone twin's container (`twin` "wide-" or "narrow-": assets/layout.css shows the one that fits) when
    there are two; returns the points a click selected."""
    with st.container(key=f"{twin}{key}") if twin else nullcontext(), st.container(key=key):
        event = st.plotly_chart(
            figure, width="stretch", config=common.PNG_EXPORT, on_select="rerun", selection_mode=("points",)
        )
    return list(((event or {}).get("selection") or {}).get("points") or [])


def _picture(
    spec: ModelSpec, talk: bool, focus: tuple[str, int] | None, strip: bool
) -> tuple[Diagram, go.Figure, tuple[Diagram, go.Figure] | None]:
    """The Diagram laid out around `focus`, its figure (a strip on a slide with the panel open) made clickable with
    the focused step banded and the Play control on it, and its phone twin (None for a strip), laid out and drawn the
    same way: pure, so built once per input for every session."""
    description = describe(spec)
    theme = theme_for(talk)
    diagram = layout(description, theme, focus)
    style = replace(theme, picture_height=SLIDE_STRIP_HEIGHT) if strip else theme
    figure = focused(draw(diagram, style), diagram, focus)
    if strip:
        return diagram, figure, None
    small = layout(description, COMPACT, focus)
    return diagram, figure, (small, focused(draw(small, COMPACT), small, focus))


picture = cache.once(_picture)


def _tall_picture(spec: ModelSpec, focus: tuple[str, int] | None) -> tuple[Diagram, go.Figure] | None:
    """The slide's diagram laid out for a 1920x1080 screen's height, clickable with the focused step banded, or None
    when the 1280x720 drawing already has every row at full size (pure, built once)."""
    theme = replace(TALK, picture_height=TALL_PICTURE_HEIGHT)
    diagram = layout(describe(spec), theme, focus)
    tall = draw(diagram, theme)
    short = draw(layout(describe(spec), TALK, focus), TALK)
    if tall.layout.height <= short.layout.height:
        return None
    return diagram, focused(tall, diagram, focus)


tall_picture = cache.once(_tall_picture)
