"""core.diagnose against real Keras: 3.15's own messages (made here by fitting broken models) and the wordings of
Keras 1, Keras 2 and tf.keras (quoted, as only those versions printed them). Every fix with a model is built and
fit by Keras on zeros of the learner's shapes (core.fix_check), as the page does before showing it."""

from __future__ import annotations

import os

import pytest

from core import ModelSpec
from core.diagnose import CAUSES, ShapeError, diagnose, parse_shape

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

SMALL = ModelSpec(timesteps=6, input_size=3, hidden_size=4, output_size=2)


@pytest.fixture(scope="module")
def keras_messages() -> dict[str, str]:
    """Keras 3's real message for each broken model (tiny sizes; one Keras import for the module)."""
    import numpy as np

    from core.keras.env import load_keras

    keras = load_keras()
    L = keras.layers

    def error(layers, x, y, loss="categorical_crossentropy", build_only=False):
        try:
            model = keras.Sequential(layers)
            if build_only:
                model.build((None, *x[1:]))
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
        "k3_features_functional": _functional_features_error(keras, np),
        "k3_features_cell": error([L.Input((5, 3)), gru(False), L.Dense(2)], (4, 5, 5), (4, 2), "mse"),
        "k3_stacked": error([L.Input((5, 3)), L.LSTM(6), L.LSTM(4), L.Dense(2)], (4, 5, 3), (4, 2), "mse"),
        "k3_stacked_bidir": error(
            [L.Input((5, 3)), L.Bidirectional(L.LSTM(6)), L.Bidirectional(L.LSTM(4)), L.Dense(2)], (4, 5, 3), (4, 2)
        ),
        "k3_td_last": error([L.Input((5, 3)), L.LSTM(6), L.TimeDistributed(L.Dense(2))], (4, 5, 3), (4, 2), "mse"),
        "k3_repeat": error(
            [L.Input((5, 3)), L.LSTM(6, return_sequences=True), L.RepeatVector(5), L.LSTM(4, return_sequences=True)],
            (4, 5, 3),
            (4, 5, 4),
            "mse",
        ),
    }


