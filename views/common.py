"""What every page shares: the frame <-> page contract, and the way to the server's TensorFlow worker.

app.py (the frame) puts the current `ModelSpec` in `st.session_state["spec"]` and the talk-mode flag in
`st.session_state["talk_mode"]` before `pg.run()`. Pages read them through `current_spec()` and `talk_mode()`, so the
fallback for a page run without the frame (a view-alone test) is written once: the seed's model 1, talk mode off.
Not a page itself (views/navigation.py lists the pages).
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.figures.tables import html_table, whole_columns, with_separators
from core.figures.theme import Theme, theme_for
from core.keras.audience import Watch, audience_for
from core.keras.job import QUEUED, RESTARTING
from core.keras.prewarm import prewarmer_for
from core.keras.requests import Request
from core.keras.training_session import TrainingJob
from core.keras.worker import Job, KerasWorker, SessionBusy, shared_worker
from core.model.budget import Work
from core.model.spec import DEFAULTS, ModelSpec
from core.model.training_controls import TrainingControls

TRAINING_CONTROLS = "training_controls"  # session state: the Training page's TrainingControls
SLOT_RESULTS_KEPT = 4  # finished jobs a session keeps per page slot (its latest requests: going back is instant)
POLL_SECONDS = 0.5  # a poll only reads the job in this process: cheap, so Stop and the end show quickly


def current_spec() -> ModelSpec:
    """The spec the frame (app.py) put in session state before running the page; the defaults if run alone."""
    spec = st.session_state.get("spec")
    return spec if isinstance(spec, ModelSpec) else DEFAULTS


def talk_mode() -> bool:
    """True when the presenter turned talk mode on (larger text and lines)."""
    return st.session_state.get("talk_mode") is True


def theme() -> Theme:
    """The figures' theme for this page: TALK on a slide, NORMAL otherwise."""
    return theme_for(talk_mode())


def session_id() -> str:
    """This browser session's id (Streamlit's own), the worker's unit of fairness and liveness."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def _browser(session: str) -> bool | None:
    """Whether the session's browser is connected; None when there is no server (AppTest, scripts)."""
    return Runtime.instance().is_active_session(session) if Runtime.exists() else None


def _connected(session: str) -> bool | None:
    """The worker's liveness of a session: a run that several sessions watch (core.keras.audience) is alive while any
    of its watchers' browsers is."""
    return audience_for(keras_worker()).alive(session, _browser)


def keras_worker() -> KerasWorker:
    """The server's one TensorFlow worker (started on first use), told how to see whether a session is alive; its
    audience is told too, so that a run shared with a closed tab stops counting that tab."""
    worker = shared_worker(liveness=_connected)
    audience_for(worker, _browser)
    return worker


def speculate(request: Request) -> None:
    """Ask the worker to do now, at the lowest priority, what the learner's next click will need (build and trace a
    model, compute the lab). TDE_SPECULATE=0 turns it off (the tests' AppTest sessions, each a new visitor)."""
    if os.environ.get("TDE_SPECULATE", "1") != "0":
        keras_worker().warm_up(session_id(), request)


def page_served() -> None:
    """The frame calls this after each page: the first time, the server starts warming its shared cache with what the
    stories and presets will ask Keras for (core.keras.prewarm: idle priority, bounded, giving way to any visitor).
    TDE_PREWARM=0 turns it off (the tests' servers)."""
    if os.environ.get("TDE_PREWARM", "1") != "0":
        prewarmer_for(keras_worker()).page_served()


def training_job() -> TrainingJob:
    """This session's training (one per session, kept across pages so a run goes on while the learner looks around)."""
    job = st.session_state.get("training_job")
    if not isinstance(job, TrainingJob):
        job = st.session_state["training_job"] = TrainingJob(keras_worker(), session_id())
    return job


def training_controls() -> TrainingControls:
    """The Training page's controls as this session last set them (the defaults before a visit): the Training page
    restores its widgets from them, and the step panel steps a sample of the data they describe."""
    saved = st.session_state.get(TRAINING_CONTROLS)
    return saved if isinstance(saved, TrainingControls) else TrainingControls()


def save_training_controls(controls: TrainingControls) -> None:
    """Keep the Training page's controls for the session (its widgets' own state ends when the page is left)."""
    st.session_state[TRAINING_CONTROLS] = controls


def before_click(request: Request, work: Work) -> str:
    """What the page says `request` will take before the click: at once when the server holds an equal request's
    answer (with when it was computed), else this server's measured time once its worker has timed such jobs
    (core.model.budget.SpeedCalibration), else the cost model's one-core estimate. TDE_CALIBRATE=0: always the cost
    model's (the tests: what the server holds or timed depends on which tests ran before)."""
    if os.environ.get("TDE_CALIBRATE", "1") == "0":
        return work.message
    worker = keras_worker()
    kept = audience_for(worker).cached(request)
    at = kept.computed_at if kept is not None else worker.kept_at(request)
    if at is not None and work.allowed:
        when = time.strftime("%H:%M:%S UTC", time.gmtime(at))
        return f"Ready at once: the server computed it at {when} for an identical request."
    return worker.calibration.message(work, type(request).__name__)


