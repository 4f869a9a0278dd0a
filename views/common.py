"""Helpers shared by the pages.

# TEMPORARY until the worker lands: the lead replaces this module at merge with the worker-backed `keras_call`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st


def keras_call(kind: str, payload: dict[str, Any]) -> Any:
    """Run a Keras job (here in-process; later in the TensorFlow worker) behind a spinner; returns its result.

    Raises RuntimeError with a plain message when the job fails.
    """
    # TEMPORARY until the worker lands
    if kind != "check_fix":
        raise RuntimeError(f"Unknown Keras job: {kind!r}.")
    from core.fix_check import check_fix  # loads TensorFlow: only on request

    with st.spinner("Asking Keras: building the fixed model and fitting one batch…"):
        try:
            return check_fix(**payload)
        except Exception as error:  # a plain message for the page, whatever broke
            raise RuntimeError(f"Keras could not check this fix: {error}") from error
