"""Training: fit the real Keras models live, compare their loss curves, and see where in the sequence they learn.

The training runs in the server's TensorFlow worker process (`core.keras.worker`); this page only submits it and redraws
what the worker streamed back, from a fragment that polls the session's `TrainingJob` (in this process) while it
runs. A run goes on when the learner visits other pages; closing the tab stops it (the worker sees the session go).
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core import describe
from core.figures.alt_text import loss_curves_alt, prediction_alt, timestep_losses_alt
from core.figures.training import loss_figure, prediction_figure, timestep_heatmap
from core.keras.job import RESTARTING
from core.keras.requests import FitProbe, Training, WarmUp
from core.keras.training_session import TrainingJob, TrainingSettings, TrainingSnapshot
from core.model.anatomy import Description
from core.model.budget import Work, probe_work, training_work
from core.model.datasets import MAX_SAMPLES, TASKS, tasks_for
from core.model.spec import ModelSpec
from core.model.training_controls import RECALL_LEARNING_RATE, SEED_LEARNING_RATE, TrainingControls
from views import cache, common, navigation, training_masks

LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
WHAT = {"current": "The current model (sidebar)", "variants": "The seed's three models, to compare"}
# Each poll redraws the growing loss chart: once a second keeps it live without loading a busy server (a click on
# Stop does not wait for a poll: it waits for the job itself).
TRAINING_POLL_SECONDS = 1.0
# Built once for all the sessions that show the same run (views/cache.py): every watcher of a shared training polls the
# same curves, and the finished figures are the same for a replay.
loss_figure = cache.once(loss_figure, live=True)
prediction_figure = cache.once(prediction_figure)
timestep_heatmap = cache.once(timestep_heatmap)


def render() -> None:
    """The page: the settings, Train and Stop, the live loss curves, and the last run's results."""
    spec = common.current_spec()
    talk = common.talk_mode()
    job = common.training_job()
    st.title("Training")
    common.intro(
        f"Fit the real Keras models with `fit()` and watch the loss fall. The models are compiled as in the seed: "
        f"RMSprop and `{spec.loss}`. Train the current model, or the seed's three models side by side: models 1 and 2 "
        "(`TimeDistributed(Dense)` and `Dense` after `return_sequences=True`) should trace the same curve.",
        "Fit the real Keras models and watch the loss fall",
    )
    description = describe(spec)
    # On a slide the folded settings and the buttons share one row, so that the loss chart, its axis and its legend
    # are on the first 1280x720 screen after Train.
    settings_place, train_place = st.columns([3, 2], gap="medium") if talk else (st.container(), st.container())
    with settings_place:
        controls = _controls(spec, description, talk)
        settings = _settings(spec, description, controls)
    work = training_work(settings) if settings is not None else None
    with train_place:
        _work_line(settings, work)
    running = job.running
    if settings is not None and work is not None and work.allowed and not running:
        # Build and trace these models in the worker now, while the learner reads: the click then starts at once.
        specs = tuple(variant for _, variant in settings.variants)
        warm = WarmUp(specs, settings.samples, settings.batch_size, settings.seed)
        common.speculate(warm)
    starting = running and job.snapshot().batches_done == 0
    with train_place:
        _buttons(job, settings, work, running, starting)
    with common.key_picture("training_picture"):
        _live_progress(job, running, starting)
    _last_run(job, settings)
    training_masks.render(spec, settings)  # padded sequences and per-step weights (issue 27)


def _work_line(settings: TrainingSettings | None, work: Work | None) -> None:
    """What a click on Train costs (this server's own estimate, or that the answer is ready), or why it is refused."""
    if settings is None or work is None:
        return
    if work.allowed:
        st.caption(f"Work: {common.before_click(Training(settings), work)}")
    else:
        st.error(f"Too much for a small server. {work.message}", icon=":material/hourglass_disabled:")


def _restore_controls() -> None:
    """Page widgets lose their state when the page is left; give them back the values they had."""
    for key, value in common.training_controls().widget_values().items():
        if key not in st.session_state:
            st.session_state[key] = value


