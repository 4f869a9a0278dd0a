"""Every page with a frames link (issue 27): no page draws frames yet, so each shows one sentence, the layers' shapes
and counts from describe(), and Keras's own refusal when it refuses; nothing crashes, and the sidebar keeps frames."""

from __future__ import annotations

import html

import pytest

from core import ModelSpec, describe
from core.figures.alt_text import frames_alt
from core.model.frames import frames_chain, frames_page_note, per_frame_copies_params, shared_kernel_note
from core.model.url_state import spec_to_query
from core.talk.stories import STORIES
from tests.conftest import PAGES, page_text, run_app, settle

FRAMES = ModelSpec(input_kind="frames", timesteps=5, channels=2, filters=3)
REFUSED = FRAMES.replace(frame_reduction="flatten", reduction_wrapped=False)
TITLES = {
    "overview": "Overview",
    "unrolled": "Unrolled network",
    "weights": "Weights",
    "shapes": "Shape flow",
    "training": "Training",
    "equivalence": "Equivalence",
    "code": "Code",
    "fix": "Fix my error",
}


@pytest.mark.parametrize("page", [page for page in PAGES if page != "fix"])
def test_every_page_shows_the_frames_model_in_its_own_way_or_says_it_does_not_draw_it(page: str) -> None:
    at = run_app(page, spec_to_query(FRAMES))
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    text = page_text(at)
    assert frames_page_note(FRAMES, TITLES[page]) in text
    assert ("does not draw frames models yet" in text) == (
        page not in ("unrolled", "weights", "shapes", "equivalence", "code", "training")
    )
    assert shared_kernel_note(FRAMES) in text
    assert at.session_state["spec"] == FRAMES
    if page == "code":
        return  # tests/test_frames_code.py runs the script
    if page == "unrolled":
        alts = " ".join(element.proto.body for element in at.get("html"))  # views.common.chart's tde-alt paragraph
        assert html.escape(frames_alt(describe(FRAMES))) in alts and not at.dataframe
        return
    shown = at.dataframe[0].value.to_string()
    if page == "weights":  # the kernel once, used at each of the 5 frames
        assert "frame_conv/conv2d/kernel" in shown and "(3, 3, 2, 3)" in shown
        assert at.dataframe[0].value["Parameters"].sum() == describe(FRAMES).total_params
    else:
        assert "(None, 5, 6, 6, 3)" in shown  # the 5-D maps after the shared convolution


def test_fix_my_error_keeps_its_form_with_a_frames_model_loaded() -> None:
    """The form reads the learner's own error, shapes and model, whatever the sidebar holds: a frames link must not
    replace it with the frames view."""
    at = run_app("fix", spec_to_query(FRAMES))
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    assert at.text_area(key="fix_text") and at.text_input(key="fix_x") and at.radio(key="fix_model_choice")
    assert frames_page_note(FRAMES, "Fix my error") not in page_text(at)
    assert "Paste an error or give a shape to start" in page_text(at)
    at.radio(key="fix_model_choice").set_value("Use the sidebar's model").run()
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    assert at.session_state["spec"] == FRAMES


@pytest.mark.parametrize("page", ["overview", "shapes"])
def test_a_refused_frames_model_shows_keras_s_words_on_the_page_and_the_sidebar(page: str) -> None:
    at = run_app(page, {**spec_to_query(REFUSED), "talk": "true"})
    assert not at.exception, [str(e.value)[:300] for e in at.exception]
    description = describe(REFUSED)
    text = page_text(at)
    assert description.keras_error in text and "expected ndim=3, found ndim=2" in text
    assert description.error in text
    assert "Keras cannot build this model" in text
    assert description.refusal.sidebar_note in text  # the sidebar's note, as for the vectors' refusals


def test_a_sidebar_edit_keeps_the_frames_and_a_reset_leaves_them() -> None:
    at = run_app("weights", spec_to_query(FRAMES))
    at.selectbox(key="cell").set_value("LSTM").run()
    assert at.session_state["spec"] == FRAMES.replace(cell="LSTM")
    assert "LSTM(16)" in page_text(at) and not at.exception
    at.button(key="reset").click().run()
    assert at.session_state["spec"].input_kind == "vectors" and not at.exception


