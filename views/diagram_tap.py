"""Taps on a touch screen: the browser script that makes a tap on a node of the unrolled diagram select it, as a click
does with a mouse (plotly turns no tap into a selection, plotly.js#6721), and lets a finger on the diagram scroll the
page. The selection then opens the step panel through the server's click path (views/step_state.take_click). Not a
page.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

BOX = "diagram_tap_script"
SCRIPT = (Path(__file__).parents[1] / "assets" / "diagram_tap.js").read_text()


def tappable(*keys: str) -> None:
    """Make the plotly figures drawn in the containers keyed `keys` (and those drawn there later on this page) select
    the point under a tap. The script installs itself once per page; sent unchanged, the browser does not run it
    again."""
    figures = ", ".join(f".st-key-{key}" for key in keys)
    with st.container(key=BOX):
        st.html(
            f"<style>[data-testid='stVerticalBlock'] > div:has(> .st-key-{BOX}) {{ display: none; }}</style>"
            f"<script>(function(){{const FIGURES = {json.dumps(figures)};\n{SCRIPT}}})();</script>",
            unsafe_allow_javascript=True,
        )