def _task_changed() -> None:
    """The learnable task needs a livelier learning rate than RMSprop's default; the seed's data keeps the seed's."""
    task = st.session_state.get("training_task")
    st.session_state["training_lr"] = SEED_LEARNING_RATE if task == "random" else RECALL_LEARNING_RATE


def _lr_label(rate: float) -> str:
    return f"{rate:g} (RMSprop's default, the seed's)" if rate == SEED_LEARNING_RATE else f"{rate:g}"


def _controls(spec: ModelSpec, description: Description, talk: bool) -> TrainingControls:
    """The training settings' widgets (restored from the session), saved for the session and the step panel."""
    _restore_controls()
    # On a slide the settings fold away, so that the loss chart sits under the Train button on the first screen.
    with st.expander("Training settings", icon=":material/tune:") if talk else st.container(border=True):
        top = st.columns([2, 1, 1, 1])
        task_options = tasks_for(spec)  # each sequence pattern has its own tasks (they fit the seed's variants too)
        if st.session_state.get("training_task") not in task_options:
            st.session_state["training_task"] = task_options[0]
            _task_changed()
        task = top[0].selectbox("Data", task_options, key="training_task", on_change=_task_changed)
        top[1].number_input("Samples", min_value=1, max_value=MAX_SAMPLES, step=100, key="training_samples")
        top[2].number_input("Batch size", min_value=1, max_value=4096, step=16, key="training_batch")
        top[3].number_input("Epochs", min_value=1, max_value=200, step=1, key="training_epochs")
        bottom = st.columns([2, 1, 2])
        if description.error is not None:
            # Keras cannot build this spec: the only thing to train is the seed's valid variants.
            st.session_state["training_what"] = "variants"
        bottom[0].radio(
            "What to train",
            list(WHAT),
            format_func=WHAT.get,
            key="training_what",
            disabled=description.error is not None,
        )
        bottom[1].number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="training_seed")
        bottom[2].selectbox("Learning rate", LEARNING_RATES, format_func=_lr_label, key="training_lr")
        st.caption(TASKS[task])
        if task == "random":
            _normalise_toggle(spec)
    controls = TrainingControls.from_widgets(st.session_state)
    common.save_training_controls(controls)
    return controls


def _normalise_toggle(spec: ModelSpec) -> None:
    """The seed's random targets: normalised or verbatim, and why it matters for softmax."""
    st.toggle(
        "Normalise the targets (each target vector sums to 1)",
        key="training_normalise",
        help="The seed's targets are uniform random numbers, not probability distributions.",
    )
    if spec.activation == "softmax":
        st.caption(
            "With the seed's verbatim targets, categorical cross-entropy can *rise* while the model trains "
            "(plain Keras does the same): a target vector that does not sum to 1 makes the loss "
            "−Σ y·log p, which is lowest when p puts all its mass on the largest y, not when p matches y. "
            "Normalised targets are distributions, and the loss falls toward their entropy."
        )


def _settings(spec: ModelSpec, description: Description, controls: TrainingControls) -> TrainingSettings | None:
    """What a click on Train would run, or None (with the reason shown) when the controls do not make one."""
    if description.error is not None:
        st.error(
            f"{description.error} There is no model to train for this spec, so the seed's three valid models "
            "(with your cell and sizes) are trained instead.",
            icon=":material/block:",
        )
    try:
        options = {
            "task": controls.task,
            "samples": int(controls.samples),
            "batch_size": int(controls.batch),
            "epochs": int(controls.epochs),
            "seed": int(controls.seed),
            "learning_rate": float(controls.lr),
            # Only the seed's random data can be normalised (the toggle is shown for it alone).
            "normalise_targets": bool(controls.normalise) and controls.task == "random",
        }
        if controls.what == "variants":
            return TrainingSettings.for_seed_variants(spec, **options)
        return TrainingSettings.for_spec(spec, **options)
    except ValueError as error:
        st.error(f"Cannot train with these settings: {error}")
        return None


