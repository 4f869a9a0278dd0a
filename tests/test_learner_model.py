"""The learner's model as read from a summary, a snippet or a .keras file: checked against real Keras 3 output."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.diagnosis.code_reader import read_code_models
from core.diagnosis.keras_file import MAX_ARCHIVE_BYTES
from core.diagnosis.learner_model import (
    LearnerModel,
    ModelReadError,
    read_code,
    read_keras_file,
    read_model,
    read_summary,
)
from core.model.code import SEED_KERAS1_CODE
from core.model.spec import PRESETS, ModelSpec

# Keras 3 cannot tell these from a summary: an Activation layer's function (taken as softmax) and a Dense layer's
# activation (taken as linear); everything else of the app's family is read from shapes and parameter counts.
SUMMARY_VARIANTS = {
    "bidirectional concat": ModelSpec(cell="LSTM", bidirectional=True, timesteps=9, input_size=5),
    "bidirectional sum, SimpleRNN": ModelSpec(cell="SimpleRNN", bidirectional=True, merge_mode="sum"),
    "no biases": ModelSpec(use_bias=False, timesteps=7),
    "GRU reset_after=False": ModelSpec(reset_after=False, hidden_size=5),
    "three layers": ModelSpec(cell="LSTM", layers=3, return_sequences=False, head="dense"),
}
SPECS = {**{name: spec for name, spec in PRESETS.items() if spec.is_valid}, **SUMMARY_VARIANTS}


def _summary(model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line), line_length=78)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def keras_outputs(tmp_path_factory) -> dict:
    """Real Keras 3 summaries and .keras files, built once for the whole module."""
    from core.keras.env import load_keras
    from core.keras.models import keras_summary

    keras = load_keras()
    layers = keras.layers
    outputs: dict = {"spec": {name: keras_summary(spec) for name, spec in SPECS.items()}}
    handmade = {
        "lstm_dense": keras.Sequential([keras.Input((30, 8)), layers.LSTM(32, return_sequences=True), layers.Dense(1)]),
        "gru_last": keras.Sequential([keras.Input((20, 3)), layers.GRU(7), layers.Dense(2)]),
        "outside": keras.Sequential(
            [
                keras.Input((30,)),
                layers.Embedding(100, 8),
                layers.Conv1D(4, 3),
                layers.Bidirectional(layers.GRU(5, return_sequences=True)),
                layers.TimeDistributed(layers.Dense(3)),
            ]
        ),
    }
    outputs["handmade"] = {name: _summary(model) for name, model in handmade.items()}
    folder = tmp_path_factory.mktemp("keras_files")
    files = {}
    seq2seq = keras.Model(*_seq2seq(keras))
    seq2seq.compile(loss="mse", optimizer="rmsprop")
    for name, model in {**handmade, "seq2seq": seq2seq}.items():
        path = folder / f"{name}.keras"
        model.save(path)
        files[name] = path.read_bytes()
    marker = folder / "executed"
    lam = keras.Sequential([keras.Input((4, 2)), layers.Lambda(lambda x: x * 2), layers.LSTM(3)])
    lam.save(folder / "lambda.keras")
    files["lambda"] = (folder / "lambda.keras").read_bytes()
    outputs["files"], outputs["marker"] = files, marker
    return outputs


def _seq2seq(keras) -> tuple:
    inputs = keras.Input((12, 6))
    x, *states = keras.layers.LSTM(16, return_state=True)(inputs)
    x = keras.layers.RepeatVector(5)(x)
    x = keras.layers.LSTM(16, return_sequences=True)(x, initial_state=states)
    return inputs, keras.layers.TimeDistributed(keras.layers.Dense(4, activation="softmax"))(x)


# -- summaries -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SPECS)
def test_a_real_keras_summary_of_each_app_model_reads_back_to_its_spec(keras_outputs, name: str) -> None:
    spec = SPECS[name]
    model = read_summary(keras_outputs["spec"][name])
    assert model.source == "summary" and model.keras_generation == "keras3"
    assert model.to_spec() == spec.replace(activation="softmax")  # an Activation's function is not in a summary
    assert any("Activation layer's function" in note for note in model.notes)


def test_a_sequential_summary_gives_units_sequences_and_the_input_solved_from_params(keras_outputs) -> None:
    model = read_summary(keras_outputs["handmade"]["lstm_dense"])
    assert model.line() == "LSTM(32, return_sequences=True) → Dense(1)"
    assert model.input_shape == (None, 30, 8)  # 5,248 = 4·32·(F + 32 + 1) ⇒ F = 8
    assert any("solved from the first layer's parameter count" in note for note in model.notes)
    assert model.to_spec() == ModelSpec(
        cell="LSTM", head="dense", timesteps=30, input_size=8, hidden_size=32, output_size=1, activation="linear"
    )
    last = read_summary(keras_outputs["handmade"]["gru_last"])
    assert last.layers[0].return_sequences is False and last.input_shape == (None, None, 3)
    assert last.to_spec() is None and "input shape" in last.notes[-1]
    assert last.to_spec(input_shape=(500, 20, 3)).timesteps == 20


def test_layers_outside_the_family_are_named_and_still_read(keras_outputs) -> None:
    model = read_summary(keras_outputs["handmade"]["outside"])
    assert [layer.kind for layer in model.layers] == ["Embedding", "Conv1D", "Bidirectional", "TimeDistributed"]
    bidirectional = model.layers[2]
    assert bidirectional.inner.kind == "GRU" and bidirectional.inner.units == 5 and bidirectional.merge_mode == "concat"
    assert model.to_spec() is None and "Embedding" in model.notes[-1]


# Standalone Keras 2, as printed in a public notebook (github.com/rwiedwald/machinelearningmastery,
# time_distributed_layer_lstms.ipynb): the first LSTM is named lstm_2 because an earlier model took lstm_1.
KERAS2_PUBLIC = """\
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
lstm_2 (LSTM)                (None, 5)                 140
_________________________________________________________________
dense_2 (Dense)              (None, 1)                 6
=================================================================
Total params: 146
Trainable params: 146
Non-trainable params: 0
_________________________________________________________________
"""

# tf.keras 2.9+ style: rows indented by one space, blank separators, long names wrapped inside their column.
TF_KERAS_WRAPPED = """\
Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 lstm (LSTM)                 (None, 30, 32)            5248

 time_distributed (TimeDistr  (None, 30, 1)            33
 ibuted)

