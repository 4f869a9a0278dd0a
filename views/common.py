"""The frame <-> page contract, read in one place.

app.py (the frame) puts the current `ModelSpec` in `st.session_state["spec"]` and the talk-mode flag in
`st.session_state["talk_mode"]` before `pg.run()`. Pages read them through these accessors, never from session
state directly, so the fallback for a page run without the frame (a view-alone test, a legacy-mode session) is
written once: the seed's model 1, talk mode off.
"""

from __future__ import annotations

import streamlit as st

from core.spec import DEFAULTS, ModelSpec


def current_spec() -> ModelSpec:
    """The spec the sidebar shows; the seed's model 1 when the frame has not set one."""
    spec = st.session_state.get("spec")
    return spec if isinstance(spec, ModelSpec) else DEFAULTS


def talk_mode() -> bool:
    """True when the learner switched talk mode on (larger text and lines, for projectors)."""
    return st.session_state.get("talk_mode") is True
