"""The step panel's browser side: its arrow keys (only while the keyboard focus is inside it), and keeping it in view
(scrolled to when it opens; the cell's numbers kept on screen after a step). Not a page.

The keys come from the one key map (core/talk/keys.py). A key pressed inside the panel stops there, so a running
story, whose ← → are page-wide shortcuts, never sees it; anywhere else the story has them.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from core.figures.step.strip import STEP_OUTLINE
from core.figures.theme import PALETTE, step_label, theme_for
from core.figures.unrolled.clicks import BAND
from core.talk.keys import PANEL_BACK, PANEL_NEXT

BOX = "step_panel_box"
CELL = "step_forward_vectors"
FOLLOW = "unrolled_follow"  # views/unrolled.py: the hidden button that draws the diagram around the panel's step
BUTTONS = {PANEL_BACK.dom_key: "step_back", PANEL_NEXT.dom_key: "step_forward"}
SCRIPT = (Path(__file__).parents[1] / "assets" / "step_panel.js").read_text()  # the keys, the scrolling, the band


def follow(opened: int, axis: str, t: int, talk: bool, redraw: bool = False) -> None:
    """The panel's script for this run: `opened` counts the panel's openings (a new one scrolls to it); the step
    (`axis`, `t`) is where the diagram's band and Play control go (and makes each step's script new, so the browser
    runs it again); `redraw` when the diagram does not draw that step: once the panel is shown, the script presses
    the unrolled page's hidden button (FOLLOW), whose fragment lays the diagram out around the step. On a slide,
    opening the panel goes back to the slide's top, where its diagram strip and the cell under it are laid out to
    fit, and a step scrolls nothing."""
    label = step_label(t) if axis == "time" else f"{axis} {step_label(t)}"
    constants = (
        f"const BOX = {json.dumps(BOX)}, CELL = {json.dumps(CELL)}, BUTTONS = {json.dumps(BUTTONS)}, "
        f"OPENED = {int(opened)}, SCROLL = {json.dumps(not talk)}, LABEL = {json.dumps(label)}, "
        f"BAND = {json.dumps(BAND)}, COLOUR = {json.dumps(PALETTE['now'])}, T = {int(t)}, "
        f"OUTLINE = {json.dumps(STEP_OUTLINE)}, OUTLINE_WIDTH = {theme_for(talk).line + 1}, "
        f"REDRAW = {json.dumps(redraw)}, FOLLOW = {json.dumps(FOLLOW)};"
    )
    with st.container(key="step_script"):
        st.html(
            f"<style>[data-testid='stVerticalBlock'] > div:has(> .st-key-step_script) {{ display: none; }}</style>"
            f"<script>(function(){{{constants}\n{SCRIPT}}})();</script>",
            unsafe_allow_javascript=True,
        )
