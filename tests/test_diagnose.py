"""core.diagnosis against real Keras: 3.15's own messages (made here by fitting broken models), the wordings of Keras 1,
Keras 2, tf.keras and TensorFlow (quoted, as only those versions printed them), each reading family, the issue's
four cases, and the head/loss rule. Keras checks every fix the four cases offer (core.diagnosis.check)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.diagnosis import CAUSES, ShapeError, diagnose, parse_shape, read_error
from core.diagnosis.causes import layer_positions
from core.diagnosis.heads import head_problems
from core.diagnosis.net import Net, NetLayer, net_from_spec, net_to_spec
from core.diagnosis.source import read_learner_text
from core.model.spec import ModelSpec

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

CASE_A = (
    'ValueError: Input 0 of layer "lstm" is incompatible with the layer: expected ndim=3, found ndim=2. '
    "Full shape received: (None, 20)"
)
CASE_B = "ValueError: Shapes (None, 30, 1) and (None, 1) are incompatible"
CASE_C = (
    "ValueError: Dimensions must be equal, but are 30 and 8 for '{{node mean_squared_error/SquaredDifference}} = "
    "SquaredDifference[T=DT_FLOAT](sequential/dense/Softmax, IteratorGetNext:1)' with input shapes: [?,30,8], [?,8]."
)
MODEL_A = "model = Sequential([LSTM(32, input_shape=(20,)), Dense(1)])\nmodel.compile(loss='mse', optimizer='adam')"
MODEL_B = (
    "model = Sequential([LSTM(32, input_shape=(30, 8)), Dense(1, activation='softmax')])\n"
    "model.compile(loss='categorical_crossentropy', optimizer='adam')"
)
MODEL_C = (
    "model = Sequential([GRU(16, return_sequences=True, input_shape=(30, 4)), Dense(8, activation='softmax')])\n"
    "model.compile(loss='mean_squared_error', optimizer='adam')"
)
MODEL_D = "LSTM(32, return_sequences=True) → Dense(1)"


def _added(diff: str) -> str:
    """The lines a diff adds."""
    return "\n".join(line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))


def _net(text: str) -> Net:
    net, why = read_learner_text(text)
    assert net is not None, why
    return net


@pytest.fixture(scope="module")
def keras():
    from core.keras.env import load_keras

    return load_keras()


@pytest.fixture(scope="module")
def keras_messages(keras) -> dict[str, str]:
    """Keras 3's real message for each broken model (tiny sizes; one Keras import for the module)."""
    import numpy as np

    L = keras.layers

    def error(layers, x, y, loss="categorical_crossentropy"):
        try:
            model = keras.Sequential(layers)
            model.compile(loss=loss, optimizer="rmsprop")
            model.fit(np.zeros(x, "float32"), np.zeros(y, "float32"), epochs=1, batch_size=x[0], verbose=0)
        except Exception as exc:  # Keras raises ValueError; TensorFlow its own errors
            return f"{type(exc).__name__}: {exc}"
        raise AssertionError(f"Keras accepted {layers}")

    def gru(seq=True):
        return L.GRU(4, return_sequences=seq)

    softmax = L.Activation("softmax")
    return {
        "k3_rank_td": error([L.Input((5, 3)), gru(), L.TimeDistributed(L.Dense(2)), softmax], (4, 5, 3), (4, 2)),
        "k3_rank_last": error([L.Input((5, 3)), gru(False), L.Dense(2), L.Activation("softmax")], (4, 5, 3), (4, 5, 2)),
        "k3_rank_mse": error([L.Input((5, 3)), gru(), L.Dense(2)], (4, 5, 3), (4, 2), "mse"),
        "k3_steps_cce": error([L.Input((8, 3)), gru(), L.Dense(5), L.Activation("softmax")], (1, 8, 3), (1, 12, 5)),
        "k3_steps_mse": error([L.Input((8, 3)), gru(), L.Dense(5)], (1, 8, 3), (1, 4, 5), "mse"),
        "k3_size_cce": error([L.Input((5, 3)), gru(False), L.Dense(8), L.Activation("softmax")], (4, 5, 3), (4, 3)),
        "k3_size_mse": error([L.Input((5, 3)), gru(False), L.Dense(8)], (4, 5, 3), (4, 3), "mse"),
        "k3_labels_col": error([L.Input((5, 3)), gru(False), L.Dense(10), L.Activation("softmax")], (4, 5, 3), (4, 1)),
        "k3_labels_flat": error([L.Input((5, 3)), gru(False), L.Dense(10), L.Activation("softmax")], (4, 5, 3), (4,)),
        "k3_labels_steps": error([L.Input((5, 3)), gru(), L.Dense(10), L.Activation("softmax")], (4, 5, 3), (4, 5)),
        "k3_input_2d": error([gru(False), L.Dense(2)], (4, 3), (4, 2), "mse"),
        "k3_input_2d_declared": error([L.Input((5, 3)), gru(False), L.Dense(2)], (4, 3), (4, 2), "mse"),
        "k3_input_4d": error([gru(False), L.Dense(2)], (4, 5, 3, 2), (4, 2), "mse"),
        "k3_features_cell": error([L.Input((5, 3)), gru(False), L.Dense(2)], (4, 5, 5), (4, 2), "mse"),
        "k3_stacked": error([L.Input((5, 3)), L.LSTM(6), L.LSTM(4), L.Dense(2)], (4, 5, 3), (4, 2), "mse"),
        "k3_td_last": error([L.Input((5, 3)), L.LSTM(6), L.TimeDistributed(L.Dense(2))], (4, 5, 3), (4, 2), "mse"),
        "k3_repeat": error(
            [L.Input((5, 3)), L.LSTM(6, return_sequences=True), L.RepeatVector(5), L.LSTM(4, return_sequences=True)],
            (4, 5, 3),
            (4, 5, 4),
            "mse",
        ),
    }


