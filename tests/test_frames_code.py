"""The frames family's Keras script (issue 27), run in Keras: the count describe() predicts, or Keras's own refusal."""

from __future__ import annotations

import pytest

from core import ModelSpec, describe
from core.model.code import parse_count_params
from core.model.frames_code import frames_keras_code
from tests.conftest import page_text, run_app
from tests.test_code import _run_scripts

FRAMES = ModelSpec(input_kind="frames", timesteps=3, frame_height=6, frame_width=5, channels=2, hidden_size=4)
BUILDS = {
    "pool": FRAMES,
    "flatten_bidirectional": FRAMES.replace(
        frame_reduction="flatten", bidirectional=True, cell="LSTM", use_bias=False, return_sequences=False, head="dense"
    ),
    "encoder": FRAMES.replace(repeat="encoder", return_sequences=False, return_state=True, layers=2),
}
REFUSED = {
    "conv": FRAMES.replace(conv_wrapped=False),
    "frame_size": FRAMES.replace(kernel=5, frame_height=4),
    "reduction": FRAMES.replace(reduction_wrapped=False),
    "flatten": FRAMES.replace(frame_reduction="flatten", reduction_wrapped=False, layers=2),
    "no_reduction": FRAMES.replace(frame_reduction="none", bidirectional=True),
    "stack": FRAMES.replace(layers=2, inner_return_sequences=False),
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    scripts = {name: frames_keras_code(spec) for name, spec in {**BUILDS, **REFUSED}.items()}
    return _run_scripts(tmp_path_factory.mktemp("frames_code"), scripts)


@pytest.mark.parametrize("name", list(BUILDS))
def test_each_script_builds_fits_and_prints_the_predicted_count(outputs, name: str) -> None:
    assert "status=ok" in outputs[name], outputs[name][-1500:]
    assert parse_count_params(outputs[name]) == describe(BUILDS[name]).total_params


@pytest.mark.parametrize("name", list(REFUSED))
def test_each_counterfactual_script_shows_keras_refusing_in_its_own_words(outputs, name: str) -> None:
    assert "status=exit 1" in outputs[name], outputs[name][-1500:]
    assert describe(REFUSED[name]).keras_error in outputs[name]
    assert REFUSED[name].refused_at == name


def test_the_code_page_shows_the_frames_script() -> None:
    from core.model.url_state import spec_to_query  # noqa: PLC0415

    at = run_app("code", spec_to_query(FRAMES))
    assert not at.exception
    assert frames_keras_code(FRAMES).strip() in [element.value.strip() for element in at.code]
    assert "the Code page shows a runnable Keras 3 script" in page_text(at)
