"""A story step that changes page keeps talk mode and the rest of the link (issue 25: it dropped talk=true)."""

from __future__ import annotations

import pytest

from core.talk.stories import STORIES
from tests.conftest import run_app


def _page_changes(name: str) -> list[int]:
    """The steps (0-based) whose page differs from the step before."""
    steps = STORIES[name].steps
    return [index for index in range(1, len(steps)) if steps[index].page != steps[index - 1].page]


@pytest.mark.parametrize("name", [name for name in STORIES if _page_changes(name)])
def test_next_across_a_page_change_keeps_talk_mode(name):
    index = _page_changes(name)[0]
    at = run_app("overview", {"story": name, "step": str(index), "talk": "true"})
    at.button(key="story_next").click().run()
    assert not at.exception
    assert at.query_params["step"] == str(index + 1)
    assert at.session_state["talk_mode"] is True
    assert at.query_params.get("talk") == "true"
    assert at.toggle(key="talk_toggle").value is True
    at.button(key="story_back").click().run()
    assert at.session_state["talk_mode"] is True and at.query_params.get("talk") == "true"