def test_the_words_worked_by_hand() -> None:
    assert frames_chain(FRAMES) == (
        "frames (5, 8, 8, 2) → TimeDistributed(Conv2D(3, 3)) → TimeDistributed(GlobalAveragePooling2D)"
    )
    assert (
        frames_chain(FRAMES.replace(conv_wrapped=False, frame_reduction="none")) == "frames (5, 8, 8, 2) → Conv2D(3, 3)"
    )
    assert per_frame_copies_params(FRAMES) == 5 * 3 * (3 * 3 * 2 + 1)
    assert shared_kernel_note(FRAMES).endswith(
        "57 parameters, counted once. A separate kernel for every frame would take 285."
    )


def test_the_wrapper_story_walks_its_steps_with_keras_s_words() -> None:
    """Every refusal the story quotes is the step's own model's Keras message; every count its own model's."""
    story = STORIES["wrapper"]
    for step in story.steps[1:4]:
        description = describe(step.spec)
        quoted = step.takeaway.split('"')[1]
        assert quoted in description.keras_error
    weights = story.steps[4]
    conv = describe(weights.spec).layers[1]
    assert f"{conv.params:,} parameters" in weights.takeaway and f"{6 * conv.params:,}" in weights.takeaway
    at = run_app("overview", {"story": "wrapper", "step": "1", "talk": "true"})
    assert not at.exception
    assert story.steps[0].takeaway in page_text(at) and at.title[0].value == "Unrolled network"
    for index in range(1, len(story.steps)):
        at.button(key="story_next").click().run()
        assert not at.exception, index
        assert story.steps[index].takeaway in page_text(at)
        assert at.session_state["spec"] == story.steps[index].spec
        if not story.steps[index].spec.is_valid:
            assert describe(story.steps[index].spec).keras_error in page_text(at)


def test_the_equivalence_page_runs_the_frames_equivalence_and_the_wrapper_s_cost_in_keras() -> None:
    at = run_app("equivalence", spec_to_query(FRAMES))
    assert not at.exception and frames_page_note(FRAMES, "Equivalence") in page_text(at)
    at.button(key="frames_lab_run").click().run()
    at = settle(at)
    text = page_text(at)
    assert "bit for bit the same (np.array_equal: True)" in text, text
    assert "(3, 5, 8, 8, 2)" in text and "(15, 8, 8, 2)" in text and "(3, 5, 6, 6, 3)" in text
    assert "gives np.array_equal False" in text
    at.button(key="wrapper_cost_run").click().run()
    at = settle(at)
    assert not at.exception
    table = at.dataframe[-1].value
    ops = {(row["Head"], row["T"]): row["Graph ops"] for _, row in table.iterrows()}
    assert ops["Dense", 16] == ops["Dense", 64]
    assert ops["TimeDistributed(Dense), static T", 64] > ops["TimeDistributed(Dense), static T", 16]
    assert (table["First fit (s)"] > 0).all()


def test_the_training_page_fits_the_frames_model_on_the_motion_task() -> None:
    spec = FRAMES.replace(return_sequences=False, head="dense", output_size=4, frame_reduction="flatten", channels=1)
    at = run_app("training", spec_to_query(spec))
    assert not at.exception and "Which way a square moves" in page_text(at)
    at.button(key="frames_train").click().run()
    at = settle(at)
    assert not at.exception
    losses = at.dataframe[-1].value["loss"].tolist()
    assert len(losses) == 5 and losses[-1] < 0.3 * losses[0], losses
    assert f"to {losses[-1]:.3f} after epoch 5" in page_text(at)


def test_the_training_page_falls_back_to_random_data_and_refuses_a_refused_model() -> None:
    at = run_app("training", spec_to_query(FRAMES.replace(output_size=1)))
    assert not at.exception and "The seed's data: uniform random X and Y" in page_text(at)
    at = run_app("training", spec_to_query(REFUSED))
    assert not at.exception and "nothing to train" in page_text(at)
    assert "frames_train" not in [button.key for button in at.button]
