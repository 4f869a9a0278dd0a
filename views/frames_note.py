"""What every page shows for a frames spec (issue 27) until it draws frames: one sentence, the layers' shapes and
counts from `core.describe` (5-D shapes, the kernel counted once), and Keras's own refusal when it refuses."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import describe
from core.model.frames import frames_page_note, frames_rows, shared_kernel_note
from core.model.spec import ModelSpec
from views.common import table


def render(spec: ModelSpec, page: str) -> None:
    """The frames notice for `page` (its title)."""
    st.info(frames_page_note(spec, page), icon=":material/movie:")
    description = describe(spec)
    if description.keras_error is not None:
        st.error(f"Keras refuses this model at '{description.broken_at}': {description.keras_error}")
        st.markdown(description.error)
    table(pd.DataFrame(frames_rows(description)), key="frames_layers")
    if description.output_shape is not None:
        st.caption(f"Total: {description.total_params:,} parameters. {shared_kernel_note(spec)}")
