"""Why Keras refuses to build a model, in every wording the app shows: the one home of the refusals.

Keras refuses three of the vectors specs the sidebar can make (`ModelSpec.refused_at`): a recurrent layer stacked on
one that returns only its last step ("stack"), RepeatVector handed a whole sequence ("repeat"), TimeDistributed after
a layer that returns only its last step ("head"). A frames spec (issue 27) adds five, in its CNN part: Conv2D
without the wrapper ("conv"), a kernel larger than a frame ("frame_size"), GlobalAveragePooling2D without the wrapper
("reduction"), Flatten without the wrapper ("flatten"), no per-frame reduction ("no_reduction"); see `frames_refusal`.
`describe()` builds a `Refusal` for each (`Description.refusal`); pages and
figures read its sentences instead of wording the refusal themselves: the sidebar's note, the plain explanation and
its fix, Keras's own message and the phrase that recognises it, the pictures' short labels, the script's comments.

Example:
    >>> from core import ModelSpec, describe
    >>> refusal = describe(ModelSpec(return_sequences=False)).refusal
    >>> refusal.kind, refusal.layer, refusal.keras_phrase[:25]
    ('head', 'time_distributed', '`TimeDistributed` Layer s')
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model.frame_fields import feature_map, frame_features
from core.model.shapes import Shape, fmt, format_shape
from core.model.spec import ModelSpec

# Keras's own words for the one combination it refuses (keras/src/layers/rnn/time_distributed.py).
TIME_DISTRIBUTED_RANK_ERROR = (
    "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, received: {shape}"
)
# How each refusal's Keras message reads where it says why (Keras 3.15.1): to recognise the real one and to quote it.
KERAS_PHRASES = {
    "head": "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions",
    "stack": "expected ndim=3, found ndim=2",
    "repeat": "expected ndim=2, found ndim=3",
    # The frames counterfactuals (core.model.frame_fields.FRAME_REFUSALS).
    "conv": "Kernel shape must have the same length as input",
    "frame_size": "Computed output size would be zero or negative",
    "reduction": "expected ndim=4, found ndim=5",
    "flatten": "expected ndim=3, found ndim=2",
    "no_reduction": "expected ndim=3, found ndim=5",
}


@dataclass(frozen=True)
class Refusal:
    """Where and why Keras refuses to build a spec's model, with each sentence the app shows about it."""

    kind: str  # "stack", "repeat", "head" or a frames kind (ModelSpec.refused_at)
    layer: str  # the refusing layer's name as Keras names it: "lstm_1", "repeat_vector", "time_distributed"
    layer_class: str  # its class as code spells it: "LSTM", "RepeatVector", "TimeDistributed(Dense)"
    given: Shape  # the input it was handed
    keras_phrase: str  # the part of Keras's message that says why (KERAS_PHRASES)
    keras_error: str  # Keras's whole message
    why: str  # plain words: what the layer gets, and why Keras refuses it
    fix: str  # what to change so that fit() can run
    sidebar_note: str  # one line under the sidebar's editor
    name: str  # the refusing layer as the pictures label it: "lstm_1", "RepeatVector", "TimeDistributed(Dense)"
    needs: str  # the pictures' pointer: "lstm_1 needs a sequence"
    breaks: str  # the unrolled diagram's heading (plotly HTML)
    flow_note: str  # the shape flow's line for the refusing layer
    script_why: str  # the generated script's comment above the refused line
    script_fix: str  # and what it prints after Keras's message
    no_head: str  # the unrolled page's caption where the head would be
    slide_line: str  # one line for a slide

    @property
    def before_head(self) -> bool:
        """True when Keras stops before the head (a stack or RepeatVector refuses): no head exists to compare."""
        return self.kind != "head"


def _ndim_error(layer: str, expected: int, shape: Shape) -> str:
    """Keras's InputSpec refusal (keras/src/layers/input_spec.py), as it reads for these models."""
    return (
        f"Input 0 with name 'None' of layer '{layer}' is incompatible with the layer: expected ndim={expected}, "
        f"found ndim={len(shape)}. Full shape received: {format_shape(shape)}"
    )


