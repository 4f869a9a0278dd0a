"""The Training page for a frames spec (issue 27): fit the model in the worker on the synthetic motion task (or the
seed's random data when the task does not fit the spec), within the budget, and show the loss epoch by epoch."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.figures.alt_text import loss_curves_alt
from core.figures.training import loss_figure
from core.keras.requests import Training, TrainingSettings
from core.model.budget import training_work
from core.model.datasets import TASKS
from core.model.spec import ModelSpec
from core.model.video_data import motion_fits
from views import common

SAMPLES, BATCH_SIZE, EPOCHS, LEARNING_RATE = 256, 32, 5, 0.01


def render(spec: ModelSpec) -> None:
    """The settings, one button, then the epoch losses."""
    st.subheader("Train it on a small video task")
    if not spec.is_valid:
        st.info("Keras refuses to build this model, so there is nothing to train: see its message above.")
        return
    task = "motion" if motion_fits(spec) else "random"
    settings = TrainingSettings.for_spec(
        spec, task=task, samples=SAMPLES, batch_size=BATCH_SIZE, epochs=EPOCHS, learning_rate=LEARNING_RATE
    )
    work = training_work(settings)
    st.markdown(f"{TASKS[task]} {SAMPLES} samples, batch {BATCH_SIZE}, {EPOCHS} epochs, RMSprop at {LEARNING_RATE}.")
    st.caption(common.before_click(Training(settings), work))
    clicked = st.button("Train in Keras", key="frames_train", icon=":material/play_arrow:")
    results = common.keras_result("frames_training", Training(settings), start=clicked, work=work, failed="Not trained")
    if results is None:
        return
    (result,) = results
    losses = result.epoch_losses
    st.success(
        f"The loss went from {losses[0]:.3f} after the first epoch to {losses[-1]:.3f} after epoch {len(losses)} "
        f"({result.wall_time:.1f} s in the worker)."
    )
    curves = [("frames model", [], losses)]
    figure = loss_figure(curves, SAMPLES // BATCH_SIZE, loss_name=spec.loss, theme=common.theme())
    common.chart(figure, key="frames_loss_chart", alt=loss_curves_alt(curves, spec.loss))
    frame = pd.DataFrame({"epoch": range(1, len(losses) + 1), "loss": losses})
    common.table(frame, key="frames_losses")
