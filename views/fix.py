"""Fix my error: paste a Keras error, X's and Y's shapes and your model; see the ranked cause and fixes Keras learned.

The diagnosis is analytic and instant (`core.diagnosis`); the fixes are checked together in one worker job (build,
a few fit steps on synthetic data of your shapes, the loss must fall) and only the ones that pass are called checked.
"""

import streamlit as st

from core import ModelSpec, format_shape
from core.diagnosis import MAX_PASTE_CHARS, MAX_SHAPE_CHARS, Diagnosis, Fix, diagnose
from core.diagnosis.check import checks_work
from core.diagnosis.source import read_learner_file, read_learner_text
from core.figures.alt_text import diagnosis_alt
from core.figures.diagnosis import diagnosis_figure
from core.keras.requests import CheckFix
from views import common

EXAMPLE = (
    "ValueError: Arguments `target` and `output` must have the same rank (ndim). "
    "Received: target.shape=(None, 2), output.shape=(None, 15, 2)"
)
MAX_UPLOAD_MB = 5
MODEL_CHOICES = ("Paste its summary or code", "Upload a .keras file", "Use the sidebar's model", "No model")


def _load(spec: ModelSpec) -> None:
    """Button callback: ask the frame (app.py) to load `spec` before it draws the sidebar on this rerun."""
    st.session_state["pending_spec"] = spec
    st.session_state["fix_loaded"] = spec


def _learner_model(spec: ModelSpec) -> tuple[object | None, str]:
    """The model the learner chose to give (and their pasted text, whose layer names are clues even when it cannot be
    read as a model); a warning when it could not be read."""
    choice = st.radio("Your model", MODEL_CHOICES, key="fix_model_choice", horizontal=True)
    model, why, text = None, None, ""
    if choice == MODEL_CHOICES[0]:
        text = st.text_area(
            "model.summary() or the code that builds it", key="fix_model_text", height=120, max_chars=MAX_PASTE_CHARS
        )
        model, why = read_learner_text(text)
    elif choice == MODEL_CHOICES[1]:
        upload = st.file_uploader(
            ".keras file (only its config is read)", type=["keras"], key="fix_upload", max_upload_size=MAX_UPLOAD_MB
        )
        if upload is not None:
            model, why = read_learner_file(upload.getvalue())
    elif choice == MODEL_CHOICES[2]:
        model = spec
    if why:
        st.warning(why, icon=":material/warning:")
    return model, text


def _checks(diagnosis: Diagnosis) -> dict[int, str | None] | None:
    """Keras's verdict on every checkable fix, from one worker job shared by every session asking the same; None while
    the job runs (its live status is drawn and the page reruns when it ends) or when it failed (its reason is shown)."""
    wanted = {index: fix.check for index, fix in enumerate(diagnosis.fixes) if fix.check is not None}
    if not wanted:
        return {}
    checks = list(wanted.values())
    work = checks_work(checks)
    if not work.allowed:
        st.caption(f"Not checked by Keras here: {work.message}")
        return {}
    failed = "Keras could not check the fixes"
    answers = common.keras_result(
        "fix_checks", CheckFix(tuple(checks)), start=True, work=work, exclusive=False, failed=failed
    )
    return None if answers is None else dict(zip(wanted, answers, strict=False))


def _caption(fix: Fix) -> str:
    check = fix.check
    assert check is not None
    return (
        f"Checked by Keras: it built this model, fitted it a few steps on synthetic data shaped like X "
        f"{format_shape(tuple(check['x_shape']))} and Y {format_shape(tuple(check['y_shape']))}, and the loss fell."
    )


def _fix_card(index: int, shown: int, fix: Fix, caption: str) -> None:
    with st.container(border=True, key=f"fix_card_{index}"):
        st.markdown(f"**{shown}. {fix.description}**")
        if fix.changes_prediction:
            st.markdown(f"_{fix.changes_prediction}_")
        st.code(fix.diff, language="diff")
        st.caption(caption)
        if fix.spec is not None and fix.check is not None:
            st.button(
                "Load this model into the app",
                key=f"fix_load_{index}",
                icon=":material/upload:",
                on_click=_load,
                args=(fix.spec,),
                help="Sets the sidebar to this model, for every page",
            )