def stack_refusal(spec: ModelSpec, layer: str, layer_class: str, below: str, given: Shape) -> Refusal:
    """Recurrent layer `layer` stacked on `below`, which returns only its last step, shaped `given`."""
    phrase = KERAS_PHRASES["stack"]
    return Refusal(
        kind="stack",
        layer=layer,
        layer_class=layer_class,
        given=given,
        keras_phrase=phrase,
        keras_error=_ndim_error(layer, 3, given),
        why=f"Layer '{layer}' ({layer_class}) is stacked on '{below}', which has return_sequences=False "
        f"(inner_return_sequences=False): '{below}' hands on only its last state, shaped {format_shape(given)}, "
        "and the time axis is lost there. A recurrent layer walks along time and needs (batch, timesteps, features), "
        f'so Keras refuses: "{phrase}". Set return_sequences=True on every recurrent layer below the top one.',
        fix="Set return_sequences=True on every recurrent layer below the top one (inner_return_sequences); the top "
        "one then decides the targets.",
        sidebar_note="A recurrent layer is stacked on one with return_sequences=False: Keras refuses it "
        f"({phrase}). See the Unrolled network.",
        name=layer,
        needs=f"{layer} needs a sequence",
        breaks=f"<b>{layer}</b> breaks: it gets {format_shape(given)}, the last step only ({phrase})",
        flow_note=f"needs (batch, T, features) but gets {format_shape(given)}: {phrase}",
        script_why="A recurrent layer needs (batch, timesteps, features); the layer below returned only its last step.",
        script_fix="Fix: return_sequences=True on every recurrent layer below the top one.",
        no_head=f"No head is drawn: Keras stops at '{layer}', before the head.",
        slide_line="Keras cannot build it: the layer below returned only its last step.",
    )


def repeat_refusal(spec: ModelSpec, encoder: str, given: Shape) -> Refusal:
    """RepeatVector handed the whole sequence `given` by the encoder's top layer `encoder`."""
    phrase = KERAS_PHRASES["repeat"]
    return Refusal(
        kind="repeat",
        layer="repeat_vector",
        layer_class="RepeatVector",
        given=given,
        keras_phrase=phrase,
        keras_error=_ndim_error("repeat_vector", 2, given),
        why=f"RepeatVector ('repeat_vector') copies one vector to every decoder step, but the encoder '{encoder}' "
        f"has return_sequences=True and hands it a whole sequence, shaped {format_shape(given)}. Keras "
        f'refuses: "{phrase}". Set return_sequences=False on the encoder\'s top layer: '
        "its last state is the summary the decoder starts from.",
        fix="Set return_sequences=False on the encoder: RepeatVector copies its last state to every decoder step.",
        sidebar_note="RepeatVector needs the encoder's last state (return_sequences=False): Keras refuses a sequence "
        f"({phrase}).",
        name="RepeatVector",
        needs="RepeatVector needs one vector",
        breaks=f"<b>RepeatVector</b> breaks: it gets the whole sequence {format_shape(given)} ({phrase})",
        flow_note=f"needs one vector but gets the sequence {format_shape(given)}: {phrase}",
        script_why="RepeatVector copies one vector; the encoder returned a whole sequence (return_sequences=True).",
        script_fix="Fix: return_sequences=False on the encoder's top layer.",
        no_head="No head is drawn: Keras stops at 'repeat_vector', before the head.",
        slide_line="Keras cannot build it: RepeatVector gets a whole sequence, not one vector.",
    )


def head_refusal(spec: ModelSpec, below: str, below_kind: str, given: Shape) -> Refusal:
    """TimeDistributed(Dense) after `below` (a `below_kind` layer), which returns only its last state `given`."""
    return Refusal(
        kind="head",
        layer="time_distributed",
        layer_class="TimeDistributed(Dense)",
        given=given,
        keras_phrase=KERAS_PHRASES["head"],
        keras_error=TIME_DISTRIBUTED_RANK_ERROR.format(shape=format_shape(given)),
        why=f"With return_sequences=False the {below_kind} layer '{below}' returns only its last state, shaped "
        f"{format_shape(given)}: there is no time axis left. TimeDistributed ('time_distributed') needs one "
        "(an input of rank 3 or more) to apply its Dense at every timestep, so Keras refuses to build the "
        "model. Use a plain Dense, or set return_sequences=True.",
        fix=f"Use a plain Dense head (one prediction per sequence, targets (N, {spec.output_size})), or set "
        f"return_sequences=True (one per timestep, targets (N, {spec.timesteps}, {spec.output_size})).",
        sidebar_note="TimeDistributed needs return_sequences=True: Keras refuses this combination (see Overview).",
        name=spec.head_label,
        needs=f"{spec.head_label} needs a time axis",
        breaks=f"<b>{spec.head_label}</b> breaks: {format_shape(given)} has no time axis",
        flow_note="needs an input of rank ≥ 3: Keras refuses to build",
        script_why="TimeDistributed needs a time axis (an input of rank 3 or more); return_sequences=False removed it.",
        script_fix="Fix: use keras.layers.Dense(OUTPUT_SIZE) instead, or set return_sequences=True.",
        no_head="No head is drawn: with return_sequences=False there is no time axis for TimeDistributed to walk "
        "along. A plain Dense on the last state works (the seed's model 3).",
        slide_line="Keras cannot build it: after the last step there is no time axis.",
    )


