"""Code page: the runnable Keras 3 script for the current spec, and the seed's Keras 1 code translated to Keras 3."""

from __future__ import annotations

import streamlit as st

from core import describe, format_shape
from core.keras.requests import SeedSummary
from core.model.budget import probe_work
from core.model.code import CHANGES, SEED_KERAS1_CODE, SEED_KERAS3_CODE, keras_code, script_filename
from core.model.spec import DEFAULTS, ModelSpec
from views import common


def render() -> None:
    """The page: the current spec's script, the seed's code then and now, and the seed's summary from Keras."""
    spec = common.current_spec()
    st.title("Code")
    _your_model(spec)
    _seed_code()
    _seed_summary()


def _your_model(spec: ModelSpec) -> None:
    """The runnable Keras 3 script of `spec`, with a download button."""
    description = describe(spec)
    if not common.talk_mode():  # on a slide the one-line introduction says it
        st.header("Your model in Keras 3")
    if description.error:
        common.intro(
            "The script below builds this model the way you set it, so it shows Keras raising its error.",
            "Your model in Keras 3: Keras refuses to build it",
        )
        st.warning(
            f"This combination cannot be built: the script below shows Keras raising its error. {description.error}"
        )
    else:
        common.intro(
            f"A runnable script that builds this model ({description.total_params:,} parameters), compiles it with "
            f"`{spec.loss}` and RMSprop, fits it for one epoch on a few random samples with targets shaped "
            f"`{format_shape(description.target_shape)}`, and prints `count_params=` last.",
            f"Your model in Keras 3: a runnable script ({description.total_params:,} parameters)",
        )
    script = keras_code(spec)
    common.key_picture("code_picture").code(script, language="python", line_numbers=True, wrap_lines=True)
    st.download_button(
        "Download the script",
        data=script,
        file_name=script_filename(spec),
        mime="text/x-python",
        icon=":material/download:",
        key="code_download",
    )
    st.caption("Copy it with the button at the top right of the code block; run it with `python <file>`.")


def _seed_code() -> None:
    """The seed's Keras 1 code beside its Keras 3 translation, and what changed."""
    st.header("The seed's code, then and now")
    st.markdown(
        "The seed's answer was written for Keras 1. It no longer runs as is; here it is beside its Keras 3 "
        "translation, which builds the same three models."
    )
    old, new = st.columns(2)
    with old:
        st.subheader("Keras 1 (the seed)")
        st.code(SEED_KERAS1_CODE, language="python", wrap_lines=True)
    with new:
        st.subheader("Keras 3")
        st.code(SEED_KERAS3_CODE, language="python", wrap_lines=True)
    st.subheader("What changed, and why")
    for change in CHANGES:
        st.markdown(f"- `{change.keras1}` → `{change.keras3}`  \n  {change.why}")


def _seed_summary() -> None:
    """Keras's own summary of the seed's model 1, on a click (built and fit in the worker)."""
    st.subheader("model.summary() today")
    st.markdown(
        "Keras 3 prints a table and returns None. After compile and fit, 'Total params' also counts the optimizer's "
        "variables; the model's own size is 'Trainable params'. Ask Keras for the seed's model 1:"
    )
    clicked = st.button("Build and fit the seed's model 1, show its summary", key="code_summary")
    # The seed's model, built the same way for every visitor: one answer per server.
    text = common.keras_result(
        "code_summary",
        SeedSummary(),
        start=clicked,
        work=probe_work(DEFAULTS),
        failed="Keras could not build the seed's model",
    )
    if text is not None:
        st.code(text, language="text")