# (key, cause, the learner's X when the message alone cannot tell: Keras's layer counters run across a test process)
KERAS3 = [
    ("k3_rank_td", "target_rank", None),
    ("k3_rank_last", "target_rank", None),
    ("k3_rank_mse", "target_rank", None),
    ("k3_steps_cce", "timesteps_mismatch", None),
    ("k3_steps_mse", "timesteps_mismatch", None),
    ("k3_size_cce", "output_size_mismatch", None),
    ("k3_size_mse", "output_size_mismatch", None),
    ("k3_labels_col", "labels_not_one_hot", None),
    ("k3_labels_flat", "labels_not_one_hot", None),
    ("k3_labels_steps", "labels_not_one_hot", None),
    ("k3_input_2d", "input_rank", (4, 3)),
    ("k3_input_2d_declared", "input_rank", None),
    ("k3_input_4d", "input_rank", (4, 5, 3, 2)),
    ("k3_features_cell", "input_features_mismatch", None),
    ("k3_stacked", "stacked_return_sequences", None),
    ("k3_td_last", "timedistributed_needs_sequence", None),
    ("k3_repeat", "repeatvector_needs_vector", None),
]


@pytest.mark.parametrize(("key", "cause", "x"), KERAS3, ids=[case[0] for case in KERAS3])
def test_keras3_real_messages(keras_messages, key, cause, x):
    diagnosis = diagnose(keras_messages[key], x)
    assert diagnosis.cause == cause, (keras_messages[key][-300:], diagnosis.explanation)
    assert diagnosis.error_line