def _buttons(
    job: TrainingJob, settings: TrainingSettings | None, work: Work | None, running: bool, starting: bool
) -> None:
    """Train (Starting… / Training… while it runs) and Stop."""
    left, right, _ = st.columns([1, 1, 0.2] if common.talk_mode() else [1, 1, 3])  # a slide: in the settings' row
    can_train = settings is not None and work is not None and work.allowed and not running
    label = "Train" if not running else ("Starting…" if starting else "Training…")
    if left.button(label, type="primary", key="training_train", disabled=not can_train, icon=":material/play_arrow:"):
        try:
            job.start(settings)
        except common.SessionBusy as busy:
            common.waiting_for(busy)  # live: it leaves with the job it waits for
        else:
            st.rerun()  # redraw the buttons and start the polling fragment
    if right.button("Stop", key="training_stop", disabled=not running, icon=":material/stop:"):
        job.stop("Stopped by you.")
        job.wait(3.0)  # the worker stops within one batch: show Train again on this very rerun
        st.rerun()
    if running and settings is not None and job.settings is not None and settings != job.settings:
        st.caption("The run below uses the settings it started with; the controls above have changed since.")


def _progress_text(snap: TrainingSnapshot) -> str:
    """'Model 2: epoch 3/10, batch 5/8 · 4.2 s' (or where the job is before the first batch), and how many other
    visitors watch the same run."""
    text = _where(snap)
    if snap.shared_with:
        others = f"{snap.shared_with} other visitor{'s' * (snap.shared_with > 1)}"
        text += f" · shared with {others} who asked for the same training (one run for all; Stop only leaves it)"
    return text


def _where(snap: TrainingSnapshot) -> str:
    """Where the run is: its place in the queue, the worker's stage, or the model, epoch and batch."""
    plan = snap.settings
    if snap.status == "queued":
        ahead = (snap.position or 1) - 1
        place = "Next in the server's queue" if ahead == 0 else f"Queued: {ahead} job(s) of other visitors first"
        return f"{place} · {snap.stage}" if snap.stage == RESTARTING else f"{place}…"  # the worker's own restart
    if plan is None or snap.current is None or snap.batches_done == 0:
        return f"{snap.stage} · {snap.elapsed:.1f} s"
    if not next((v.batch_losses for v in snap.variants if v.label == snap.current), ()):
        return f"{snap.current}: building and tracing the model… · {snap.elapsed:.1f} s"
    return (
        f"{snap.current}: epoch {snap.epoch + 1}/{plan.epochs}, batch {snap.batch + 1}/{plan.batches_per_epoch} · "
        f"{snap.elapsed:.1f} s"
    )


def _loss_charts(snap: TrainingSnapshot) -> None:
    """The loss curves: models on per-timestep targets in one chart, model 3 (one target per sequence) in its own."""
    per_step = [v for v in snap.variants if v.spec.sequence_output]
    per_sequence = [v for v in snap.variants if not v.spec.sequence_output]
    groups = [g for g in (per_step, per_sequence) if g]
    columns = st.columns(len(groups)) if len(groups) > 1 else [st.container()]
    offset = 0
    for column, group in zip(columns, groups, strict=True):
        kind = "targets per timestep (N, T, O)" if group[0].spec.return_sequences else "one target per sequence (N, O)"
        curves = [(v.label, v.batch_losses, v.epoch_losses) for v in group]
        title = "Training loss" if len(groups) == 1 else f"Loss · {kind}"
        fig = loss_figure(
            curves,
            snap.settings.batches_per_epoch,
            loss_name=group[0].spec.loss,
            theme=common.theme(),
            title=title,
            dashed=tuple(v.label for v in group[1:]),
            first_color=offset,
        )
        offset += len(group)
        with column:
            common.chart(fig, key=f"training_loss_chart_{offset}", alt=loss_curves_alt(curves, group[0].spec.loss))
    if len(groups) > 1:
        st.caption(
            "Model 3 (`return_sequences=False`) learns a different target: one vector per sequence, not one per "
            "timestep, so its loss is not comparable with models 1 and 2 and has a chart of its own."
        )


