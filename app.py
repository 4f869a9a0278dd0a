"""TimeDistributed Explorer: the frame. Page config, navigation, the sidebar that edits the spec, URL sync.

Contract with views/ (the pages): before `pg.run()`, `st.session_state["spec"]` holds the current `core.ModelSpec` and
`st.session_state["talk_mode"]` a bool. The sidebar widgets live here, in the entry point, so their values survive
page switches; their keys are the spec's field names. The URL mirrors the spec (non-default fields as query
parameters, plus `talk=true`); it is read once per browser session, when a link is opened.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import PRESETS, ModelSpec, SpecError, describe
from core.model.frames import frames_chain
from core.model.spec import (
    CELLS,
    DEFAULTS,
    FIELD_NAMES,
    HEAD_LABELS,
    HEADS,
    INT_RANGES,
    MERGE_MODES,
    REPEATS,
    clamp_whole_number,
)
from core.model.url_state import NOT_FOUND_PARAM, not_found_message, problem_message, read_url, share_url, spec_to_query
from views import common, frames_note, keys_help, navigation, sidebar_frames, story

# A local icon: a :material/…: page icon makes the browser fetch the favicon from Google's font CDN, and the app
# must work offline (talks, closed networks).
st.set_page_config(page_title="TimeDistributed Explorer", page_icon="assets/icon.png", layout="wide")

# The pages live in views/, not pages/: with a pages/ folder beside the entry point, Streamlit runs a fresh
# server's first session through its legacy folder discovery, so a shared deep link opened first (e.g. right
# after Community Cloud wakes the app) would run the page script alone, without this frame or the link's spec.
PAGES = navigation.pages()

SIZE_LABELS = {
    "timesteps": "Timesteps (T)",
    "input_size": "Input size (features per step)",
    "hidden_size": "Hidden size (recurrent units)",
    "output_size": "Output size (Dense units)",
    "output_timesteps": "Decoder timesteps (output_timesteps)",
}
SIZE_FIELDS = ("timesteps", "input_size", "hidden_size", "output_size")
REPEAT_CHOICES = {
    "none": "none",
    "input": "after a vector input (one-to-many)",
    "encoder": "between encoder and decoder (seq2seq)",
}

# Larger type and slide layout for projectors (talk mode), and the phone layout (always): one file each in assets/.
ASSETS = Path(__file__).parent / "assets"
TALK_CSS = f"<style>{(ASSETS / 'talk.css').read_text()}</style>"
LAYOUT_CSS = f"<style>{(ASSETS / 'layout.css').read_text()}</style>"


def load_spec(spec: ModelSpec) -> None:
    """Make `spec` current (the sidebar's widgets show it from the next draw on)."""
    st.session_state["spec"] = spec
    st.session_state["size_note"] = None


def _apply_preset() -> None:
    """Selectbox callback: load the chosen preset, then clear the box so the same preset can be chosen again."""
    name = st.session_state.get("preset")
    if name in PRESETS:
        load_spec(PRESETS[name])
        st.session_state["preset"] = None


def _take_talk() -> None:
    """Talk-mode toggle callback: the toggle shows `talk_mode`, which stays the one truth (see `_show`)."""
    st.session_state["talk_mode"] = bool(st.session_state.get("talk_toggle"))


def _reset() -> None:
    """Reset button callback: back to the seed's model 1 (talk mode is a presentation choice and stays)."""
    load_spec(DEFAULTS)


def read_link_once() -> None:
    """On a session's first run, load the spec and talk mode from the URL and keep any complaint to show."""
    if "url_read" in st.session_state:
        return
    st.session_state["url_read"] = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    state = read_url(params)
    load_spec(state.spec)
    st.session_state["talk_mode"] = state.talk
    story.start_from_url(params)
    # The complaint stays visible (across page switches) until the learner changes the spec.
    st.session_state["url_problem"] = (problem_message(state), state.spec) if state.has_problems else None
    missing = params.get(NOT_FOUND_PARAM)
    st.session_state["not_found"] = missing[0] if missing else None


def _take_size(name: str) -> None:
    """Number box callback: keep the box a whole number in range, and say why when it is not what was typed.

    The boxes have no min/max on purpose: with them, the browser leaves an out-of-range entry in the box without
    sending it (the model silently keeps its old size), and an int box reads "1e3" as 1.
    """
    low, high = INT_RANGES[name]
    previous = getattr(_current(), name)
    value, note = clamp_whole_number(st.session_state.get(name), low, high, previous)
    _change(name, value)
    st.session_state["size_note"] = f"**{SIZE_LABELS[name]}**: {note}." if note else None


def _current() -> ModelSpec:
    """The learner's spec: the one truth the sidebar's widgets show (never rebuilt from the widgets' values)."""
    spec = st.session_state.get("spec")
    return spec if isinstance(spec, ModelSpec) else DEFAULTS


def _change(name: str, value: object) -> None:
    """Apply one edit to the spec; a value the spec refuses keeps the spec as it was and says why."""
    try:
        st.session_state["spec"] = _current().replace(**{name: value})
    except SpecError as error:
        st.session_state["size_note"] = f"Invalid setting, {error} Kept the previous model."


def _take(name: str) -> None:
    """Widget callback: the learner changed the widget `name`; its new value is in session state."""
    st.session_state["size_note"] = None
    _change(name, st.session_state.get(name))


def _show(spec: ModelSpec) -> None:
    """Write the spec into every sidebar widget's state before the widgets are drawn, on every run.

    Why every run: when a run ends without drawing the sidebar (an error or a stop before it), the browser forgets
    those widgets and redraws them at their floor values (SimpleRNN, off, 0), which it then sends back as the
    learner's edit: the spec was reset to T=1, sizes 1. A value written by the server is sent with the widget, so the
    browser always shows the spec, and only a real edit (a widget callback) changes it.
    """
    for name in FIELD_NAMES:
        st.session_state[name] = getattr(spec, name)
    st.session_state["talk_toggle"] = bool(st.session_state.get("talk_mode", False))


PATTERN_OFF = {"layers": 1, "repeat": "none", "return_state": False}


def _size_box(name: str) -> int:
    """A number box for a size field; a float box, so the browser sends what was typed ("1e3" as 1000)."""
    low, high = INT_RANGES[name]
    return int(
        st.number_input(
            SIZE_LABELS[name],
            step=1.0,
            format="%g",
            key=name,
            on_change=_take_size,
            args=(name,),
            help=f"A whole number from {low} to {high}",
        )
    )


def _pattern_controls(spec: ModelSpec) -> None:
    """The five pattern fields; inner_return_sequences only with a stack, output_timesteps only with a decoder."""
    st.radio("Stacked recurrent layers", (1, 2, 3), key="layers", horizontal=True, on_change=_take, args=("layers",))
    if spec.layers > 1:
        st.toggle(
            "return_sequences of the lower layers",
            key="inner_return_sequences",
            help="Off is the classic mistake: the next layer gets only the last step",
            on_change=_take,
            args=("inner_return_sequences",),
        )
    st.selectbox(
        "RepeatVector", REPEATS, format_func=REPEAT_CHOICES.get, key="repeat", on_change=_take, args=("repeat",)
    )
    if spec.repeat == "encoder":
        _size_box("output_timesteps")
    st.toggle(
        "return_state",
        key="return_state",
        help="The top recurrent layer also returns its final state(s)",
        on_change=_take,
        args=("return_state",),
    )


def sidebar(spec: ModelSpec) -> ModelSpec:
    """Draw the spec editor showing `spec`; edits reach the spec through the widgets' callbacks, before this run."""
    _show(spec)
    st.header("Model")
    st.selectbox(
        "Preset", list(PRESETS), index=None, placeholder="Load a preset…", key="preset", on_change=_apply_preset
    )
    st.button("Reset", key="reset", icon=":material/restart_alt:", on_click=_reset, help="Back to the seed's model 1")
    st.selectbox("Recurrent cell", CELLS, key="cell", on_change=_take, args=("cell",))
    st.toggle("Bidirectional", key="bidirectional", on_change=_take, args=("bidirectional",))
    if spec.bidirectional:
        st.selectbox("Merge mode", MERGE_MODES, key="merge_mode", on_change=_take, args=("merge_mode",))
    st.toggle(
        "return_sequences",
        key="return_sequences",
        help="Return every timestep's state (True) or only the last one",
        on_change=_take,
        args=("return_sequences",),
    )
    st.radio("Head", HEADS, format_func=HEAD_LABELS.get, key="head", horizontal=True, on_change=_take, args=("head",))
    for name in SIZE_FIELDS:
        _size_box(name)
    if st.session_state.get("size_note"):
        st.warning(st.session_state["size_note"], icon=":material/straighten:")
    with st.expander("Pattern: stacking, RepeatVector, states", expanded=spec != spec.replace(**PATTERN_OFF)):
        _pattern_controls(spec)
    sidebar_frames.controls(spec, _take)
    with st.expander("Advanced"):
        st.toggle("use_bias", key="use_bias", on_change=_take, args=("use_bias",))
        if spec.cell == "GRU":
            st.toggle("reset_after (GRU)", key="reset_after", on_change=_take, args=("reset_after",))
        st.selectbox("Final activation", ("softmax", "linear"), key="activation", on_change=_take, args=("activation",))
    return spec


def summary_line(spec: ModelSpec) -> str:
    """The current model in one line, e.g. "GRU(16) → TimeDistributed(Dense(8)) · T=64, 15 inputs · 1,720 params"."""
    recurrent = f"{spec.cell}({spec.hidden_size}{'' if spec.return_sequences else ', last step only'})"
    if spec.bidirectional:
        recurrent = f"Bidirectional({recurrent}, {spec.merge_mode})"
    if spec.layers > 1:
        recurrent = f"{spec.layers} × {recurrent}"
    if spec.repeat == "input":
        recurrent = f"RepeatVector({spec.timesteps}) → {recurrent}"
    elif spec.repeat == "encoder":
        recurrent += f" → RepeatVector({spec.output_timesteps}) → decoder"
    head = f"Dense({spec.output_size})"
    if spec.head == "time_distributed":
        head = f"TimeDistributed({head})"
    line = f"{recurrent} → {head} · T={spec.timesteps}, {spec.input_size} inputs"
    if spec.input_kind == "frames":  # issue 27: the frames part replaces the input vectors
        line = f"{frames_chain(spec)} → {recurrent} → {head}"
    if not spec.is_valid:
        return line + " · Keras cannot build this model"
    return line + f" · {describe(spec).total_params:,} params"


def sync_url(spec: ModelSpec, talk: bool) -> dict[str, str]:
    """Write the spec into the URL when it differs (a page switch clears the query string); returns the query."""
    query = spec_to_query(spec, talk) | story.query()
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    if current != {key: [value] for key, value in query.items()}:
        st.query_params.from_dict(query)
    return query


pg = st.navigation(PAGES)
read_link_once()
story.before_sidebar(pg.url_path, load_spec)  # a story's step: its page, then its spec
if st.session_state.get("talk_mode"):
    # A slide: the sidebar starts folded away (its arrow still opens it) so the picture gets the whole width.
    st.set_page_config(initial_sidebar_state="collapsed")
# A page's button (Fix my error) asks for a spec in its callback; load it here, before the sidebar widgets exist.
if (pending_spec := st.session_state.pop("pending_spec", None)) is not None:
    load_spec(pending_spec)
with st.sidebar:
    spec = sidebar(_current())
    if (refusal := describe(spec).refusal) is not None:  # why Keras refuses, in one line (the pages show where)
        st.warning(refusal.sidebar_note)
    st.caption(summary_line(spec))
    st.divider()
    st.toggle("Talk mode", key="talk_toggle", help="Larger text and lines, for projectors", on_change=_take_talk)
    talk_mode = bool(st.session_state.get("talk_mode", False))
    story.sidebar_control()
    keys_help.show()  # issue 25: one key, one action; the key map in one table
st.session_state["spec"] = spec
query = sync_url(spec, talk_mode)
with st.sidebar:
    st.caption("Link to this view (copy button on the right):")
    # One line, cut with "…" if longer (assets/layout.css): a wrapped link broke inside its words ("…/we|ights").
    st.container(key="share_link").code(share_url(st.context.url, pg.url_path, query), language=None)

st.html(LAYOUT_CSS)
if talk_mode:
    st.html(TALK_CSS)
problem = st.session_state.get("url_problem")
if problem is not None:
    message, linked_spec = problem
    if spec == linked_spec:
        st.warning(message, icon=":material/link_off:")
    else:
        st.session_state["url_problem"] = None

if (missing := st.session_state.get("not_found")) is not None:
    if pg.url_path == "":
        st.error(not_found_message(missing, [page.url_path for page in PAGES]), icon=":material/search_off:")
    else:  # the learner has moved on to a page
        st.session_state["not_found"] = None

if spec.input_kind == "frames" and pg.url_path != "fix":
    # Issue 27: a frames spec (reachable by link) gets each page's frames view, views/frames_note.py, in place of the
    # page's render(). Not Fix my error: its form reads the learner's error, shapes and pasted model, whatever the
    # sidebar holds, so it keeps its form.
    frames_note.render(spec, pg.title)
else:
    pg.run()
common.page_served()  # the first page is drawn: the server may now warm its shared cache (core.keras.prewarm)
