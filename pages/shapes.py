"""Shapes page (placeholder until its issue lands)."""

import streamlit as st

st.title("Shapes")
st.info("This page is not built yet: its issue is open.")