=================================================================
Total params: 5,281
"""

# Keras 1: a Connected to column, class names cut at the column's width, and timedistributed_1.
KERAS1_TABLE = """\
____________________________________________________________________________________________________
Layer (type)                     Output Shape          Param #     Connected to
====================================================================================================
gru_1 (GRU)                      (None, 64, 16)        1536        gru_input_1[0][0]
____________________________________________________________________________________________________
timedistributed_1 (TimeDistribut (None, 64, 8)         136         gru_1[0][0]
____________________________________________________________________________________________________
activation_1 (Activation)        (None, 64, 8)         0           timedistributed_1[0][0]
====================================================================================================
Total params: 1672
"""


def test_keras2_tf_keras_and_keras1_tables_are_read_with_their_generation() -> None:
    keras2 = read_summary(KERAS2_PUBLIC)
    assert keras2.line() == "LSTM(5) → Dense(1)" and keras2.keras_generation == "keras2"
    assert keras2.input_shape == (None, None, 1)  # 140 = 4·5·(F + 5 + 1) ⇒ F = 1
    wrapped = read_summary(TF_KERAS_WRAPPED)
    assert wrapped.line() == "LSTM(32, return_sequences=True) → TimeDistributed(Dense(1))"
    assert wrapped.keras_generation == "tf.keras2" and wrapped.layers[1].guessed == ("inner",)
    keras1 = read_summary(KERAS1_TABLE)
    assert keras1.keras_generation == "keras1"
    assert keras1.line() == "GRU(16, return_sequences=True) → TimeDistributed(Dense(8)) → Activation()"
    assert keras1.layers[0].reset_after is False  # 1536 = 3·16·(15 + 16 + 1): Keras 1's GRU has one bias
    assert keras1.input_shape == (None, 64, 15)


def test_rows_without_a_header_or_shape_columns_are_still_read() -> None:
    bare = read_summary("lstm (LSTM)   (None, 30, 32)   5,248\ndense (Dense)  (None, 30, 1)  33\n")
    assert bare.line() == "LSTM(32, return_sequences=True) → Dense(1)"
    names_only = read_model("Layer (type)\n=====\nlstm (LSTM)\ndense (Dense)\n")
    assert [layer.kind for layer in names_only.layers] == ["LSTM", "Dense"]
    assert names_only.layers[0].units is None and names_only.to_spec() is None


def test_a_functional_summary_reads_the_decoders_states_from_connected_to(keras_outputs) -> None:
    text = keras_outputs["spec"]["Pattern: Sequence to sequence"]
    model = read_summary(text)
    assert model.layers[0].return_state and model.layers[2].initial_state
    assert read_summary(text.replace("(InputLayer)", "(InputLayer)")).line().startswith("LSTM(16, return_state=True)")


# -- code ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [name for name, spec in PRESETS.items()])
def test_the_code_of_every_preset_reads_back_to_it(name: str) -> None:
    spec = PRESETS[name]
    model = read_code(LearnerModel.from_spec(spec).to_code())
    assert model.source == "code" and model.to_spec() == spec


def test_the_seeds_keras1_code_is_read_without_running_it() -> None:
    models = read_code_models(SEED_KERAS1_CODE)
    assert [model.line() for model in models] == [
        "GRU(16, return_sequences=True) → TimeDistributed(Dense(8)) → Activation('softmax')",
        "GRU(16, return_sequences=True) → Dense(8) → Activation('softmax')",
        "GRU(16) → Dense(8) → Activation('softmax')",
    ]
    first = read_code(SEED_KERAS1_CODE)
    assert first.keras_generation == "keras1" and first.loss == "categorical_crossentropy"
    assert first.to_spec() == PRESETS["Seed model 1: GRU → TimeDistributed(Dense)"]
    assert "the code builds 3 models" in first.notes[-1]
    assert "return_sequences" in models[2].layers[0].guessed or models[2].layers[0].return_sequences is False


def test_functional_code_with_module_prefixes_and_keyword_units() -> None:
    code = """
import tensorflow as tf
T = 30
inp = tf.keras.Input(shape=(T, 8))
x = tf.keras.layers.LSTM(units=32, return_sequences=True)(inp)
out = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(1))(x)
model = tf.keras.Model(inputs=inp, outputs=out)
model.compile(loss="mse", optimizer="adam")
"""
    model = read_code(code)
    assert model.line() == "LSTM(32, return_sequences=True) → TimeDistributed(Dense(1))"
    assert model.input_shape == (None, 30, 8) and model.loss == "mse" and model.keras_generation == "tf.keras2"
    assert model.to_spec().head == "time_distributed"


def test_code_that_is_not_python_or_builds_nothing_gets_one_sentence() -> None:
    with pytest.raises(ModelReadError, match="not valid Python 3 \\(line 1\\)"):
        read_code("print model.summary()\nmodel.add(LSTM(3))")
    with pytest.raises(ModelReadError, match="No Keras model"):
        read_code("x = 1\n")
    with pytest.raises(ModelReadError, match="longer than"):
        read_code("#" * 100_001)
    sized = read_code("model = Sequential()\nmodel.add(LSTM(n_units, input_shape=(5, 2)))\nmodel.add(Dense(1))")
    assert sized.layers[0].units is None and "not a literal number" in sized.notes[0]


def test_an_outside_argument_keeps_the_model_out_of_the_app() -> None:
    model = read_code("m = Sequential([Input((5, 2)), LSTM(4, dropout=0.2), Dense(1)])")
    assert model.to_spec() is None and "dropout" in model.notes[-1]
    assert "dropout=0.2" in model.to_code()


# -- .keras files ----------------------------------------------------------------------------------------------------
def test_a_saved_keras_file_is_read_from_its_config(keras_outputs) -> None:
    files = keras_outputs["files"]
    model = read_keras_file(files["lstm_dense"])
    assert model.source == "keras_file" and model.keras_generation == "keras3"
    assert model.line() == "LSTM(32, return_sequences=True) → Dense(1)" and model.input_shape == (None, 30, 8)
    assert model.layers[1].activation == "linear" and model.layers[1].guessed == ()
    seq2seq = read_keras_file(files["seq2seq"])
    assert seq2seq.loss == "mse" and seq2seq.layers[2].initial_state
    assert seq2seq.to_spec() == PRESETS["Pattern: Sequence to sequence"].replace(output_timesteps=5)
    outside = read_keras_file(files["outside"])
    assert outside.layers[2].inner.kind == "GRU" and "Embedding" in outside.notes[-1]


def test_a_lambda_is_named_and_refused_and_nothing_runs(keras_outputs) -> None:
    with pytest.raises(ModelReadError, match="Lambda layer \\('lambda'\\) that carries Python code"):
        read_keras_file(keras_outputs["files"]["lambda"])
    marker: Path = keras_outputs["marker"]
    config = {
        "class_name": "Sequential",
        "config": {
            "layers": [
                {
                    "class_name": "Lambda",
                    "config": {"name": "evil", "function": f"open({str(marker)!r}, 'w')"},
                }
            ]
        },
    }
    with pytest.raises(ModelReadError, match="'evil'"):
        read_keras_file(_zip({"config.json": json.dumps(config)}))
    assert not marker.exists()


def _zip(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_bad_uploads_each_get_one_sentence() -> None:
    cases = {
        b"not a zip at all": "not a .keras file",
        b"\x89HDF\r\n\x1a\n" + b"\0" * 100: "HDF5",
        b"\0" * (50 * 1024 * 1024): "50 MB",
        _zip({"config.json": " " * (20 * 1024 * 1024)}): "larger than 2 MB",  # a zip bomb: 20 MB from ~20 kB
        _zip({"metadata.json": "{}"}): "no config.json",
        _zip({"config.json": "{not json"}): "not valid JSON",
        _zip({"config.json": "[1, 2]"}): "does not describe a Keras model",
        _zip({f"f{i}": "" for i in range(100)}): "more than 64 files",
    }
    assert MAX_ARCHIVE_BYTES < 50 * 1024 * 1024
    for data, sentence in cases.items():
        with pytest.raises(ModelReadError, match=sentence) as raised:
            read_keras_file(data)
        assert str(raised.value).count(". ") == 0 and str(raised.value).endswith(".")


# -- robustness ------------------------------------------------------------------------------------------------------
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TABLE_ALPHABET = st.sampled_from(list("│┃├└━─=_()[],. \n0123456789NoneLSTMDensGRU_lay(type)#") + ["Layer (type)"])


@FUZZ
@given(st.text(max_size=400) | st.lists(TABLE_ALPHABET, max_size=300).map("".join))
def test_the_text_readers_raise_only_model_read_errors(text: str) -> None:
    for reader in (read_summary, read_code, read_model):
        try:
            model = reader(text)
        except ModelReadError as error:
            assert str(error).endswith(".")
        else:
            model.line(), model.to_code(), model.to_spec()


@FUZZ
@given(st.binary(max_size=300))
def test_the_file_reader_raises_only_model_read_errors(data: bytes) -> None:
    try:
        read_keras_file(data)
    except ModelReadError:
        pass


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8), lambda children: (
    st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(
        ["class_name", "config", "layers", "layer", "units", "name", "batch_shape", "inbound_nodes", "n"]), children,
        max_size=4)), max_leaves=30))  # fmt: skip
def test_any_json_config_gives_a_model_or_one_sentence(config) -> None:
    try:
        read_keras_file(_zip({"config.json": json.dumps(config)}))
    except ModelReadError:
        pass


ADVERSARIAL = {
    "parentheses": "(" * 1_000_000,
    "shape prefix": "shape (" + "1, " * 330_000,
    "box rows": "Layer (type) ┃\n" + "│ a (LSTM) │ (" * 70_000,
    "ascii rows": "Layer (type)   Output Shape\n" + "lstm (LSTM) (None, 1" * 50_000,
    "code brackets": "x = " + "[" * 99_990,
    "code sums": "LSTM(" + "1+" * 49_000 + "1)",
    "deep json": _zip({"config.json": "[" * 900_000}),
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_inputs_are_read_or_refused_in_bounded_time(name: str) -> None:
    data = ADVERSARIAL[name]
    started = time.perf_counter()
    readers = (read_keras_file,) if isinstance(data, bytes) else (read_summary, read_code, read_model)
    for reader in readers:
        try:
            reader(data)
        except ModelReadError:
            pass
    assert time.perf_counter() - started < 1.0 * len(readers)
