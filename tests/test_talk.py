"""Talks without a browser: the guided stories (data, URL round-trip, bad links), slide cards, PNG export of figures."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from core import describe
from core.model.anatomy import format_shape
from core.talk.stories import STORIES, read_story, story_query
from tests.conftest import page_text, run_app

PAGE_TITLES = {
    "": "TimeDistributed(Dense) or Dense?",
    "unrolled": "Unrolled network",
    "weights": "Weights",
    "shapes": "Shape flow",
    "equivalence": "Equivalence lab",
}


def test_every_step_names_a_page_a_valid_spec_and_one_sentence():
    for story in STORIES.values():
        assert 4 <= len(story.steps) <= 9
        for step in story.steps:
            assert step.page in PAGE_TITLES
            # A refused model is shown where its page names the refusal: the Overview's card, a frames verdict.
            assert step.spec.is_valid or step.highlight in (("overview_invalid",), ("frames_verdict",))
            assert step.takeaway.count(". ") == 0 and step.takeaway.endswith(".")  # one sentence


def test_the_seed_story_says_what_keras_computes():
    """Every count a takeaway states is the step's own model's (core.describe is checked against Keras)."""
    steps = STORIES["seed"].steps
    weights = describe(steps[1].spec)
    assert f"{weights.total_params:,} in all" in steps[1].takeaway
    assert f"{weights.head.params:,} parameters" in steps[1].takeaway
    assert f"each of the {steps[2].spec.timesteps} timesteps" in steps[2].takeaway
    last_only = describe(steps[5].spec)
    assert str(last_only.output_shape) in steps[5].takeaway
    assert f"{last_only.output_shape}" in steps[6].takeaway


def _numbers_keras_reports(step) -> set[int]:
    """Every number the step's model can honestly be described with: its sizes, shapes, parameter counts."""
    description = describe(step.spec)
    numbers = {int(value) for value in step.spec.to_params().values() if value.isdigit()}
    numbers |= {description.total_params, len(description.stack)}
    for layer in description.layers:
        numbers |= {dim for dim in (*layer.input_shape, *layer.output_shape) if isinstance(dim, int)}
        numbers |= {layer.params, *(weight.size for weight in layer.weights)}
    return numbers


def test_the_patterns_story_states_only_numbers_of_its_models():
    """No count in a takeaway is typed in: each number is one describe() (checked against Keras) gives the step."""
    for step in STORIES["patterns"].steps:
        said = {int(text.replace(",", "")) for text in re.findall(r"\d[\d,]*\d|\d", step.takeaway)}
        assert said and said <= _numbers_keras_reports(step), step.takeaway
        assert format_shape(describe(step.spec).output_shape) in step.takeaway or step.page == "shapes"


def test_the_patterns_story_walks_the_five_patterns():
    one, many_one, many_many, one_many, seq2seq, targets = STORIES["patterns"].steps
    kernel = next(w for w in describe(one.spec).recurrent.weights if w.short_name == "recurrent_kernel")
    assert one.spec.timesteps == 1 and f"{kernel.size:,}-parameter recurrent kernel" in one.takeaway
    assert len(describe(one.spec).output_shape) == 2
    assert f"{describe(many_one.spec).total_params:,} parameters" in many_one.takeaway
    assert describe(many_many.spec).output_shape[1] == many_many.spec.timesteps
    assert one_many.spec.repeat == "input" and len(one_many.spec.input_shape()) == 2
    decoder = describe(seq2seq.spec)
    assert seq2seq.spec.repeat == "encoder" and seq2seq.spec.return_state
    assert decoder.output_shape[1] == seq2seq.spec.output_timesteps != seq2seq.spec.timesteps
    assert "h and c" in seq2seq.takeaway and len(decoder.recurrent.state_shapes) == 2
    assert format_shape(("N", *seq2seq.spec.target_shape(None, True)[1:])) in targets.takeaway


def test_the_patterns_story_link_opens_the_decoder_and_its_targets():
    at = run_app("overview", {"story": "patterns", "step": "5", "talk": "true"})
    assert not at.exception
    step = STORIES["patterns"].steps[4]
    assert at.title[0].value == PAGE_TITLES[step.page]
    assert at.session_state["spec"] == step.spec and at.query_params["repeat"] == "encoder"
    assert step.takeaway in page_text(at)
    at.button(key="story_next").click().run()
    assert not at.exception and at.title[0].value == PAGE_TITLES["shapes"]
    assert at.radio(key="shapes_target_kind").value == "per_timestep"
    assert at.button(key="story_next").disabled


@pytest.mark.parametrize(
    "params, index, problem",
    [
        ({"story": ["seed"], "step": ["7"]}, 6, None),
        ({"story": ["seed"]}, 0, None),
        ({"story": ["seed"], "step": ["99"]}, 6, "allowed: 1 to 7"),
        ({"story": ["seed"], "step": ["0"]}, 0, "allowed: 1 to 7"),
        ({"story": ["seed"], "step": ["two"]}, 0, "`two`"),
        ({"story": ["seed"], "step": ["1", "2"]}, 0, "repeated"),
    ],
)
def test_read_story_clamps_a_bad_step_and_says_so(params, index, problem):
    story, found, message = read_story(params)
    assert story is STORIES["seed"] and found == index
    assert (message is None) if problem is None else (problem in message)


