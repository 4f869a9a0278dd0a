"""Training: fit the real Keras models live, compare their loss curves, and see where in the sequence they learn.

Training runs in this session's `TrainingJob` (a worker thread that never calls Streamlit); a fragment polls it
every two seconds while it runs. Leaving the page stops the job through its heartbeat; changing a setting stops it here.
"""

import pandas as pd
import streamlit as st

from core import ModelSpec, describe
from core.datasets import MAX_SAMPLES, TASKS
from core.keras_env import preload_in_background
from core.training_figures import loss_figure, prediction_figure, timestep_heatmap
from core.training_session import (
    RECALL_LEARNING_RATE,
    SEED_LEARNING_RATE,
    TrainingJob,
    TrainingSettings,
    TrainingSnapshot,
    estimate_work,
)

# Start importing TensorFlow now, while the learner reads and sets the controls: the first click won't wait for it.
preload_in_background()

spec: ModelSpec = st.session_state.get("spec", ModelSpec())
talk = bool(st.session_state.get("talk_mode", False))
job: TrainingJob | None = st.session_state.get("training_job")
if job is None:
    job = st.session_state["training_job"] = TrainingJob()
job.heartbeat()

LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
WHAT = {"current": "The current model (sidebar)", "variants": "The seed's three models, to compare"}
CONTROL_DEFAULTS = {
    "training_task": "recall",
    "training_samples": 1000,
    "training_batch": 128,
    "training_epochs": 10,
    "training_seed": 0,
    "training_lr": RECALL_LEARNING_RATE,
    "training_what": "current",
}


def _restore_controls() -> None:
    """Page widgets lose their state when the page is left; give them back the values they had."""
    saved = st.session_state.setdefault("training_controls", {})
    for key, default in CONTROL_DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = saved.get(key, default)


def _task_changed() -> None:
    """The learnable task needs a livelier learning rate than RMSprop's default; the seed's data keeps the seed's."""
    task = st.session_state.get("training_task")
    st.session_state["training_lr"] = RECALL_LEARNING_RATE if task == "recall" else SEED_LEARNING_RATE


def _lr_label(rate: float) -> str:
    return f"{rate:g} (RMSprop's default, the seed's)" if rate == SEED_LEARNING_RATE else f"{rate:g}"


st.title("Training")
st.markdown(
    f"Fit the real Keras models with `fit()` and watch the loss fall. The models are compiled as in the seed: "
    f"RMSprop and `{spec.loss}`. Train the current model, or the seed's three models side by side: models 1 and 2 "
    "(`TimeDistributed(Dense)` and `Dense` after `return_sequences=True`) should trace the same curve."
)

_restore_controls()
description = describe(spec)
with st.container(border=True):
    top = st.columns([2, 1, 1, 1])
    task = top[0].selectbox("Data", list(TASKS), key="training_task", on_change=_task_changed)
    samples = top[1].number_input("Samples", min_value=1, max_value=MAX_SAMPLES, step=100, key="training_samples")
    batch_size = top[2].number_input("Batch size", min_value=1, max_value=4096, step=16, key="training_batch")
    epochs = top[3].number_input("Epochs", min_value=1, max_value=200, step=1, key="training_epochs")
    bottom = st.columns([2, 1, 2])
    if description.error is not None:
        # Keras cannot build this spec: the only thing to train is the seed's valid variants.
        st.session_state["training_what"] = "variants"
    what = bottom[0].radio(
        "What to train",
        list(WHAT),
        format_func=WHAT.get,
        key="training_what",
        disabled=description.error is not None,
    )
    seed = bottom[1].number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="training_seed")
    learning_rate = bottom[2].selectbox("Learning rate", LEARNING_RATES, format_func=_lr_label, key="training_lr")
    st.caption(TASKS[task])
st.session_state["training_controls"] = {key: st.session_state[key] for key in CONTROL_DEFAULTS}

if description.error is not None:
    st.error(
        f"{description.error} There is no model to train for this spec, so the seed's three valid models "
        "(with your cell and sizes) are trained instead.",
        icon=":material/block:",
    )

settings: TrainingSettings | None = None
try:
    options = {
        "task": task,
        "samples": int(samples),
        "batch_size": int(batch_size),
        "epochs": int(epochs),
        "seed": int(seed),
        "learning_rate": float(learning_rate),
    }
    if what == "variants":
        settings = TrainingSettings.for_seed_variants(spec, **options)
    else:
        settings = TrainingSettings.for_spec(spec, **options)
except ValueError as error:
    st.error(f"Cannot train with these settings: {error}")

estimate = estimate_work(settings) if settings is not None else None
if estimate is not None:
    if estimate.allowed:
        st.caption(f"Work: {estimate.message}")
    else:
        st.error(f"Too much work for a small server. {estimate.message}", icon=":material/hourglass_disabled:")

# A run whose settings no longer match the controls (or the sidebar's spec) would draw curves of another model.
if job.running and settings != job.settings:
    job.stop("A setting changed while it ran.")
    st.info("The training was stopped because a setting changed. Press Train to start again.")

left, right, _ = st.columns([1, 1, 4])
can_train = settings is not None and estimate is not None and estimate.allowed and not job.running
if left.button("Train", type="primary", key="training_train", disabled=not can_train, icon=":material/play_arrow:"):
    job.start(settings)
    st.rerun()  # redraw the buttons and start the polling fragment
