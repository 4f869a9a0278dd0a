"""Keras code for the learner to take away: a runnable Keras 3 script for any spec, and the seed's code translated.

`keras_code(spec)` writes the script that builds exactly what `core.keras.models.build_model(spec)` builds (keras.Input,
the same layer names, the same loss and optimizer), fits it for one epoch on a few random samples of the right target
shape, and prints `count_params=<n>` as its last line so a test can check it against `describe()`. For the one
combination Keras refuses, the script shows Keras raising instead. Generating text needs no TensorFlow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.model.anatomy import CELL_LAYER_NAMES, Description, describe, format_shape, keras_layer_name
from core.model.refusal import Refusal
from core.model.sequence_code import fit_weights, masking_lines, padding_lines
from core.model.spec import ModelSpec

# The generated script's last line, and how to read it back.
COUNT_PREFIX = "count_params="
# [0-9], not \d: Python's \d also matches "٣" and "３", and only ASCII digits are numbers in this app.
_COUNT_LINE = re.compile(r"^count_params=([0-9]+)\s*$", re.MULTILINE)

OPTIMIZER = "rmsprop"  # the seed's optimizer, with Keras's default learning rate (core.keras.models uses it)
SCRIPT_SAMPLES = 32
SCRIPT_BATCH_SIZE = 16


def parse_count_params(output: str) -> int | None:
    """The parameter count printed by a generated script (its last `count_params=` line), or None."""
    found = _COUNT_LINE.findall(output)
    return int(found[-1]) if found else None


def _recurrent_expr(spec: ModelSpec, index: int, return_sequences: bool, return_state: bool = False) -> str:
    """A recurrent layer as Keras 3 code, with only the arguments that differ from Keras's defaults."""
    args = ["HIDDEN_SIZE", f"return_sequences={return_sequences}"]
    if return_state:
        args.append("return_state=True")
    if not spec.use_bias:
        args.append("use_bias=False")
    if spec.cell == "GRU" and not spec.reset_after:
        args.append("reset_after=False")
    args.append(f'name="{keras_layer_name(CELL_LAYER_NAMES[spec.cell], index)}"')
    layer = f"keras.layers.{spec.cell}({', '.join(args)})"
    if spec.bidirectional:
        wrapper = keras_layer_name("bidirectional", index)
        return f'keras.layers.Bidirectional({layer}, merge_mode="{spec.merge_mode}", name="{wrapper}")'
    return layer


def _head_expr(spec: ModelSpec) -> str:
    dense_args = "OUTPUT_SIZE" + ("" if spec.use_bias else ", use_bias=False") + ', name="dense"'
    if spec.head == "time_distributed":
        return f'keras.layers.TimeDistributed(keras.layers.Dense({dense_args}), name="time_distributed")'
    return f"keras.layers.Dense({dense_args})"


def _refused_line(expression: str, refusal: Refusal) -> list[str]:
    """The line Keras refuses, run so that the learner sees Keras's own message, then exit with status 1."""
    return [
        "",
        f"# {refusal.script_why}",
        "try:",
        f"    x = {expression}(x)",
        "except ValueError as error:",
        '    print("Keras refuses to build this model:")',
        "    print(error)",
        f"    print({refusal.script_fix!r})",
        "    raise SystemExit(1) from None",
        "",
    ]


