"""The model spec: one frozen object that every view of the app is a function of.

The sidebar edits a `ModelSpec`, the URL mirrors it (`to_params` / `from_params`), and `core.describe`,
`core.keras.models.build_model` and the figures all take one. Validation happens here, at construction, so that nothing
downstream has to guess whether a value is sane. The rules every boundary shares live here too: `whole_number`
(a size within its range), `parse_bool` (how a URL spells true and false), and the shapes of X and Y
(`ModelSpec.input_shape` / `ModelSpec.target_shape`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from core.model.frame_fields import (
    FRAME_BOOL_FIELDS,
    FRAME_CHOICES,
    FRAME_INT_RANGES,
    frames_conflict,
    frames_refused_at,
)
from core.model.sequence_fields import SEQUENCE_CHOICES, padding_conflict

CELLS = ("SimpleRNN", "GRU", "LSTM")
MERGE_MODES = ("concat", "sum", "ave", "mul")
HEADS = ("time_distributed", "dense")
ACTIVATIONS = ("softmax", "linear")
# Where a RepeatVector goes: nowhere, after a vector input (one-to-many), or between encoder and decoder.
REPEATS = ("none", "input", "encoder")

# Wide enough to teach (the seed uses 64 timesteps and sizes up to 16; people try 512), bounded so that
# describing, drawing or building any spec stays small on a 1 GB server: the largest model, a
# bidirectional LSTM of 512 units on 512 inputs with a 512-unit head, has 4,723,200 parameters (18 MB of float32);
# the largest stack, three such layers plus a decoder, has 23,609,856 parameters (90 MB), which describing and
# drawing never allocate and the work estimate (core.model.budget) refuses to train.
INT_RANGES: dict[str, tuple[int, int]] = {
    "timesteps": (1, 512),
    "input_size": (1, 512),
    "hidden_size": (1, 512),
    "output_size": (1, 512),
    "layers": (1, 3),
    "output_timesteps": (1, 512),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "cell": CELLS,
    "merge_mode": MERGE_MODES,
    "head": HEADS,
    "activation": ACTIVATIONS,
    "repeat": REPEATS,
}
BOOL_FIELDS = ("bidirectional", "return_sequences", "use_bias", "reset_after", "inner_return_sequences", "return_state")
# The frames family (core.model.frame_fields): frames through one shared CNN per frame, and its counterfactuals.
INT_RANGES.update(FRAME_INT_RANGES)
CHOICES.update(FRAME_CHOICES)
BOOL_FIELDS += FRAME_BOOL_FIELDS
# Padded sequences and per-step weights (core.model.sequence_fields).
CHOICES.update(SEQUENCE_CHOICES)

HEAD_LABELS = {"time_distributed": "TimeDistributed(Dense)", "dense": "Dense"}
REPEAT_LABELS = {
    "none": "no RepeatVector",
    "input": "RepeatVector after a vector input (one-to-many)",
    "encoder": "RepeatVector between encoder and decoder (sequence to sequence)",
}

# How a URL (or any text boundary) may spell a boolean; case and surrounding spaces do not matter.
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


class SpecError(ValueError):
    """A spec field has a value outside its allowed range; the message names the field, the value and the range.

    `field` is the offending field's name, so that a caller (the URL parser) can fall back for that field only.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "...'"
        super().__init__(f"{field}: got {shown}; allowed: {allowed}.")


def whole_number_range(low: int, high: int) -> str:
    """The allowed range as every error message spells it."""
    return f"a whole number from {low} to {high}"


def whole_number(name: str, value: Any, low: int, high: int) -> int:
    """`value` if it is an int from `low` to `high`, else `SpecError` naming `name` and the range.

    A bool is refused although Python counts it as an int: `timesteps=True` is a bug, not a 1.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError(name, value, whole_number_range(low, high))
    return value


# The characters a number typed as text may use. float() alone also reads "٣", "３" and "1_0" (as 3, 3 and 10):
# only ASCII digits are numbers, so that what a link says is what a reader of it sees.
NUMBER_CHARS = frozenset("0123456789+-.eE")


def is_ascii_number_text(text: str) -> bool:
    """True when `text` uses only ASCII digits, signs, a point and an exponent's e: what `float` may then read."""
    return all(char in NUMBER_CHARS for char in text)


