"""The Fix my error page through AppTest: the issue's four cases with the learner's model, where the model came from,
loading a checked fix, the sidebar's model only by choice, bad input, and the links here."""

from __future__ import annotations

import pytest

from core import ModelSpec
from tests.conftest import page_text, run_app, settle
from tests.test_diagnose import CASE_A, CASE_B, CASE_C, MODEL_A, MODEL_B, MODEL_C, MODEL_D

CASES = [
    (CASE_A, "(1000, 20)", "(1000, 1)", MODEL_A, "input_rank", "LSTM(32) → Dense(1)"),
    (CASE_B, "(500, 30, 8)", "(500, 30, 1)", MODEL_B, "target_rank", "LSTM(32) → Dense(1, activation="),
    (CASE_C, "(500, 30, 4)", "(500, 8)", MODEL_C, "target_rank", "GRU(16, return_sequences=True)"),
    ("", "(500, 30, 8)", "(500, 30)", MODEL_D, "already_works", "LSTM(32, return_sequences=True) → Dense(1)"),
]


@pytest.fixture(scope="module")
def fix_page():
    """One app session on the Fix page, reused (each test sets the inputs it needs)."""
    at = run_app(timeout=180)
    at.switch_page("views/fix.py").run()
    assert not at.exception
    return at


def _paste(at, text: str, x: str = "", y: str = "", model: str | None = None, choice: int = 0):
    at.text_area(key="fix_text").set_value(text)
    at.text_input(key="fix_x").set_value(x)
    at.text_input(key="fix_y").set_value(y)
    at.radio(key="fix_model_choice").set_value(
        ("Paste its summary or code", "Upload a .keras file", "Use the sidebar's model", "No model")[choice]
    )
    at.run()
    if model is not None:
        at.text_area(key="fix_model_text").set_value(model)
        at.run()
    settle(at)  # the fixes' check ran in the worker: the page shows its verdict on the next run
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("text", "x", "y", "model", "cause", "line"), CASES, ids=[case[4] for case in CASES])
def test_each_case_gets_its_cause_the_model_line_and_checked_fixes(fix_page, text, x, y, model, cause, line):
    at = _paste(fix_page, text, x, y, model)
    shown = page_text(at)
    assert f"Cause code: `{cause}`" in shown
    assert "Your model, as read from your code:" in shown and line in shown
    assert "Checked by Keras" in shown
    assert "did not pass Keras's check" not in shown


def test_a_checked_fix_loads_the_learners_fixed_model(fix_page):
    at = _paste(fix_page, *CASES[0][:4])
    at.button(key="fix_load_0").click().run()
    assert not at.exception
    spec = at.session_state["spec"]
    assert (spec.cell, spec.hidden_size, spec.return_sequences, spec.head) == ("LSTM", 32, False, "dense")
    assert (spec.timesteps, spec.input_size, spec.output_size, spec.activation) == (20, 1, 1, "linear")
    assert at.number_input(key="timesteps").value == 20
    assert "Loaded the fixed model" in page_text(at)


# What the URL holds once each case's first loadable fix is loaded (the frame writes the spec into the query).
LOADED_URL = [
    ("cell=LSTM", "timesteps=20", "input_size=1", "hidden_size=32", "activation=linear"),
    ("cell=LSTM", "timesteps=30", "head=dense", "output_size=1", "activation=linear"),
    ("return_sequences=false", "timesteps=30", "input_size=4", "head=dense", "activation=linear"),
    ("cell=LSTM", "timesteps=30", "hidden_size=32", "head=dense", "output_size=1"),
]


