"""What a learner notices across pages: numbers written one way, names that wrap whole, the model named fully."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest

from core import ModelSpec
from core.tables import growth_data, summary_table, weights_table, with_separators
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


@pytest.mark.parametrize("params", [{}, {"bidirectional": "true", "cell": "LSTM"}, {"talk": "true"}])
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
