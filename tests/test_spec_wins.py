"""The learner's spec survives faults: a run that ends before the sidebar is drawn must not reset the model.

Issue 22 saw a visitor's model become `cell=SimpleRNN&timesteps=1&…&use_bias=false` ("Output size: 0 is below 1")
when a Keras job ended under stress. The mechanism, reproduced in Chromium (tests/test_spec_wins_browser.py): after
a full run that ends without the sidebar (an exception or a stop before it), the browser forgets the sidebar's widgets
and redraws them at their floor values, then sends those back as if the learner had typed them. AppTest keeps widget
values itself, so it cannot show the browser's side; here: the server's side of the rule under the same faults.
"""

from __future__ import annotations

import pytest

import views.story
from core.model.spec import ModelSpec
from tests.conftest import run_app

LINKED = {"cell": "LSTM", "timesteps": "12", "input_size": "3", "hidden_size": "5", "output_size": "2"}
LINKED_SPEC = ModelSpec(cell="LSTM", timesteps=12, input_size=3, hidden_size=5, output_size=2)


def _fail_once(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """The next run stops before the sidebar is drawn (what a fault anywhere before it does), later runs are normal."""
    original = views.story.before_sidebar
    calls = []

    def before_sidebar(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(views.story, "before_sidebar", before_sidebar)


@pytest.mark.parametrize("fault", ["exception", "stop"])
def test_a_run_that_ends_before_the_sidebar_keeps_the_model(monkeypatch, fault):
    at = run_app(params=LINKED)
    assert at.session_state["spec"] == LINKED_SPEC
    if fault == "exception":
        _fail_once(monkeypatch, RuntimeError("a fault before the sidebar"))
    else:
        from streamlit.runtime.scriptrunner_utils.exceptions import StopException

        _fail_once(monkeypatch, StopException())
    at.run()
    assert not at.sidebar.number_input  # the fault: this run drew no sidebar
    at.run()  # the sidebar is drawn again
    at.run()  # and the values it shows come back as the learner's widget state
    assert at.session_state["spec"] == LINKED_SPEC
    assert at.number_input(key="timesteps").value == 12
    assert at.selectbox(key="cell").value == "LSTM"
    assert not at.warning or all("below" not in warning.value for warning in at.warning)


def test_talk_mode_survives_the_same_fault(monkeypatch):
    at = run_app(params={**LINKED, "talk": "true"})
    _fail_once(monkeypatch, RuntimeError("a fault before the sidebar"))
    at.run()
    at.run()
    at.run()
    assert at.session_state["talk_mode"] is True
    assert at.toggle(key="talk_toggle").value is True


def test_a_real_edit_still_changes_the_model():
    at = run_app(params=LINKED)
    at.number_input(key="timesteps").set_value(20).run()
    at.selectbox(key="cell").set_value("GRU").run()
    at.run()
    assert at.session_state["spec"] == LINKED_SPEC.replace(timesteps=20, cell="GRU")
    assert at.number_input(key="timesteps").value == 20
