"""Reading an uploaded `.keras` file: its `config.json` (and `metadata.json`) with `zipfile` and `json`, nothing else.

Never `keras.models.load_model` on an upload: Keras's `safe_mode` has had bypasses (CVE-2025-1550, -8747, -9906).
Sizes are checked before anything is decompressed, config.json is read with a hard cap whatever its header claims,
and a layer that carries code (`Lambda`, anything with a `function`) is named and the file refused.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from core.diagnosis.learner_model import RECURRENT, LearnerLayer, LearnerModel, ModelReadError, Shape, with_family_note

MAX_ARCHIVE_BYTES = 25 * 1024 * 1024
MAX_MEMBERS = 64
MAX_CONFIG_BYTES = 2 * 1024 * 1024
MAX_LAYERS = 500
MAX_DEPTH = 40
CODE_KEYS = ("function", "function_type", "output_shape_type")
# Non-default arguments of a recurrent layer that change what it computes (its config lists every argument).
RECURRENT_DEFAULTS = {"dropout": 0.0, "recurrent_dropout": 0.0, "go_backwards": False, "stateful": False}


def _archive(data: bytes) -> zipfile.ZipFile:
    if not isinstance(data, bytes | bytearray):
        raise ModelReadError("The upload could not be read as a file.")
    if len(data) > MAX_ARCHIVE_BYTES:
        size = len(data) / 1024 / 1024
        raise ModelReadError(
            f"The file is {size:.0f} MB, over the {MAX_ARCHIVE_BYTES // 1024 // 1024} MB this page reads; "
            "paste model.summary() instead."
        )
    if data[:4] == b"\x89HDF":
        raise ModelReadError(
            "This is an HDF5 (.h5) file, not a .keras file; paste model.summary() or save with model.save('m.keras')."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ModelReadError("This file is not a .keras file (a .keras file is a zip archive).") from None
    if len(archive.infolist()) > MAX_MEMBERS:
        raise ModelReadError(f"The archive holds more than {MAX_MEMBERS} files; a .keras file holds three.")
    return archive


def _member_json(archive: zipfile.ZipFile, name: str, required: bool) -> Any:
    """A JSON member, decompressed with a hard cap (a zip bomb's header may lie about its size)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        if required:
            raise ModelReadError(f"The archive has no {name}, so it is not a .keras model file.") from None
        return None
    if info.file_size > MAX_CONFIG_BYTES:
        raise ModelReadError(f"The file's {name} is larger than {MAX_CONFIG_BYTES // 1024 // 1024} MB; refused.")
    try:
        with archive.open(info) as member:
            raw = member.read(MAX_CONFIG_BYTES + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError):
        raise ModelReadError(f"The file's {name} could not be decompressed.") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ModelReadError(f"The file's {name} is larger than {MAX_CONFIG_BYTES // 1024 // 1024} MB; refused.")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        if required:
            raise ModelReadError(f"The file's {name} is not valid JSON.") from None
        return None


def _refuse_code(node: Any, depth: int = 0) -> None:
    """Raise, naming the layer, when any part of the config carries code (a Lambda's function, a custom function)."""
    if depth > MAX_DEPTH:
        raise ModelReadError("The file's config nests too deeply to read.")
    if isinstance(node, dict):
        config = node.get("config")
        name = config.get("name") if isinstance(config, dict) else None
        if node.get("class_name") == "Lambda" or any(key in node for key in CODE_KEYS):
            shown = f" ({name!r})" if isinstance(name, str) else ""
            raise ModelReadError(
                f"The model has a {node.get('class_name', 'layer')} layer{shown} that carries Python code; this page "
                "does not read such files and ran nothing from it: paste model.summary() instead."
            )
        for value in node.values():
            _refuse_code(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _refuse_code(value, depth + 1)


def _shape(value: Any) -> Shape | None:
    if isinstance(value, list) and value and all(dim is None or type(dim) is int for dim in value):
        return tuple(value)
    return None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _layer(entry: Any) -> LearnerLayer | None:
    """One layer dict of the config, as a LearnerLayer (wrappers with their wrapped layer)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        return None
    kind = entry["class_name"][:60]
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    name = config.get("name") if isinstance(config.get("name"), str) else None
    inner = _layer(config.get("layer")) if kind in ("TimeDistributed", "Bidirectional") else None
    activation = config.get("activation") if isinstance(config.get("activation"), str) else None
    arguments = tuple(
        (key, repr(config[key]))
        for key, default in RECURRENT_DEFAULTS.items()
        if kind in RECURRENT and key in config and config[key] != default
    )
    return LearnerLayer(
        kind,
        name=name,
        units=_int(config.get("units")),
        return_sequences=_flag(config.get("return_sequences")),
        return_state=_flag(config.get("return_state")),
        activation=activation,
        inner=inner,
        merge_mode=config.get("merge_mode") if isinstance(config.get("merge_mode"), str) else None,
        use_bias=_flag(config.get("use_bias")),
        reset_after=_flag(config.get("reset_after")) if kind == "GRU" else None,
        repeat=_int(config.get("n")) if kind == "RepeatVector" else None,
        initial_state=_starts_from_states(entry),
        arguments=arguments,
    )


def _starts_from_states(entry: dict) -> bool:
    """A functional layer called with `initial_state=` (Keras 3 writes the call's kwargs into inbound_nodes)."""
    nodes = entry.get("inbound_nodes")
    if not isinstance(nodes, list) or not nodes or not isinstance(nodes[0], dict):
        return False
    kwargs = nodes[0].get("kwargs")
    return isinstance(kwargs, dict) and kwargs.get("initial_state") is not None


def _input_shape(config: dict, layers: list) -> Shape | None:
    for entry in layers:
        if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
            inner = entry.get("config") if isinstance(entry.get("config"), dict) else {}
            return _shape(inner.get("batch_shape")) or _shape(inner.get("batch_input_shape"))
    build = config.get("build_input_shape")
    return _shape(build)


def read_keras_archive(data: bytes) -> LearnerModel:
    """The model a `.keras` file describes, from its config.json alone; one sentence when it cannot or must not."""
    archive = _archive(data)
    with archive:
        config = _member_json(archive, "config.json", required=True)
        metadata = _member_json(archive, "metadata.json", required=False)
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ModelReadError("The file's config.json does not describe a Keras model.")
    _refuse_code(config)
    model_config = config["config"]
    entries = model_config.get("layers")
    if not isinstance(entries, list) or not entries:
        raise ModelReadError(f"The file's model ({config.get('class_name')}) lists no layers this page can read.")
    if len(entries) > MAX_LAYERS:
        raise ModelReadError(f"The file's model has more than {MAX_LAYERS} layers; paste a smaller model.")
    layers = [layer for layer in (_layer(entry) for entry in entries) if layer is not None]
    layers = [layer for layer in layers if layer.kind != "InputLayer"]
    compile_config = config.get("compile_config") if isinstance(config.get("compile_config"), dict) else {}
    loss = compile_config.get("loss") if isinstance(compile_config.get("loss"), str) else None
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    generation = None
    if isinstance(version, str):
        generation = "keras3" if version.startswith("3") else "tf.keras2" if version.startswith("2") else None
    notes = () if config.get("class_name") in ("Sequential", "Functional", "Model") else ("not a Sequential model",)
    return with_family_note(
        LearnerModel(
            tuple(layers),
            "keras_file",
            input_shape=_input_shape(model_config, entries),
            loss=loss,
            keras_generation=generation,
            notes=notes,
        )
    )