HISTORICAL = [
    (
        "Exception: Error when checking model target: expected timedistributed_1 to have 3 dimensions, but got array "
        "with shape (1822, 1)",
        "target_rank",
    ),
    ("Exception: Input 0 is incompatible with layer dense_1: expected ndim=2, found ndim=3", "dense_needs_2d_keras1"),
    (
        "Exception: Input 0 is incompatible with layer repeatvector_1: expected ndim=2, found ndim=3",
        "repeatvector_needs_vector",
    ),
    (
        "Exception: Error when checking model input: expected lstm_input_1 to have 3 dimensions, but got array with "
        "shape (100, 15)",
        "input_rank",
    ),
    (
        "ValueError: Error when checking target: expected dense_2 to have shape (15, 2) "
        "but got array with shape (30, 2)",
        "timesteps_mismatch",
    ),
    (
        "ValueError: You are passing a target array of shape (1822, 1) while using as loss `categorical_crossentropy`.",
        "labels_not_one_hot",
    ),
    (
        "ValueError: Input 0 is incompatible with layer lstm_2: expected ndim=3, found ndim=2",
        "stacked_return_sequences",
    ),
    ("ValueError: Input 0 is incompatible with layer lstm_1: expected ndim=3, found ndim=2", "input_rank"),
    (
        "ValueError: Error when checking input: expected lstm_1_input to have shape (64, 15) but got array with shape "
        "(64, 16)",
        "input_features_mismatch",
    ),
    (
        '  File "/usr/lib/python3/keras/layers/wrappers.py", line 172, in build\n    assert len(input_shape) >= 3\n'
        "AssertionError",
        "timedistributed_needs_sequence",
    ),
    (
        "ValueError: A target array with shape (6682, 2) was passed for an output of shape (None, 15, 2) "
        "while using as "
        "loss `mean_squared_error`.",
        "target_rank",
    ),
    (
        "tensorflow.python.framework.errors_impl.InvalidArgumentError:  "
        "Incompatible shapes: [1,15,127] vs. [1,30,127]\n"
        "\t [[node mean_squared_error/SquaredDifference (defined at train.py:40) ]]",
        "timesteps_mismatch",
    ),
    (
        "ValueError: Input 0 of layer sequential is incompatible with the layer: expected ndim=3, found ndim=4. Full "
        "shape received: (None, 64, 15, 1)",
        "input_rank",
    ),
    (
        "ValueError: Input 0 of layer sequential is incompatible with the layer: "
        "expected axis -1 of input shape to have "
        "value 15 but received input with shape (None, 64, 16)",
        "input_features_mismatch",
    ),
    ("ValueError: Shapes (None, 1) and (None, 10) are incompatible", "labels_not_one_hot"),
    (
        "InvalidArgumentError: Received a label value of 5 which is outside the valid range of [0, 5).  "
        "Label values: 0 5",
        "sparse_label_range",
    ),
    (
        "ValueError: Data cardinality is ambiguous:\n  x sizes: 1000\n  y sizes: 999\nMake sure all arrays contain the "
        "same number of samples.",
        "batch_size_mismatch",
    ),
    (
        "InvalidArgumentError: logits and labels must have the same first dimension, "
        "got logits shape [32,5] and labels "
        "shape [320]",
        "target_rank",
    ),
    (
        "InvalidArgumentError: logits and labels must have the same first dimension, "
        "got logits shape [64,8] and labels "
        "shape [512]",
        "sparse_with_one_hot",
    ),
    (
        "ValueError: Kernel shape must have the same length as input, but received kernel of shape (3, 3, 3, 8) and "
        "input of shape (None, 10, 64, 64, 3).",
        "conv_needs_time_distributed",
    ),
    (
        "ValueError: Input 0 of layer lstm is incompatible with the layer: expected ndim=3, found ndim=5. Full shape "
        "received: (None, 10, 62, 62, 8)",
        "cnn_output_not_reduced",
    ),
    (
        "ValueError: Error when checking input: expected lstm_1_input to have 3 dimensions, but got array with shape "
        "(0, 30)",
        "empty_data",
    ),
]


HISTORICAL += [
    (
        "ValueError: Argument `output` must have rank (ndim) `target.ndim - 1`. Received: target.shape=(None, 10), "
        "output.shape=(None, 10)",
        "sparse_with_one_hot",
    ),
    (
        'ValueError: Input 0 of layer "lstm" is incompatible with the layer: expected ndim=3, found ndim=4. '
        "Full shape received: (None, 28, 28, 1)",
        "input_rank",
    ),
    ("ValueError: logits and labels must have the same shape ((None, 1) vs (None, 10))", "output_size_mismatch"),
    ("InvalidArgumentError: Matrix size-incompatible: In[0]: [32,100], In[1]: [50,10]", "input_features_mismatch"),
    ("InvalidArgumentError: Can not squeeze dim[1], expected a dimension of 1, got 5", "sparse_with_one_hot"),
    (
        "ValueError: Error when checking target: expected dense_1 to have shape (1,) but got array with shape (10,)",
        "output_size_mismatch",
    ),
]


