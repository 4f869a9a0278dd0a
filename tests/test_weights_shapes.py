"""The Weights and Shape-flow pages: their numbers against real Keras models, the target checker against fit().

Every expected value is taken from a Keras model built in the test (or from Keras's own loss on real arrays),
never copied from the code under test.
"""

from __future__ import annotations

import io
import itertools
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core import ModelSpec, describe
from core.figures.shape_flow import flow_stages, shape_flow_figure
from core.figures.tables import (
    counterfactual,
    growth_data,
    summary_totals,
    table_csv,
    variant_cell_status,
    variants_table,
    weight_tensors_table,
    weights_table,
)
from core.figures.weights import growth_figure
from core.model.target_checker import probe_batch_size, target_verdict
from tests.conftest import ROOT, page_text, run_app, settle


def keras_build_error(spec: ModelSpec) -> str | None:
    """Keras's own message when it refuses to build the spec's model, or None when it builds."""
    from core.keras.models import build_model

    try:
        build_model(spec, compile=False)
    except ValueError as error:
        return str(error)
    return None


TINY = {"timesteps": 3, "input_size": 3, "hidden_size": 4, "output_size": 2}
TINY_PARAMS = {key: str(value) for key, value in TINY.items()}

GRID = [
    ModelSpec(**TINY),
    ModelSpec(**TINY, cell="LSTM", return_sequences=False, head="dense"),
    ModelSpec(**TINY, cell="SimpleRNN", head="dense", use_bias=False),
    ModelSpec(**TINY, bidirectional=True, reset_after=False),
    ModelSpec(**TINY, cell="LSTM", bidirectional=True, merge_mode="sum", return_sequences=False, head="dense"),
    ModelSpec(**{**TINY, "hidden_size": 5}, bidirectional=True, merge_mode="ave", use_bias=False, activation="linear"),
]


@pytest.fixture(scope="module")
def keras():
    from core.keras.env import load_keras

    return load_keras()


def _build(spec: ModelSpec):
    from core.keras.models import build_model

    return build_model(spec, compile=False)


def _class_name(layer) -> str:
    """Keras's class, with the wrapped layer's class for wrappers: read from the layer objects themselves."""
    name = type(layer).__name__
    inner = getattr(layer, "forward_layer", None) or getattr(layer, "layer", None)
    return f"{name}({type(inner).__name__})" if inner is not None else name


# -- the tables equal Keras ----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", GRID, ids=lambda spec: "-".join(spec.to_params(omit_defaults=True).values()))
def test_weights_table_equals_keras(spec: ModelSpec) -> None:
    from core.keras.models import keras_summary

    model = _build(spec)
    table = weights_table(spec)
    assert list(table["Layer"]) == [layer.name for layer in model.layers]
    assert list(table["Keras class"]) == [_class_name(layer) for layer in model.layers]
    assert list(table["Parameters"]) == [layer.count_params() for layer in model.layers]
    assert list(table["Output shape"]) == [str(tuple(layer.output.shape)) for layer in model.layers]
    assert table["Parameters"].sum() == model.count_params()
    assert table["Share of total"].sum() == pytest.approx(1.0)
    for (_, row), layer in zip(table.iterrows(), model.layers, strict=True):
        # the formula ends with the layer's real count; each weight's shape is listed
        assert row["Formula"].endswith(f"{layer.count_params():,}") or layer.count_params() == 0
        for weight in layer.weights:
            assert str(tuple(weight.shape)) in row["Weight tensors"]

    tensors = weight_tensors_table(spec)
    assert list(tensors["Variable"]) == [weight.path for weight in model.weights]
    assert list(tensors["Shape"]) == [str(tuple(weight.shape)) for weight in model.weights]
    assert list(tensors["Size"]) == [int(np.prod(weight.shape)) for weight in model.weights]

    summary = keras_summary(spec)
    for label, value in summary_totals(spec).items():
        assert f"{label}: {value}" in summary
    assert "Param #" in summary  # the column Keras drops when its table is wider than its console


