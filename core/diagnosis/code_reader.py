"""Reading a learner's Keras snippet with `ast`, as text: `Sequential([...])`, `model.add(...)` and functional chains.

Nothing is executed or evaluated: only literal ints (and names assigned a literal int in the snippet) count as sizes.
The input is bounded (characters and syntax-tree nodes) so that any paste is read in bounded time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Any

from core.diagnosis.learner_model import (
    RECURRENT,
    WRAPPERS,
    LearnerLayer,
    LearnerModel,
    ModelReadError,
    Shape,
    with_family_note,
)

MAX_CODE_CHARS = 100_000
MAX_NODES = 50_000
MAX_LAYERS = 200
SIZED = RECURRENT + ("Dense",)
BOOL_ARGUMENTS = ("return_sequences", "return_state", "use_bias", "reset_after")
SHAPE_ARGUMENTS = ("input_shape", "batch_input_shape", "batch_shape", "shape")
# Words only Keras 1 code uses (its module paths and argument names), and the tf.keras prefixes.
KERAS1_WORDS = ("keras.layers.recurrent", "nb_epoch", "output_dim", "TimeDistributedDense", "border_mode", "init=")
TF_KERAS_WORDS = ("tf.keras", "tensorflow.keras", "tensorflow import keras")


@dataclass
class _Builder:
    """A model being assembled while the snippet is read."""

    name: str | None = None
    layers: list[LearnerLayer] = field(default_factory=list)
    input_shape: Shape | None = None
    loss: str | None = None


@dataclass(frozen=True)
class _Tensor:
    """What a functional expression holds: the layers applied so far and the Input's shape."""

    layers: tuple[LearnerLayer, ...]
    input_shape: Shape | None


