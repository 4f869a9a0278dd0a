"""The Overview page: the seed's numbers, and for other configurations the numbers Keras itself computes."""

from __future__ import annotations

import html

import pytest

from core import describe
from tests.conftest import page_text, run_app


def _columns(at):
    """Per column of the four variants: (its markdown text, its metric values, its errors, its code blocks)."""
    main_columns = at.main.columns[:4]  # the seed's four; the pattern gallery's four cards follow
    out = []
    for column in main_columns:
        out.append(
            (
                "\n".join(str(m.value) for m in column.markdown),
                [m.value for m in column.metric],
                [e.value for e in column.error],
                [c.value for c in column.code],
            )
        )
    return out


def test_seed_numbers_by_the_documented_formula():
    at = run_app("overview")
    assert not at.exception
    # The seed: GRU(16) on 15 inputs, reset_after=True: 3u(i+u+2); Dense(8) on 16 features: o(u+1).
    gru, dense = 3 * 16 * (15 + 16 + 2), 8 * (16 + 1)
    assert f"{gru + dense:,}" == "1,720"
    columns = _columns(at)
    for text, metrics, errors, _ in columns[:3]:
        assert metrics == ["1,720"]
        assert f"{gru:,} params" in text and f"{dense:,} params" in text
        assert not errors
    assert "(None, 64, 8)" in columns[0][0] and "(None, 64, 8)" in columns[1][0]
    assert "(None, 8)" in columns[2][0] and "(None, 64, 8)" not in columns[2][0]
    invalid_text, invalid_metrics, invalid_errors, invalid_code = columns[3]
    assert not invalid_metrics
    assert not invalid_errors  # an error box of its own, whose identifiers wrap only after "(", "," and "="
    assert "With return_sequences=False the GRU layer" in html.unescape(invalid_text.replace("<wbr>", ""))
    assert any("at least 3 dimensions" in code for code in invalid_code)
    text = page_text(at)
    assert "Model 1 and Model 2 are the same model" in text
    assert "sequence to one label" in text
    assert "your sidebar model" in text


def test_talk_mode_keeps_all_four_variants():
    at = run_app("overview", {"talk": "true"})
    assert not at.exception
    assert [metrics for _, metrics, _, _ in _columns(at)] == [["1,720"], ["1,720"], ["1,720"], []]


def test_links_to_every_claim():
    at = run_app("overview")
    targets = {link.proto.page for link in at.get("page_link")}
    for page in ("weights", "unrolled", "shapes", "equivalence", "training", "code"):
        assert any(page in target for target in targets), (page, targets)


@pytest.fixture(scope="module")
def keras():
    from core.keras.env import load_keras

    return load_keras()


def _keras_model(keras, cell, bidirectional, merge_mode, return_sequences, head, T, i, u, o, name):
    """The seed's model written out directly in Keras (not through core.keras.models), tiny."""
    rnn = getattr(keras.layers, cell)(u, return_sequences=return_sequences)
    if bidirectional:
        rnn = keras.layers.Bidirectional(rnn, merge_mode=merge_mode)
    dense = keras.layers.Dense(o)
    if head == "time_distributed":
        dense = keras.layers.TimeDistributed(dense)
    return keras.Sequential([keras.Input((T, i)), rnn, dense, keras.layers.Activation("softmax")], name=name)


@pytest.mark.parametrize(
    ("cell", "bidirectional", "merge_mode"),
    [("LSTM", False, "concat"), ("SimpleRNN", True, "concat"), ("GRU", True, "sum")],
)
def test_numbers_match_real_keras(keras, cell, bidirectional, merge_mode):
    T, i, u, o = 5, 3, 4, 2
    params = {
        "cell": cell,
        "bidirectional": str(bidirectional).lower(),
        "merge_mode": merge_mode,
        "timesteps": str(T),
        "input_size": str(i),
        "hidden_size": str(u),
        "output_size": str(o),
    }
    at = run_app("overview", params)
    assert not at.exception
    columns = _columns(at)
    variants = [(True, "time_distributed"), (True, "dense"), (False, "dense")]
    for index, (return_sequences, head) in enumerate(variants):
        model = _keras_model(
            keras, cell, bidirectional, merge_mode, return_sequences, head, T, i, u, o, f"overview_{index}"
        )
        text, metrics, _, _ = columns[index]
        assert metrics == [f"{model.count_params():,}"]
        shape = "(" + ", ".join("None" if d is None else str(d) for d in model.output_shape) + ")"
        assert f"Output shape **{shape}**" in text.replace("\xa0", " ")  # shapes do not break inside
        for layer in model.layers:
            assert f"{layer.count_params():,} params" in text
    with pytest.raises(ValueError) as refused:
        _keras_model(keras, cell, bidirectional, merge_mode, False, "time_distributed", T, i, u, o, "overview_bad")
    keras_message = str(refused.value)
    shown = columns[3][3]
    assert any(code.split("received:")[0].strip() in keras_message for code in shown), (shown, keras_message)


def test_pattern_gallery_shows_each_pattern_and_loads_it_with_one_click():
    from core.model.spec import PATTERNS, STACKING_MISTAKE

    at = run_app("overview")
    assert not at.exception
    metrics = [metric.value for metric in at.metric]
    for name, pattern in PATTERNS.items():
        # The card's count is describe()'s, which tests/test_patterns.py proves equal to Keras's.
        assert f"{describe(pattern).total_params:,}" in metrics, name
    at.button(key="pattern_One-to-many").click().run()
    assert not at.exception
    assert at.session_state["spec"] == PATTERNS["One-to-many"]
    assert at.selectbox(key="repeat").value == "input" and at.number_input(key="timesteps").value == 12
    at.button(key="pattern_mistake").click().run()
    assert at.session_state["spec"] == STACKING_MISTAKE
    assert any("expected ndim=3, found ndim=2" in warning.value for warning in at.sidebar.warning)