def _model_lines(spec: ModelSpec, description: Description) -> tuple[list[str], bool]:
    """The functional-API lines from Input to the model's output `x`, and whether they end in Keras's refusal."""
    refusal = description.refusal
    shapes = {layer.name: format_shape(layer.output_shape) for layer in description.layers}
    input_shape = "(INPUT_SIZE,)" if spec.repeat == "input" else "(TIMESTEPS, INPUT_SIZE)"
    lines = [f'inputs = keras.Input(shape={input_shape}, name="input_layer")', "x = inputs"]
    lines += masking_lines(spec, shapes.get("masking"))  # padded sequences (core.model.sequence_code)
    if spec.repeat == "input":
        lines.append(f'x = keras.layers.RepeatVector(TIMESTEPS, name="repeat_vector")(x)  # {shapes["repeat_vector"]}')
    for index in range(spec.layers):
        top = index == spec.layers - 1
        return_sequences = spec.return_sequences if top else spec.inner_return_sequences
        expression = _recurrent_expr(spec, index, return_sequences, top and spec.return_state)
        if index == 1 and refusal is not None and refusal.kind == "stack":
            return lines + _refused_line(expression, refusal), True
        layer = description.stack[index]
        if top and spec.return_state:
            states = ", ".join(format_shape(shape) for shape in layer.state_shapes)
            lines.append(f"x, *states = {expression}(x)")
            lines.append(f"# {layer.name} output: {shapes[layer.name]}; its final states: {states}")
        else:
            lines.append(f"x = {expression}(x)  # {shapes[layer.name]}")
    if spec.repeat == "encoder":
        repeat = 'keras.layers.RepeatVector(OUTPUT_TIMESTEPS, name="repeat_vector")'
        if refusal is not None and refusal.kind == "repeat":
            return lines + _refused_line(repeat, refusal), True
        decoder = description.decoder
        assert decoder is not None
        lines.append(f"x = {repeat}(x)  # {shapes['repeat_vector']}: the summary, once per decoder step")
        start = ", initial_state=states" if spec.return_state else ""
        note = "the encoder's final states start the decoder" if spec.return_state else "starts from zeros"
        lines.append(f"x = {_recurrent_expr(spec, spec.layers, True)}(x{start})  # {shapes[decoder.name]}, {note}")
    if refusal is not None:  # TimeDistributed refuses the last state
        return lines + _refused_line(_head_expr(spec), refusal), True
    return lines + [f"x = {_head_expr(spec)}(x)"], False


def keras_code(spec: ModelSpec) -> str:
    """A runnable Keras 3 script that builds, compiles and briefly fits the spec's model, then prints its size.

    The model is built with the functional API, layer for layer what `core.keras.models.build_model` builds. The last
    line it prints is `count_params=<n>`, equal to `describe(spec).total_params`. For a stack Keras refuses, the script
    prints the ValueError Keras raises and exits with status 1.

    Example:
        >>> "keras.layers.TimeDistributed" in keras_code(ModelSpec())
        True
    """
    description = describe(spec)
    lines = _preamble(spec, description)
    body, refused = _model_lines(spec, description)
    lines += body
    if refused:
        return "\n".join(lines)
    return "\n".join(lines + _fit_lines(spec, description))


def _preamble(spec: ModelSpec, description: Description) -> list[str]:
    """The script's docstring, imports and sizes: everything before the model."""
    recurrent = description.recurrent
    title = f"{recurrent.kind}" + (f"({spec.cell})" if spec.bidirectional else "")
    if spec.layers > 1:
        title = f"{spec.layers} × {title}"
    if spec.repeat == "input":
        title = f"RepeatVector → {title}"
    elif spec.repeat == "encoder":
        title += " → RepeatVector → decoder"
    lines = [
        '"""Generated by TimeDistributed Explorer: ' + f"{title} → {spec.head_label} → {spec.activation}.",
        "",
        "Needs Keras 3 with TensorFlow: pip install keras tensorflow",
        '"""',
        "",
        "import os",
        "",
        'os.environ.setdefault("KERAS_BACKEND", "tensorflow")',
        'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow quiet',
        'os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # no oneDNN notice; runs reproduce bit for bit',
        "",
        "import keras  # noqa: E402",
        "import numpy as np  # noqa: E402",
        "",
        f"TIMESTEPS = {spec.timesteps}",
        f"INPUT_SIZE = {spec.input_size}",
        f"HIDDEN_SIZE = {spec.hidden_size}",
        f"OUTPUT_SIZE = {spec.output_size}",
    ]
    if spec.repeat == "encoder":
        lines.append(f"OUTPUT_TIMESTEPS = {spec.output_timesteps}  # the decoder's length")
    lines += [
        f"N_SAMPLES = {SCRIPT_SAMPLES}  # tiny on purpose: this checks shapes and sizes, it learns nothing",
        "",
        "keras.utils.set_random_seed(0)",
    ]
    return lines


