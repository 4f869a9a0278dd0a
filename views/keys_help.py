"""The sidebar's "Keys" help: the one key map (core/talk/keys.py) as a table, in a popover a keyboard reaches (Tab to
its button, Enter opens it, Escape closes it). Not a page."""

from __future__ import annotations

import streamlit as st

from core.talk.keys import keys_markdown


def show() -> None:
    """The Keys button and its table."""
    with st.popover("Keys", icon=":material/keyboard:", help="Which key does what, and where"):
        st.markdown(keys_markdown())