@pytest.mark.parametrize(("case", "url_parts"), zip(CASES, LOADED_URL, strict=True), ids=[case[4] for case in CASES])
def test_each_cases_first_checked_fix_loads_into_the_url(fix_page, case, url_parts):
    """Each case's first loadable fix (its button, as a browser's first), loaded: the page says so and the URL holds
    the fixed model. A real browser makes the same click for one case (tests/test_fix_browser.py)."""
    at = _paste(fix_page, *case[:4])
    loads = [button for button in at.button if button.label == "Load this model into the app"]
    assert loads and not loads[0].disabled
    loads[0].click().run()
    assert not at.exception
    assert "Loaded the fixed model" in page_text(at)
    query = {key: at.query_params[key] for key in at.query_params}
    for part in url_parts:
        key, value = part.split("=")
        assert query.get(key) == value, (part, str(sorted(query.items())))


def test_without_a_model_the_sidebar_is_not_used(fix_page):
    at = _paste(fix_page, CASE_A, choice=3)
    shown = page_text(at)
    assert "No model given" in shown and "as read from your" not in shown
    assert "as read from the error message (you gave none): layer 'lstm', the first LSTM in Keras's naming" in shown
    assert "Cause code: `input_rank`" in shown
    assert "GRU" not in shown  # the sidebar's cell never appears uninvited


def test_the_sidebars_model_only_when_chosen(fix_page):
    fix_page.button(key="reset").click().run()  # the seed's model 1
    at = _paste(fix_page, "", "(100, 64, 15)", "(100, 8)", choice=2)
    shown = page_text(at)
    assert "Your model, as read from the sidebar (you chose it):" in shown
    assert "Cause code: `target_rank`" in shown


def test_an_unreadable_model_says_why(fix_page):
    at = _paste(fix_page, CASE_A, model="this is not a model (")
    assert "no model could be read" in page_text(at).lower()


def test_upload_choice_shows_a_capped_uploader(fix_page):
    at = _paste(fix_page, CASE_A, choice=1)
    uploaders = at.get("file_uploader")
    assert uploaders and uploaders[0].proto.max_upload_size_mb == 5


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
    at = _paste(fix_page, text, x=x, choice=3)
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


def _saved_keras_file(tmp_path) -> bytes:
    """A .keras file saved by Keras itself: LSTM(4, return_sequences=True) → Dense(1), compiled with MSE."""
    from core.keras.env import load_keras

    keras = load_keras()
    model = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(4, return_sequences=True), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    path = tmp_path / "model.keras"
    model.save(path)
    return path.read_bytes()


def test_an_uploaded_keras_file_gives_the_model_and_already_works(fix_page, tmp_path):
    at = _paste(fix_page, "", "(20, 6, 3)", "(20, 6)", choice=1)
    at.get("file_uploader")[0].upload("model.keras", _saved_keras_file(tmp_path)).run()
    settle(at)
    shown = page_text(at)
    assert "Your model, as read from your .keras file: `LSTM(4, return_sequences=True) → Dense(1)`" in shown
    assert "Cause code: `already_works`" in shown


def test_an_upload_that_is_not_a_keras_file_gets_one_sentence(fix_page):
    at = _paste(fix_page, CASE_A, choice=1)
    at.get("file_uploader")[0].upload("model.keras", b"not a zip at all" * 10).run()
    warnings = [element.value for element in at.warning]
    assert len(warnings) == 1 and warnings[0].endswith(".")
    assert "Cause code: `input_rank`" in page_text(at)


def test_an_unreadable_model_still_lends_its_layer_names(fix_page):
    python2 = "model.add(Conv2D(8, (3, 3), input_shape=(32, 32, 3)))\nmodel.add(Flatten())\nmodel.add(LSTM(8))\nprint X"
    text = "ValueError: Input 0 is incompatible with layer lstm_1: expected ndim=3, found ndim=2"
    at = _paste(fix_page, text, model=python2)
    shown = page_text(at)
    assert "no model could be read" in shown.lower()
    assert "Cause code: `flatten_merges_time`" in shown


def test_the_introduction_folds_on_a_slide_as_every_page_s_does():
    at = run_app("fix", {"talk": "true"})
    assert not at.exception
    assert [expander.label for expander in at.expander][:1] == [
        "Paste a Keras error: get its cause and fixes Keras checked"
    ]
    assert "Paste the error Keras gave you" in at.expander[0].markdown[0].value