def _fit_lines(spec: ModelSpec, description: Description) -> list[str]:
    """The script after the model: compile, random data of the right shapes, one epoch, and the parameter count."""
    x_shape = "(N_SAMPLES, INPUT_SIZE)" if spec.repeat == "input" else "(N_SAMPLES, TIMESTEPS, INPUT_SIZE)"
    steps = "OUTPUT_TIMESTEPS" if spec.repeat == "encoder" else "TIMESTEPS"
    target = f"(N_SAMPLES, {steps}, OUTPUT_SIZE)" if spec.sequence_output else "(N_SAMPLES, OUTPUT_SIZE)"
    target_note = "one target per timestep" if spec.sequence_output else "one target per sequence"
    lines = [
        f'outputs = keras.layers.Activation("{spec.activation}", name="activation")(x)',
        f'model = keras.Model(inputs, outputs, name="{spec.cell.lower()}_{spec.head}")',
        f'model.compile(loss="{spec.loss}", optimizer="{OPTIMIZER}")',
        "model.summary()",
        "",
        f"X = np.random.random({x_shape}).astype('float32')",
        f"Y = np.random.random({target}).astype('float32')  # {target_note}: {format_shape(description.target_shape)}",
    ]
    if spec.activation == "softmax":
        lines.append("Y = Y / Y.sum(axis=-1, keepdims=True)  # class probabilities for categorical cross-entropy")
    lines += padding_lines(spec)
    lines += [
        f"model.fit(X, Y{fit_weights(spec)}, batch_size={SCRIPT_BATCH_SIZE}, epochs=1, verbose=2)",
        "",
        f'print(f"{COUNT_PREFIX}{{model.count_params()}}")',
        "",
    ]
    return lines


def script_filename(spec: ModelSpec) -> str:
    """A descriptive file name for the downloaded script."""
    bi = "bi" if spec.bidirectional else ""
    rs = "seq" if spec.return_sequences else "last"
    stack = f"{spec.layers}x" if spec.layers > 1 else ""
    repeat = {"none": "", "input": "_one_to_many", "encoder": f"_seq2seq{spec.output_timesteps}"}[spec.repeat]
    return f"{stack}{bi}{spec.cell.lower()}_{rs}_{spec.head}_T{spec.timesteps}{repeat}.py"


# The seed's code, exactly as the answer gave it (Keras 1 era).
SEED_KERAS1_CODE = """\
from keras.models import Sequential
from keras.layers import Dense, Activation, TimeDistributed
from keras.layers.recurrent import GRU
import numpy as np

InputSize = 15
MaxLen = 64
HiddenSize = 16

OutputSize = 8
n_samples = 1000

model1 = Sequential()
model1.add(GRU(HiddenSize, return_sequences=True, input_shape=(MaxLen, InputSize)))
model1.add(TimeDistributed(Dense(OutputSize)))
model1.add(Activation('softmax'))
model1.compile(loss="categorical_crossentropy", optimizer="rmsprop")


model2 = Sequential()
model2.add(GRU(HiddenSize, return_sequences=True, input_shape=(MaxLen, InputSize)))
model2.add(Dense(OutputSize))
model2.add(Activation('softmax'))
model2.compile(loss="categorical_crossentropy", optimizer="rmsprop")

model3 = Sequential()
model3.add(GRU(HiddenSize, return_sequences=False, input_shape=(MaxLen, InputSize)))
model3.add(Dense(OutputSize))
model3.add(Activation('softmax'))
model3.compile(loss="categorical_crossentropy", optimizer="rmsprop")

X = np.random.random([n_samples,MaxLen,InputSize])
Y1 = np.random.random([n_samples,MaxLen,OutputSize])
Y2 = np.random.random([n_samples, OutputSize])

model1.fit(X, Y1, batch_size=128, nb_epoch=1)
model2.fit(X, Y1, batch_size=128, nb_epoch=1)
model3.fit(X, Y2, batch_size=128, nb_epoch=1)

print(model1.summary())
print(model2.summary())
print(model3.summary())
"""

