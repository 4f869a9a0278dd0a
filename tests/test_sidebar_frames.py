"""The sidebar's frames, padding and per-step weight controls (issue 27): reachable without a link, edits only through
callbacks, the widgets showing the spec (spec wins), and links leaving defaults out."""

from __future__ import annotations

from core.model.spec import DEFAULTS, ModelSpec
from tests.conftest import run_app


def _query(at) -> dict[str, str]:
    return {key: at.query_params[key] for key in at.query_params}


def test_frames_are_reachable_from_the_sidebar_and_the_link_follows():
    at = run_app()
    at.radio(key="input_kind").set_value("frames").run()
    assert at.session_state["spec"] == DEFAULTS.replace(input_kind="frames")
    assert _query(at) == {"input_kind": "frames"}  # every frames field at its default stays out of the link
    at.slider(key="kernel").set_value(5).run()
    at.selectbox(key="frame_reduction").set_value("flatten").run()
    at.toggle(key="reduction_wrapped").set_value(False).run()
    spec = DEFAULTS.replace(input_kind="frames", kernel=5, frame_reduction="flatten", reduction_wrapped=False)
    assert at.session_state["spec"] == spec
    assert _query(at) == {
        "input_kind": "frames",
        "kernel": "5",
        "frame_reduction": "flatten",
        "reduction_wrapped": "false",
    }
    assert not at.exception
    assert any("Keras" in warning.value for warning in at.sidebar.warning)  # the counterfactual is refused


def test_a_frames_link_shows_in_the_widgets():
    linked = {"input_kind": "frames", "frame_height": "12", "filters": "6", "conv_wrapped": "false"}
    at = run_app(params=linked)
    at.run()
    assert at.session_state["spec"] == ModelSpec(input_kind="frames", frame_height=12, filters=6, conv_wrapped=False)
    assert at.slider(key="frame_height").value == 12 and at.slider(key="filters").value == 6
    assert at.toggle(key="conv_wrapped").value is False and at.radio(key="input_kind").value == "frames"


def test_padding_and_weights_from_the_sidebar():
    at = run_app()
    at.selectbox(key="padding").set_value("masking").run()
    at.selectbox(key="sample_weight").set_value("rising").run()
    assert at.session_state["spec"] == DEFAULTS.replace(padding="masking", sample_weight="rising")
    assert _query(at) == {"padding": "masking", "sample_weight": "rising"}
    at.radio(key="input_kind").set_value("frames").run()  # frames take no padding: the spec stays and says why
    assert at.session_state["spec"].input_kind == "vectors"
    assert any("padding" in warning.value for warning in at.sidebar.warning)
    assert not at.exception
