"""The anatomy of a frames model, without TensorFlow: frames → TimeDistributed(Conv2D) → a per-frame reduction →
the recurrent stack → the head (issue 27).

`core.model.anatomy.describe` hands frames specs to `describe_frames`, which gives every layer's shape, weights and
count as Keras builds them (tests/test_frames_keras.py compares a random grid with real Keras), and for the
counterfactuals Keras refuses (Conv2D or the reduction without the wrapper, no reduction, a kernel larger than a
frame) a `Refusal` whose wordings, Keras's own message first, live in `core.model.refusal.frames_refusal`.

Example:
    >>> from core.model.spec import ModelSpec
    >>> d = describe_frames(ModelSpec(input_kind="frames", timesteps=4, return_sequences=False, head="dense"))
    >>> [(layer.name, layer.output_shape, layer.params) for layer in d.layers[:3]]
    [('input_layer', (None, 4, 8, 8, 1), 0), ('frame_conv', (None, 4, 6, 6, 4), 40), ('frame_pool', (None, 4, 4), 0)]
"""

from __future__ import annotations

from core.model.anatomy import (
    CELL_LAYER_NAMES,
    Description,
    Layer,
    Shape,
    Weight,
    describe_stack,
    fmt,
    format_shape,
    input_layer,
    keras_layer_name,
)
from core.model.frame_fields import REDUCTION_LABELS, feature_map, frame_features, frames_refused_at
from core.model.refusal import Refusal, frames_refusal
from core.model.spec import ModelSpec

# The names build_model gives the frames layers: the wrapper's and, inside it (or alone, unwrapped), Keras's own.
CONV_WRAPPER = "frame_conv"
REDUCTION_WRAPPERS = {"pool": "frame_pool", "flatten": "frame_flatten"}
INNER_NAMES = {"conv": "conv2d", "pool": "global_average_pooling2d", "flatten": "flatten"}
INNER_KINDS = {"pool": "GlobalAveragePooling2D", "flatten": "Flatten"}


def frame_input_layer(spec: ModelSpec) -> Layer:
    """The input: T frames of H × W × C."""
    frames = f"{spec.timesteps} frames of {spec.frame_height} × {spec.frame_width} × {spec.channels}"
    return input_layer(spec, frames)


def conv_params(spec: ModelSpec) -> tuple[int, str]:
    """Parameters of the Conv2D and the formula that gives them: F × (k·k·C + 1), once for every frame."""
    k, c, f = spec.kernel, spec.channels, spec.filters
    params = f * (k * k * c + (1 if spec.use_bias else 0))
    terms = f"{k} × {k} × {c}" + (" + 1" if spec.use_bias else "")
    return params, f"{f} × ({terms}) = {fmt(params)}"


def frame_conv_layer(spec: ModelSpec) -> Layer:
    """TimeDistributed(Conv2D): one kernel, applied to each of the T frames (valid padding, stride 1)."""
    height, width = feature_map(spec)
    k, f = spec.kernel, spec.filters
    params, formula = conv_params(spec)
    path = f"{CONV_WRAPPER}/{INNER_NAMES['conv']}"
    weights = [Weight(f"{path}/kernel", (k, k, spec.channels, f))]
    if spec.use_bias:
        weights.append(Weight(f"{path}/bias", (f,)))
    return Layer(
        name=CONV_WRAPPER,
        kind="TimeDistributed",
        input_shape=spec.input_shape(),
        output_shape=(None, spec.timesteps, height, width, f),
        params=params,
        weights=tuple(weights),
        formula=formula,
        applications=spec.timesteps,
        macs=spec.timesteps * height * width * f * k * k * spec.channels,
        role="conv",
        inner_kind="Conv2D",
    )