def parse_whole_number(name: str, text: str, low: int, high: int) -> int:
    """A whole number typed as text ("12", " 12 ", "12.0", "1e1"), within `low`..`high`, else `SpecError`.

    Only ASCII digits count: "٣", "３", "²" and "1_0" are refused, not read as 3 or 10.
    """
    allowed = whole_number_range(low, high)
    text = text.strip()
    # Refuse absurdly long digit strings before float() spends time on them.
    if len(text) > 12 or not is_ascii_number_text(text):
        raise SpecError(name, text, allowed)
    try:
        number = float(text)
    except ValueError:
        raise SpecError(name, text, allowed) from None
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise SpecError(name, text, allowed)
    return int(number)


def clamp_whole_number(value: float | None, low: int, high: int, previous: int) -> tuple[int, str | None]:
    """What a number box holds after a learner typed `value`, and, when that differs, why (None when taken as is).

    Out of range is clamped to the nearest end; a fraction or an empty box keeps `previous`. The caller shows the
    reason, so nothing typed is ignored silently.
    """
    if value is None or not math.isfinite(value):
        return previous, f"not a number; kept {previous}"
    if value != int(value):
        return previous, f"{value:g} is not a whole number; kept {previous}"
    number = int(value)
    if number < low:
        return low, f"{number:,} is below {low}, the smallest allowed: set to {low}"
    if number > high:
        return high, f"{number:,} is above {high}, the largest allowed: set to {high}"
    return number, None


def parse_bool(text: str) -> bool | None:
    """True for "true", "1", "yes"; False for "false", "0", "no" (any case, spaces ignored); None for anything else."""
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None


