"""The unrolled frames diagram (issue 27): one Conv2D per shown frame, all linked to the one kernel they share."""

from __future__ import annotations

import pytest

from core import ModelSpec, describe
from core.figures.alt_text import frames_alt
from core.figures.frames_diagram import frames_diagram, shown_steps
from core.figures.theme import COMPACT, TALK

FRAMES = ModelSpec(input_kind="frames", timesteps=5, channels=2, filters=3)


def _texts(figure) -> list[str]:
    return [annotation.text for annotation in figure.layout.annotations]


def _dotted(figure) -> int:
    return sum(1 for shape in figure.layout.shapes if shape.type == "line" and shape.line.dash == "dot")


def test_shown_steps() -> None:
    assert shown_steps(5, 4, 3) == [0, 1, 2, 3, 4]
    assert shown_steps(20, 4, 3) == [0, 1, 2, 3, None, 17, 18, 19]


@pytest.mark.parametrize("timesteps", [1, 5, 20])
def test_every_shown_frame_has_the_same_convolution_fed_by_one_kernel(timesteps: int) -> None:
    spec = FRAMES.replace(timesteps=timesteps)
    figure = frames_diagram(describe(spec))
    shown = len([step for step in shown_steps(timesteps, 4, 3) if step is not None])
    assert _texts(figure).count("Conv2D<br>3×3×2→3") == shown
    assert _texts(figure).count("one kernel<br>57 params") == 1
    assert _dotted(figure) == shown + 2  # a drop into every copy, plus the bus and its riser from the kernel
    assert _texts(figure).count("GRU") == shown and _texts(figure).count("Dense") == shown
    assert ("…" in _texts(figure)) == (timesteps > 7)


def test_a_last_step_model_has_one_head_and_a_refused_one_stops_in_red() -> None:
    last = frames_diagram(describe(FRAMES.replace(return_sequences=False, head="dense", frame_reduction="flatten")))
    assert _texts(last).count("Dense") == 1 and _texts(last).count("Flatten") == 5
    refused = describe(FRAMES.replace(frame_reduction="none"))
    figure = frames_diagram(refused)
    assert _texts(figure).count("refused") == 5 and "GRU refuses" in _texts(figure)
    assert refused.keras_error in frames_alt(refused)
    conv = describe(FRAMES.replace(conv_wrapped=False))
    assert "one kernel<br>57 params" not in _texts(frames_diagram(conv))
    assert frames_alt(conv).startswith("The 5 frames (8×8×2) reach the Conv2D, and Keras refuses")


def test_talk_mode_is_larger_fits_a_slide_and_the_text_says_what_is_shared() -> None:
    description = describe(FRAMES)
    talk, normal = frames_diagram(description, TALK), frames_diagram(description)
    assert talk.layout.font.size > normal.layout.font.size
    assert talk.layout.height <= 440  # a slide's key picture fits under the title at 1280x720
    assert frames_alt(description) == (
        "At each of the 5 frames (8×8×2), the same Conv2D kernel (3×3×2→3, 57 parameters stored once) makes 6×6×3 "
        "feature maps; TimeDistributed(GlobalAveragePooling2D) turns them into one vector per frame, (None, 5, 3); "
        "the GRU walks along the 5 vectors and TimeDistributed(Dense) gives (None, 5, 8)."
    )


def test_the_phone_layout_shows_fewer_frames() -> None:
    description = describe(FRAMES.replace(timesteps=8))
    wide, narrow = frames_diagram(description), frames_diagram(description, COMPACT)
    assert _texts(narrow).count("Conv2D<br>3×3×2→3") < _texts(wide).count("Conv2D<br>3×3×2→3")
    assert "…" in _texts(narrow)
    # The row labels fit the phone's narrow label column: no line longer than "TimeDistributed(" (it was clipped
    # at the left as "obalAveragePooling2D)" at 400 px).
    lines = [line for text in _texts(narrow) for line in text.split("<br>")]
    assert "GlobalAverage" in lines and max(len(line) for line in lines) <= len("TimeDistributed(")