def frame_reduction_layer(spec: ModelSpec, maps: Shape, wrapped: bool) -> Layer:
    """TimeDistributed(GlobalAveragePooling2D | Flatten) (one vector per frame), or the bare layer (unwrapped)."""
    reduction = spec.frame_reduction
    if wrapped:
        name, kind, inner = REDUCTION_WRAPPERS[reduction], "TimeDistributed", INNER_KINDS[reduction]
        output: Shape = (None, spec.timesteps, frame_features(spec))
    else:
        name, kind, inner = INNER_NAMES[reduction], INNER_KINDS[reduction], None
        output = (None, spec.timesteps * frame_features(spec))
    what = "averages each map" if reduction == "pool" else "lays each frame's maps out as one vector"
    return Layer(
        name=name,
        kind=kind,
        input_shape=maps,
        output_shape=output,
        params=0,
        weights=(),
        formula=f"no weights: {what}",
        applications=spec.timesteps if wrapped else 1,
        macs=0,
        role="reduction",
        inner_kind=inner,
    )


def _first_recurrent_name(spec: ModelSpec) -> str:
    return "bidirectional" if spec.bidirectional else keras_layer_name(CELL_LAYER_NAMES[spec.cell], 0)


def _frames_refusal(spec: ModelSpec, where: str) -> Refusal:
    """Where Keras refuses the frames part (`where`, core.model.frame_fields.frames_refused_at): the refused layer's
    name and class and what it is given; the wordings are core.model.refusal's."""
    height, width = feature_map(spec)
    maps: Shape = (None, spec.timesteps, height, width, spec.filters)
    recurrent = _first_recurrent_name(spec)
    recurrent_kind = f"Bidirectional({spec.cell})" if spec.bidirectional else spec.cell
    if where == "conv":
        return frames_refusal(spec, where, INNER_NAMES["conv"], "Conv2D", spec.input_shape())
    if where == "frame_size":
        return frames_refusal(spec, where, CONV_WRAPPER, "TimeDistributed(Conv2D)", spec.input_shape())
    if where == "reduction":
        return frames_refusal(spec, where, INNER_NAMES["pool"], "GlobalAveragePooling2D", maps)
    if where == "flatten":
        merged: Shape = (None, spec.timesteps * frame_features(spec))
        return frames_refusal(spec, where, recurrent, recurrent_kind, merged)
    return frames_refusal(spec, where, recurrent, recurrent_kind, maps)


def _refused_frames(spec: ModelSpec, built: list[Layer], where: str) -> Description:
    return Description(
        spec=spec,
        layers=tuple(built),
        total_params=sum(layer.params for layer in built),
        output_shape=None,
        target_shape=None,
        refusal=_frames_refusal(spec, where),
    )


def frames_front(spec: ModelSpec) -> tuple[list[Layer], Description | None]:
    """The layers before the recurrent stack (input, convolution, reduction), or those built and Keras's refusal."""
    built = [frame_input_layer(spec)]
    where = frames_refused_at(spec)
    if where in ("conv", "frame_size"):
        return built, _refused_frames(spec, built, where)
    built.append(frame_conv_layer(spec))
    if where in ("reduction", "no_reduction"):
        return built, _refused_frames(spec, built, where)
    built.append(frame_reduction_layer(spec, built[-1].output_shape, wrapped=spec.reduction_wrapped))
    if where == "flatten":
        return built, _refused_frames(spec, built, where)
    return built, None


def describe_frames(spec: ModelSpec) -> Description:
    """Describe the frames model `core.keras.models.build_model(spec)` builds (see `core.model.anatomy.describe`)."""
    built, refusal = frames_front(spec)
    if refusal is not None:
        return refusal
    return describe_stack(spec, built, frame_features(spec))


def reduction_label(spec: ModelSpec) -> str:
    """The per-frame reduction as code spells it: "TimeDistributed(GlobalAveragePooling2D)", "Flatten", …"""
    label = REDUCTION_LABELS[spec.frame_reduction]
    if spec.frame_reduction == "none" or not spec.reduction_wrapped:
        return label
    return f"TimeDistributed({label})"