@pytest.mark.parametrize(("text", "cause"), HISTORICAL, ids=range(len(HISTORICAL)))
def test_historical_wordings(text, cause):
    diagnosis = diagnose(text)
    assert diagnosis.cause == cause, (text, diagnosis.explanation)


def test_flatten_in_the_model_names_the_flatten():
    model = (
        "model.add(TimeDistributed(Conv2D(8, 3), input_shape=(10, 32, 32, 3)))\n"
        "model.add(Flatten())\nmodel.add(LSTM(8))"
    )
    text = "ValueError: Input 0 of layer lstm is incompatible with the layer: expected ndim=3, found ndim=2."
    assert diagnose(text, model_text=model).cause == "flatten_merges_time"


# -- reading: each family of wordings, and pastes as people make them -------------------------------------------

K3_RANK = (
    "ValueError: Arguments `target` and `output` must have the same rank (ndim). Received: target.shape=(32, 1, 4), "
    "output.shape=(32, 4)"
)


@pytest.mark.parametrize(
    "text",
    [
        K3_RANK,
        K3_RANK.replace("`", ""),  # copied from a rendered web page
        K3_RANK.replace("Received:", "\nReceived:\n").replace(", output", ",\n  output"),  # wrapped lines
        K3_RANK.replace(" ", "\r\n", 3),  # Windows line ends
        "\x1b[31m" + K3_RANK + "\x1b[0m",  # Jupyter's colours
        "> " + K3_RANK.replace("output.shape=", "output.shape=&#40;").replace("&#40;(", "("),
        "&gt; " + K3_RANK.replace("`", "&#96;"),  # HTML entities
        'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: Incompatible shapes: [1,2] vs. [3]\n'
        + K3_RANK,  # several errors: the last
    ],
    ids=["plain", "no backticks", "wrapped", "crlf", "ansi", "quoted reply", "entities", "several"],
)
def test_a_paste_reads_the_same_however_it_was_copied(text):
    reading = read_error(text)
    assert (reading.kind, reading.target, reading.output) == ("target", (32, 1, 4), (32, 4))
    assert diagnose(text).cause == "target_rank"


def test_keras_3_15_rewording_with_name_reads_its_layer():
    reading = read_error(CASE_A.replace('of layer "lstm"', "with name 'None' of layer 'lstm'"))
    assert (reading.kind, reading.layer, reading.expected_ndim, reading.found_ndim, reading.found) == (
        "layer_ndim",
        "lstm",
        3,
        2,
        (None, 20),
    )


@pytest.mark.parametrize(
    ("text", "kind", "first", "second"),
    [
        ("InvalidArgumentError: Incompatible shapes: [32,10] vs. [32,10,1]", "runtime", (32, 10), (32, 10, 1)),
        (
            "Dimensions must be equal, but are 10 and 5 for '{{node mse/sub}}' with input shapes: [?,10], [?,5].",
            "runtime",
            (None, 10),
            (None, 5),
        ),
    ],
)
def test_tensorflow_runtime_messages(text, kind, first, second):
    reading = read_error(text)
    assert (reading.kind, reading.expected, reading.found) == (kind, first, second)


def test_label_range_reads_the_label_and_the_classes():
    reading = read_error("Received a label value of 5 which is outside the valid range of [0, 5).")
    assert (reading.kind, reading.label_value, reading.classes, reading.loss) == ("label_range", 5, 5, "sparse")


@pytest.mark.parametrize(
    ("name", "generation", "positions"),
    [
        ("lstm", "keras3_or_tf2", (0,)),
        ("lstm_1", "keras3_or_tf2", (1,)),
        ("lstm_1", "keras2", (0,)),
        ("lstm_2", "keras2", (1,)),
        ("lstm_1", None, (0, 1)),
    ],
)
def test_layer_names_are_read_with_their_generation(name, generation, positions):
    assert layer_positions(name, generation) == positions