def _functional_features_error(keras, np) -> str:
    inputs = keras.Input((5, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.GRU(4)(inputs)))
    model.compile(loss="mse", optimizer="rmsprop")
    try:
        model.fit(np.zeros((4, 5, 5), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    except ValueError as exc:
        return f"ValueError: {exc}"
    raise AssertionError("Keras accepted 5 features for a 3-feature input")


# (key or quoted text, cause, kwargs for diagnose, what the first model fix must change, or None)
KERAS3 = [
    ("k3_rank_td", "target_rank", {}, {"return_sequences": False, "head": "dense"}),
    ("k3_rank_last", "target_rank", {}, {"return_sequences": True}),
    ("k3_rank_mse", "target_rank", {}, {"return_sequences": False, "head": "dense"}),
    ("k3_steps_cce", "timesteps_mismatch", {}, None),
    ("k3_steps_mse", "timesteps_mismatch", {}, {"timesteps": 4}),
    ("k3_size_cce", "output_size_mismatch", {}, {"output_size": 3}),
    ("k3_size_mse", "output_size_mismatch", {}, {"output_size": 3}),
    ("k3_labels_col", "labels_not_one_hot", {}, None),
    ("k3_labels_flat", "labels_not_one_hot", {}, None),
    ("k3_labels_steps", "labels_not_one_hot", {}, None),
    ("k3_input_2d", "input_rank", {}, {"timesteps": 3, "input_size": 1}),
    ("k3_input_2d_declared", "input_rank", {}, {"timesteps": 3, "input_size": 1}),
    ("k3_input_4d", "input_rank", {}, {"timesteps": 5, "input_size": 6}),
    ("k3_features_functional", "input_features_mismatch", {}, {"input_size": 5}),
    ("k3_features_cell", "input_features_mismatch", {}, {"input_size": 5}),
    ("k3_stacked", "stacked_return_sequences", {}, None),
    ("k3_stacked_bidir", "stacked_return_sequences", {}, None),
    ("k3_td_last", "timedistributed_needs_sequence", {"y_shape": (4, 2)}, {"head": "dense"}),
    ("k3_repeat", "repeatvector_needs_vector", {}, None),
]

HISTORICAL = [
    # Keras 1.x
    (
        "Exception: Error when checking model target: expected timedistributed_1 to have 3 dimensions, but got array "
        "with shape (1822, 1)",
        "target_rank",
        {},
        {"return_sequences": False, "head": "dense"},
    ),
    (
        "Exception: Error when checking model target: expected activation_11 to have shape (None, 10) but got array "
        "with shape (1822, 1)",
        "labels_not_one_hot",
        {},
        None,
    ),
    (
        "Exception: Input 0 is incompatible with layer dense_1: expected ndim=2, found ndim=3",
        "dense_needs_2d_keras1",
        {},
        {"head": "time_distributed"},
    ),
    (
        "Exception: Input 0 is incompatible with layer repeatvector_1: expected ndim=2, found ndim=3",
        "repeatvector_needs_vector",
        {},
        None,
    ),
    (
        "Exception: Error when checking model input: expected lstm_input_1 to have 3 dimensions, but got array with "
        "shape (100, 15)",
        "input_rank",
        {},
        {"timesteps": 15, "input_size": 1},
    ),
    # Keras 2.x (standalone)
    (
        "ValueError: Error when checking target: expected time_distributed_1 to have 3 dimensions, but got array with "
        "shape (1822, 1)",
        "target_rank",
        {},
        {"return_sequences": False, "head": "dense"},
    ),
    (
        "ValueError: Error when checking target: expected dense_2 to have shape (15, 2) "
        "but got array with shape (30, 2)",
        "timesteps_mismatch",
        {},
        None,
    ),
    (
        "ValueError: Error when checking target: expected dense_2 to have 2 dimensions, but got array with shape "
        "(6682, 15, 2)",
        "target_rank",
        {},
        None,
    ),
    (
        "ValueError: Error when checking target: expected activation_1 to have shape (10,) "
        "but got array with shape (1,)",
        "labels_not_one_hot",
        {},
        None,
    ),
    (
        "ValueError: You are passing a target array of shape (1822, 1) while using as loss `categorical_crossentropy`. "
        "`categorical_crossentropy` expects targets to be binary matrices (1s and 0s) of shape (samples, classes).",
        "labels_not_one_hot",
        {},
        None,
    ),
    (
        "ValueError: Input 0 is incompatible with layer lstm_2: expected ndim=3, found ndim=2",
        "stacked_return_sequences",
        {},
        None,
    ),
    (
        "ValueError: Error when checking input: expected lstm_1_input to have shape (64, 15) but got array with shape "
        "(64, 16)",
        "input_features_mismatch",
        {},
        {"input_size": 16},
    ),
    (
        '  File "/usr/lib/python3/keras/layers/wrappers.py", line 172, in build\n    assert len(input_shape) >= 3\n'
        "AssertionError",
        "timedistributed_needs_sequence",
        {},
        {"head": "dense"},
    ),
    # tf.keras (TensorFlow 2.x)
    (
        "ValueError: A target array with shape (6682, 2) was passed for an output of shape (None, 15, 2) "
        "while using as "
        "loss `mean_squared_error`. This loss expects targets to have the same shape as the output.",
        "target_rank",
        {},
        {"return_sequences": False, "head": "dense"},
    ),
    (
        "tensorflow.python.framework.errors_impl.InvalidArgumentError:  "
        "Incompatible shapes: [1,15,127] vs. [1,30,127]\n"
        "\t [[node mean_squared_error/SquaredDifference (defined at train.py:40) ]]",
        "timesteps_mismatch",
        {},
        None,
    ),
    (
        "ValueError: Input 0 of layer lstm_1 is incompatible with the layer: expected ndim=3, found ndim=2. Full shape "
        "received: [None, 16]",
        "stacked_return_sequences",
        {},
        None,
    ),
    (
        "ValueError: Input 0 of layer sequential is incompatible with the layer: expected ndim=3, found ndim=4. Full "
        "shape received: (None, 64, 15, 1)",
        "input_rank",
        {},
        {"input_size": 15},
    ),
    (
        "ValueError: Input 0 of layer sequential is incompatible with the layer: "
        "expected axis -1 of input shape to have "
        "value 15 but received input with shape (None, 64, 16)",
        "input_features_mismatch",
        {},
        {"input_size": 16},
    ),
    (
        "ValueError: `TimeDistributed` Layer should be passed an `input_shape ` with at least 3 dimensions, received: "
        "[None, 16]",
        "timedistributed_needs_sequence",
        {},
        {"head": "dense"},
    ),
    ("ValueError: Shapes (None, 1) and (None, 10) are incompatible", "labels_not_one_hot", {}, None),
    (
        "ValueError: Input 0 of layer repeat_vector is incompatible with the layer: "
        "expected ndim=2, found ndim=3. Full "
        "shape received: (None, 30, 64)",
        "repeatvector_needs_vector",
        {},
        None,
    ),
    (
        "ValueError: Arguments `target` and `output` must have the same rank (ndim)",
        "target_rank",
        {"spec": SMALL},
        {"return_sequences": False},
    ),
]


@pytest.fixture(scope="module")
def checked() -> dict:
    """Keras's verdict per (spec, X, Y), shared by the cases (many fixes are the same model)."""
    return {}


def _assert_fixes(diagnosis, first_model_change, checked) -> None:
    from core.fix_check import check_fix

    assert 1 <= len(diagnosis.fixes) <= 3, diagnosis
    for fix in diagnosis.fixes:
        assert fix.description and fix.diff.startswith("--- your_model.py"), fix
        assert any(line.startswith("+") and not line.startswith("+++") for line in fix.diff.splitlines()), fix.diff
        if fix.check is not None:
            if fix.check not in checked:
                checked[fix.check] = check_fix(*fix.check)
            assert checked[fix.check] is None, (fix.description, fix.check, checked[fix.check])
    if first_model_change is not None:
        model_fix = next(fix for fix in diagnosis.fixes if fix.spec is not None)
        for name, value in first_model_change.items():
            assert getattr(model_fix.spec, name) == value, (name, model_fix.spec)


@pytest.mark.parametrize(("key", "cause", "kwargs", "change"), KERAS3, ids=[case[0] for case in KERAS3])
def test_keras3_real_messages(keras_messages, checked, key, cause, kwargs, change):
    text = keras_messages[key]
    diagnosis = diagnose(text, **{"spec": SMALL, **kwargs})
    assert diagnosis.cause == cause, (text, diagnosis.explanation)
    assert diagnosis.layer and diagnosis.flow and any(step.broken for step in diagnosis.flow)
    _assert_fixes(diagnosis, change, checked)


@pytest.mark.parametrize(("text", "cause", "kwargs", "change"), HISTORICAL, ids=range(len(HISTORICAL)))
def test_historical_wordings(checked, text, cause, kwargs, change):
    diagnosis = diagnose(text, **{"spec": SMALL, **kwargs})
    assert diagnosis.cause == cause, (text, diagnosis.explanation)
    _assert_fixes(diagnosis, change, checked)


def test_every_cause_is_covered():
    covered = {case[1] for case in KERAS3 + HISTORICAL}
    assert covered == set(CAUSES) - {"unknown"}


def test_a_whole_traceback_reads_the_last_error():
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "train.py", line 12, in <module>\n'
        "    model.fit(X, Y, epochs=10)\n"
        '  File "keras/src/utils/traceback_utils.py", line 122, in error_handler\n'
        "    raise e.with_traceback(filtered_tb) from None\n"
        '  File "keras/src/losses/loss.py", line 41, in squeeze_or_expand_to_same_rank\n'
        "ValueError: Arguments `target` and `output` must have the same rank (ndim). Received: "
        "target.shape=(None, 2), output.shape=(None, 15, 2)\n"
    )
    diagnosis = diagnose(traceback)
    assert diagnosis.cause == "target_rank"
    assert diagnosis.error_line.startswith("ValueError: Arguments `target`")


@pytest.mark.parametrize(
    ("x", "y", "spec", "cause"),
    [
        ((100, 6, 3), (100, 2), SMALL, "target_rank"),
        ((100, 6, 3), (100, 6, 2), SMALL.replace(return_sequences=False, head="dense"), "target_rank"),
        ((100, 6, 3), (100, 4, 2), SMALL, "timesteps_mismatch"),
        ((100, 6, 3), (100, 6, 3), SMALL, "output_size_mismatch"),
        ((100, 6, 3), (100, 6), SMALL, "labels_not_one_hot"),
        ((100, 3), None, SMALL, "input_rank"),
        ((100, 6, 5), None, SMALL, "input_features_mismatch"),
        (None, (100, 2), SMALL.replace(return_sequences=False), "timedistributed_needs_sequence"),
    ],
)
def test_shapes_alone_are_enough(checked, x, y, spec, cause):
    diagnosis = diagnose("", x, y, spec)
    assert diagnosis.cause == cause, diagnosis.explanation
    _assert_fixes(diagnosis, None, checked)


def test_matching_shapes_are_not_an_error():
    diagnosis = diagnose("", (100, 64, 15), (100, 64, 8), ModelSpec())
    assert diagnosis.cause == "unknown" and diagnosis.fixes == ()
    assert "fit" in diagnosis.explanation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(None, 64, 8)", (None, 64, 8)),
        ("[1,15,127]", (1, 15, 127)),
        ("(1822, 1)", (1822, 1)),
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
        ("", None, "Paste a Keras error"),
        ("x" * 100_000, None, "100,000 characters"),
        ("\x00\x01\x02\x03\xff" * 200, None, "not look like an error message"),
        (b"\x00\xff\xfe" * 300, None, "not look like an error message"),
        ("", "(-1, abc)", "X shape:"),
        ("hello there", None, "will not guess"),
    ],
)
def test_bad_input_gets_a_clear_message(text, x, message):
    diagnosis = diagnose(text, x_shape=x)
    assert diagnosis.cause == "unknown"
    said = " ".join((diagnosis.explanation, *diagnosis.problems, *diagnosis.notes))
    assert message in said


def test_a_long_traceback_still_finds_its_error_at_the_end():
    text = "noise line\n" * 20_000 + "InvalidArgumentError: Incompatible shapes: [1,15,127] vs. [1,30,127]"
    diagnosis = diagnose(text)
    assert diagnosis.cause == "timesteps_mismatch"
    assert "only its last" in diagnosis.notes[0]


def test_diagnose_does_not_load_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys; from core.diagnose import diagnose; from core.diagnose_figure import diagnosis_figure; "
        "import core.fix_check; d = diagnose('Incompatible shapes: [1,15,127] vs. [1,30,127]'); "
        "diagnosis_figure(d); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"
