"""Code page (placeholder until its issue lands)."""

import streamlit as st

st.title("Code")
st.info("This page is not built yet: its issue is open.")