def _live_progress(job: TrainingJob, running: bool, starting: bool) -> None:
    """The progress and the growing loss chart, in a fragment that polls the job while it runs."""

    @st.fragment(run_every=TRAINING_POLL_SECONDS if running else None)
    def live_progress() -> None:
        """Redraw the progress and the growing loss chart; when the run ends, rerun the page to show the results."""
        snap = job.snapshot()
        if snap.running:
            if starting and snap.batches_done > 0:
                st.rerun()  # the first loss arrived: the button outside this fragment turns to "Training…"
            st.progress(snap.fraction, text=_progress_text(snap))
        elif running:
            st.rerun()  # the run just ended: the full page draws the results and re-enables Train
        if snap.run_id == 0 or snap.settings is None:
            st.info("No training yet in this session: set the controls and press Train.")
            return
        _loss_charts(snap)

    live_progress()


def _model3_mismatch(model3: ModelSpec) -> None:
    """Model 3 fed models 1 and 2's per-timestep targets: Keras's own refusal, asked in the worker (shared answer)."""
    per_sequence, per_step = model3.target_shape(1)[1:], model3.target_shape(1, per_timestep=True)[1:]
    st.caption(
        f"Model 3 outputs one vector per sequence, so its targets are shaped {per_sequence} per sample, not "
        f"{per_step} like models 1 and 2. Fed their per-timestep targets, Keras refuses to fit it:"
    )
    answer = common.keras_result(
        "training_model3",
        FitProbe(model3, True, 4),
        start=True,
        work=probe_work(model3, 4),
        exclusive=False,  # shown beside the results: it must not keep the learner from pressing Train again
    )
    if answer is not None and answer.error is not None:
        st.code(answer.error, language=None, wrap_lines=True)
    navigation.link("shapes", "Why, shape by shape, on Shape flow", ":material/swap_horiz:")


# The final table at 1400 px beside the sidebar (about 940 px): short headers (the whole name on hover), widths that
# add up to the column, and rows tall enough that a long cell wraps (st.dataframe wraps above 4rem) instead of "ti…".
RESULTS_ROW = 66


def _results_columns(loss: str) -> dict:
    """The final table's columns: short labels, widths in pixels; the data keeps its full column names."""
    text, number = st.column_config.TextColumn, st.column_config.NumberColumn
    return {
        "model": text("model", width=70),
        "layers": text("layers", width=200),
        "targets": text("targets", width=105),
        "epochs done": text("epochs", width=80, help="epochs done"),
        f"final epoch {loss}": number("final loss", width=100, help=f"final epoch {loss}", format="%.4g"),
        "first epoch loss": number("first loss", width=95, help="first epoch loss", format="%.4g"),
        "time to first loss (s)": number("first loss after (s)", width=120, help="time to first loss", format="%.2f"),
        "wall time (s)": number("total (s)", width=80, help="wall time", format="%.2f"),
        "compiled model reused": st.column_config.CheckboxColumn(
            "reused", width=70, help="Built and run once before on this server: its first loss came sooner"
        ),
    }


def _results_table(snap: TrainingSnapshot, finished: list) -> None:
    """The final (or partial) loss of each finished model, with its settings and times, in one table."""
    rows = []
    for v in finished:
        r = v.result
        rows.append(
            {
                "model": v.label,
                "layers": f"{v.spec.cell} (return_sequences={v.spec.return_sequences}) → {v.spec.head_label}",
                "targets": str(v.spec.target_shape(snap.settings.samples)),
                "epochs done": f"{len(r.epoch_losses)} of {snap.settings.epochs}" + (" (stopped)" if r.stopped else ""),
                f"final epoch {v.spec.loss}": r.epoch_losses[-1] if r.epoch_losses else None,
                "first epoch loss": r.epoch_losses[0] if r.epoch_losses else None,
                "time to first loss (s)": r.time_to_first_loss,
                "wall time (s)": r.wall_time,
                "compiled model reused": r.reused_model,
            }
        )
    complete = snap.status == "done"
    st.subheader("Final loss" if complete else "Loss when the run stopped (partial: not a finished training)")
    loss_name = finished[0].spec.loss
    common.table(
        pd.DataFrame(rows), "training_results_table", column_config=_results_columns(loss_name), row_height=RESULTS_ROW
    )


