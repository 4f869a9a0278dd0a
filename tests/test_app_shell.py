"""The frame (app.py) through AppTest: every page under default, preset, full and hostile links; the sidebar,
presets, reset, talk mode, URL sync across page switches, and the copy-link box."""

from __future__ import annotations

import pytest

from core import describe
from core.model.spec import DEFAULTS, FIELD_NAMES, INT_RANGES, PATTERNS, PRESETS, STACKING_MISTAKE, ModelSpec
from tests.conftest import PAGES, run_app

EVERY_FIELD = {
    "cell": "LSTM",
    "bidirectional": "true",
    "merge_mode": "sum",
    "return_sequences": "false",
    "head": "dense",
    "timesteps": "5",
    "input_size": "3",
    "hidden_size": "4",
    "output_size": "2",
    "use_bias": "false",
    "reset_after": "false",
    "activation": "linear",
}
EVERY_FIELD_SPEC = ModelSpec(
    cell="LSTM",
    bidirectional=True,
    merge_mode="sum",
    return_sequences=False,
    head="dense",
    timesteps=5,
    input_size=3,
    hidden_size=4,
    output_size=2,
    use_bias=False,
    reset_after=False,
    activation="linear",
)

HOSTILE = [
    ({"cell": "foo"}, ["cell"]),
    ({"timesteps": "-3"}, ["timesteps"]),
    ({"hidden_size": "1000000000"}, ["hidden_size"]),
    ({"cell": ["GRU", "LSTM"]}, ["cell"]),
    ({"input_size": "", "output_size": "ünï"}, ["input_size", "output_size"]),
    ({"timesteps": "9" * 5000}, ["timesteps"]),
    ({"junk": "1", "<script>": "x"}, []),
]


def _query(at) -> dict[str, str]:
    return {key: at.query_params[key] for key in at.query_params}


def _assert_frame(at, spec: ModelSpec):
    """No exception, the frame's contract holds, the URL mirrors the spec."""
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["spec"] == spec
    assert isinstance(at.session_state["talk_mode"], bool)
    expected = _as_query(spec)
    if at.session_state["talk_mode"]:
        expected["talk"] = "true"
    assert _query(at) == expected


def _as_query(spec: ModelSpec) -> dict[str, str]:
    """Non-default fields as URL strings, derived here from the dataclass rather than from the code under test."""
    out = {}
    for name in FIELD_NAMES:
        value = getattr(spec, name)
        if value != getattr(DEFAULTS, name):
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_default_and_full(page):
    """The seed's defaults and a link that sets every field, on every page (hostile links per page and per kind of
    fault: tests/test_hostile_urls.py)."""
    at = run_app(page)
    _assert_frame(at, DEFAULTS)
    assert not any("This link has settings" in w.value for w in at.warning)
    at = run_app(page, EVERY_FIELD)
    _assert_frame(at, EVERY_FIELD_SPEC)


@pytest.mark.parametrize(("params", "bad_fields"), HOSTILE)
def test_hostile_links_give_one_message_and_keep_valid_fields(params, bad_fields):
    at = run_app("overview", {**params, "return_sequences": "false", "head": "dense"})
    _assert_frame(at, DEFAULTS.replace(return_sequences=False, head="dense"))
    messages = [w.value for w in at.warning if "This link has settings" in w.value]
    assert len(messages) == 1
    for field in bad_fields:
        assert f"**{field}**" in messages[0]
        if field in INT_RANGES:
            low, high = INT_RANGES[field]
            assert f"from {low} to {high}" in messages[0]
    if not bad_fields:
        assert "junk" in messages[0] and "unknown" in messages[0]
    assert len(messages[0]) < 2000


def test_link_warning_survives_page_switch_and_goes_once_edited():
    at = run_app("overview", {"cell": "foo"})
    assert any("**cell**" in w.value for w in at.warning)
    at.switch_page(PAGES["weights"]).run()
    assert any("**cell**" in w.value for w in at.warning)
    at.number_input(key="timesteps").set_value(10).run()
    assert not any("**cell**" in w.value for w in at.warning)
    _assert_frame(at, DEFAULTS.replace(timesteps=10))


def test_a_full_link_restores_on_every_page_and_survives_switches():
    at = run_app("weights", EVERY_FIELD)
    _assert_frame(at, EVERY_FIELD_SPEC)
    for path in PAGES.values():
        at.switch_page(path).run()
        _assert_frame(at, EVERY_FIELD_SPEC)
    # The widgets show the spec.
    assert at.selectbox(key="cell").value == "LSTM"
    assert at.selectbox(key="merge_mode").value == "sum"
    assert at.radio(key="head").value == "dense"
    assert at.number_input(key="hidden_size").value == 4
    assert at.toggle(key="use_bias").value is False


def test_sidebar_edits_update_spec_and_url():
    at = run_app("overview")
    at.selectbox(key="cell").set_value("LSTM").run()
    at.toggle(key="return_sequences").set_value(False).run()
    at.radio(key="head").set_value("dense").run()
    at.number_input(key="timesteps").set_value(12).run()
    _assert_frame(at, DEFAULTS.replace(cell="LSTM", return_sequences=False, head="dense", timesteps=12))
    assert _query(at) == {"cell": "LSTM", "return_sequences": "false", "head": "dense", "timesteps": "12"}


