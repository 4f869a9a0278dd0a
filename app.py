"""TimeDistributed Explorer: the frame. Page config, navigation, the sidebar that edits the spec.

Minimal version; the app-shell issue turns it into the real frame (URL sync, presets, talk mode).
Contract with pages/: before `pg.run()`, `st.session_state["spec"]` holds the current `core.ModelSpec`.
"""

import streamlit as st

from core import ModelSpec

st.set_page_config(page_title="TimeDistributed Explorer", page_icon=":material/timeline:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/unrolled.py", title="Unrolled network", icon=":material/account_tree:", url_path="unrolled"),
    st.Page("pages/weights.py", title="Weights", icon=":material/table_chart:", url_path="weights"),
    st.Page("pages/shapes.py", title="Shape flow", icon=":material/swap_horiz:", url_path="shapes"),
    st.Page("pages/training.py", title="Training", icon=":material/monitoring:", url_path="training"),
    st.Page("pages/equivalence.py", title="Equivalence", icon=":material/compare_arrows:", url_path="equivalence"),
    st.Page("pages/code.py", title="Code", icon=":material/code:", url_path="code"),
]
pg = st.navigation(PAGES)

with st.sidebar:
    cell = st.selectbox("Cell", ["SimpleRNN", "GRU", "LSTM"], index=1, key="cell")
    return_sequences = st.toggle("return_sequences", value=True, key="return_sequences")
    head = st.radio("Head", ["time_distributed", "dense"], key="head")
st.session_state["spec"] = ModelSpec(cell=cell, return_sequences=return_sequences, head=head)

pg.run()
