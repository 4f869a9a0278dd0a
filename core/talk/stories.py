"""Guided stories for talks: a presenter steps through the lesson, one page, one model, one sentence at a time.

Pure data (no Streamlit). A step names the page (its url_path, "" for the Overview), the spec as URL parameters
(fields left out are the seed's defaults, so a step always shows the same model), the page widgets it sets, the
element of the page to highlight (a container key) and the one sentence to say. `story=NAME&step=N` in the URL
(N from 1) opens a story at a step, so a presenter can bookmark it; `read_story` reads those two parameters.

Example:
    >>> story, index, problem = read_story({"story": ["seed"], "step": ["3"]})
    >>> story.title, index, problem
    ("The seed's answer", 2, None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.model.anatomy import Description, describe, format_shape
from core.model.spec import PATTERNS, ModelSpec, parse_params
from core.model.url_state import link_values, quoted

STORY_PARAM = "story"
STEP_PARAM = "step"


@dataclass(frozen=True)
class Step:
    """One slide of a story: where to go, which model to show, what to point at, what to say."""

    page: str  # the page's url_path: "" (Overview), "unrolled", "weights", "shapes", "training", "equivalence", "code"
    params: Mapping[str, str]  # spec fields as in the URL; the others are the defaults
    highlight: tuple[str, ...]  # keys of the page's containers to outline
    takeaway: str  # one sentence
    widgets: Mapping[str, str] = field(default_factory=dict)  # page widget keys -> value, e.g. the target kind
    runs: str | None = None  # a Keras job whose result the takeaway states, started by the step: "equivalence_lab"

    @property
    def spec(self) -> ModelSpec:
        """The model this step shows."""
        spec, errors = parse_params({key: [value] for key, value in self.params.items()})
        if errors:  # the stories are the app's own data: a bad field is a bug, caught by the tests
            raise ValueError(f"bad story step parameters: {errors}")
        return spec


@dataclass(frozen=True)
class Story:
    """A named sequence of steps."""

    name: str  # as in the URL
    title: str
    steps: tuple[Step, ...]


LAST_STEP_ONLY = {"return_sequences": "false", "head": "dense"}  # the seed's model 3

SEED = Story(
    "seed",
    "The seed's answer",
    (
        Step(
            "",
            {},
            ("overview_model_1", "overview_model_2", "overview_model_3"),
            "The seed compares three models: a GRU that returns every step, followed by TimeDistributed(Dense) (1) "
            "or by Dense (2), and a GRU that returns only its last step, followed by Dense (3).",
        ),
        Step(
            "weights",
            {},
            ("weights_picture",),
            "TimeDistributed(Dense(8)) holds one 16×8 kernel and 8 biases, 136 parameters: with the GRU's 1,584, "
            "1,720 in all, exactly what Dense(8) gives model 2.",
        ),
        Step(
            "unrolled",
            {},
            ("unrolled_picture",),
            "TimeDistributed runs one Dense, with one set of weights, at each of the 64 timesteps.",
        ),
        Step(
            "unrolled",
            {"head": "dense"},
            ("unrolled_picture",),
            "A plain Dense on the (None, 64, 16) sequence does the same: it multiplies the last axis by its one "
            "kernel at every timestep.",
        ),
        Step(
            "equivalence",
            {"head": "dense"},
            ("equivalence_picture",),
            "Built for real with the same weights, the two models give the same outputs: here Dense is "
            "TimeDistributed(Dense).",
            runs="equivalence_lab",  # the lab's verdict is on screen at this step, not behind a button
        ),
        Step(
            "shapes",
            LAST_STEP_ONLY,
            ("shapes_picture",),
            "With return_sequences=False the GRU hands on only its last state, (None, 16): model 3 outputs "
            "(None, 8), one target vector per sequence.",
            {"shapes_target_kind": "per_sequence"},
        ),
        Step(
            "shapes",
            LAST_STEP_ONLY,
            ("shapes_verdict",),
            "Model 1's targets, shaped (N, 64, 8), do not fit model 3's (None, 8) output: fit() stops with a "
            "shape error.",
            {"shapes_target_kind": "per_timestep"},
        ),
    ),
)

RETURN_SEQUENCES = Story(
    "return_sequences",
    "return_sequences",
    (
        Step(
            "unrolled",
            {},
            ("unrolled_picture",),
            "With return_sequences=True the GRU returns its state at every timestep: (None, 64, 16), one vector "
            "per step.",
        ),
        Step(
            "unrolled",
            LAST_STEP_ONLY,
            ("unrolled_picture",),
            "With return_sequences=False the same 64 steps run, but only the last state leaves the layer: (None, 16).",
        ),
        Step(
            "shapes",
            LAST_STEP_ONLY,
            ("shapes_picture",),
            "The time axis is gone after the GRU, so Dense maps each sequence to one output, (None, 8).",
            {"shapes_target_kind": "per_sequence"},
        ),
        Step(
            "",
            {"return_sequences": "false"},
            ("overview_invalid",),
            "TimeDistributed needs a time axis to walk along: after return_sequences=False Keras refuses to build it.",
        ),
        Step(
            "weights",
            LAST_STEP_ONLY,
            ("weights_picture",),
            "The weights do not change: the last-step model keeps the same 1,720 parameters; only the output's shape "
            "and the targets differ.",
        ),
    ),
)


def _params(spec: ModelSpec) -> dict[str, str]:
    """A spec as a step's URL parameters (its non-default fields)."""
    return spec.to_params(omit_defaults=True)


