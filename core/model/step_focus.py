"""Where the step panel looks, as one value: `StepFocus(layer, axis, t, sample, other)` and the pure moves on it.

The unrolled page's step panel shows one timestep of one sample with the real numbers. Which one is decided here,
without Streamlit: a click on the diagram (`after_click`), ◀ ▶ (`moved`), a widget (`clamped` after a `replace`), and
a changed spec (`clamped` again). The data the sample comes from (`data_source`) is the session's training of the spec
when it kept its weights, else the Training page's controls (`TrainingControls`) with the seed's initial weights.

Example:
    >>> spec = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)
    >>> moved(initial(spec), spec, 9).t
    5
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core.model.spec import ModelSpec
from core.model.training_controls import TrainingControls

__all__ = [
    "DataSource",
    "MAX_SAMPLE_CHOICES",
    "OTHER_STEP",
    "StepFocus",
    "after_click",
    "axis_of",
    "clamped",
    "data_source",
    "initial",
    "moved",
]

MAX_SAMPLE_CHOICES = 1000  # the sample picker offers at most this many sequences of the dataset
OTHER_STEP = 40  # the head's second step, where the same W is shown again (clamped to the output's length)


@dataclass(frozen=True)
class StepFocus:
    """The panel's step: recurrent `layer` (0 reads the input; the decoder is `spec.layers`), its time `axis`
    ("time", or "decoder" for the decoder's own steps), step `t` on it, the dataset's `sample`, and the head's
    `other` step (the same W at another t)."""

    layer: int
    axis: str
    t: int
    sample: int = 0
    other: int = OTHER_STEP

    @property
    def drawn(self) -> tuple[str, int]:
        """(axis, t): the step the unrolled diagram must keep drawn."""
        return self.axis, self.t


def axis_of(spec: ModelSpec, layer: int) -> str:
    """The time axis a recurrent layer runs on: the decoder's own, or the input's."""
    return "decoder" if spec.repeat == "encoder" and layer == spec.layers else "time"


def steps_on(spec: ModelSpec, axis: str) -> int:
    """How many steps an axis has: the decoder runs over the output's steps, every other layer over T."""
    return spec.output_steps if axis == "decoder" else spec.timesteps


def _within(value: Any, low: int, high: int) -> int:
    """`value` as an int in [low, high] (a non-number counts as `low`)."""
    number = value if isinstance(value, int) and not isinstance(value, bool) else low
    return min(max(number, low), high)


def initial(spec: ModelSpec) -> StepFocus:
    """Where the panel opens: the top recurrent layer (the one the head reads), t=0, the first sample."""
    return clamped(StepFocus(layer=spec.recurrent_count - 1, axis="time", t=0), spec)


def clamped(focus: StepFocus, spec: ModelSpec, samples: int | None = None) -> StepFocus:
    """`focus` made valid for `spec`: a layer the model lacks becomes the top one, its axis follows the layer, t and
    the sample are clamped to what exists, and an `other` step beyond the output goes back to `OTHER_STEP` (or the
    last step). `samples`: the dataset's size, when known."""
    top = spec.recurrent_count - 1
    layer = focus.layer if isinstance(focus.layer, int) and 0 <= focus.layer <= top else top
    axis = axis_of(spec, layer)
    head_last = spec.output_steps - 1
    other = focus.other
    if not (isinstance(other, int) and 0 <= other <= head_last):
        other = min(OTHER_STEP, head_last)
    last_sample = min(samples, MAX_SAMPLE_CHOICES) - 1 if samples is not None else MAX_SAMPLE_CHOICES - 1
    return StepFocus(
        layer=layer,
        axis=axis,
        t=_within(focus.t, 0, steps_on(spec, axis) - 1),
        sample=_within(focus.sample, 0, max(last_sample, 0)),
        other=other,
    )


def moved(focus: StepFocus, spec: ModelSpec, delta: int) -> StepFocus:
    """◀ / ▶: `delta` steps along the focus's axis, stopping at its ends."""
    return clamped(replace(focus, t=focus.t + delta), spec)


def after_click(focus: StepFocus, spec: ModelSpec, clicked: Any) -> StepFocus:
    """The focus after a click on the diagram's element `clicked` (its `step`, `role`, `layer`, `axis`): the head and
    its output read the top layer, and on the decoder's axis everything belongs to the decoder."""
    top = spec.recurrent_count - 1
    layer = top if clicked.role in ("head", "output") or clicked.axis == "decoder" else clicked.layer
    return clamped(replace(focus, layer=min(max(int(layer), 0), top), t=int(clicked.step)), spec)


@dataclass(frozen=True)
class DataSource:
    """Where the panel's numbers come from: the dataset (task, samples, seed, normalise) and the weights, either the
    seed's initial ones or a finished training's (`run`: its settings and epoch losses, which identify it by value)."""

    task: str
    samples: int
    seed: int
    normalise: bool
    run: tuple | None = None  # (TrainingSettings, epoch losses, stopped) of the training whose weights are shown

    @property
    def weights_key(self) -> tuple:
        """What the weights depend on, by value: the training run, or the seed of the initial weights."""
        return ("trained", *self.run) if self.run is not None else ("seed", self.seed)

    @property
    def sentence(self) -> str:
        """The weights' origin, as the panel's last caption says it."""
        if self.run is None:
            return (
                f"the **initial weights** of seed {self.seed} (what a training starts from; train this model to see "
                "learnt ones)"
            )
        _, losses, stopped = self.run
        epochs = len(losses)
        return (
            f"the weights **after training** on the Training page ({epochs} epoch{'s' * (epochs != 1)}"
            f"{', stopped early' if stopped else ''}, seed {self.seed})"
        )


def data_source(spec: ModelSpec, controls: TrainingControls, trained: tuple[Any, Any] | None = None) -> DataSource:
    """The panel's data: `trained` = (result, settings) of this session's training of the spec with its final
    weights, else the Training page's `controls` with the seed's initial weights (a task the spec's pattern cannot
    use falls back as the Training page does)."""
    if trained is not None:
        result, settings = trained
        run = (settings, tuple(result.epoch_losses), bool(result.stopped))
        return DataSource(settings.task, settings.samples, settings.seed, settings.normalise_targets, run)
    return DataSource(controls.task_for(spec), int(controls.samples), int(controls.seed), bool(controls.normalise))