def test_a_notebook_counter_does_not_decide_alone():
    text = (
        "<ipython-input-3-1>\nValueError: Input 0 of layer lstm_2 is incompatible with the layer: expected ndim=3, "
        "found ndim=2. Full shape received: (None, 32)"
    )
    diagnosis = diagnose(text)
    assert diagnosis.cause == "unknown" and "stacked" in diagnosis.explanation
    assert "Missing:" in diagnosis.explanation


# -- the four cases ----------------------------------------------------------------------------------------


def test_case_a_is_input_rank_with_reshape_fixes_of_the_learners_lstm():
    diagnosis = diagnose(CASE_A, "(1000, 20)", "(1000, 1)", _net(MODEL_A))
    assert diagnosis.cause == "input_rank"
    assert "LSTM(32)" in diagnosis.model_line and diagnosis.model_source == "your code"
    assert len(diagnosis.fixes) == 2 and all(fix.check is not None for fix in diagnosis.fixes)
    for fix in diagnosis.fixes:
        assert "reshape" in fix.diff or "None, :]" in fix.diff
        assert "GRU" not in fix.diff and "layers.LSTM(32)" in fix.diff  # the learner's cell, not the sidebar's
        layers = [layer["kind"] for layer in fix.check["net"]["layers"]]
        assert layers == ["LSTM", "Dense"]  # no invented layer


def test_case_a_without_a_model_names_the_separating_fact():
    diagnosis = diagnose(CASE_A)
    assert diagnosis.cause == "input_rank"
    assert diagnosis.model_source == "the error message"
    assert diagnosis.model_line == "layer 'lstm', the first LSTM in Keras's naming"
    assert diagnosis.fixes and all(fix.check is None for fix in diagnosis.fixes)  # nothing to check: never "checked"
    assert diagnosis.runner_up is None or "X.shape" in diagnosis.separator


def test_case_b_fix_heads_match_their_loss():
    diagnosis = diagnose(CASE_B, "(500, 30, 8)", "(500, 30, 1)", _net(MODEL_B))
    assert diagnosis.cause == "target_rank"
    assert diagnosis.fixes
    for fix in diagnosis.fixes:
        net = fix.check["net"]
        head = net["layers"][-1]
        assert not head_problems(net["loss"], head["activation"] or "linear", head["units"], None, None)
        assert "softmax" not in _added(fix.diff)


def test_case_c_fix_heads_match_mse():
    diagnosis = diagnose(CASE_C, "(500, 30, 4)", "(500, 8)", _net(MODEL_C))
    assert diagnosis.cause == "target_rank"
    for fix in diagnosis.fixes:
        assert fix.check is not None and fix.check["net"]["loss"] == "mse"
        assert fix.check["net"]["layers"][-1]["activation"] == "linear"
        assert "softmax" not in _added(fix.diff)


def test_case_d_already_works_and_offers_nothing_that_changes_the_prediction():
    diagnosis = diagnose("", "(500, 30, 8)", "(500, 30)", _net(MODEL_D))
    assert diagnosis.cause == "already_works"
    assert "(500, 30, 1)" in diagnosis.explanation and "Y[..., None]" in diagnosis.explanation
    assert diagnosis.model_line == "LSTM(32, return_sequences=True) → Dense(1)"
    assert [fix.changes_prediction for fix in diagnosis.fixes] == [""]
    assert "Y = Y[..., None]" in diagnosis.fixes[0].diff