def _call_name(func: ast.expr) -> str | None:
    """`LSTM`, `layers.LSTM`, `keras.layers.LSTM`, `tf.keras.layers.LSTM` → "LSTM"."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _source(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 80 else text[:77] + "..."


class _Reader:
    """Walks the statements in order, keeping what each name holds (an int, a shape, a layer, a tensor, a model)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.models: list[_Builder] = []
        self.notes: list[str] = []

    # -- statements --------------------------------------------------------------------------------------------------
    def body(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            value = self.eval(node.value)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                self.bind(target, value)
        elif isinstance(node, ast.Expr | ast.Return) and node.value is not None:
            self.eval(node.value)
        else:
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(node, name, None)
                if isinstance(inner, list):
                    self.body([child for child in inner if isinstance(child, ast.stmt)])

    def bind(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.values[target.id] = value
            if isinstance(value, _Builder) and value.name is None:
                value.name = target.id
        elif isinstance(target, ast.Tuple | ast.List) and target.elts:
            first = target.elts[0]
            self.bind(first, value if isinstance(value, _Tensor) else None)
            for rest in target.elts[1:]:
                self.bind(rest.value if isinstance(rest, ast.Starred) else rest, None)

    # -- expressions -------------------------------------------------------------------------------------------------
    def eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            value = node.value
            return value if isinstance(value, int | str) or value is None else None
        if isinstance(node, ast.Name):
            return self.values.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return None
        if isinstance(node, ast.Tuple | ast.List):
            return [self.eval(element) for element in node.elts]
        if isinstance(node, ast.Call):
            return self.call(node)
        return None

    def shape(self, node: ast.expr | None, batch: bool) -> Shape | None:
        """A shape literal (names of literal ints resolved): with its batch axis, or without (None prepended)."""
        if node is None:
            return None
        value = self.eval(node)
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not value:
            return None
        if not all(dim is None or (isinstance(dim, int) and not isinstance(dim, bool)) for dim in value):
            return None
        dims = tuple(value)
        return dims if batch else (None, *dims)

    def call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Call):
            return self.apply(node)
        name = _call_name(node.func)
        if name is None:
            return None
        owner = self.eval(node.func.value) if isinstance(node.func, ast.Attribute) else None
        if isinstance(owner, _Builder):
            return self.method(owner, name, node)
        if name == "Sequential":
            return self.sequential(node)
        if name in ("Model", "Functional"):
            return self.functional(node)
        if name in ("Input", "InputLayer"):
            keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
            for key in SHAPE_ARGUMENTS:
                if key in keywords:
                    return _Tensor((), self.shape(keywords[key], batch=key.startswith("batch")))
            return _Tensor((), self.shape(node.args[0], batch=False) if node.args else None)
        if name[:1].isupper():
            return self.layer(node, name)
        return None

    def apply(self, node: ast.Call) -> _Tensor | None:
        """`Layer(...)(x)`: the tensor `x` holds, with this layer applied."""
        layer = self.call(node.func)  # type: ignore[arg-type]
        if not isinstance(layer, tuple):
            return None
        before = self.eval(node.args[0]) if node.args else None
        if isinstance(before, list) and before:
            self.notes.append(f"{layer[0].kind} takes several inputs; only the first one's path is read")
            before = before[0]
        if not isinstance(before, _Tensor):
            before = _Tensor((), None)
        applied = layer[0]
        if any(keyword.arg == "initial_state" for keyword in node.keywords):
            applied = replace(applied, initial_state=True)
        if len(before.layers) >= MAX_LAYERS:
            raise ModelReadError(f"The snippet chains more than {MAX_LAYERS} layers; paste a smaller model.")
        return _Tensor(before.layers + (applied,), before.input_shape or layer[1])

    def method(self, builder: _Builder, name: str, node: ast.Call) -> None:
        if name == "add" and node.args:
            self.append(builder, self.eval(node.args[0]))
        elif name == "compile":
            for keyword in node.keywords:
                if keyword.arg == "loss":
                    value = self.eval(keyword.value)
                    builder.loss = value if isinstance(value, str) else _source(keyword.value)
        return None

    def append(self, builder: _Builder, value: Any) -> None:
        if isinstance(value, _Tensor):  # keras.Input(...) inside a Sequential
            builder.input_shape = builder.input_shape or value.input_shape
        elif isinstance(value, tuple):
            if len(builder.layers) >= MAX_LAYERS:
                raise ModelReadError(f"The snippet adds more than {MAX_LAYERS} layers; paste a smaller model.")
            builder.layers.append(value[0])
            builder.input_shape = builder.input_shape or value[1]
        else:
            self.notes.append("an item added to the model is not a layer call the reader can follow")

    def sequential(self, node: ast.Call) -> _Builder:
        builder = _Builder()
        self.models.append(builder)
        items = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "layers"), None)
        if isinstance(items, ast.List | ast.Tuple):
            for item in items.elts:
                self.append(builder, self.eval(item))
        for keyword in node.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                builder.name = str(keyword.value.value)
        return builder

    def functional(self, node: ast.Call) -> _Builder:
        builder = _Builder()
        self.models.append(builder)
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
        outputs_node = node.args[1] if len(node.args) > 1 else keywords.get("outputs")
        outputs = self.eval(outputs_node) if outputs_node is not None else None
        if isinstance(outputs, list) and outputs:
            self.notes.append("the model has several outputs; only the first one's path is read")
            outputs = outputs[0]
        if isinstance(outputs, _Tensor):
            builder.layers = list(outputs.layers)
            builder.input_shape = outputs.input_shape
        return builder

    # -- one layer ---------------------------------------------------------------------------------------------------
    def layer(self, node: ast.Call, kind: str) -> tuple[LearnerLayer, Shape | None] | None:
        """The layer a call constructs, and the input shape it declares (input_shape=, input_dim=)."""
        args = list(node.args)
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
        input_shape = self.declared_shape(keywords)
        if kind == "TimeDistributedDense":  # Keras 1
            dense = self.layer(node, "Dense")
            assert dense is not None
            self.notes.append("Keras 1's TimeDistributedDense read as TimeDistributed(Dense)")
            return LearnerLayer("TimeDistributed", inner=dense[0]), dense[1]
        if kind in WRAPPERS:
            return self.wrapper(kind, args, keywords, input_shape)
        values, guessed, extra = self.attributes(kind, args, keywords)
        if kind in RECURRENT and "return_sequences" not in values:
            values["return_sequences"] = False
            guessed.append("return_sequences")
        if kind == "Dense" and "activation" not in values:
            values["activation"] = "linear"
            guessed.append("activation")
        extra += [("", _source(arg)) for arg in args]
        extra += [(key, _source(value)) for key, value in keywords.items()]
        name = self.text(keywords.get("name"))
        return LearnerLayer(kind, name=name, guessed=tuple(guessed), arguments=tuple(extra), **values), input_shape

    def wrapper(
        self, kind: str, args: list[ast.expr], keywords: dict[str | None, ast.expr], input_shape: Shape | None
    ) -> tuple[LearnerLayer, Shape | None]:
        """TimeDistributed(...) or Bidirectional(...), with the layer it wraps."""
        inner_node = args.pop(0) if args else keywords.pop("layer", None)
        inner = self.eval(inner_node) if inner_node is not None else None
        name = self.text(keywords.get("name"))
        if not isinstance(inner, tuple):
            self.notes.append(f"the layer inside {kind} could not be read")
            return LearnerLayer(kind, name=name), input_shape
        merge = self.eval(keywords["merge_mode"]) if "merge_mode" in keywords else None
        if kind == "Bidirectional":
            merge = merge if isinstance(merge, str) else "concat"
        wrapped = LearnerLayer(kind, name=name, inner=inner[0], merge_mode=merge if kind == "Bidirectional" else None)
        return wrapped, input_shape or inner[1]

    def attributes(
        self, kind: str, args: list[ast.expr], keywords: dict[str | None, ast.expr]
    ) -> tuple[dict[str, Any], list[str], list[tuple[str, str]]]:
        """The modelled attributes of a layer call (taken out of `args` / `keywords`), guesses, and unread ones."""
        values: dict[str, Any] = {}
        extra: list[tuple[str, str]] = []
        if kind in SIZED:
            size = args.pop(0) if args else keywords.pop("units", keywords.pop("output_dim", None))
            units = self.eval(size) if size is not None else None
            if isinstance(units, int) and not isinstance(units, bool):
                values["units"] = units
            elif size is not None:
                extra.append(("units", _source(size)))
                self.notes.append(f"{kind}'s size `{_source(size)}` is not a literal number")
        if kind == "RepeatVector":
            count = args.pop(0) if args else keywords.pop("n", None)
            repeat = self.eval(count) if count is not None else None
            values["repeat"] = repeat if isinstance(repeat, int) and not isinstance(repeat, bool) else None
        if kind == "Activation":
            values["activation"] = self.activation(args.pop(0) if args else keywords.pop("activation", None))
        elif "activation" in keywords:
            values["activation"] = self.activation(keywords.pop("activation"))
        for key in BOOL_ARGUMENTS:
            if key in keywords:
                flag = self.eval(keywords[key])
                if isinstance(flag, bool):
                    values[key] = flag
                    del keywords[key]
                else:
                    self.notes.append(f"{kind}'s {key}=`{_source(keywords[key])}` is not a literal True or False")
        return values, [], extra

    def declared_shape(self, keywords: dict[str | None, ast.expr]) -> Shape | None:
        if "input_shape" in keywords:
            return self.shape(keywords["input_shape"], batch=False)
        for key in ("batch_input_shape", "batch_shape"):
            if key in keywords:
                return self.shape(keywords[key], batch=True)
        if "input_dim" in keywords:  # Keras 1: input_dim=F, input_length=T
            features = self.eval(keywords["input_dim"])
            steps = self.eval(keywords["input_length"]) if "input_length" in keywords else None
            if isinstance(features, int):
                return (None, steps if isinstance(steps, int) else None, features)
        return None

    def activation(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if node is not None and isinstance(node, ast.Constant) and node.value is None:
            return "linear"
        return _call_name(node) if isinstance(node, ast.Name | ast.Attribute) else _source(node)

    def text(self, node: ast.expr | None) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _parse(text: str) -> ast.Module:
    """The snippet's syntax tree, or one sentence saying why it cannot be read."""
    if not isinstance(text, str) or not text.strip():
        raise ModelReadError("There is no code to read: paste the lines that build your model.")
    if len(text) > MAX_CODE_CHARS:
        raise ModelReadError(f"The code is longer than {MAX_CODE_CHARS:,} characters; paste only the model's lines.")
    lines = [line[4:] if line.startswith((">>> ", "... ")) else line for line in text.replace("\r\n", "\n").split("\n")]
    try:
        tree = ast.parse("\n".join(lines).expandtabs(4))
    except SyntaxError as error:
        where = f" (line {error.lineno})" if error.lineno else ""
        raise ModelReadError(f"This is not valid Python 3{where}, so no model could be read from it.") from None
    except (ValueError, RecursionError, MemoryError):
        raise ModelReadError("This text cannot be read as Python code, so no model could be read from it.") from None
    count = 0
    for _ in ast.walk(tree):
        count += 1
        if count > MAX_NODES:
            raise ModelReadError("The code is too large to read; paste only the lines that build the model.")
    return tree


def _generation(text: str) -> str | None:
    if any(word in text for word in KERAS1_WORDS):
        return "keras1"
    if any(word in text for word in TF_KERAS_WORDS):
        return "tf.keras2"
    return None


def read_code_models(text: str) -> tuple[LearnerModel, ...]:
    """Every model the snippet builds, in order (a functional chain without a Model call counts as one)."""
    tree = _parse(text)
    reader = _Reader()
    try:
        reader.body(tree.body)
    except RecursionError:
        raise ModelReadError("The code nests too deeply to read; paste only the lines that build the model.") from None
    builders = [builder for builder in reader.models if builder.layers]
    if not builders:
        chains = [value for value in reader.values.values() if isinstance(value, _Tensor) and value.layers]
        if chains:
            longest = max(chains, key=lambda tensor: len(tensor.layers))
            builders = [_Builder(layers=list(longest.layers), input_shape=longest.input_shape)]
    generation = _generation(text)
    notes = tuple(dict.fromkeys(reader.notes))
    return tuple(
        with_family_note(
            LearnerModel(
                tuple(builder.layers),
                "code",
                input_shape=builder.input_shape,
                loss=builder.loss,
                keras_generation=generation,
                notes=notes,
            )
        )
        for builder in builders
    )


def read_code_text(text: str) -> LearnerModel:
    """The first model the snippet builds; a note names the others when there are several."""
    models = read_code_models(text)
    if not models:
        raise ModelReadError("No Keras model was found in this code (no Sequential, model.add or layer calls).")
    first = models[0]
    if len(models) > 1:
        first = replace(first, notes=first.notes + (f"the code builds {len(models)} models; this is the first",))
    return first