def test_an_unknown_story_is_no_story_with_a_message():
    story, _, message = read_story({"story": ["<script>" + "x" * 200]})
    assert story is None
    assert "seed | return_sequences" in message and len(message) < 200
    assert read_story({"step": ["3"]})[2] is not None
    assert read_story({}) == (None, 0, None)


def test_the_url_round_trips_a_step():
    for story in STORIES.values():
        for index in range(len(story.steps)):
            assert read_story({k: [v] for k, v in story_query(story, index).items()}) == (story, index, None)


def test_a_story_link_opens_its_step_page_spec_and_sentence():
    at = run_app("overview", {"story": "seed", "step": "6", "talk": "true"})
    assert not at.exception
    step = STORIES["seed"].steps[5]
    assert at.title[0].value == PAGE_TITLES[step.page]
    assert at.session_state["spec"] == step.spec
    assert step.takeaway in page_text(at)
    assert at.query_params["story"] == "seed" and at.query_params["step"] == "6"
    assert at.query_params["return_sequences"] == "false"
    # Next: the following step, its widget set, and the URL follows.
    at.button(key="story_next").click().run()
    assert not at.exception
    assert STORIES["seed"].steps[6].takeaway in page_text(at)
    assert at.radio(key="shapes_target_kind").value == "per_timestep"
    assert at.query_params["step"] == "7"
    assert at.button(key="story_next").disabled
    at.button(key="story_exit").click().run()
    assert "story" not in at.query_params and not at.exception


@pytest.mark.parametrize("params", [{"story": "nope", "cell": "LSTM"}, {"story": "seed", "step": "x", "cell": "LSTM"}])
def test_a_bad_story_link_says_so_and_keeps_the_rest(params):
    at = run_app("overview", params)
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert ("story" in warnings and "seed | return_sequences" in warnings) or "allowed: 1 to 7" in warnings
    if params["story"] == "nope":
        assert at.session_state["spec"].cell == "LSTM"  # the rest of the link still applies
        assert "story" not in at.query_params


def test_slide_cards_keep_their_counts():
    at = run_app("overview", {"talk": "true"})
    assert not at.exception
    metrics = [metric.value for metric in at.metric]
    total = describe(at.session_state["spec"]).total_params
    assert metrics[:3] == [f"{total:,}"] * 3  # the seed's three cards; the pattern gallery's four follow
    assert len(metrics) == 3 + 4
    assert re.search(r"Keras cannot build it", page_text(at))


def test_every_figure_exports_a_projector_sized_png():
    at = run_app("unrolled", {"timesteps": "6"})
    for chart in at.get("plotly_chart"):
        config = json.loads(chart.proto.config)
        assert config["toImageButtonOptions"] == {"format": "png", "width": 1920, "height": 1080, "scale": 1}


class _Cells(HTMLParser):
    """The rows of an HTML table as lists of (text, title) pairs, header row first."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str]]] = []
        self._title: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._title = dict(attrs).get("title", "")
            self.rows[-1].append(("", self._title))

    def handle_data(self, data):
        if self._title is not None:
            text, title = self.rows[-1][-1]
            self.rows[-1][-1] = (text + data, title)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._title = None


def _slide_tables(at) -> list[list[dict[str, str]]]:
    """Each talk-mode table of a run as a list of {column: cell text} rows; checks every cell's hover is its text."""
    tables = []
    for element in at.get("html"):
        if 'class="tde-table"' not in element.proto.body:
            continue
        parser = _Cells()
        parser.feed(element.proto.body)
        header, *rows = parser.rows
        assert all(text == title for row in parser.rows for text, title in row)  # the whole text on hover
        tables.append([dict(zip([text for text, _ in header], [text for text, _ in row], strict=True)) for row in rows])
    return tables


def test_in_talk_mode_the_weights_tables_are_html_whose_text_grows_with_the_same_numbers():
    spec_params = {"cell": "LSTM", "hidden_size": "40"}  # 4 × (15 + 40 + 1) × 40 = 8,960: separators show
    at = run_app("weights", {**spec_params, "talk": "true"})
    assert not at.exception
    assert len(at.dataframe) == 0  # a canvas table cannot grow with talk mode's text
    weights, *others = _slide_tables(at)
    variants = next(rows for rows in others if "Fact" in rows[0])
    description = describe(at.session_state["spec"])
    shown = {row["Layer"]: row["Parameters"] for row in weights}
    assert shown == {layer.name: f"{layer.params:,}" for layer in description.layers}
    assert "8,960" in shown.values()
    assert {row["Keras class"] for row in weights} >= {"LSTM", "TimeDistributed(Dense)"}
    facts = {row["Fact"]: row for row in variants}
    assert facts["Targets must be"]["Model 3"] == format_shape(
        description.spec.replace(return_sequences=False, head="dense").target_shape()
    )
    assert facts["return_sequences"]["Model 1"] == "True" and facts["Builds in Keras"]["Invalid"] == "no"
    assert facts["Total parameters"]["Model 1"] == f"{description.total_params:,}"
    assert any("background-color: #fdd0a2" in element.proto.body for element in at.get("html"))  # differences
    normal = run_app("weights", spec_params)
    assert (
        not normal.exception
        and normal.get("html")
        and not [element for element in normal.get("html") if "tde-table" in element.proto.body]
    )
    assert len(normal.dataframe) >= 2