def test_conditional_widgets_keep_their_values_while_hidden():
    at = run_app("overview", {"bidirectional": "true", "merge_mode": "mul", "reset_after": "false"})
    assert at.selectbox(key="merge_mode").value == "mul"
    at.toggle(key="bidirectional").set_value(False).run()
    assert not any(box.key == "merge_mode" for box in at.selectbox)
    at.selectbox(key="cell").set_value("LSTM").run()
    assert not any(toggle.key == "reset_after" for toggle in at.toggle)
    at.toggle(key="bidirectional").set_value(True).run()
    at.selectbox(key="cell").set_value("GRU").run()
    assert at.selectbox(key="merge_mode").value == "mul"
    assert at.toggle(key="reset_after").value is False
    _assert_frame(at, DEFAULTS.replace(bidirectional=True, merge_mode="mul", reset_after=False))


# The one-layer GRU presets: their count follows from the GRU formula below (the patterns are checked against Keras
# in test_patterns.py).
GRU_PRESETS = [
    name for name, spec in PRESETS.items() if spec.cell == "GRU" and spec.layers == 1 and spec.repeat == "none"
]


@pytest.mark.parametrize("name", GRU_PRESETS)
def test_presets_load_and_show_their_numbers(name):
    at = run_app("overview", {"cell": "LSTM", "timesteps": "9"})
    at.selectbox(key="preset").set_value(name).run()
    spec = PRESETS[name]
    _assert_frame(at, spec)
    assert at.selectbox(key="preset").value is None  # ready to load the same preset again
    # GRU (reset_after) parameters by Keras's documented formula, derived here: 3u(i+u+2) + o(u+1).
    i, u, o = spec.input_size, spec.hidden_size, spec.output_size
    total = 3 * u * (i + u + 2) + o * (u + 1)
    assert f"{total:,}" in [metric.value for metric in at.metric]


def test_reset_restores_defaults_but_keeps_talk_mode():
    at = run_app("shapes", {"cell": "LSTM", "timesteps": "9", "talk": "true"})
    at.button(key="reset").click().run()
    assert at.session_state["talk_mode"] is True
    _assert_frame(at, DEFAULTS)


def test_talk_mode_from_link_and_toggle():
    at = run_app("overview", {"talk": "true"})
    assert at.session_state["talk_mode"] is True
    talk_css = "html { font-size: 20px; }"  # assets/talk.css: the talk stylesheet's larger root font
    assert any(talk_css in str(element.proto) for element in at.get("html"))
    at.toggle(key="talk_mode").set_value(False).run()
    assert at.session_state["talk_mode"] is False
    assert "talk" not in _query(at)
    assert not any(talk_css in str(element.proto) for element in at.get("html"))
    at.toggle(key="talk_mode").set_value(True).run()
    assert _query(at) == {"talk": "true"}


def test_copy_link_shows_the_current_view():
    at = run_app("weights", {"cell": "LSTM", "timesteps": "12"})
    links = [code.value for code in at.code if "?" in code.value or code.value.startswith("/")]
    assert "/weights?cell=LSTM&timesteps=12" in links
    at.selectbox(key="cell").set_value("SimpleRNN").run()
    assert "/weights?cell=SimpleRNN&timesteps=12" in [code.value for code in at.code]


def test_invalid_combination_is_explained_not_crashed():
    at = run_app("overview", {"return_sequences": "false"})
    _assert_frame(at, DEFAULTS.replace(return_sequences=False))
    assert any("return_sequences=True" in w.value for w in at.sidebar.warning)


# The presets that tests/test_patterns_browser.py renders in a real browser (opened by link) on the pages that draw
# them (Overview, Unrolled, Weights, Shape flow): here their selectbox entry is checked on the other pages; the
# other presets, on every page.
IN_BROWSER_GRID = {name for name, spec in PRESETS.items() if spec in {DEFAULTS, *PATTERNS.values(), STACKING_MISTAKE}}
NOT_IN_BROWSER_GRID = [PAGES[page] for page in ("training", "equivalence", "code", "fix")]


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_page_under_every_preset(name):
    at = run_app("overview")
    at.selectbox(key="preset").set_value(name).run()
    spec = PRESETS[name]
    pages = NOT_IN_BROWSER_GRID if name in IN_BROWSER_GRID else PAGES.values()
    total = None
    if name in GRU_PRESETS:
        # GRU (reset_after) and Dense parameters by Keras's documented formulas, derived here.
        i, u, o = spec.input_size, spec.hidden_size, spec.output_size
        total = 3 * u * (i + u + 2) + o * (u + 1)
    elif spec.is_valid:  # the patterns: describe() equals Keras for them (tests/test_patterns.py)
        total = describe(spec).total_params
    for path in pages:
        at.switch_page(path).run()
        _assert_frame(at, spec)
        summary = "\n".join(caption.value for caption in at.sidebar.caption)
        assert f"T={spec.timesteps}" in summary
        if total is not None:
            assert f"{total:,} params" in summary