def test_case_d_really_fits_in_keras(keras):
    """Keras 3 fits LSTM(32, return_sequences=True) → Dense(1) on X (N, 30, 8), Y (N, 30): no error."""
    import numpy as np

    model = keras.Sequential(
        [keras.Input((30, 8)), keras.layers.LSTM(32, return_sequences=True), keras.layers.Dense(1)]
    )
    model.compile(loss="mse", optimizer="adam")
    history = model.fit(np.zeros((16, 30, 8), "float32"), np.zeros((16, 30), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_every_fix_of_the_four_cases_is_checkable():
    """Each fix of the four cases carries a check. That each check learns in Keras is proven where the page runs these
    very checks in the worker: tests/test_fix_page.py's test_each_case_gets_its_cause_the_model_line_and_checked_fixes
    (the same cases, shapes and models: "Checked by Keras", none "did not pass Keras's check")."""
    cases = [
        diagnose(CASE_A, "(1000, 20)", "(1000, 1)", _net(MODEL_A)),
        diagnose(CASE_B, "(500, 30, 8)", "(500, 30, 1)", _net(MODEL_B)),
        diagnose(CASE_C, "(500, 30, 4)", "(500, 8)", _net(MODEL_C)),
        diagnose("", "(500, 30, 8)", "(500, 30)", _net(MODEL_D)),
    ]
    checks = [fix.check for case in cases for fix in case.fixes]
    assert checks and all(check is not None for check in checks)


def test_a_fix_that_cannot_learn_is_refused_by_the_check():
    from core.keras.fix_check import check_net

    softmax_one = {
        "net": {
            "layers": [
                {"kind": "LSTM", "units": 4, "return_sequences": False, "activation": None},
                {"kind": "Dense", "units": 1, "return_sequences": False, "activation": "softmax"},
            ],
            "input_shape": [5, 3],
            "loss": "categorical_crossentropy",
        },
        "x_shape": [8, 5, 3],
        "y_shape": [8, 1],
    }
    assert "softmax over one unit" in check_net(softmax_one)


# -- the head/loss rule --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "activation", "units", "output", "target", "bad"),
    [
        ("mse", "linear", 1, (None, 1), (None, 1), False),
        ("mse", "softmax", 8, None, None, True),
        ("mae", "sigmoid", 1, None, None, True),
        ("categorical_crossentropy", "softmax", 1, None, None, True),
        ("categorical_crossentropy", "softmax", 5, (None, 5), (None, 5), False),
        ("categorical_crossentropy", "softmax", 5, (None, 5), (None, 1), True),
        ("sparse_categorical_crossentropy", "softmax", 5, (None, 5), (None,), False),
        ("sparse_categorical_crossentropy", "softmax", 5, (None, 7, 5), (None, 7, 1), False),
        ("sparse_categorical_crossentropy", "softmax", 5, (None, 5), (None, 5), True),
        ("binary_crossentropy", "sigmoid", 1, (None, 1), (None,), False),
        ("binary_crossentropy", "linear", 1, None, None, True),
    ],
)
def test_head_problems(loss, activation, units, output, target, bad):
    assert bool(head_problems(loss, activation, units, output, target)) is bad


def test_the_app_family_round_trips_through_net():
    for spec in (
        ModelSpec(),
        ModelSpec(cell="LSTM", return_sequences=False, head="dense", activation="linear"),
        ModelSpec(layers=2, bidirectional=True),
    ):
        assert net_to_spec(net_from_spec(spec)) == spec
    assert net_to_spec(Net((NetLayer("Conv1D", 8), NetLayer("Dense", 1)), (10, 3), "mse")) is None


# -- shapes and bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(None, 64, 8)", (None, 64, 8)),
        ("[1,15,127]", (1, 15, 127)),
        ("TensorShape([None, 16])", (None, 16)),
        ("[?,15,2]", (None, 15, 2)),
        ("(1822,)", (1822,)),
        (" 64, 8 ", (64, 8)),
    ],
)
def test_parse_shape(text, expected):
    assert parse_shape(text) == expected


@pytest.mark.parametrize("text", ["(-1, abc)", "(\u22121, 3)", "()", "(1,2,3,4,5,6,7,8,9)", "(0, 3)", "(1e5, 2)"])
def test_parse_shape_refuses_with_a_reason(text):
    with pytest.raises(ShapeError, match=r"dimension|empty|axes"):
        parse_shape(text)


@pytest.mark.parametrize(
    ("text", "x", "message"),
    [
        ("", None, "Nothing to read"),
        ("x" * 100_000, None, "100,000 characters"),
        ("\x00\x01\x02\x03\xff" * 200, None, "not look like an error message"),
        (b"\x00\xff\xfe" * 300, None, "not look like an error message"),
        (12345, None, "must be text"),
        ("", "(-1, abc)", "X shape:"),
        ("hello there", None, "Missing:"),
    ],
)
def test_bad_input_gets_a_clear_message(text, x, message):
    diagnosis = diagnose(text, x_shape=x)
    assert diagnosis.cause == "unknown"
    said = " ".join((diagnosis.explanation, *diagnosis.problems, *diagnosis.notes))
    assert message in said


