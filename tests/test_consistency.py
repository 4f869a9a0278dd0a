"""What a learner notices across pages: numbers written one way, names that wrap whole, the model named fully."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest

from core import ModelSpec
from core.figures.tables import growth_data, summary_table, weights_table, with_separators
from core.model.spec import clamp_whole_number
from tests.conftest import run_app

# Big enough for four- and seven-digit numbers in every table.
LARGE = {"cell": "LSTM", "bidirectional": "true", "hidden_size": "300", "input_size": "200"}


def _shown(element) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A dataframe element's data and what the browser is told to display (the Styler's text when there is one)."""
    arrow = element.proto.arrow_data
    data = pa.ipc.open_stream(arrow.data).read_pandas()
    if arrow.styler.display_values:
        return data, pa.ipc.open_stream(arrow.styler.display_values).read_pandas()
    return data, data


@pytest.mark.parametrize("page", ["weights", "shapes"])
def test_every_table_shows_whole_numbers_with_thousands_separators(page: str) -> None:
    at = run_app(page, LARGE)
    assert not at.exception
    checked = 0
    for element in at.dataframe:
        data, shown = _shown(element)
        for column in data.columns:
            if pd.api.types.is_integer_dtype(data[column]) and not pd.api.types.is_bool_dtype(data[column]):
                for value, text in zip(data[column], shown[column], strict=True):
                    assert str(text) == f"{value:,}", (page, column, value, text)
                    checked += value >= 1000
    assert checked, "no number of four digits or more was checked"


def test_separators_change_the_display_only() -> None:
    spec = ModelSpec(hidden_size=300)
    table = summary_table(spec)
    assert list(table.columns) == ["Layer", "Keras class", "Output shape", "Parameters"]
    assert table["Parameters"].tolist() == weights_table(spec)["Parameters"].tolist()
    styled = with_separators(growth_data(spec, "hidden_size"))
    assert styled.data["params"].dtype.kind == "i"  # still sorts by value
    html = styled.to_html()
    assert f"{int(styled.data['params'].max()):,}" in html
    assert "True" in html or "False" in html  # the boolean column is left alone


def test_weights_intro_names_the_bidirectional_wrapper() -> None:
    at = run_app("weights", {"bidirectional": "true", "cell": "LSTM"})
    assert not at.exception
    assert "`Bidirectional(LSTM)` → `TimeDistributed(Dense)`" in at.markdown[0].value


# Talk mode's cards show no layer rows (tests/test_talk.py checks what they show).
@pytest.mark.parametrize("params", [{}, {"bidirectional": "true", "cell": "LSTM"}])
def test_overview_class_names_wrap_after_the_parenthesis(params: dict) -> None:
    """A narrow column cuts a word it cannot break ("TimeDistributed(Dens e)"): each layer's class name offers a
    break (<wbr>) after its parenthesis, so no unbreakable piece of a layer row is longer than "TimeDistributed("."""
    at = run_app("overview", params)
    assert not at.exception
    rows = [element.value for column in at.main.columns for element in column.markdown if "params" in element.value]
    assert len(rows) == 4
    words = [word for text in rows for word in re.split(r"\s+|<wbr>", text.replace("**", ""))]
    assert "TimeDistributed(" in words and "Dense)" in words
    assert max(len(word) for word in words) <= len("TimeDistributed("), max(words, key=len)


@pytest.mark.parametrize(
    "typed, expected, says",
    [
        (99999, 512, "99,999 is above 512, the largest allowed: set to 512"),
        (513, 512, "above 512"),
        (1000.0, 512, "1,000 is above 512"),  # what the browser sends for "1e3"
        (0, 1, "0 is below 1, the smallest allowed: set to 1"),
        (-5, 1, "-5 is below 1"),
        (2.5, 12, "2.5 is not a whole number; kept 12"),
        (float("nan"), 12, "not a number; kept 12"),
        (None, 12, "not a number; kept 12"),
        (40.0, 40, None),
    ],
)
def test_a_typed_size_is_clamped_or_kept_and_says_why(typed, expected: int, says: str | None) -> None:
    value, note = clamp_whole_number(typed, 1, 512, previous=12)
    assert value == expected and isinstance(value, int)
    assert note == says if says is None else says in note


def test_the_sidebar_says_why_a_typed_size_changed() -> None:
    at = run_app("overview", {"timesteps": "12", "hidden_size": "5"})
    at.number_input(key="timesteps").set_value(99999).run()
    assert not at.exception
    assert at.session_state["spec"] == ModelSpec(timesteps=512, hidden_size=5)  # the other settings kept
    assert at.number_input(key="timesteps").value == 512
    notes = [w.value for w in at.sidebar.warning]
    assert notes == ["**Timesteps (T)**: 99,999 is above 512, the largest allowed: set to 512."]
    at.number_input(key="hidden_size").set_value(2.5).run()
    assert at.session_state["spec"] == ModelSpec(timesteps=512, hidden_size=5)
    notes = [w.value for w in at.sidebar.warning]
    assert notes == ["**Hidden size (recurrent units)**: 2.5 is not a whole number; kept 5."]
    at.number_input(key="hidden_size").set_value(6).run()
    assert at.session_state["spec"] == ModelSpec(timesteps=512, hidden_size=6)
    assert not at.sidebar.warning