@dataclass(frozen=True)
class ModelSpec:
    """A recurrent layer followed by a Dense head, as in the seed: everything a learner can choose.

    Args:
        cell: the recurrent layer, "SimpleRNN", "GRU" or "LSTM".
        bidirectional: wrap the recurrent layer in `Bidirectional`; `merge_mode` says how both directions merge.
        return_sequences: the recurrent layer returns every timestep's state (True) or only the last one.
        head: "time_distributed" for `TimeDistributed(Dense)`, "dense" for a plain `Dense`.
        timesteps, input_size, hidden_size, output_size: T, the input features, the recurrent units, the Dense units.
        use_bias: biases in both the recurrent layer and the head.
        reset_after: GRU only (Keras's default True gives the GRU two bias vectors).
        activation: the final `Activation` layer, "softmax" (loss: categorical cross-entropy) or "linear" (loss: MSE).
        layers: stacked recurrent layers (1-3), all alike; `return_sequences` is the top one's.
        inner_return_sequences: `return_sequences` of every layer below the top one (False breaks the stack).
        repeat: "none"; "input": X is one vector (N, I) that `RepeatVector(T)` copies to every step (one-to-many);
            "encoder": the stack encodes, `RepeatVector(output_timesteps)` feeds one decoder layer (same cell and
            size, `return_sequences=True`) before the head.
        output_timesteps: the decoder's length when repeat="encoder".
        return_state: the top recurrent layer also returns its final state(s); with repeat="encoder" they are
            the decoder's `initial_state`.
        input_kind, frame_height, frame_width, channels, filters, kernel, frame_reduction, conv_wrapped,
            reduction_wrapped: "frames" reads (N, T, H, W, C) through TimeDistributed(Conv2D) and a per-frame
            reduction before the stack (see `core.model.frame_fields`); "vectors" (the default) ignores them.
        padding, sample_weight: "masking" pads sequences with zeros to T behind a Masking layer; "rising" weighs the
            loss at step t by (t+1)/T (see `core.model.sequence_fields`); "none" (the defaults) for neither.

    Example:
        >>> spec = ModelSpec(cell="LSTM", return_sequences=False, head="dense")
        >>> ModelSpec.from_params(spec.to_params()) == spec
        True
    """

    cell: str = "GRU"
    bidirectional: bool = False
    merge_mode: str = "concat"
    return_sequences: bool = True
    head: str = "time_distributed"
    timesteps: int = 64
    input_size: int = 15
    hidden_size: int = 16
    output_size: int = 8
    use_bias: bool = True
    reset_after: bool = True
    activation: str = "softmax"
    layers: int = 1
    inner_return_sequences: bool = True
    repeat: str = "none"
    output_timesteps: int = 10
    return_state: bool = False
    input_kind: str = "vectors"
    frame_height: int = 8
    frame_width: int = 8
    channels: int = 1
    filters: int = 4
    kernel: int = 3
    frame_reduction: str = "pool"
    conv_wrapped: bool = True
    reduction_wrapped: bool = True
    padding: str = "none"
    sample_weight: str = "none"

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                raise SpecError(name, value, " | ".join(allowed))
        for name in BOOL_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise SpecError(name, value, "true | false")
        for name, (low, high) in INT_RANGES.items():
            whole_number(name, getattr(self, name), low, high)
        conflict = frames_conflict(self) or padding_conflict(self)
        if conflict is not None:
            raise SpecError(*conflict)

    # -- derived facts, used by the views ------------------------------------------------------------
    @property
    def refused_at(self) -> str | None:
        """Where Keras refuses to build the model, first failure first: "stack" (a recurrent layer gets the last step
        of the one below), "repeat" (RepeatVector gets a sequence), "head" (TimeDistributed after a last step); None
        when it builds. Frames refuse first where their CNN part does (`core.model.frame_fields.frames_refused_at`)."""
        if self.input_kind == "frames" and (frames_where := frames_refused_at(self)) is not None:
            return frames_where
        if self.layers >= 2 and not self.inner_return_sequences:
            return "stack"
        if self.repeat == "encoder":
            return "repeat" if self.return_sequences else None
        if not self.return_sequences and self.head == "time_distributed":
            return "head"
        return None

    @property
    def is_valid(self) -> bool:
        """False for the stacks Keras refuses to build (see `refused_at`)."""
        return self.refused_at is None

    @property
    def sequence_output(self) -> bool:
        """The model predicts at every step of a sequence: return_sequences=True, or a decoder (always sequences)."""
        return self.repeat == "encoder" or self.return_sequences

    @property
    def output_steps(self) -> int:
        """The length of the output sequence: the decoder's `output_timesteps`, else T."""
        return self.output_timesteps if self.repeat == "encoder" else self.timesteps

    @property
    def recurrent_count(self) -> int:
        """How many recurrent layers the model has: the stack, plus the decoder."""
        return self.layers + (1 if self.repeat == "encoder" else 0)

    @property
    def head_label(self) -> str:
        """The head as Keras code spells it."""
        return HEAD_LABELS[self.head]

    @property
    def loss(self) -> str:
        """The loss compiled with the model: the seed's categorical cross-entropy after softmax, MSE after linear."""
        return "categorical_crossentropy" if self.activation == "softmax" else "mse"

    def input_shape(self, samples: int | None = None) -> tuple[int | None, ...]:
        """The shape of X for `samples` sequences (None: Keras's open batch axis): (samples, T, I), or one vector
        per sample (samples, I) when RepeatVector makes the sequence (repeat="input"); frames: (samples, T, H, W, C)."""
        if self.input_kind == "frames":
            return (samples, self.timesteps, self.frame_height, self.frame_width, self.channels)
        if self.repeat == "input":
            return (samples, self.input_size)
        return (samples, self.timesteps, self.input_size)

    def target_shape(
        self, samples: int | None = None, per_timestep: bool | None = None
    ) -> tuple[int | None, int, int] | tuple[int | None, int]:
        """The shape of Y: (samples, T, O) per timestep (T_out for a decoder), (samples, O) per sequence.

        By default, the targets the model needs: per timestep exactly when the model outputs a sequence (what
        `describe(spec).target_shape` says for every model Keras builds). Pass `per_timestep` to shape the targets
        a learner might have instead.
        """
        if per_timestep is None:
            per_timestep = self.sequence_output
        if per_timestep:
            return (samples, self.output_steps, self.output_size)
        return (samples, self.output_size)

    def replace(self, **changes: Any) -> ModelSpec:
        """A copy with some fields changed (validated like any construction)."""
        return replace(self, **changes)

    # -- URL / flat-dict form ------------------------------------------------------------------------
    def to_params(self, *, omit_defaults: bool = False) -> dict[str, str]:
        """The spec as a flat dict of strings keyed by field name (booleans "true"/"false")."""
        params: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if omit_defaults and value == f.default:
                continue
            params[f.name] = _format_value(value)
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ModelSpec:
        """Parse a flat dict of strings (as written by `to_params`); missing fields take their defaults.

        Raises `SpecError` for the first bad value or an unknown key.
        """
        spec, errors = parse_params(params)
        if errors:
            raise errors[0]
        return spec


FIELD_NAMES = tuple(f.name for f in fields(ModelSpec))
DEFAULTS = ModelSpec()


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_value(name: str, raw: Any) -> Any:
    """Convert one URL string to the typed value of field `name`, or raise `SpecError` naming the field."""
    if name not in FIELD_NAMES:
        raise SpecError(name, raw, "one of the fields " + ", ".join(FIELD_NAMES))
    if isinstance(raw, list | tuple):
        if len(raw) != 1:
            raise SpecError(name, raw, "a single value (the parameter is repeated)")
        raw = raw[0]
    text = raw if isinstance(raw, str) else _format_value(raw)
    text = text.strip()
    if name in BOOL_FIELDS:
        flag = parse_bool(text)
        if flag is None:
            raise SpecError(name, raw, "true | false")
        return flag
    if name in INT_RANGES:
        try:
            return parse_whole_number(name, text, *INT_RANGES[name])
        except SpecError as error:
            raise SpecError(name, raw, error.allowed) from None
    allowed_choices = CHOICES[name]
    # Accept any capitalisation of a choice ("lstm"), since people type URLs by hand.
    for choice in allowed_choices:
        if text.lower() == choice.lower():
            return choice
    raise SpecError(name, raw, " | ".join(allowed_choices))


