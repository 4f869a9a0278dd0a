"""The Training page's part for padded sequences and per-step weights (issue 27): fit the current model with its mask
and `sample_weight` in the worker (the `masked_training` job, on the page's own settings), then the loss formula with
its numbers, Keras's loss beside the numpy hand computation, and the per-step losses with the padded steps blank."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.figures.theme import COMPACT
from core.figures.training import masked_heatmap_alt, masked_step_heatmap
from core.keras.requests import MaskedTraining
from core.keras.training_session import TrainingSettings
from core.model.budget import training_work
from core.model.spec import ModelSpec
from views import cache, common

masked_step_heatmap = cache.once(masked_step_heatmap)

MASK_FORMULA = r"\text{loss} = \frac{\sum_{n,t} m_{n,t}\,\ell_{n,t}}{\sum_{n,t} m_{n,t}}"
WEIGHT_FORMULA = r"\text{loss} = \frac{\sum_{n,t} w_t\,\ell_{n,t}}{N \cdot T}, \quad w_t = \frac{t+1}{T}"
BOTH_FORMULA = (
    r"\text{loss} = \frac{\sum_{n,t} m_{n,t}\,w_t\,\ell_{n,t}}{\sum_{n,t} m_{n,t}}, \quad w_t = \frac{t+1}{T}"
)
WHERE = (
    "m is 1 at a real step and 0 at padding (sample n keeps its first T − (n mod ⌈T/2⌉) steps), ℓ the loss at one "
    "step, N the samples and T the steps."
)


def _formula(spec: ModelSpec, weighted: bool) -> str:
    """The loss Keras 3 computes for this spec, in LaTeX."""
    if spec.padding == "masking":
        return BOTH_FORMULA if weighted else MASK_FORMULA
    return WEIGHT_FORMULA


def _numbers(spec: ModelSpec, result: dict, weighted: bool) -> None:
    """Keras's loss beside the hand computation and the two readings Keras does not compute."""
    rows = [
        {"loss": "Keras (evaluate)", "value": result["keras_loss"]},
        {"loss": "numpy: the formula", "value": result["hand_loss"]},
    ]
    if spec.padding == "masking":
        rows.append({"loss": "numpy: padding counted (not Keras)", "value": result["hand_all_steps"]})
    if weighted:
        over_weights = result["hand_over_weights"]
        rows.append({"loss": "numpy: ÷ sum of w (not Keras)", "value": over_weights})
    common.table(pd.DataFrame(rows), key="masked_numbers")
    steps = len(result["step_losses"])
    st.caption(f"On the first {steps} training samples after the fit (epoch losses: "
               + ", ".join(f"{loss:.4f}" for loss in result["epoch_losses"]) + ").")  # fmt: skip


def _wrapper_note(spec: ModelSpec, result: dict) -> None:
    """Whether the installed Keras's TimeDistributed kept the mask: what it declares, and what the loss shows."""
    if spec.padding != "masking" or spec.head != "time_distributed":
        return
    kept = abs(result["keras_loss"] - result["hand_loss"]) <= 1e-5 * max(1.0, abs(result["hand_loss"]))
    st.markdown(
        f"Keras {result['keras_version']} installed here: `TimeDistributed.supports_masking` is "
        f"`{result['time_distributed_keeps_mask']}`, and the loss measured above "
        + ("equals the mean over the real steps: the wrapper passed the mask on to the loss."
           if kept else "is not the mean over the real steps: the wrapper dropped the mask.")
    )  # fmt: skip


def _result(spec: ModelSpec, result: dict, weighted: bool) -> None:
    """The formula, the numbers and, with padding, the heatmap of the real steps."""
    st.latex(_formula(spec, weighted))
    st.caption(WHERE)
    _numbers(spec, result, weighted)
    _wrapper_note(spec, result)
    if spec.padding == "masking":
        losses, mask = result["step_losses"], result["mask"]
        figure = masked_step_heatmap(losses, mask, loss_name=spec.loss, theme=common.theme())
        compact = masked_step_heatmap(losses, mask, loss_name=spec.loss, theme=COMPACT)
        common.chart(figure, key="masked_heatmap", alt=masked_heatmap_alt(losses, mask, spec.loss), compact=compact)


def render(spec: ModelSpec, settings: TrainingSettings | None) -> None:
    """The section, when the spec pads its sequences or weighs its steps; nothing otherwise."""
    weighted = spec.sample_weight != "none" and spec.sequence_output
    if (spec.padding == "none" and spec.sample_weight == "none") or not spec.is_valid:
        return  # nothing to weigh, or no model (the page says why Keras refuses it)
    st.subheader("Padded steps and per-step weights")
    if not spec.sequence_output:
        st.info(
            "This model gives one output per sequence: the mask makes the recurrent layer skip the padded steps, "
            "and there is one loss per sequence, so per-step weights are not used and there is no step to leave out."
        )
        return
    if settings is None:
        return
    one = TrainingSettings.for_spec(
        spec, task=settings.task, samples=settings.samples, batch_size=settings.batch_size, epochs=settings.epochs,
        seed=settings.seed, learning_rate=settings.learning_rate, normalise_targets=settings.normalise_targets,
    )  # fmt: skip
    passes = "the model's mask" + (" and the per-step weights as `sample_weight`" if weighted else "")
    st.markdown(f"This fit uses {passes}, then compares Keras's loss on the first samples with the formula.")
    clicked = st.button("Train with the mask and weights", key="masked_train", icon=":material/play_arrow:")
    result = common.keras_result(
        "masked_training",
        MaskedTraining(one),
        start=clicked,
        work=training_work(one),
        failed="The masked fit did not finish",
    )
    if result is not None:
        _result(spec, result, weighted)
