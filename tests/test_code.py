"""The exported code runs: generated scripts print the count describe() predicts; the seed's translation works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import ModelSpec, describe, seed_variants
from core.model.code import CHANGES, SEED_KERAS1_CODE, SEED_KERAS3_CODE, keras_code, parse_count_params, script_filename
from tests.conftest import ROOT, page_text, run_view, settle

TINY = ModelSpec(timesteps=4, input_size=3, hidden_size=4, output_size=2)
SPECS = {
    "gru-td": TINY,
    "bi-lstm-concat": TINY.replace(cell="LSTM", bidirectional=True),
    "bi-gru-ave-nobias-linear": TINY.replace(bidirectional=True, merge_mode="ave", use_bias=False, activation="linear"),
    "simplernn-last-dense": TINY.replace(cell="SimpleRNN", return_sequences=False, head="dense"),
    "gru-noreset-dense": TINY.replace(reset_after=False, head="dense"),
    # The sequence patterns: stacked, one-to-many, and a bidirectional encoder-decoder handing over its states.
    "stacked-3": TINY.replace(layers=3),
    "one-to-many": TINY.replace(repeat="input"),
    "seq2seq-bi-lstm-state": TINY.replace(
        cell="LSTM", bidirectional=True, return_sequences=False, repeat="encoder", output_timesteps=3, return_state=True
    ),
}
INVALID = TINY.replace(cell="LSTM", return_sequences=False, head="time_distributed")
REFUSED = {
    "stacking": TINY.replace(layers=2, inner_return_sequences=False, return_sequences=False, head="dense"),
    "encoder_sequence": TINY.replace(repeat="encoder"),
}

# Runs several scripts in one Python process (one TensorFlow import instead of one per script), each in a fresh
# namespace as if run on its own, and reports how each ended.
RUNNER = """\
import os, sys
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import tensorflow as tf
# Eager fit: the same layers, shapes, counts and errors without tracing a graph per script (the standalone test
# keeps one script in graph mode, exactly as a learner runs it).
tf.config.run_functions_eagerly(True)
import sys, traceback
for path in sys.argv[1:]:
    print(f"=== {path}", flush=True)
    try:
        exec(compile(open(path).read(), path, "exec"), {"__name__": "__main__"})
        print("status=ok")
    except SystemExit as error:
        print(f"status=exit {error.code}")
    except BaseException as error:
        print(f"status=error {type(error).__name__}: {error}")
"""


def _env() -> dict[str, str]:
    """The generated scripts' environment: quiet TensorFlow, and no coverage (they import Keras, never core/, and
    measuring them cost the suite about 2 s per run)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    env.pop("COVERAGE_PROCESS_CONFIG", None)
    return env


def _run_scripts(tmp_path: Path, scripts: dict[str, str]) -> dict[str, str]:
    """Run each script (name -> code) in one subprocess; returns name -> everything that script printed."""
    paths = []
    for name, code in scripts.items():
        path = tmp_path / f"{name}.py"
        path.write_text(code)
        paths.append(str(path))
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, *paths], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outputs: dict[str, str] = {}
    for block in result.stdout.split("=== ")[1:]:
        header, _, body = block.partition("\n")
        outputs[Path(header).stem] = body
    assert set(outputs) == set(scripts), result.stdout[-2000:]
    return outputs


def test_generated_script_runs_standalone_and_prints_the_predicted_count(tmp_path):
    spec = SPECS["gru-td"]
    path = tmp_path / script_filename(spec)
    path.write_text(keras_code(spec))
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=_env(), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    last_line = result.stdout.strip().splitlines()[-1]
    assert parse_count_params(last_line) == describe(spec).total_params


def _shrunk(code: str) -> str:
    """The seed's program with fewer samples and timesteps: same models and parameter counts, much faster."""
    shrunk = code.replace("n_samples = 1000", "n_samples = 8").replace("MaxLen = 64", "MaxLen = 3")
    assert shrunk != code
    return shrunk


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every script of this module's checks, run once in one subprocess: name -> what it printed."""
    scripts = {name: keras_code(spec) for name, spec in SPECS.items()}
    scripts["invalid"] = keras_code(INVALID)
    scripts.update({name: keras_code(spec) for name, spec in REFUSED.items()})
    fixed_import = SEED_KERAS1_CODE.replace("from keras.layers.recurrent import GRU", "from keras.layers import GRU")
    scripts["keras3"] = _shrunk(SEED_KERAS3_CODE)
    scripts["keras1"] = _shrunk(SEED_KERAS1_CODE)
    scripts["keras1_import_fixed"] = _shrunk(fixed_import)
    return _run_scripts(tmp_path_factory.mktemp("scripts"), scripts)