# The same program for Keras 3: every changed line is explained in CHANGES.
SEED_KERAS3_CODE = """\
import keras
import numpy as np
from keras.layers import GRU, Activation, Dense, TimeDistributed
from keras.models import Sequential

InputSize = 15
MaxLen = 64
HiddenSize = 16

OutputSize = 8
n_samples = 1000

model1 = Sequential()
model1.add(keras.Input(shape=(MaxLen, InputSize)))
model1.add(GRU(HiddenSize, return_sequences=True))
model1.add(TimeDistributed(Dense(OutputSize)))
model1.add(Activation('softmax'))
model1.compile(loss="categorical_crossentropy", optimizer="rmsprop")

model2 = Sequential()
model2.add(keras.Input(shape=(MaxLen, InputSize)))
model2.add(GRU(HiddenSize, return_sequences=True))
model2.add(Dense(OutputSize))  # Dense on (None, MaxLen, HiddenSize) acts per timestep: same as model1
model2.add(Activation('softmax'))
model2.compile(loss="categorical_crossentropy", optimizer="rmsprop")

model3 = Sequential()
model3.add(keras.Input(shape=(MaxLen, InputSize)))
model3.add(GRU(HiddenSize, return_sequences=False))
model3.add(Dense(OutputSize))
model3.add(Activation('softmax'))
model3.compile(loss="categorical_crossentropy", optimizer="rmsprop")

X = np.random.random([n_samples, MaxLen, InputSize])
Y1 = np.random.random([n_samples, MaxLen, OutputSize])
Y2 = np.random.random([n_samples, OutputSize])

model1.fit(X, Y1, batch_size=128, epochs=1)
model2.fit(X, Y1, batch_size=128, epochs=1)
model3.fit(X, Y2, batch_size=128, epochs=1)

model1.summary()
model2.summary()
model3.summary()
"""


@dataclass(frozen=True)
class Change:
    """One change from the seed's Keras 1 code to Keras 3: the old code, the new code, and why."""

    keras1: str
    keras3: str
    why: str


CHANGES: tuple[Change, ...] = (
    Change(
        "from keras.layers.recurrent import GRU",
        "from keras.layers import GRU",
        "Keras 3 has no `keras.layers.recurrent` module (ModuleNotFoundError); every layer is in `keras.layers`.",
    ),
    Change(
        "GRU(HiddenSize, ..., input_shape=(MaxLen, InputSize))",
        "model.add(keras.Input(shape=(MaxLen, InputSize))); model.add(GRU(HiddenSize, ...))",
        "Keras 3 still accepts `input_shape` on a Sequential's first layer but warns: 'Do not pass an "
        "`input_shape`/`input_dim` argument to a layer ... prefer using an `Input(shape)` object'. The Input "
        "declares the (timesteps, features) shape of one sample; the batch axis stays None.",
    ),
    Change(
        "model.fit(X, Y, batch_size=128, nb_epoch=1)",
        "model.fit(X, Y, batch_size=128, epochs=1)",
        "`nb_epoch` was renamed `epochs` in Keras 2; Keras 3 rejects it: TypeError: fit() got an unexpected keyword "
        "argument 'nb_epoch'.",
    ),
    Change(
        "print(model1.summary())",
        "model1.summary()",
        "summary() prints the table itself and returns None, so print(...) only adds a line 'None'. Today's table "
        "also lists the optimizer's variables once the model is trained: 'Total params' then exceeds 'Trainable "
        "params' (RMSprop keeps a running average per weight). The model's own size is 'Trainable params', the "
        "same as model.count_params().",
    ),
    Change(
        "TimeDistributed(Dense(OutputSize)) vs Dense(OutputSize)",
        "TimeDistributed(Dense(OutputSize)) or Dense(OutputSize): unchanged",
        "Both still work. Since Keras 2, Dense applies to the last axis of an input of any rank, so after "
        "return_sequences=True model1 and model2 are the same model with the same parameters; the Equivalence "
        "page proves it.",
    ),
)