def _shape(shape: tuple | None) -> str:
    """A shape as the pages print it, e.g. (None, 12, 4)."""
    return format_shape(shape)


def _one_to_one() -> Step:
    """One-to-one, as truthfully as a recurrent app can show it: T=1, one vector in, one out, no recurrence used."""
    spec = PATTERNS["Many-to-one"].replace(timesteps=1)
    description = describe(spec)
    top = description.recurrent
    recurrent_kernel = next(weight for weight in top.weights if weight.short_name == "recurrent_kernel")
    return Step(
        "unrolled",
        _params(spec),
        ("unrolled_picture",),
        f"One-to-one is a feed-forward map: with T={spec.timesteps} the {spec.cell} runs once from a zero state, one "
        f"{_shape(description.layers[0].output_shape)} in, one {_shape(description.output_shape)} out, and its "
        f"{recurrent_kernel.size:,}-parameter recurrent kernel only multiplies zeros.",
    )


def _many_to_one() -> Step:
    """Many-to-one: the last state only."""
    spec = PATTERNS["Many-to-one"]
    description = describe(spec)
    return Step(
        "unrolled",
        _params(spec),
        ("unrolled_picture",),
        f"Many-to-one: the {spec.cell} reads all {spec.timesteps} steps and hands on only its last state, so "
        f"{_shape(description.layers[0].output_shape)} becomes {_shape(description.output_shape)}, one answer per "
        f"sequence from {description.total_params:,} parameters.",
    )


def _many_to_many() -> Step:
    """Many-to-many of the same length: a stack that returns every step."""
    spec = PATTERNS["Many-to-many (same length)"]
    description = describe(spec)
    return Step(
        "unrolled",
        _params(spec),
        ("unrolled_picture",),
        f"Many-to-many, same length: {spec.layers} stacked {spec.cell}s return every step, so "
        f"{description.head.class_label} gives one output per input step, "
        f"{_shape(description.layers[0].output_shape)} to {_shape(description.output_shape)}.",
    )


def _one_to_many() -> Step:
    """One-to-many: RepeatVector makes the time axis."""
    spec = PATTERNS["One-to-many"]
    description = describe(spec)
    repeat = description.repeat_layer
    return Step(
        "unrolled",
        _params(spec),
        ("unrolled_picture",),
        f"One-to-many: RepeatVector({spec.timesteps}) copies one {_shape(repeat.input_shape)} vector to every step, "
        f"{_shape(repeat.output_shape)}, and the {spec.cell} unrolls it into {_shape(description.output_shape)}.",
    )


def _states(description: Description) -> str:
    """The names of the top layer's returned states: "h" for GRU and SimpleRNN, "h and c" for LSTM."""
    return " and ".join("hc"[: len(description.recurrent.state_shapes)]) or "no state"


def _sequence_to_sequence() -> tuple[Step, Step]:
    """Sequence to sequence of another length: the picture, then the targets it needs."""
    spec = PATTERNS["Sequence to sequence"]
    description = describe(spec)
    targets = spec.target_shape(None, True)
    return (
        Step(
            "unrolled",
            _params(spec),
            ("unrolled_picture",),
            f"Sequence to sequence: the encoder reads {spec.timesteps} steps, return_state hands its "
            f"{_states(description)} to the decoder as initial_state, RepeatVector({spec.output_timesteps}) sets its "
            f"length: {_shape(description.layers[0].output_shape)} to {_shape(description.output_shape)}.",
        ),
        Step(
            "shapes",
            _params(spec),
            ("shapes_picture",),
            f"So fit() needs targets shaped {_shape(('N', *targets[1:]))}: the decoder's {spec.output_timesteps} "
            f"steps, not the encoder's {spec.timesteps}.",
            {"shapes_target_kind": "per_timestep"},
        ),
    )