def frames_chain(spec: ModelSpec) -> str:
    """The frames part as code spells it: "frames (T, 8, 8, 1) → TimeDistributed(Conv2D(4, 3)) → TimeDistributed(…)"."""
    conv = f"Conv2D({spec.filters}, {spec.kernel})"
    conv = f"TimeDistributed({conv})" if spec.conv_wrapped else conv
    chain = f"frames {format_shape(spec.input_shape()[1:])} → {conv}"
    return chain if spec.frame_reduction == "none" else f"{chain} → {reduction_label(spec)}"


def per_frame_copies_params(spec: ModelSpec) -> int:
    """What the convolution would cost with its own kernel for every frame: T times the shared kernel's count."""
    return spec.timesteps * conv_params(spec)[0]


# The pages that draw a frames model in their own way, and what they show of it.
FRAMES_PAGES = {
    "Unrolled network": "one shared CNN per frame",
    "Weights": "every weight tensor, the kernel counted once",
    "Shape flow": "the 5-D shapes, layer by layer",
    "Equivalence": "TimeDistributed(Conv2D) against the reshape it stands for, and what the wrapper costs",
    "Code": "a runnable Keras 3 script that builds it (or shows Keras refusing it)",
    "Training": "its training on a small video task, fitted in Keras",
}


def frames_page_note(spec: ModelSpec, page: str) -> str:
    """The one sentence a page shows for a frames spec: what the model is, and what this page shows of it (the pages
    that do not draw frames yet give the shapes and counts as a table instead of their usual figures)."""
    model = f"This is a frames model ({frames_chain(spec)} → the recurrent layers)"
    if page in FRAMES_PAGES:
        return f"{model}: the {page} page shows {FRAMES_PAGES[page]}."
    return (
        f"{model}: the {page} page does not draw frames models yet, so here are the shapes and counts Keras gives "
        "for it, layer by layer."
    )


def frames_rows(description: Description) -> list[dict[str, str | int]]:
    """The layers as a table's rows: name, class as code spells it, output shape, parameters and their formula."""
    return [
        {
            "Layer": layer.name,
            "Class": layer.class_label,
            "Output shape": format_shape(layer.output_shape),
            "Parameters": layer.params,
            "Formula": layer.formula,
        }
        for layer in description.layers
    ]


def shared_kernel_note(spec: ModelSpec) -> str:
    """The kernel counted once: its parameters for all T frames, against one kernel per frame."""
    params = conv_params(spec)[0]
    return (
        f"TimeDistributed shares one Conv2D kernel across the {spec.timesteps} frames: {fmt(params)} parameters, "
        f"counted once. A separate kernel for every frame would take {fmt(per_frame_copies_params(spec))}."
    )


def frames_weight_rows(description: Description) -> list[dict[str, str | int]]:
    """Every weight tensor: its layer, path, shape, count, and how often it is used per sample (the kernel T times)."""
    return [
        {
            "Layer": layer.class_label,
            "Weight": weight.name,
            "Shape": format_shape(weight.shape),
            "Parameters": weight.size,
            "Used per sample": layer.applications,
        }
        for layer in description.layers
        for weight in layer.weights
    ]


def frames_shape_rows(description: Description) -> list[dict[str, str]]:
    """The shape flow as rows: each layer's input and output (5-D until the per-frame reduction), then the refusal."""
    rows = [
        {
            "Layer": layer.name,
            "Class": layer.class_label,
            "Input": format_shape(layer.input_shape),
            "Output": format_shape(layer.output_shape),
        }
        for layer in description.layers
    ]
    if (refusal := description.refusal) is not None:
        broken = {"Layer": refusal.layer, "Class": refusal.layer_class, "Input": format_shape(refusal.given)}
        rows.append({**broken, "Output": "refused by Keras"})
    return rows