def _frames_reason(spec: ModelSpec, kind: str, layer: str, given: Shape) -> tuple[str, str, str]:
    """Keras's message for a frames refusal of `kind` at `layer`, the plain why, and its fix."""
    k, c, f, t = spec.kernel, spec.channels, spec.filters, spec.timesteps
    kernel, features = (k, k, c, f), frame_features(spec)
    if kind == "conv":
        keras_error = (
            "Kernel shape must have the same length as input, but received kernel of shape "
            f"{format_shape(kernel)} and input of shape {format_shape(given)}."
        )
        why = (
            f"Conv2D slides its {k}×{k} kernel over one image, (batch, height, width, channels); the frames have one "
            f"axis more, {format_shape(given)}, so Keras refuses."
        )
        return keras_error, why, "Wrap it, as TimeDistributed(Conv2D(...)), to apply the same kernel to every frame."
    if kind == "frame_size":
        height, width = feature_map(spec)
        one_frame = (None, spec.frame_height, spec.frame_width, c)
        keras_error = (
            f"Computed output size would be zero or negative. Received `inputs shape={format_shape(one_frame)}`, "
            f"`kernel shape={format_shape(kernel)}`, `dilation_rate=[1 1]`, `strides=(1, 1)`, `padding=valid`."
        )
        why = (
            f"A {k}×{k} kernel does not fit in a {spec.frame_height}×{spec.frame_width} frame without padding: the "
            f"feature map would be {height}×{width}."
        )
        return keras_error, why, f"Use a kernel of at most {min(spec.frame_height, spec.frame_width)}."
    if kind == "reduction":
        why = (
            "GlobalAveragePooling2D averages the maps of one image, (batch, height, width, filters); without the "
            f"wrapper it gets every frame's maps at once, {format_shape(given)}, and Keras refuses."
        )
        return (
            _ndim_error(layer, 4, given),
            why,
            f"Wrap it, as TimeDistributed(GlobalAveragePooling2D()), to make each frame a vector of {f}.",
        )
    if kind == "flatten":
        why = (
            f"Flatten without the wrapper flattens everything but the batch axis, so time is merged into "
            f"{fmt(t * features)} features, {format_shape(given)}, and the {spec.cell} has no time axis left to walk."
        )
        per_frame = format_shape((None, t, features))
        fix = f"Wrap it, as TimeDistributed(Flatten()), to keep one vector per frame: {per_frame}."
        return _ndim_error(layer, 3, given), why, fix
    why = (
        f"The {spec.cell} needs one vector per step, (batch, timesteps, features), but it gets each frame's feature "
        f"maps, {format_shape(given)}, so Keras refuses."
    )
    fix = "Reduce each frame first, with TimeDistributed(GlobalAveragePooling2D()) or TimeDistributed(Flatten())."
    return _ndim_error(layer, 3, given), why, fix


# For each frames refusal: the pictures' short label of what the layer needs, and a slide's line.
FRAMES_NEEDS = {
    "conv": ("Conv2D needs one image", "Keras cannot build it: Conv2D without the wrapper gets 5-D frames."),
    "frame_size": ("the kernel must fit a frame", "Keras cannot build it: the kernel is larger than a frame."),
    "reduction": (
        "GlobalAveragePooling2D needs one image's maps",
        "Keras cannot build it: the pooling without the wrapper gets every frame's maps.",
    ),
    "flatten": (
        "the recurrent layer needs a sequence",
        "Keras cannot build it: Flatten without the wrapper merges time into features.",
    ),
    "no_reduction": (
        "the recurrent layer needs one vector per step",
        "Keras cannot build it: the recurrent layer gets 5-D feature maps.",
    ),
}


def frames_refusal(spec: ModelSpec, kind: str, layer: str, layer_class: str, given: Shape) -> Refusal:
    """A frames counterfactual Keras refuses (`kind` in core.model.frame_fields.FRAME_REFUSALS): layer `layer`
    (`layer_class`) handed `given`, in Keras's own words and the app's."""
    keras_error, why, fix = _frames_reason(spec, kind, layer, given)
    phrase = KERAS_PHRASES[kind]
    needs, slide = FRAMES_NEEDS[kind]
    return Refusal(
        kind=kind,
        layer=layer,
        layer_class=layer_class,
        given=given,
        keras_phrase=phrase,
        keras_error=keras_error,
        why=f"{why} {fix}",
        fix=fix,
        sidebar_note=f"{layer_class} gets {format_shape(given)}: Keras refuses this frames model ({phrase}). {fix}",
        name=layer_class,
        needs=needs,
        breaks=f"<b>{layer_class}</b> breaks: it gets {format_shape(given)} ({phrase})",
        flow_note=f"gets {format_shape(given)}: {phrase}",
        script_why=why,
        script_fix=f"Fix: {fix[0].lower()}{fix[1:]}",
        no_head=f"No head is drawn: Keras stops at '{layer}', before the head.",
        slide_line=slide,
    )
