"""The equivalence lab measures real Keras twins: identical outputs, identical training, different graphs."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from core import ModelSpec, describe
from core.keras.protocol import Partial
from tests.conftest import ROOT, page_text, run_app, run_view, settle

TINY = ModelSpec(timesteps=4, input_size=3, hidden_size=4, output_size=2)


@pytest.fixture(scope="module")
def eq():
    """The module under test (imported lazily: it is cheap, but keeps collection free of Keras)."""
    from core.keras import equivalence

    return equivalence


def test_import_does_not_load_tensorflow():
    code = (
        "import sys; import core.keras.equivalence, core.figures.equivalence, core.model.code; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow loaded at import'"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "spec",
    [TINY, TINY.replace(cell="LSTM", bidirectional=True, merge_mode="sum", use_bias=False, activation="linear")],
    ids=["gru", "bi-lstm-nobias"],
)
def test_twins_are_bit_identical_and_the_control_is_not(eq, spec):
    result = eq.twin_outputs(spec, samples=3)
    expected_shape = (3, *describe(spec).output_shape[1:])
    assert result.dense.shape == expected_shape
    assert result.time_distributed.shape == expected_shape
    # Recompute the difference here rather than trusting the reported number.
    assert result.max_abs_diff == float(np.max(np.abs(result.dense - result.time_distributed)))
    assert result.max_abs_diff == 0.0
    # The outputs are real, varied numbers, not a constant array that would trivially match.
    assert np.ptp(result.dense) > 0

    control = eq.twin_outputs(spec, samples=3, perturb=1e-2)
    assert control.max_abs_diff > 0.0
    assert control.max_abs_diff == float(np.max(np.abs(control.dense - control.time_distributed)))
    # The control moves only the TimeDistributed twin: the Dense twin's output is unchanged.
    np.testing.assert_array_equal(control.dense, result.dense)


def test_twins_share_every_weight(eq):
    twins = eq.build_twins(TINY)
    dense, distributed = twins["dense"].get_weights(), twins["time_distributed"].get_weights()
    assert len(dense) == len(distributed) == len(describe(TINY).recurrent.weights) + 2
    for a, b in zip(dense, distributed, strict=True):
        np.testing.assert_array_equal(a, b)


def test_without_return_sequences_only_dense_exists(eq):
    spec = TINY.replace(return_sequences=False, head="dense")
    result = eq.twin_outputs(spec, samples=2)
    assert result.time_distributed is None and result.max_abs_diff is None
    assert result.dense.shape == (2, spec.output_size)
    invalid = describe(spec.replace(head="time_distributed"))
    assert result.error == invalid.error and result.keras_error == invalid.keras_error
    with pytest.raises(ValueError, match="return_sequences"):
        eq.train_twins(spec)


def test_trained_twins_have_the_same_loss_curve(eq):
    training = eq.train_twins(TINY, samples=8, epochs=3, batch_size=4)
    assert len(training.dense_loss) == len(training.time_distributed_loss) == 3
    np.testing.assert_allclose(training.dense_loss, training.time_distributed_loss, rtol=1e-5)
    assert training.max_loss_diff < 1e-5
    assert training.max_weight_diff < 1e-5
    # Training did something: the losses are finite and not all equal.
    assert np.all(np.isfinite(training.dense_loss)) and len(set(training.dense_loss)) > 1


def test_op_counts_come_from_traced_graphs_and_grow_with_t(eq):
    counts = {t: eq.graph_op_counts(TINY.replace(timesteps=t)) for t in (2, 5)}
    for t, graphs in counts.items():
        # Derived from how the layers compute: Dense multiplies the whole (batch, T, features) tensor once;
        # Keras 3's TimeDistributed with a static time axis calls its Dense once per timestep.
        assert graphs["dense"]["head"].matmuls == 1
        assert graphs["time_distributed"]["head"].matmuls == t
        # The recurrent part is the same in both models, so the whole graphs differ by the heads' MatMuls alone.
        model_gap = graphs["time_distributed"]["model"].matmuls - graphs["dense"]["model"].matmuls
        assert model_gap == t - 1
    # Dense's graph does not depend on T; TimeDistributed's grows by the same number of ops per timestep.
    assert counts[2]["dense"]["head"].ops == counts[5]["dense"]["head"].ops
    assert counts[5]["time_distributed"]["head"].ops > counts[2]["time_distributed"]["head"].ops


def test_timings_and_versions(eq):
    import keras
    import tensorflow as tf

    timings = eq.time_forward_and_trace(TINY, samples=2, repeats=2)
    assert set(timings) == {"dense", "time_distributed"}
    for timing in timings.values():
        assert timing.first_call > 0 and timing.forward > 0
    assert eq.versions() == {"keras": keras.__version__, "tensorflow": tf.__version__}


def test_figures_show_the_computed_numbers(eq):
    from core.figures.equivalence import counts_table, loss_figure, op_counts_figure, output_heatmaps

    control = eq.twin_outputs(TINY, samples=2, perturb=1e-2)
    fig = output_heatmaps(control, sample=1)
    dense_z, td_z, diff_z = (np.array(trace.z) for trace in fig.data)
    np.testing.assert_allclose(dense_z, control.dense[1])
    np.testing.assert_allclose(td_z, control.time_distributed[1])
    np.testing.assert_allclose(diff_z.max(), np.abs(control.dense[1] - control.time_distributed[1]).max())

    single = eq.twin_outputs(TINY.replace(return_sequences=False, head="dense"), samples=1)
    assert len(output_heatmaps(single).data) == 1

    training = eq.train_twins(TINY, samples=4, epochs=2, batch_size=4)
    lines = loss_figure(training).data
    assert list(lines[0].y) == list(training.dense_loss) and list(lines[1].y) == list(training.time_distributed_loss)

    counts = eq.graph_op_counts(TINY)
    bars = op_counts_figure(counts).data
    assert list(bars[1].y) == [counts["dense"]["head"].matmuls, counts["time_distributed"]["head"].matmuls]
    assert list(counts_table(counts)["head graph: MatMul"]) == [1, TINY.timesteps]


def _page(spec: ModelSpec):
    return run_view("views/equivalence.py", spec)


def test_page_runs_the_lab_on_click_and_the_worker_streams_the_verdict_first():
    at = _page(TINY).run()
    assert not at.exception
    assert not at.get("plotly_chart")  # nothing heavy before the click
    settle(at.button(key="equivalence_run").click().run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 4  # the outputs (with their phone twin), the losses, the op counts
    values = [m.value for m in at.metric]
    assert values[0] == "0"  # the twins' largest difference, formatted from the computed 0.0
    assert float(values[1]) > 0  # the control
    stages, *tables = [frame.value for frame in at.dataframe]
    assert len(tables) == 2  # the op counts and the timings
    assert list(stages["stage"])[-1] == "Training both twins from the same weights"
    assert (stages["seconds"] >= 0).all() and len(stages) == 6  # each stage with its measured duration
    text = page_text(at)
    assert "Bit-identical" in text and "TensorFlow" in text
    # The worker sent each measurement as its stage ended: the page could show the verdict before training.
    (job,) = at.session_state["keras_jobs_equivalence"].values()  # the one lab this session started
    kinds = [event.key if isinstance(event, Partial) else event.text[:8] for event in job.events]
    assert kinds.index("control") < kinds.index("Training") < kinds.index("training"), kinds
    streamed = job.partial_results()
    assert streamed.keys() == job.result.keys() - {"stages"}
    assert streamed["outputs"].max_abs_diff == job.result["outputs"].max_abs_diff == 0.0
    assert streamed["control"].max_abs_diff > 0


def test_page_without_return_sequences_explains_why_there_is_no_twin():
    spec = TINY.replace(return_sequences=False, head="dense")
    at = _page(spec).run()
    assert not at.exception
    assert not at.button  # no lab to run
    text = page_text(at)
    assert describe(spec.replace(head="time_distributed")).error in text
    assert "No twin" in text


def test_page_in_the_app():
    at = run_app("equivalence", {"timesteps": "4", "input_size": "3", "hidden_size": "4", "output_size": "2"})
    assert not at.exception
    assert "Equivalence lab" in page_text(at)


def test_page_refuses_a_lab_too_big_for_a_small_server_and_suggests_a_t_that_passes():
    from core.model.budget import lab_work

    huge = ModelSpec(timesteps=512, input_size=64, hidden_size=64, output_size=64)
    at = _page(huge).run()
    assert not at.exception
    assert at.button(key="equivalence_run").disabled
    (error,) = at.error
    suggested = int(re.search(r"T ≤ (\d+)", error.value).group(1))
    assert (
        lab_work(huge.replace(timesteps=suggested)).allowed
        and not lab_work(huge.replace(timesteps=suggested + 1)).allowed
    )
    assert not at.get("plotly_chart")
    at = _page(huge.replace(timesteps=suggested)).run()
    assert not at.button(key="equivalence_run").disabled and not at.error