def test_csv_download_equals_keras() -> None:
    spec = GRID[3]
    model = _build(spec)
    frame = pd.read_csv(io.StringIO(table_csv(spec)))
    assert list(frame["Layer"]) == [layer.name for layer in model.layers] + ["Total"]
    assert list(frame["Parameters"]) == [layer.count_params() for layer in model.layers] + [model.count_params()]


def test_invalid_spec_table_stops_where_keras_stops(keras) -> None:
    from core.keras.models import build_layers

    spec = ModelSpec(**TINY, return_sequences=False, head="time_distributed")
    assert keras_build_error(spec) is not None
    recurrent = build_layers(spec)[0]
    recurrent(keras.Input(shape=(spec.timesteps, spec.input_size)))
    table = weights_table(spec)
    assert list(table["Layer"]) == ["input_layer", recurrent.name]
    assert list(table["Parameters"]) == [0, recurrent.count_params()]


def test_variants_equal_keras() -> None:

    spec = ModelSpec(**{**TINY, "cell": "LSTM"})
    table = variants_table(spec).set_index("Fact")
    recurrent_counts = set()
    for label, variant in {
        "Model 1": spec.replace(return_sequences=True, head="time_distributed"),
        "Model 2": spec.replace(return_sequences=True, head="dense"),
        "Model 3": spec.replace(return_sequences=False, head="dense"),
        "Invalid": spec.replace(return_sequences=False, head="time_distributed"),
    }.items():
        column = table[label]
        error = keras_build_error(variant)
        assert (column["Builds in Keras"] == "yes") == (error is None)
        if error is not None:
            assert column["Total parameters"] == "—"
            continue
        model = _build(variant)
        recurrent, head = model.layers[1], model.layers[2]
        recurrent_counts.add(recurrent.count_params())
        assert column["Total parameters"] == f"{model.count_params():,}"
        assert column["Recurrent parameters"] == f"{recurrent.count_params():,}"
        assert column["Head parameters"] == f"{head.count_params():,}"
        assert column["Recurrent output"] == str(tuple(recurrent.output.shape))
        assert column["Head output"] == str(tuple(head.output.shape))
        assert column["Targets must be"] == str(tuple(model.output.shape))
        assert column["Head applications per sample"] == str(spec.timesteps if variant.return_sequences else 1)
    assert table.loc["Recurrent parameters", "Same in all?"] == ("=" if len(recurrent_counts) == 1 else "≠")
    status = variant_cell_status(variants_table(spec))
    assert set(status["Model 1"]) == {"same"}
    assert "diff" in set(status["Model 3"]) and "na" in set(status["Invalid"])


@pytest.mark.parametrize("return_sequences", [True, False])
def test_counterfactual_equals_keras(return_sequences: bool) -> None:
    spec = ModelSpec(**TINY, return_sequences=return_sequences, head="dense")
    model = _build(spec.replace(return_sequences=True))
    head = model.get_layer("dense")
    story = counterfactual(spec)
    assert story.head_params == head.count_params()
    assert story.unshared_head_params == spec.timesteps * head.count_params()
    assert f"{spec.timesteps} × {head.count_params():,} = {spec.timesteps * head.count_params():,}" in story.sentence
    assert story.recurrent_params == model.layers[1].count_params()


def test_seed_counterfactual_numbers() -> None:
    """The issue's own example, derived by hand from the seed: Dense(8) on 16 features, T = 64."""
    story = counterfactual(ModelSpec())
    assert (story.head_params, story.unshared_head_params) == (8 * (16 + 1), 64 * 8 * (16 + 1))
    assert "8,704" in story.sentence