def parse_params(params: Mapping[str, Any]) -> tuple[ModelSpec, list[SpecError]]:
    """Parse leniently: every valid field is kept, every bad one falls back to its default and is reported.

    This is what the URL needs: a hand-edited link with one typo still opens with all its other settings.
    Values may be strings or lists of strings (repeated query keys).
    """
    values: dict[str, Any] = {}
    errors: list[SpecError] = []
    for key, raw in params.items():
        try:
            values[key] = parse_value(key, raw)
        except SpecError as error:
            errors.append(error)
    try:
        return ModelSpec(**values), errors
    except SpecError as error:  # fields that disagree (frames with repeat=input): the named one falls back
        values.pop(error.field, None)
        return ModelSpec(**values), [*errors, error]


# Named configurations for the sidebar and for talks. The seed's three models use the seed's sizes.
PRESETS: dict[str, ModelSpec] = {
    "Seed model 1: GRU → TimeDistributed(Dense)": ModelSpec(),
    "Seed model 2: GRU → Dense": ModelSpec(head="dense"),
    "Seed model 3: GRU (last step only) → Dense": ModelSpec(return_sequences=False, head="dense"),
    "Tiny, for talks: T=6, sizes 3/4/2": ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2),
}

# Karpathy's sequence patterns, each a small model that trains in seconds (the Overview's gallery loads them).
PATTERN_SIZES = {"timesteps": 12, "input_size": 6, "hidden_size": 16, "output_size": 4}
PATTERNS: dict[str, ModelSpec] = {
    "Many-to-one": ModelSpec(cell="LSTM", return_sequences=False, head="dense", **PATTERN_SIZES),
    "Many-to-many (same length)": ModelSpec(cell="GRU", layers=2, **PATTERN_SIZES),
    "One-to-many": ModelSpec(cell="GRU", repeat="input", **PATTERN_SIZES),
    "Sequence to sequence": ModelSpec(
        cell="LSTM",
        layers=1,
        return_sequences=False,
        repeat="encoder",
        output_timesteps=6,
        return_state=True,
        **PATTERN_SIZES,
    ),
}
PATTERN_BLURBS = {
    "Many-to-one": "A whole sequence in, one answer out: return_sequences=False, a Dense on the last state "
    "(sentiment of a sentence, the class of a signal).",
    "Many-to-many (same length)": "One output per input step: two stacked GRUs, both returning sequences, then "
    "TimeDistributed(Dense) (tagging every word).",
    "One-to-many": "One vector in, a sequence out: RepeatVector(T) copies it to every step (a caption from an "
    "image vector, a melody from a seed).",
    "Sequence to sequence": "An encoder reads T steps, RepeatVector hands its summary to a decoder of another "
    "length, return_state passes the encoder's h and c as the decoder's initial_state (translation).",
}
STACKING_MISTAKE = ModelSpec(
    cell="LSTM", layers=2, inner_return_sequences=False, return_sequences=False, head="dense", **PATTERN_SIZES
)
PRESETS.update({f"Pattern: {name}": spec for name, spec in PATTERNS.items()})
PRESETS["Classic mistake: stacked LSTMs without return_sequences"] = STACKING_MISTAKE


def seed_variants(spec: ModelSpec) -> dict[str, ModelSpec]:
    """The seed's three models, plus the fourth combination Keras refuses, with the cell and sizes of `spec`.

    Keys are short labels: "Model 1", "Model 2", "Model 3" and "Invalid". The seed's question is asked of the
    spec's stack as a working one (lower layers returning sequences; without a decoder, whose RepeatVector would
    refuse Model 1's sequence): only return_sequences and the head vary, as in the seed.
    """
    base = spec.replace(inner_return_sequences=True, repeat="none" if spec.repeat == "encoder" else spec.repeat)
    return {
        "Model 1": base.replace(return_sequences=True, head="time_distributed"),
        "Model 2": base.replace(return_sequences=True, head="dense"),
        "Model 3": base.replace(return_sequences=False, head="dense"),
        "Invalid": base.replace(return_sequences=False, head="time_distributed"),
    }