if right.button("Stop", key="training_stop", disabled=not job.running, icon=":material/stop:"):
    job.stop("Stopped by you.")

was_running = job.running


def _progress_text(snap: TrainingSnapshot) -> str:
    """'Model 2: epoch 3/10, batch 5/8 · 4.2 s' (or what happens before the first batch)."""
    plan = snap.settings
    if plan is None or snap.current is None or snap.batches_done == 0:
        return f"Loading TensorFlow and tracing the model… · {snap.elapsed:.1f} s"
    if not next((v.batch_losses for v in snap.variants if v.label == snap.current), ()):
        return f"{snap.current}: building and tracing the model… · {snap.elapsed:.1f} s"
    return (
        f"{snap.current}: epoch {snap.epoch + 1}/{plan.epochs}, batch {snap.batch + 1}/{plan.batches_per_epoch} · "
        f"{snap.elapsed:.1f} s"
    )


def spec_loss(snap: TrainingSnapshot) -> str:
    """The loss name of the run's models (all variants share the activation, hence the loss)."""
    return snap.variants[0].spec.loss if snap.variants else "loss"


# Every 2 s, not faster: each fragment rerun competes for the GIL with the training thread (which hands the GIL back
# and forth on every TensorFlow op). Measured in Chromium on the 2-core machine, the seed's three models at 1000
# samples, 10 epochs: 8 s outside Streamlit, 17 s polling every 2 s, 26 s every 1 s, several times longer at 0.5 s.
POLL_SECONDS = 2.0


@st.fragment(run_every=POLL_SECONDS if was_running else None)
def live_progress() -> None:
    """Redraw the progress and the growing loss chart; when the run ends, rerun the page to show the results."""
    job.heartbeat()
    snap = job.snapshot()
    if snap.running:
        st.progress(snap.fraction, text=_progress_text(snap))
    elif was_running:
        st.rerun()  # the run just ended: the full page draws the results and re-enables Train
    if snap.run_id == 0 or snap.settings is None:
        st.info("No training yet in this session: set the controls and press Train.")
        return
    curves = [(v.label, v.batch_losses, v.epoch_losses) for v in snap.variants]
    fig = loss_figure(curves, snap.settings.batches_per_epoch, loss_name=spec_loss(snap), talk=talk)
    st.plotly_chart(fig, width="stretch", key="training_loss_chart")


live_progress()

snap = job.snapshot()
if not snap.running and snap.run_id > 0:
    if snap.status == "stopped":
        st.warning(f"Training stopped early. {snap.stop_reason or ''}", icon=":material/stop_circle:")
    elif snap.status == "failed":
        st.error(f"Training failed: {snap.error}")
    if snap.settings != settings:
        st.caption("These results are from the last run; its settings differ from the controls above.")
    finished = [v for v in snap.variants if v.result is not None]
    if finished:
        rows = []
        for v in finished:
            r = v.result
            rows.append(
                {
                    "model": v.label,
                    "layers": f"{v.spec.cell} (return_sequences={v.spec.return_sequences}) → {v.spec.head_label}",
                    "epochs done": len(r.epoch_losses),
                    f"final epoch {v.spec.loss}": r.epoch_losses[-1] if r.epoch_losses else None,
                    "first epoch loss": r.epoch_losses[0] if r.epoch_losses else None,
                    "time to first loss (s)": r.time_to_first_loss,
                    "wall time (s)": r.wall_time,
                    "compiled model reused": r.reused_model,
                }
            )
        st.subheader("Final loss")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="training_results_table")
        if {"Model 1", "Model 2"} <= {v.label for v in finished}:
            st.caption(
                "Models 1 and 2 start from the same weights and compute the same function, so their curves coincide: "
                "the one drawn last hides the other."
            )
        st.caption(
            "A reused model was already compiled and traced in this session: its weights and optimizer were reset to "
            "the seed's, so its first loss comes much sooner and its curve is the same."
        )

        per_step = [v for v in finished if v.result.timestep_losses]
        if per_step:
            st.subheader("Where in the sequence the model learns")
            choice = st.selectbox("Model", [v.label for v in per_step], key="training_heatmap_model")
            chosen = next(v for v in per_step if v.label == choice)
            st.plotly_chart(
                timestep_heatmap(chosen.result.timestep_losses, loss_name=chosen.spec.loss, talk=talk),
                width="stretch",
                key="training_timestep_heatmap",
            )
            st.caption(
                "Each row is the loss at every timestep, measured after one epoch on up to 256 samples. In the recall "
                "task timestep 0 has nothing to recall (its target is uniform), so its loss cannot fall."
            )
        with_prediction = [v for v in finished if v.result.sample_prediction is not None]
        if with_prediction:
            st.subheader("One sample's prediction")
            choice = st.selectbox("Model", [v.label for v in with_prediction], key="training_prediction_model")
            chosen = next(v for v in with_prediction if v.label == choice)
            st.plotly_chart(
                prediction_figure(chosen.result.sample_prediction, chosen.result.sample_target, talk=talk),
                width="stretch",
                key="training_prediction",
            )
