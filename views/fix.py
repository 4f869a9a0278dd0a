"""Fix my error: paste a Keras error (or give X's and Y's shapes), see where it breaks, get fixes Keras accepts.

The diagnosis is analytic and instant (`core.diagnose`); each fix with a model is checked by real Keras (build, one
`fit` batch on zeros of the learner's shapes) through `keras_call`, and only the fixes Keras accepts are shown.
"""

import streamlit as st

from core import ModelSpec, format_shape
from core.diagnose import MAX_PASTE_CHARS, Diagnosis, Fix, diagnose
from core.diagnose import MAX_SHAPE_CHARS as SHAPE_CAP
from core.diagnose_figure import diagnosis_figure
from core.figures.alt_text import diagnosis_alt
from views import common
from views.common import keras_call

EXAMPLE = (
    "ValueError: Arguments `target` and `output` must have the same rank (ndim). "
    "Received: target.shape=(None, 2), output.shape=(None, 15, 2)"
)


def _load(spec: ModelSpec) -> None:
    """Button callback: ask the frame (app.py) to load `spec` before it draws the sidebar on this rerun."""
    st.session_state["pending_spec"] = spec
    st.session_state["fix_loaded"] = spec


def _keras_verdict(fix: Fix) -> tuple[bool, str]:
    """(shown, caption) for a fix: checked fixes are shown only when Keras fits them; results kept per session."""
    if fix.check is None:
        return True, "A code change this app's one-layer model cannot hold, so Keras did not check it here."
    spec, x_shape, y_shape = fix.check
    results: dict = st.session_state.setdefault("fix_checks", {})
    key = (spec, x_shape, y_shape)
    if key not in results:
        try:
            results[key] = keras_call(
                "check_fix", {"spec": spec.to_params(), "x_shape": list(x_shape), "y_shape": list(y_shape)}
            )
        except RuntimeError as error:
            return False, str(error)
    message = results[key]
    if message is not None:
        return False, message
    return True, (
        f"Checked by Keras: it built this model and fit one batch with X {format_shape(x_shape)} "
        f"and Y {format_shape(y_shape)}."
    )


def _show_fixes(diagnosis: Diagnosis) -> None:
    refused: list[str] = []
    shown = 0
    for index, fix in enumerate(diagnosis.fixes):
        ok, caption = _keras_verdict(fix)
        if not ok:
            refused.append(f"{fix.description}: {caption}")
            continue
        shown += 1
        with st.container(border=True, key=f"fix_card_{index}"):
            st.markdown(f"**{shown}. {fix.description}**")
            st.code(fix.diff, language="diff")
            st.caption(caption)
            if fix.spec is not None:
                st.button(
                    "Load this model into the app",
                    key=f"fix_load_{index}",
                    icon=":material/upload:",
                    on_click=_load,
                    args=(fix.spec,),
                    help="Sets the sidebar to this model, for every page",
                )
    if not shown:
        st.info("No fix to show: none of the candidate fixes passed Keras's check for these shapes.")
    if refused:
        with st.expander(f"{len(refused)} candidate fix(es) hidden: Keras refused them"):
            for line in refused:
                st.caption(line)


spec: ModelSpec = st.session_state.get("spec", ModelSpec())
talk_mode: bool = st.session_state.get("talk_mode", False)

st.title("Fix my error")
st.markdown(
    "Paste the error Keras gave you (a whole traceback is fine: the last error line is read), and, if you know "
    "them, the shapes of X and Y. You get where it breaks, why, and fixes that Keras itself accepted."
)
loaded = st.session_state.pop("fix_loaded", None)
if loaded is not None:
    st.success("Loaded the fixed model: the sidebar and every page now show it.", icon=":material/check_circle:")

text = st.text_area(
    "Your Keras error",
    key="fix_text",
    height=150,
    placeholder=EXAMPLE,
    max_chars=MAX_PASTE_CHARS,
)
x_column, y_column = st.columns(2, gap="medium")
x_text = x_column.text_input("Shape of X (optional)", key="fix_x", placeholder="(1822, 64, 15)", max_chars=SHAPE_CAP)
y_text = y_column.text_input("Shape of Y (optional)", key="fix_y", placeholder="(1822, 64, 8)", max_chars=SHAPE_CAP)
st.caption(
    "Your model, if the message does not say: the sidebar's. Numbers in the message (shapes, sizes) take precedence."
)

diagnosis = diagnose(text, x_text, y_text, spec)
for problem in diagnosis.problems:
    st.warning(problem, icon=":material/warning:")
for note in diagnosis.notes:
    st.caption(note)

if not (text.strip() or x_text.strip() or y_text.strip()):
    st.info("Paste an error or give a shape to start. Example: " + EXAMPLE, icon=":material/info:")
elif diagnosis.cause == "unknown":
    st.info(f"**Not recognised.** {diagnosis.explanation}", icon=":material/help:")
    if diagnosis.error_line:
        st.caption("The line read:")
        st.code(diagnosis.error_line[:2000], language=None, wrap_lines=True)
else:
    st.error(f"**{diagnosis.title}** · breaks at `{diagnosis.layer}`", icon=":material/error:")
    if diagnosis.error_line:
        st.code(diagnosis.error_line[:2000], language=None, wrap_lines=True)
    # Side by side on a laptop; stacked (picture first) on a phone, where the vertical flow fits the width.
    picture, why = st.columns([2, 3], gap="large")
    with picture:
        if diagnosis.flow:
            common.chart(
                diagnosis_figure(diagnosis, talk_mode=talk_mode),
                key="fix_flow",
                alt=diagnosis_alt(diagnosis.flow),
                config={"displayModeBar": False, "staticPlot": True},
            )
    with why:
        st.subheader("Why")
        st.markdown(diagnosis.explanation)
        st.caption(f"Cause code: `{diagnosis.cause}`")
    st.subheader("Fixes")
    _show_fixes(diagnosis)