def test_generated_scripts_print_the_count_describe_predicts(outputs):
    for name, spec in SPECS.items():
        assert "status=ok" in outputs[name], outputs[name][-1500:]
        assert parse_count_params(outputs[name]) == describe(spec).total_params, name
        # The model Keras built really has the target shape the script fitted on (fit would have failed).
        assert "loss:" in outputs[name]
    # The invalid spec: Keras itself raises, with the message describe() quotes, and the script exits with 1.
    assert "status=exit 1" in outputs["invalid"]
    assert describe(INVALID).keras_error in outputs["invalid"]
    assert parse_count_params(outputs["invalid"]) is None
    for name in ("stacking", "encoder_sequence"):
        assert "status=exit 1" in outputs[name] and describe(REFUSED[name]).keras_error in outputs[name]


def test_seed_translation_runs_and_the_original_fails_for_the_reasons_given(outputs):
    assert "status=ok" in outputs["keras3"], outputs["keras3"][-1500:]
    # All three seed models have the same trainable size, the one describe() predicts for each.
    for variant in ("Model 1", "Model 2", "Model 3"):
        total = describe(seed_variants(ModelSpec())[variant]).total_params
        assert outputs["keras3"].count(f"Trainable params: {total:,}") >= 1
    assert outputs["keras3"].count("Trainable params:") == 3
    assert "Optimizer params:" in outputs["keras3"]
    assert "\nNone\n" not in outputs["keras3"]  # summary() no longer wrapped in print()
    # The changes listed are the ones Keras 3 enforces.
    assert "status=error ModuleNotFoundError" in outputs["keras1"] and "keras.layers.recurrent" in outputs["keras1"]
    assert "status=error TypeError" in outputs["keras1_import_fixed"]
    assert "nb_epoch" in outputs["keras1_import_fixed"]


def test_seed_code_is_the_seed_verbatim():
    folder = ROOT.parent / "shared" / "seed"  # the project's shared/ folder lies beside the checkout
    seeds = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not seeds:
        pytest.skip(f"the seed file is not available here ({folder})")
    assert SEED_KERAS1_CODE.strip() in seeds[0].read_text()


def test_changes_cover_the_issue_list():
    old = " ".join(change.keras1 for change in CHANGES)
    for needle in ("nb_epoch", "keras.layers.recurrent", "input_shape", "summary()"):
        assert needle in old
    for change in CHANGES:
        assert change.why.strip()


def test_every_combination_generates_valid_python():
    for cell in ("SimpleRNN", "GRU", "LSTM"):
        for bidirectional in (False, True):
            for return_sequences in (False, True):
                for head in ("time_distributed", "dense"):
                    spec = TINY.replace(
                        cell=cell, bidirectional=bidirectional, return_sequences=return_sequences, head=head
                    )
                    code = keras_code(spec)
                    compile(code, script_filename(spec), "exec")
                    assert (f"keras.layers.{cell}(" in code) and (("Bidirectional" in code) == bidirectional)


def _page(spec: ModelSpec):
    return run_view("views/code.py", spec)


def test_code_page_shows_the_script_and_the_summary():
    at = _page(TINY).run()
    assert not at.exception
    codes = [element.value.strip() for element in at.code]
    assert keras_code(TINY).strip() in codes
    assert SEED_KERAS1_CODE.strip() in codes and SEED_KERAS3_CODE.strip() in codes
    text = page_text(at)
    assert all(change.why in text for change in CHANGES)
    settle(at.button(key="code_summary").click().run())
    assert not at.exception and not at.error
    # The seed model's summary() as today's Keras prints it (core.keras.seed_summary, run in the worker): the count
    # describe() predicts, the optimizer's line that Keras 1 did not print, and the wrapper's layer.
    total = describe(ModelSpec()).total_params
    (summary,) = [element.value for element in at.code if "Trainable params:" in element.value]
    assert f"Trainable params: {total:,}" in summary
    assert "Optimizer params:" in summary and "time_distributed" in summary


def test_code_page_for_the_invalid_spec():
    at = _page(INVALID).run()
    assert not at.exception
    assert describe(INVALID).error in page_text(at)
    assert keras_code(INVALID).strip() in [element.value.strip() for element in at.code]


def test_code_page_in_the_app():
    from tests.conftest import run_app

    at = run_app("code")
    assert not at.exception
    assert any("count_params" in element.value for element in at.code)
