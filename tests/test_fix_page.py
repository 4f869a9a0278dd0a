"""The Fix my error page through AppTest: the issue's five messages, bad input, loading a fix, and the links here."""

from __future__ import annotations

import pytest

from core import ModelSpec
from tests.conftest import page_text, run_app

ISSUE_MESSAGES = [
    (
        "Error when checking target: expected time_distributed_1 to have 3 dimensions, but got array with shape "
        "(1822, 1)",
        "target_rank",
    ),
    (
        "Input 0 of layer lstm_1 is incompatible with the layer: expected ndim=3, found ndim=2",
        "stacked_return_sequences",
    ),
    ("A target array with shape (6682, 2) was passed for an output of shape (None, 15, 2)", "target_rank"),
    ("Arguments `target` and `output` must have the same rank", "target_rank"),
    ("Incompatible shapes: [1,15,127] vs. [1,30,127]", "timesteps_mismatch"),
]


@pytest.fixture(scope="module")
def fix_page():
    """One app session on the Fix page, reused (each test sets the inputs it needs)."""
    at = run_app(timeout=120)
    at.switch_page("views/fix.py").run()
    assert not at.exception
    return at


def _paste(at, text: str, x: str = "", y: str = ""):
    at.text_area(key="fix_text").set_value(text)
    at.text_input(key="fix_x").set_value(x)
    at.text_input(key="fix_y").set_value(y)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("message", "cause"), ISSUE_MESSAGES, ids=[cause for _, cause in ISSUE_MESSAGES])
def test_each_issue_message_gets_its_cause_and_a_checked_fix(fix_page, message, cause):
    at = _paste(fix_page, message)
    text = page_text(at)
    assert f"Cause code: `{cause}`" in text
    # At least one fix card, and every model fix shown says Keras checked it.
    assert "1. " in text
    assert "Checked by Keras" in text
    loadable = any(button.key.startswith("fix_load_") for button in at.button)
    # Longer targets than outputs: the fixes change the data (or add layers), not today's spec.
    assert loadable == (cause != "timesteps_mismatch")


def test_a_fix_button_loads_its_spec_into_the_sidebar(fix_page):
    at = _paste(fix_page, "A target array with shape (6682, 2) was passed for an output of shape (None, 15, 2)")
    at.button(key="fix_load_0").click().run()
    assert not at.exception
    spec = at.session_state["spec"]
    assert (spec.return_sequences, spec.head, spec.timesteps, spec.output_size) == (False, "dense", 15, 2)
    # The sidebar widgets show it too (the frame applied the pending spec before drawing them).
    assert at.toggle(key="return_sequences").value is False
    assert at.number_input(key="timesteps").value == 15
    assert "Loaded the fixed model" in page_text(at)


def test_shapes_alone_give_a_diagnosis(fix_page):
    fix_page.button(key="reset").click().run()  # the seed's model 1, whatever an earlier test loaded
    at = _paste(fix_page, "", x="(100, 64, 15)", y="(100, 8)")
    assert "Cause code: `target_rank`" in page_text(at)


@pytest.mark.parametrize(
    ("text", "x", "message"),
    [
        ("x" * 100_000, "", "100,000 characters"),
        ("\x00\x01\x02\x03" * 500, "", "does not look like an error message"),
        ("", "(\u22121, abc)", "X shape:"),
        ("ValueError: something else entirely", "", "Not recognised"),
    ],
)
def test_bad_input_gets_a_clear_message(fix_page, text, x, message):
    at = _paste(fix_page, text, x=x)
    assert message in page_text(at)


def test_overview_and_shape_flow_link_here():
    at = run_app()
    for page in ("overview", "shapes"):
        if page == "shapes":
            at.switch_page("views/shapes.py").run()
        links = [element for element in at.get("page_link") if "fix" in element.proto.page]
        assert links and "Got an error?" in links[0].proto.label, page


def test_a_fresh_page_invites_a_paste():
    at = run_app()
    at.switch_page("views/fix.py").run()
    assert not at.exception
    assert "Paste an error or give a shape to start" in page_text(at)
    assert ModelSpec() == at.session_state["spec"]
