"""What every page shows for a frames spec (issue 27). Unrolled network, Weights and Shape flow draw it their way
(one shared CNN per frame, the kernel counted once, the 5-D shapes); the other pages, which do not draw frames yet,
say so in one sentence and give the layers' shapes and counts from `core.describe`. Keras's refusal, in its own words,
comes first when it refuses."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import describe
from core.figures.alt_text import frames_alt
from core.figures.frames_diagram import frames_diagram
from core.figures.theme import COMPACT
from core.model.frames import (
    frames_page_note,
    frames_rows,
    frames_shape_rows,
    frames_weight_rows,
    shared_kernel_note,
)
from core.model.frames_code import frames_keras_code
from core.model.spec import ModelSpec
from views import frame_step, frames_lab, frames_training
from views.common import chart, intro, key_picture, table, theme


def render(spec: ModelSpec, page: str) -> None:
    """The frames view of `page` (its title)."""
    st.title(page)
    intro(frames_page_note(spec, page), "A frames model")
    description = describe(spec)
    if (refusal := description.refusal) is not None:
        with st.container(key="frames_verdict"):
            st.error(f"Keras refuses this model at '{refusal.layer}': {refusal.keras_error}")
            st.markdown(refusal.why)
    with key_picture("frames_picture"):
        if page == "Unrolled network":
            compact = frames_diagram(description, COMPACT)
            alt = frames_alt(description)
            chart(frames_diagram(description, theme()), key="frames_diagram", alt=alt, compact=compact)
        elif page == "Weights":
            table(pd.DataFrame(frames_weight_rows(description)), key="frames_weights")
        elif page == "Code":
            script = frames_keras_code(spec)
            st.code(script, language="python", line_numbers=True, wrap_lines=True)  # no sideways scroll (axe)
            st.download_button("Download the script", data=script, file_name="frames_model.py", key="frames_code")
        elif page == "Shape flow":
            table(pd.DataFrame(frames_shape_rows(description)), key="frames_shapes")
        else:
            table(pd.DataFrame(frames_rows(description)), key="frames_layers")
    if description.output_shape is not None:
        st.caption(f"Total: {description.total_params:,} parameters. {shared_kernel_note(spec)}")
    if page == "Equivalence":
        frames_lab.render(spec)
    if page == "Training":
        frames_training.render(spec)
    if page == "Unrolled network":
        frame_step.render(spec)