def keras_job(slot: str, request: Request, *, start: bool, work: Work, exclusive: bool = True) -> Watch | None:
    """This session's job in `slot` for `request`: started now if `start` (and the work is allowed), else the one
    started earlier for an equal request, else None. Sessions asking for equal requests watch one run, and finished
    results are replayed to all (core.keras.audience); Stop leaves the run to its other watchers. A job that is not
    `exclusive` does not take the session's one slot."""
    jobs: dict = st.session_state.setdefault(f"keras_jobs_{slot}", {})
    job = jobs.get(request)
    if start and (job is None or job.status in ("failed", "stopped", "cancelled")):
        if not work.allowed:
            st.error(f"Too much for a small server. {work.message}", icon=":material/hourglass_disabled:")
            return None
        try:  # an equal request of another session, queued or running, is joined (core.keras.audience)
            job = audience_for(keras_worker()).join(session_id(), request, exclusive=exclusive)
        except SessionBusy as busy:
            waiting_for(busy)
            return None
        jobs.pop(request, None)
        jobs[request] = job
        for old in [key for key, kept in jobs.items() if not kept.active][:-SLOT_RESULTS_KEPT]:
            del jobs[old]  # a learner trying many models keeps the last few answers, not every lab's megabytes
    return job


def keras_result(
    slot: str,
    request: Request,
    *,
    start: bool,
    work: Work,
    exclusive: bool = True,
    idle: str | None = None,
    failed: str = "Keras could not answer",
) -> Any:
    """The one way a page shows a Keras job: its result once done, else None with the job's state drawn in place.

    No job yet: the `idle` caption. Queued or running: a live status line (its place in the queue, or what the worker
    does and for how long, and how many others share the run) that reruns the page when the job ends or streams a
    partial result, and disappears with the job. Failed or stopped: `failed` and the plain reason. Done: the result,
    with a caption when it was replayed from an earlier identical request (cached, and when it was computed)."""
    job = keras_job(slot, request, start=start, work=work, exclusive=exclusive)
    if job is None:
        if idle:
            st.caption(idle)
        return None
    if not _finished(job):
        return None
    reason = _failure(job)
    if reason is not None:
        st.error(f"{failed}: {reason}", icon=":material/error:")
        return None
    return job.result


def job_status_text(job: Job | Watch) -> str:
    """One line on where a job is, naming the job (a new job's box can appear as another's leaves: the Training page's
    fit() check right after its training): its place in the queue and what it waits for, or what the worker does now
    and for how long."""
    shared = getattr(job, "others", 0)
    with_others = f" · shared with {shared} other visitor{'s' * (shared > 1)}" if shared else ""
    mine = f"Your {job.label}: "
    if job.status == "queued":
        if job.position is None:
            return f"{mine}waiting for the TensorFlow worker{with_others}…"
        ahead = job.position - 1
        place = "next in the queue" if ahead == 0 else f"queued, {ahead} job{'s' * (ahead > 1)} ahead of it"
        waits = f" · {job.stage}" if job.stage == RESTARTING else "…"  # not another's job: the worker's restart
        return mine + place + with_others + waits
    stage = "running" if job.stage == QUEUED else job.stage  # the child has not said what it does yet
    return f"{mine}{stage} · {job.elapsed:.1f} s{with_others}"


def cached_caption(computed_at: float) -> str:
    """What a replayed result says: that it is cached, and when it was computed."""
    when = time.strftime("%H:%M:%S UTC", time.gmtime(computed_at))
    return f"Cached: computed at {when} for an identical request; the server replayed that answer at once."


def waiting_for(busy: SessionBusy) -> None:
    """A visitor has one job at a time: say which of theirs this one waits for, live, and rerun the page when it ends,
    so that the box leaves with that job (a static warning stayed after it, and the step panel, which asks for its
    weights on every run, never asked again: issue 25)."""
    job = busy.job

    @st.fragment(run_every=POLL_SECONDS)
    def _waiting() -> None:
        box = st.empty()
        if not job.active:
            box.empty()
            st.rerun(scope="app")
        box.warning(f"One job at a time per visitor. {job_status_text(job)}", icon=":material/hourglass_top:")

    _waiting()


def _finished(job: Job | Watch) -> bool:
    """True when the job has ended; otherwise draw its live status, which reruns the page when it ends or when it
    streams a new partial result (so the page can show each measurement as soon as it exists)."""
    if not job.active:
        computed_at = getattr(job, "computed_at", None)
        if computed_at is not None:  # a replay (core.keras.audience): say so, and when it was computed
            st.caption(cached_caption(computed_at))
        return True
    shown = len(job.partial_results())

    @st.fragment(run_every=POLL_SECONDS)
    def _live() -> None:
        box = st.empty()
        if not job.active or len(job.partial_results()) != shown:
            box.empty()  # the status leaves with its job now, not when the page's rerun has finished
            st.rerun(scope="app")
        box.info(job_status_text(job), icon=":material/hourglass_top:")

    _live()
    return False