def test_growth_params_equal_keras_and_work_is_linear_in_t() -> None:
    spec = ModelSpec(**TINY)
    data = growth_data(spec, "timesteps")
    for cell, timesteps in itertools.product(("SimpleRNN", "LSTM"), (1, 8)):
        row = data[(data["cell"] == cell) & (data["timesteps"] == timesteps)]
        model = _build(spec.replace(cell=cell, timesteps=timesteps))
        assert int(row["params"].iloc[0]) == model.count_params()
    for _, rows in data.groupby("cell"):
        assert rows["params"].nunique() == 1  # parameters do not depend on T
        per_step = rows["macs"] / rows["timesteps"]
        assert per_step.nunique() == 1  # work is proportional to T
    hidden = growth_data(spec, "hidden_size")
    row = hidden[(hidden["cell"] == "GRU") & (hidden["hidden_size"] == 8)]
    assert int(row["params"].iloc[0]) == _build(spec.replace(hidden_size=8)).count_params()

    figure = growth_figure(spec, "timesteps")
    markers = [trace for trace in figure.data if trace.name == "current spec"]
    assert len(markers) == 2 and list(markers[0].x) == [spec.timesteps]
    assert list(markers[0].y) == [_build(spec).count_params()]
    assert {trace.name for trace in figure.data} == {"SimpleRNN", "GRU", "LSTM", "current spec"}


# -- the target checker equals fit() -------------------------------------------------------------------------


def _crosses_samples(keras, loss: str, targets: np.ndarray, outputs: np.ndarray) -> bool:
    """True if Keras's loss mixes samples: the batch loss differs from the mean of the one-sample losses."""
    fn = keras.losses.MeanSquaredError() if loss == "mse" else keras.losses.CategoricalCrossentropy()
    whole = float(fn(targets, outputs))
    each = float(np.mean([float(fn(targets[i : i + 1], outputs[i : i + 1])) for i in range(len(targets))]))
    return not np.isclose(whole, each, rtol=1e-4)


CHECKS = [
    (dict(TINY), 4)  # the main grid: every return_sequences × head × target kind × loss
] + [
    ({**TINY, "timesteps": 4}, 4),  # T equals the batch size: MSE broadcasts by coincidence
    ({**TINY, "timesteps": 1}, 4),  # T = 1: MSE broadcasts (N, O) against (N, 1, O)
    ({**TINY, "output_size": 1}, 4),  # O = 1: Keras squeezes the size-1 axis first
]


def _check_cases():
    for sizes, batch in CHECKS:
        main = sizes == TINY
        for return_sequences, head, per_timestep, activation in itertools.product(
            (True, False), ("time_distributed", "dense"), (True, False), ("softmax", "linear")
        ):
            if not main and (head == "time_distributed" or (activation == "softmax" and sizes["output_size"] != 1)):
                continue  # edge sizes: the head does not matter, and cross-entropy only changes for O = 1
            if not main and return_sequences == per_timestep:
                continue  # targets of the model's own shape fit at any size (the main grid): the edges are mismatches
            spec = ModelSpec(**sizes, return_sequences=return_sequences, head=head, activation=activation)
            yield pytest.param(
                spec, per_timestep, batch, id=f"{'-'.join(spec.to_params(omit_defaults=True).values())}-{per_timestep}"
            )


# O = 1 makes softmax constant; Keras warns about it, and that is beside the point here.
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1", "ignore:In loss categorical_crossentropy")
@pytest.mark.parametrize(("spec", "per_timestep", "batch"), list(_check_cases()))
def test_verdict_equals_fit(keras, spec: ModelSpec, per_timestep: bool, batch: int) -> None:
    from core.keras.models import fit_error

    verdict = target_verdict(spec, per_timestep, batch_size=batch)
    message = fit_error(spec, per_timestep, samples=batch)
    assert verdict.fits == (message is None), message
    if message is not None:
        assert verdict.keras_phrase is not None and verdict.keras_phrase in message
        return
    # fit() ran: did Keras pair each target with its own sample's predictions? (describe's output shape is Keras's:
    # tests/test_anatomy_keras.py)
    rng = np.random.default_rng(1)
    output_shape = (batch, *describe(spec).output_shape[1:])
    target_shape = (batch, spec.timesteps, spec.output_size) if per_timestep else (batch, spec.output_size)
    outputs = rng.uniform(0.1, 1.0, output_shape).astype("float32")
    targets = rng.uniform(0.0, 1.0, target_shape).astype("float32")
    crosses = _crosses_samples(keras, spec.loss, targets, outputs)
    assert (verdict.status == "silent") == crosses
    assert (verdict.status == "ok") == (target_shape == output_shape)