def _show_fixes(diagnosis: Diagnosis) -> None:
    verdicts = _checks(diagnosis)
    if verdicts is None:
        return
    refused, shown = [], 0
    for index, fix in enumerate(diagnosis.fixes):
        if index in verdicts and verdicts[index] is not None:
            refused.append(f"{fix.description}: {verdicts[index]}")
            continue
        shown += 1
        caption = (
            _caption(fix)
            if index in verdicts
            else "Not checked: paste your model (summary or code) so Keras can check a fix."
        )
        _fix_card(index, shown, fix, caption)
    if not shown:
        st.info("No fix to show: none of the candidate fixes learned in Keras's check.")
    if refused:
        with st.expander(f"{len(refused)} candidate fix(es) hidden: they did not pass Keras's check"):
            for line in refused:
                st.caption(line)


def _show_model(diagnosis: Diagnosis) -> None:
    if diagnosis.model_source == "the error message":
        st.markdown(f"Your model, as read from the error message (you gave none): {diagnosis.model_line}")
        st.caption("No model given: paste it to get fixes Keras can check.")
        return
    if not diagnosis.model_line:
        st.caption("No model given: the diagnosis uses only the error and the shapes.")
        return
    st.markdown(f"Your model, as read from {diagnosis.model_source}: `{diagnosis.model_line}`")
    if diagnosis.guessed:
        st.caption("Guessed: " + "; ".join(diagnosis.guessed))
    if diagnosis.outside:
        st.caption("Outside this app's models (read around): " + ", ".join(diagnosis.outside))
    if diagnosis.model_spec is not None:
        st.button("Load your model into the app", key="fix_load_model", on_click=_load, args=(diagnosis.model_spec,))


def _show_cause(diagnosis: Diagnosis, talk_mode: bool) -> None:
    icon = ":material/check_circle:" if diagnosis.cause == "already_works" else ":material/error:"
    where = f" · breaks at `{diagnosis.layer}`" if diagnosis.layer and diagnosis.cause != "already_works" else ""
    (st.success if diagnosis.cause == "already_works" else st.error)(f"**{diagnosis.title}**{where}", icon=icon)
    if diagnosis.error_line:
        st.code(diagnosis.error_line[:2000], language=None, wrap_lines=True)
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
        if diagnosis.runner_up:
            st.markdown(f"**Also possible:** {diagnosis.runner_up.replace('_', ' ')}. {diagnosis.separator}")
        st.caption(f"Cause code: `{diagnosis.cause}`")


def render() -> None:
    """The page: the learner's error, shapes and model in; the cause, their model as read, and checked fixes out."""
    st.title("Fix my error")
    common.intro(
        "Paste the error Keras gave you (a whole traceback is fine), the shapes of X and Y, and your model. You get "
        "the likely cause, and fixes of your own model that Keras built and trained for a few steps.",
        "Paste a Keras error: get its cause and fixes Keras checked",
    )
    if st.session_state.pop("fix_loaded", None) is not None:
        st.success("Loaded the fixed model: the sidebar and every page now show it.", icon=":material/check_circle:")
    text, x_text, y_text = _inputs()
    model, model_text = _learner_model(common.current_spec())
    diagnosis = diagnose(text, x_text, y_text, model, model_text)
    for problem in diagnosis.problems:
        st.warning(problem, icon=":material/warning:")
    for note in diagnosis.notes:
        st.caption(note)
    _show_model(diagnosis)
    if not (text.strip() or x_text.strip() or y_text.strip() or model is not None):
        st.info("Paste an error or give a shape to start. Example: " + EXAMPLE, icon=":material/info:")
    elif diagnosis.cause == "unknown":
        _show_unknown(diagnosis)
    else:
        _show_cause(diagnosis, common.talk_mode())
        st.subheader("Fixes" if diagnosis.cause != "already_works" else "Optional")
        _show_fixes(diagnosis)


def _inputs() -> tuple[str, str, str]:
    """The pasted error and the shapes of X and Y, as typed."""
    text = st.text_area("Your Keras error", key="fix_text", height=150, placeholder=EXAMPLE, max_chars=MAX_PASTE_CHARS)
    x_column, y_column = st.columns(2, gap="medium")
    x_text = x_column.text_input("Shape of X", key="fix_x", placeholder="(1822, 64, 15)", max_chars=MAX_SHAPE_CHARS)
    y_text = y_column.text_input("Shape of Y", key="fix_y", placeholder="(1822, 64, 8)", max_chars=MAX_SHAPE_CHARS)
    return text, x_text, y_text


def _show_unknown(diagnosis: Diagnosis) -> None:
    """An error the diagnosis does not recognise: say so, with the line it read."""
    st.info(f"**Not recognised.** {diagnosis.explanation}", icon=":material/help:")
    if diagnosis.error_line:
        st.code(diagnosis.error_line[:2000], language=None, wrap_lines=True)
