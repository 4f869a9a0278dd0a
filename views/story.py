"""Guided stories on screen: the frame's side (start, step, URL) and the page's side (the takeaway bar, the highlight).

The stories themselves are data in core/talk/stories.py. The frame (app.py) calls `start_from_url` once per session,
`before_sidebar` before the sidebar widgets exist (a step loads its spec and page), `sidebar_control` in the sidebar,
and `query` when it writes the URL. A page calls `bar()` through `views.common.intro`: one sentence, the step count,
← / → buttons (keyboard shortcuts too), and the step's element outlined. Not a page itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from core.figures.theme import PALETTE
from core.model.spec import ModelSpec
from core.talk.keys import STORY_BACK, STORY_NEXT
from core.talk.stories import STORIES, Step, Story, read_story, story_query
from views import navigation

STATE = "story"  # session state: {"name": str, "index": int, "pending": bool} or None
PROBLEM = "story_problem"


def current() -> tuple[Story, int] | None:
    """The running story and its step (0-based), or None."""
    state = st.session_state.get(STATE)
    if not isinstance(state, dict) or state.get("name") not in STORIES:
        return None
    story = STORIES[state["name"]]
    return story, min(max(int(state.get("index", 0)), 0), len(story.steps) - 1)


def go(name: str | None, index: int = 0) -> None:
    """Start or move a story (None ends it); the step's spec and page are loaded on the next run."""
    st.session_state[STATE] = None if name is None else {"name": name, "index": index, "pending": True}
    st.session_state[PROBLEM] = None


def start_from_url(params: Mapping[str, Sequence[str]]) -> None:
    """On a session's first run: open the story and step the link names, and keep a message if it names a bad one."""
    story, index, problem = read_story(params)
    if story is not None:
        go(story.name, index)
    st.session_state[PROBLEM] = problem


def before_sidebar(url_path: str, load_spec: Callable[[ModelSpec], None]) -> None:
    """Load a pending step: its page first (switching page reruns), then its spec and page widgets."""
    state = st.session_state.get(STATE)
    now = current()
    if now is None or not state.get("pending"):
        return
    story, index = now
    step = story.steps[index]
    if url_path != step.page:
        navigation.switch(step.page)
    state["pending"] = False
    load_spec(step.spec)
    for key, value in step.widgets.items():
        st.session_state[key] = value


def _choose() -> None:
    """The sidebar's Story box: start the chosen story at its first step, or end the story."""
    go(st.session_state.get("story_choice"))


def sidebar_control() -> None:
    """The Story box in the sidebar; it shows the running story."""
    now = current()
    st.session_state["story_choice"] = now[0].name if now else None
    st.selectbox(
        "Story",
        list(STORIES),
        format_func=lambda name: STORIES[name].title,
        index=None,
        placeholder="Step through a guided story…",
        key="story_choice",
        on_change=_choose,
        help="A guided tour for talks: each step sets the page and the model; → and ← step.",
    )


def query() -> dict[str, str]:
    """The story's URL parameters, story=NAME&step=N, or none."""
    now = current()
    return story_query(*now) if now else {}


def _highlight_css(keys: Sequence[str]) -> str:
    """An outline around the step's elements, which scroll into view below the story's bar: the bar stays on screen
    (sticky under the app's header), and the element scrolls so that it is whole under the bar when it fits, else so
    that its top (its title) is right under the bar."""
    selectors = ", ".join(f".st-key-{key}" for key in keys)
    first = json.dumps(f".st-key-{keys[0]}") if keys else "null"
    return (
        f"<style>{selectors} {{ outline: 4px solid {PALETTE['now']}; outline-offset: 4px; border-radius: 0.5rem; }}"
        f"{STICKY_CSS}</style>"
        # The element is drawn after this script runs: look for it a few times, then bring it into view.
        f"<script>(function(tries){{const find=()=>{{const el=document.querySelector({first});"
        "if(el){const bar=document.querySelector('.st-key-story_bar');"
        "const below=bar?bar.getBoundingClientRect().bottom+12:0;el.style.scrollMarginTop=below+'px';"
        "const fits=el.getBoundingClientRect().height<=window.innerHeight-below;"
        "el.scrollIntoView({block:fits?'nearest':'start'});}else if(tries-->0){setTimeout(find,200);}};"
        "setTimeout(find,300);})(15);</script>"
    )


# The bar's wrapper sticks under Streamlit's header (3.75rem) while the page scrolls; the bar gets the page's background
# so that what scrolls under it does not show through.
STICKY_CSS = (
    "[data-testid='stVerticalBlock'] > div:has(> .st-key-story_bar) "
    "{ position: sticky; top: 3.75rem; z-index: 90; }"
    ".st-key-story_bar { background: #ffffff; }"
)


def _run_ahead(step: Step) -> None:
    """Start now the Keras job whose result the step's sentence states, so that the page shows it without a click
    (the page reads the same job: the same slot and the same request)."""
    if step.runs != "equivalence_lab":
        return
    from core.keras.requests import LAB_PERTURB, EquivalenceLab  # noqa: PLC0415 (only a step that states a verdict)
    from core.model.budget import lab_work  # noqa: PLC0415
    from views.common import keras_job  # noqa: PLC0415

    keras_job("equivalence", EquivalenceLab(step.spec, LAB_PERTURB), start=True, work=lab_work(step.spec))


def bar() -> bool:
    """The running story's bar on a page: its takeaway, the step count and the buttons; False without a story."""
    problem = st.session_state.get(PROBLEM)
    if problem:
        st.warning(problem, icon=":material/slideshow:")
    now = current()
    if now is None:
        return False
    story, index = now
    step = story.steps[index]
    last = len(story.steps) - 1
    with st.container(key="story_bar", border=True):
        # The sentence beside the controls, the step count under the buttons: the bar stays low enough for a slide's
        # title, takeaway and picture to share a 1280x720 screen (assets/talk.css). A button shows its shortcut.
        sentence, controls = st.columns([2, 1], vertical_alignment="center")
        sentence.markdown(f"**{step.takeaway}**")
        back, forward, leave = controls.columns([3, 3, 1], vertical_alignment="center", gap="small")
        back.button(
            "Back", key="story_back", icon=":material/arrow_back:", shortcut=STORY_BACK.shortcut, disabled=index == 0,
            on_click=go, args=(story.name, index - 1), width="stretch",
        )  # fmt: skip
        forward.button(
            "Next", key="story_next", icon=":material/arrow_forward:", shortcut=STORY_NEXT.shortcut,
            disabled=index == last,
            on_click=go, args=(story.name, index + 1), width="stretch", type="primary",
        )  # fmt: skip
        leave.button("", key="story_exit", icon=":material/close:", help="End the story", on_click=go, args=(None,))
        controls.caption(f"{story.title} · step {index + 1} of {last + 1}")
    _run_ahead(step)
    # In a container of its own that takes no room on the page (assets/layout.css).
    st.container(key="story_highlight").html(_highlight_css(step.highlight), unsafe_allow_javascript=True)
    return True