def _failure(job: Job | Watch) -> str | None:
    """The plain reason a job did not finish, or None when it did."""
    if job.status == "failed":
        return job.error or "The TensorFlow worker failed."
    if job.status in ("stopped", "cancelled"):
        return job.stop_reason or "The job was stopped."
    return None


# -- slides, phones and stories: how a page shows its introduction, its key picture and its figures --------------------
# The camera button of every figure downloads a PNG at projector resolution (plotly draws it in the browser: offline).
PNG_EXPORT = {"toImageButtonOptions": {"format": "png", "width": 1920, "height": 1080, "scale": 1}}


def chart(
    figure: Any, key: str, *, alt: str = "", compact: Any = None, config: dict | None = None, **events: Any
) -> Any:
    """Draw a plotly figure full width, its camera button exporting 1920x1080 PNGs. With `compact` (the same figure
    laid out for a phone), both are sent and the page's CSS shows the one that fits the screen's width: Python cannot
    know the width of the browser's window. `events` (on_select, selection_mode) go to the full-size figure, whose
    selection is returned.

    `alt` (core.figures.alt_text) is the figure's text alternative: plotly's SVG has no accessible name, so the text
    goes in a paragraph right before the figure, hidden from the eye but read by a screen reader (assets/layout.css:
    tde-alt)."""
    if alt:
        st.html(f'<p class="tde-alt">Figure: {html.escape(alt)}</p>')
    options = {**PNG_EXPORT, **(config or {})}
    if compact is None:
        return st.plotly_chart(figure, width="stretch", key=key, config=options, **events)
    with st.container(key=f"wide-{key}"):
        selection = st.plotly_chart(figure, width="stretch", key=key, config=options, **events)
    with st.container(key=f"narrow-{key}"):
        st.plotly_chart(compact, width="stretch", key=f"{key}_compact", config=options)
    return selection


def key_picture(name: str) -> Any:
    """The container of the page's key picture (what a slide must show whole), keyed `name` so that a story can
    highlight it and the browser test can measure it."""
    return st.container(key=name)


def intro(markdown: str, line: str) -> Any:
    """The page's introduction, under its title. On a slide (talk mode) it folds into one line, `line`, that opens
    to the whole text; a running story shows its step's takeaway here. Returns the container for more intro items
    (a link), which fold with it."""
    from views import story  # the story bar is drawn by the page, so its sentence sits right under the title

    in_story = story.bar()
    if talk_mode() and in_story:
        # On a slide the takeaway is the introduction: the page's other intro items are not shown (assets/talk.css),
        # so the title, the takeaway and the key picture fit a 1280x720 screen.
        return st.container(key="story_folded_intro")
    if talk_mode():
        box = st.expander(line, icon=":material/info:")
        box.markdown(markdown)
        return box
    if not in_story:
        st.markdown(markdown)
        return st.container()
    with st.expander(line, icon=":material/info:"):
        st.markdown(markdown)
    return st.container()


# -- comparison tables: st.dataframe draws on a canvas that CSS cannot enlarge, so a slide gets an HTML table ---------
def table(
    data: pd.DataFrame,
    key: str,
    *,
    where: Any = None,
    styles: pd.DataFrame | None = None,
    percent: Sequence[str] = (),
    column_order: Sequence[str] | None = None,
    **dataframe_options: Any,
) -> None:
    """A comparison table, in `where` (a container; the page by default). Normally an st.dataframe (sortable; whole
    numbers with separators, `percent` columns as bars, `styles` a frame of CSS per cell); on a slide (talk mode) an
    HTML table with the same values whose text grows with talk mode, in a container keyed `key`."""
    where = st if where is None else where
    if column_order is not None:
        keep = [list(data.columns).index(column) for column in column_order]
        data = data[list(column_order)]
        styles = None if styles is None else styles.iloc[:, keep]
    if talk_mode():
        where.container(key=key).html(html_table(data, styles, percent))
        return
    shown: Any = data
    if whole_columns(data) or styles is not None:  # a Styler shows floats with 6 decimals: only when needed
        shown = with_separators(data)
        if styles is not None:
            shown = shown.apply(lambda _: styles.to_numpy(), axis=None)
    column_config = dict(dataframe_options.pop("column_config", None) or {})
    for column in percent:
        bar = st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)
        column_config.setdefault(column, bar)  # a page's own (a width) wins
    where.dataframe(
        shown, hide_index=True, width="stretch", key=key, column_config=column_config or None, **dataframe_options
    )