PATTERNS_STORY = Story(
    "patterns",
    "The five sequence patterns",
    (_one_to_one(), _many_to_one(), _many_to_many(), _one_to_many(), *_sequence_to_sequence()),
)

# Frames through one shared CNN per frame (issue 27): where the wrapper is required, in Keras's own words.
FRAMES_SPEC = ModelSpec(input_kind="frames", timesteps=6, cell="LSTM", return_sequences=False, head="dense")


def _wrapper_story() -> Story:
    """When the wrapper matters: the shared kernel, then each counterfactual Keras refuses, then the count."""
    spec = FRAMES_SPEC
    description = describe(spec)
    conv = description.layers[1]
    kernel = conv.weights[0]
    refusals = {
        where: describe(spec.replace(**changes))
        for where, changes in (
            ("conv", {"conv_wrapped": False}),
            ("flatten", {"frame_reduction": "flatten", "reduction_wrapped": False}),
            ("none", {"frame_reduction": "none"}),
        )
    }
    flat = refusals["flatten"].refusal.given
    return Story(
        "wrapper",
        "When the wrapper matters",
        (
            Step(
                "unrolled",
                _params(spec),
                ("frames_picture",),
                f"Frames {_shape(description.layers[0].output_shape)} go through TimeDistributed(Conv2D): one "
                f"{_shape(kernel.shape)} kernel slides over each of the {spec.timesteps} frames, shared like the "
                "recurrent cell.",
            ),
            Step(
                "shapes",
                _params(spec.replace(conv_wrapped=False)),
                ("frames_verdict",),
                "Without the wrapper Conv2D gets five axes where its kernel has four, and Keras refuses: "
                f'"{refusals["conv"].refusal.keras_phrase}".',
            ),
            Step(
                "shapes",
                _params(spec.replace(frame_reduction="flatten", reduction_wrapped=False)),
                ("frames_verdict",),
                f"Flatten without the wrapper merges time into the features, {_shape(flat)}, so the {spec.cell} "
                f'has no steps left to walk: "{refusals["flatten"].refusal.keras_phrase}".',
            ),
            Step(
                "shapes",
                _params(spec.replace(frame_reduction="none")),
                ("frames_verdict",),
                f"With no per-frame pooling or Flatten the {spec.cell} gets each frame's maps, "
                f'{_shape(refusals["none"].refusal.given)}: "{refusals["none"].refusal.keras_phrase}".',
            ),
            Step(
                "weights",
                _params(spec),
                ("frames_picture",),
                f"The kernel is counted once, {conv.params:,} parameters used at all {spec.timesteps} frames, where "
                f"a kernel per frame would take {spec.timesteps * conv.params:,}.",
            ),
        ),
    )


WRAPPER_STORY = _wrapper_story()

STORIES: dict[str, Story] = {story.name: story for story in (SEED, RETURN_SEQUENCES, PATTERNS_STORY, WRAPPER_STORY)}


def read_story(params: Mapping[str, Sequence[str] | str]) -> tuple[Story | None, int, str | None]:
    """The story and step (0-based) a URL asks for, and a message when it asks for one that does not exist.

    Never raises: an unknown story means no story; a step out of range or not a number goes to the nearest step.
    """

    def values(key: str) -> list[str]:
        return link_values(params.get(key, []))

    names, steps = values(STORY_PARAM), values(STEP_PARAM)
    if not names:
        return None, 0, (f"**{STEP_PARAM}** needs a **{STORY_PARAM}**; ignored." if steps else None)
    known = " | ".join(STORIES)
    if len(names) > 1 or names[0] not in STORIES:
        got = "is repeated" if len(names) > 1 else f"got {quoted(names[0])}"
        return None, 0, f"**{STORY_PARAM}**: {got}; allowed: {known}. No story is running."
    story = STORIES[names[0]]
    if not steps:
        return story, 0, None
    count = len(story.steps)
    text = steps[0].strip()
    # isascii() too: str.isdigit() also takes "²" and "①", which int() refuses, and "٣", which it reads as 3.
    number = int(text) if len(steps) == 1 and text.isascii() and text.isdigit() and len(text) < 6 else None
    if number is not None and 1 <= number <= count:
        return story, number - 1, None
    index = min(max((number or 1) - 1, 0), count - 1)
    got = "is repeated" if len(steps) > 1 else f"got {quoted(steps[0])}"
    return story, index, f"**{STEP_PARAM}**: {got}; allowed: 1 to {count} for this story. Showing step {index + 1}."


def story_query(story: Story | None, index: int) -> dict[str, str]:
    """The URL parameters of a story's step (none without a story)."""
    if story is None:
        return {}
    return {STORY_PARAM: story.name, STEP_PARAM: str(index + 1)}