def _results(snap: TrainingSnapshot) -> None:
    """The final table, the per-timestep heatmap and one sample's prediction of the last run."""
    finished = [v for v in snap.variants if v.result is not None]
    if not finished:
        return
    _results_table(snap, finished)
    labels = {v.label for v in finished}
    if {"Model 1", "Model 2"} <= labels:
        st.caption(
            "Models 1 and 2 start from the same weights and compute the same function, so their curves coincide: "
            "model 2 is drawn dashed over model 1."
        )
    if "Model 3" in labels:
        _model3_mismatch(next(v.spec for v in finished if v.label == "Model 3"))
    if any(v.result.reused_model for v in finished):
        st.caption(
            "A reused model had already been built and run once on this server, so Keras skipped that setup and its "
            "first loss came much sooner; its weights and optimizer were reset to the seed's first, so its curve is "
            "the same."
        )
    per_step = [v for v in finished if v.result.timestep_losses and _unpadded(finished)]
    if per_step:
        st.subheader("Where in the sequence the model learns")
        choice = st.selectbox("Model", [v.label for v in per_step], key="training_heatmap_model")
        chosen = next(v for v in per_step if v.label == choice)
        losses, loss_name = chosen.result.timestep_losses, chosen.spec.loss
        figure = timestep_heatmap(losses, loss_name=loss_name, theme=common.theme())
        common.chart(figure, key="training_timestep_heatmap", alt=timestep_losses_alt(losses, loss_name))
        st.caption(
            "Each row is the loss at every timestep, measured after one epoch on up to 256 samples. In the recall "
            "task timestep 0 has nothing to recall (its target is uniform), so its loss cannot fall."
        )
    with_prediction = [v for v in finished if v.result.sample_prediction is not None]
    if with_prediction:
        st.subheader("One sample's prediction")
        choice = st.selectbox("Model", [v.label for v in with_prediction], key="training_prediction_model")
        chosen = next(v for v in with_prediction if v.label == choice)
        common.chart(
            prediction_figure(chosen.result.sample_prediction, chosen.result.sample_target, common.theme()),
            key="training_prediction",
            alt=prediction_alt(chosen.result.sample_prediction, chosen.result.sample_target),
        )


def _unpadded(finished: list) -> bool:
    """False for padded models (all variants share the padding): this heatmap would average their padded steps in,
    so theirs is the masked one in the part below (views/training_masks.py)."""
    return all(variant.spec.padding == "none" for variant in finished)


def _last_run(job: TrainingJob, settings: TrainingSettings | None) -> None:
    """How the last run ended, and its results."""
    snap = job.snapshot()
    if snap.running or snap.run_id == 0:
        return
    if snap.status == "stopped":
        st.warning(f"Training stopped early. {snap.stop_reason or ''}", icon=":material/stop_circle:")
    elif snap.status == "failed":
        st.error(f"Training failed. {snap.error}", icon=":material/error:")
    if snap.settings != settings:
        st.caption("These results are from the last run; its settings differ from the controls above.")
    _provenance(snap)
    _results(snap)


def _provenance(snap: TrainingSnapshot) -> None:
    """Say when the results were computed for someone else: a replay of an earlier equal run, or a shared run."""
    if snap.computed_at is not None:
        when = time.strftime("%H:%M:%S UTC", time.gmtime(snap.computed_at))
        st.caption(
            f"Cached: computed at {when} for an identical request (same models, data, seed and settings): the "
            "training is deterministic, so the server replayed its curves and results instead of training again.",
            help="Change any setting (the seed, for one) to train anew.",
        )
    elif snap.shared_with:
        others = f"{snap.shared_with} other visitor{'s' * (snap.shared_with > 1)}"
        st.caption(f"This run was shared with {others} who asked for the same training at the same time.")