def test_verdict_without_batch_size_warns_about_coincidences() -> None:
    spec = ModelSpec(**TINY, activation="linear")
    verdict = target_verdict(spec, per_timestep_targets=False)
    assert verdict.status == "error" and str(spec.timesteps) in verdict.caveat
    assert probe_batch_size(spec) not in (1, spec.timesteps)
    assert probe_batch_size(spec.replace(timesteps=4)) not in (1, 4)


def test_shape_flow_shows_describe_shapes_and_targets() -> None:
    spec = ModelSpec(**TINY)
    model = _build(spec)
    stages = flow_stages(spec)
    assert [stage.shape for stage in stages[:-1]] == [tuple(layer.output.shape) for layer in model.layers]
    assert stages[-1].shape == tuple(model.output.shape)
    text = " ".join(str(annotation.text) for annotation in shape_flow_figure(spec, True).layout.annotations)
    assert "batch" in text and "your Y" in text
    invalid = flow_stages(spec.replace(return_sequences=False))
    assert invalid[-1].failed and invalid[-1].shape is None


def test_pure_modules_do_not_load_tensorflow() -> None:
    code = (
        "import sys; import core.figures.tables, core.figures.shape_flow, core.model.target_checker; "
        "import core.figures.weights; "
        "from core import ModelSpec; core.figures.tables.weights_table(ModelSpec()); "
        "core.figures.shape_flow.shape_flow_figure(ModelSpec(), True); "
        "core.figures.weights.growth_figure(ModelSpec(), 'timesteps'); "
        "print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


# -- the pages ------------------------------------------------------------------------------------------------


def test_weights_page() -> None:
    spec = ModelSpec(**TINY)
    at = run_app("weights", TINY_PARAMS)
    assert not at.exception
    model = _build(spec)
    shown = at.dataframe[0].value
    assert list(shown["Parameters"]) == [layer.count_params() for layer in model.layers]
    text = page_text(at)
    head = model.get_layer("time_distributed").count_params()
    assert f"{spec.timesteps} × {head:,} = {spec.timesteps * head:,}" in text
    assert len(at.get("download_button")) == 1
    figure = at.get("plotly_chart")[0].proto.spec
    assert "Timesteps T" in figure
    at.segmented_control(key="weights_growth_axis").set_value("hidden_size").run()
    assert not at.exception
    assert "Hidden size" in at.get("plotly_chart")[0].proto.spec


def test_weights_page_invalid_spec() -> None:
    at = run_app("weights", {**TINY_PARAMS, "return_sequences": "false", "head": "time_distributed"})
    assert not at.exception
    assert any("TimeDistributed" in error.value for error in at.error)


def test_shapes_page_probes() -> None:
    spec = ModelSpec(**TINY)
    at = run_app("shapes", TINY_PARAMS)
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    at.radio(key="shapes_target_kind").set_value("per_sequence").run()
    assert at.error  # the analytic verdict: per-sequence targets after return_sequences=True fail
    settle(at.button(key="shapes_fit_button").click().run())
    assert not at.exception
    codes = [code.value for code in at.code]
    assert any("must have the same rank" in code for code in codes)
    assert "Keras agrees" in page_text(at)
    settle(at.button(key="shapes_summary_button").click().run())
    assert not at.exception
    count = _build(spec).count_params()
    assert any(f"Total params: {count:,}" in code.value for code in at.code)


def test_shapes_page_invalid_spec_probes() -> None:
    at = run_app("shapes", {**TINY_PARAMS, "return_sequences": "false", "head": "time_distributed"})
    assert not at.exception
    settle(at.button(key="shapes_fit_button").click().run())
    settle(at.button(key="shapes_summary_button").click().run())
    assert not at.exception
    assert sum("at least 3 dimensions" in code.value for code in at.code) == 2  # fit()'s answer and the summary's