def test_every_cause_has_a_title_and_an_explanation():
    from core.diagnosis.explain import TEXTS

    assert set(CAUSES) - {"unknown"} <= set(TEXTS)


def test_diagnose_does_not_load_tensorflow():
    code = (
        "import sys; from core.diagnosis import diagnose; from core.figures.diagnosis import diagnosis_figure; "
        "import core.diagnosis.check; d = diagnose('Incompatible shapes: [1,15,127] vs. [1,30,127]'); "
        "diagnosis_figure(d); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"


# -- robustness: fuzzed and adversarial pastes ------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PHRASES = [
    "Input 0 of layer ",
    "lstm_1",
    "is incompatible with the layer: expected ndim=",
    "found ndim=",
    "Full shape received: (",
    "Received: target.shape=(",
    "output.shape=(",
    "Shapes (",
    ") and (",
    "are incompatible",
    "Incompatible shapes: [",
    "vs. [",
    "Dimensions must be equal, but are ",
    "{{node ",
    "with input shapes: [",
    "Error when checking target: expected ",
    " to have ",
    "but got array with shape (",
    "Received a label value of ",
    "which is outside the valid range of [0, ",
    "logits and labels must have the same first dimension",
    "None",
    "?",
    ", ",
    "(",
    ")",
    "[",
    "]",
    "\n",
    "\r\n",
    "\x1b[31m",
    "&gt;",
    "> ",
    "`",
    "'",
    '"',
    "0",
    "7",
    "1L",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PHRASES), st.text(max_size=12)), max_size=60), st.text(max_size=30))
def test_any_paste_gets_an_answer(parts, shape):
    diagnosis = diagnose("".join(parts), shape, shape)
    assert diagnosis.cause in CAUSES and isinstance(diagnosis.explanation, str)


def _real_traceback() -> str:
    frames = "".join(
        f'  File "/site-packages/keras/src/layer_{n}.py", line {n}, in call\n    x = f(x)\n' for n in range(12)
    )
    return "Traceback (most recent call last):\n" + frames + CASE_A + "\n"


