"""The step panel's state: one frozen value (`PanelState`) under one session key, and the callbacks that move it.

The panel's widgets have no keys of their own: each is drawn from this value (its `value`/`default` is the state's,
so a new value draws a new widget) and what the learner sets flows back into the value, through a callback (◀ ▶, the
open button) or through the value the widget returns (a changed step reruns the panel's fragment, so the diagram
above it is drawn around the new step). The moves themselves are pure (core.model.step_focus). Not a page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.figures.unrolled import Diagram
from core.figures.unrolled.clicks import clicked_element
from core.model.spec import ModelSpec
from core.model.step_focus import StepFocus, after_click, axis_of, clamped, initial, moved

STATE_KEY = "step_panel"


@dataclass(frozen=True)
class PanelState:
    """Everything the step panel keeps between runs, by value. `focus` is None while the panel is closed;
    `last_click` the diagram's selection already read (a selection stays until the figure changes); the pickers'
    choices; `opened` counts openings (the page scrolls to the panel once per opening); the caches hold one value
    each, keyed by what it is computed from."""

    focus: StepFocus | None = None
    last_click: tuple = ()
    cell_direction: str = "forward"
    gate: int = 0
    weights_direction: str = "forward"
    tab: str | None = None
    diagram_steps: frozenset = frozenset()
    opened: int = 0
    weights: tuple | None = None
    trace: tuple | None = None
    weights_figure: tuple | None = None


def state() -> PanelState:
    """This session's panel state (created closed)."""
    panel = st.session_state.get(STATE_KEY)
    return panel if isinstance(panel, PanelState) else PanelState()


def put(**changes: Any) -> PanelState:
    """Replace fields of the state (the one write to the session key)."""
    panel = replace(state(), **changes)
    st.session_state[STATE_KEY] = panel
    return panel


def is_open() -> bool:
    """True while the panel shows a step."""
    return state().focus is not None


def open_panel() -> None:
    """Open the panel (the button, or another page's link); it keeps the step it had."""
    panel = state()
    if panel.focus is None:
        put(focus=StepFocus(layer=-1, axis="time", t=0), opened=panel.opened + 1)  # top layer, once clamped


def close_panel() -> None:
    """Close the panel (its step is forgotten; the caches stay)."""
    put(focus=None)


def move(delta: int, spec: ModelSpec) -> None:
    """◀ / ▶ callback (and the panel's arrow keys, which press them)."""
    panel = state()
    put(focus=moved(panel.focus or initial(spec), spec, delta))


def open_at(spec: ModelSpec, axis: str, t: int) -> None:
    """Open the panel at step `t` of time axis `axis` (a phone's step button): the top layer of that axis."""
    panel = state()
    if axis == "decoder":
        layer = spec.recurrent_count - 1
    elif panel.focus is not None and axis_of(spec, panel.focus.layer) == "time":
        layer = panel.focus.layer
    else:
        layer = spec.layers - 1  # the top layer on the input's time axis
    if panel.focus is None:
        put(opened=panel.opened + 1)
    set_focus(StepFocus(layer=layer, axis=axis, t=t), spec)


def rerun_panel() -> None:
    """Run the running fragment again: the panel's, or the unrolled page's around it; the whole page when this run
    is not a fragment's (AppTest), or when the panel runs as part of the page's fragment, whose rerun Streamlit's
    "fragment" scope cannot name from inside the panel."""
    ctx = get_script_run_ctx()
    if ctx is None or not ctx.fragment_ids_this_run:
        st.rerun(scope="app")
    try:
        st.rerun(scope="fragment")
    except RuntimeError:
        st.rerun(scope="app")


def set_focus(focus: StepFocus, spec: ModelSpec, samples: int | None = None) -> None:
    """A widget drawn from the focus returned another value: keep it, and draw the panel again from it when it moves
    the step the diagram shows."""
    old = state().focus
    new = clamped(focus, spec, samples)
    if new == old:
        return
    put(focus=new)
    if old is None or new.drawn != old.drawn or new.layer != old.layer:
        rerun_panel()


def take_click(diagram: Diagram, spec: ModelSpec, points: list[dict]) -> None:
    """A selection on the diagram drawn in this run from `diagram`: a new one opens the panel at the element clicked
    (read from the Diagram, no figure drawn again) and draws the page again around it."""
    points = list(points or [])
    panel = state()
    # A selection is read once per drawing: the same figure sent again keeps its selection, but the same node
    # selected on a diagram laid out around another step (whose points may read the same) is a new click.
    read = (tuple((axis.name, tuple(axis.shown)) for axis in diagram.axes), *map(repr, points))
    if not points or read == panel.last_click:
        return
    put(last_click=read)
    clicked = clicked_element(diagram, points)
    if clicked is None:
        return
    focus = after_click(panel.focus or initial(spec), spec, clicked)
    if panel.focus is None:
        put(opened=panel.opened + 1)
    set_focus(focus, spec)