ADVERSARIAL = {
    "open brackets": "(" * 1_000_000,
    "a shape that never ends": "shape (" + "1, " * 100_000,
    "target.shape repeated": "Received: target.shape=(" * 20_000,
    "a real traceback x 500": _real_traceback() * 500,
    "input phrase repeated": "Input 0 of layer lstm is incompatible with the layer: " * 20_000,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_a_megabyte_of_adversarial_text_is_read_in_bounded_time(text):
    import time

    started = time.perf_counter()
    diagnosis = diagnose(text, "(" * 150, "shape (" + "1, " * 60)
    assert time.perf_counter() - started < 1.0
    assert diagnosis.cause in CAUSES


def test_a_normal_paste_is_read_in_a_blink():

    text = _real_traceback()
    best = min(_timed(diagnose, text, "(1000, 20)", "(1000, 1)") for _ in range(5))
    assert best < 0.1
    assert diagnose(text).cause == "input_rank"


def _timed(function, *args) -> float:
    import time

    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


# -- every cause's fixes, on the learner's model, learn in Keras ----------------------------------------------------

MODEL_CASES = [
    # (error, X, Y, the learner's code, cause)
    (
        "ValueError: Input 0 of layer lstm_1 is incompatible with the layer: expected ndim=3, found ndim=2.",
        "(100, 10, 3)",
        "(100, 2)",
        "model = Sequential([LSTM(8, input_shape=(10, 3)), LSTM(4), Dense(2)])\nmodel.compile(loss='mse')",
        "stacked_return_sequences",
    ),
    (
        "ValueError: `TimeDistributed` Layer should be passed an `input_shape ` with at least 3 dimensions, received: "
        "(None, 8)",
        "(100, 10, 3)",
        "(100, 2)",
        "model = Sequential([LSTM(8, input_shape=(10, 3)), TimeDistributed(Dense(2))])\nmodel.compile(loss='mse')",
        "timedistributed_needs_sequence",
    ),
    (
        "Exception: Input 0 is incompatible with layer repeatvector_1: expected ndim=2, found ndim=3",
        "(100, 10, 3)",
        "(100, 10, 4)",
        "model = Sequential([LSTM(8, return_sequences=True, input_shape=(10, 3)), RepeatVector(10), "
        "LSTM(4, return_sequences=True)])\nmodel.compile(loss='mse')",
        "repeatvector_needs_vector",
    ),
    (
        "Exception: Input 0 is incompatible with layer dense_1: expected ndim=2, found ndim=3",
        "(100, 10, 3)",
        "(100, 10, 2)",
        "model = Sequential([LSTM(8, return_sequences=True, input_shape=(10, 3)), Dense(2)])\n"
        "model.compile(loss='mse')",
        "dense_needs_2d_keras1",
    ),
    (
        "ValueError: Arguments `target` and `output` must have the same shape. Received: target.shape=(None, 1), "
        "output.shape=(None, 5)",
        "(100, 10, 3)",
        "(100, 1)",
        "model = Sequential([LSTM(8, input_shape=(10, 3)), Dense(5, activation='softmax')])\n"
        "model.compile(loss='categorical_crossentropy')",
        "labels_not_one_hot",
    ),
    (
        "InvalidArgumentError: Received a label value of 5 which is outside the valid range of [0, 5).",
        "(100, 10, 3)",
        "(100,)",
        "model = Sequential([LSTM(8, input_shape=(10, 3)), Dense(5, activation='softmax')])\n"
        "model.compile(loss='sparse_categorical_crossentropy')",
        "sparse_label_range",
    ),
    (
        "ValueError: Input 0 of layer sequential is incompatible with the layer: expected axis -1 of input shape to "
        "have value 3 but received input with shape (None, 10, 5)",
        "(100, 10, 5)",
        "(100, 2)",
        "model = Sequential([GRU(8, input_shape=(10, 3)), Dense(2)])\nmodel.compile(loss='mse')",
        "input_features_mismatch",
    ),
    (
        "ValueError: Arguments `target` and `output` must have the same shape. Received: target.shape=(None, 3), "
        "output.shape=(None, 8)",
        "(100, 10, 3)",
        "(100, 3)",
        "model = Sequential([LSTM(8, input_shape=(10, 3)), Dense(8)])\nmodel.compile(loss='mse')",
        "output_size_mismatch",
    ),
    (
        "",
        "(100, 10, 3)",
        "(100, 1)",
        "model = Sequential([LSTM(8, input_shape=(10, 3)), Dense(1, activation='softmax')])\nmodel.compile(loss='mse')",
        "loss_head_mismatch",
    ),
    (
        "ValueError: Input 0 of layer lstm is incompatible with the layer: expected ndim=3, found ndim=2.",
        "(100, 10, 3)",
        "(100, 2)",
        "model = Sequential([TimeDistributed(Dense(4), input_shape=(10, 3)), Flatten(), LSTM(8), Dense(2)])\n"
        "model.compile(loss='mse')",
        "flatten_merges_time",
    ),
]


@pytest.fixture(scope="module")
def model_cases():
    return [diagnose(text, x, y, _net(code), code) for text, x, y, code, _ in MODEL_CASES]


@pytest.mark.parametrize("index", range(len(MODEL_CASES)), ids=[case[4] for case in MODEL_CASES])
def test_each_cause_fixes_the_learners_model(model_cases, index):
    diagnosis = model_cases[index]
    assert diagnosis.cause == MODEL_CASES[index][4], diagnosis.explanation
    assert diagnosis.fixes and all(fix.diff.startswith("--- your_model.py") for fix in diagnosis.fixes)


def test_every_checkable_fix_of_every_cause_learns_in_keras(model_cases):
    from core.keras.fix_check import check_many

    checks = [fix.check for diagnosis in model_cases for fix in diagnosis.fixes if fix.check is not None]
    assert len(checks) >= len(MODEL_CASES) - 1
    assert check_many(checks) == [None] * len(checks)
