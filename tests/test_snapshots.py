"""Snapshots of what the learner sees: every figure's JSON and every page's text, for the presets, normal and talk.

They guard moves and refactorings: a change that is meant to change nothing must leave these files unchanged, and a
change that fixes something shows its difference in review. The figures are pure (no TensorFlow, no worker): each
preset draws all of them. The pages run through AppTest without a click, so no Keras job starts.

Update after an intended change: `TDE_UPDATE_SNAPSHOTS=1 python -m pytest -o addopts="" tests/test_snapshots.py`,
then read the diff of tests/snapshots/ before committing it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core import describe
from core.figures.equivalence import counts_table, loss_figure, op_counts_figure, output_heatmaps, timing_table
from core.figures.shape_flow import shape_flow_figure
from core.figures.step import cell_table, head_figure, merge_table, states_strip, weights_figure
from core.figures.tables import summary_table, summary_totals, table_csv, variants_table, weights_table
from core.figures.theme import COMPACT, theme_for
from core.figures.training import loss_figure as training_loss_figure
from core.figures.training import prediction_figure, timestep_heatmap
from core.figures.unrolled import head_caption, hidden_steps_caption, layout, pattern_caption, unrolled_figure
from core.figures.weights import growth_figure
from core.keras.equivalence import GraphCounts, Timing, TwinOutputs, TwinTraining
from core.model.spec import PRESETS, ModelSpec
from core.model.stepper import ModelWeights, run
from core.model.target_checker import target_verdict
from tests.conftest import PAGES, run_app

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("TDE_UPDATE_SNAPSHOTS") == "1"
# Numbers keep 6 significant digits (float noise across numpy versions stays out); a numeric array longer than
# LONG_ARRAY is kept as its length, its first values and a hash of all of them, so a snapshot stays small to review.
DIGITS = 6
LONG_ARRAY = 48
PRESET_NAMES = list(PRESETS)


def slug(name: str) -> str:
    """A file name for a preset."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60]


def _number(value: float) -> float | int | str:
    if isinstance(value, bool | int | np.integer):
        return int(value)
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return float(f"{value:.{DIGITS}g}")


def _leaves(value: Any) -> list | None:
    """The scalars of a nested list, or None when it holds a dict."""
    if isinstance(value, list | tuple):
        out: list = []
        for item in value:
            inner = _leaves(item)
            if inner is None:
                return None
            out.extend(inner)
        return out
    return None if isinstance(value, dict) else [value]


def normalise(value: Any) -> Any:
    """JSON-ready, rounded, with long arrays summarised and plotly's (constant, large) template dropped."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in sorted(value.items()) if k != "template"}
    if isinstance(value, list | tuple):
        items = [normalise(v) for v in value]
        leaves = _leaves(items)
        if leaves is not None and len(leaves) > LONG_ARRAY:
            digest = hashlib.sha1(json.dumps(leaves).encode()).hexdigest()[:16]
            return {"array": f"{len(items)} rows, {len(leaves)} values, sha1 {digest}", "first": leaves[:6]}
        return items
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | float | np.number):
        return _number(value)
    return str(value)


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """A nested JSON value as one `path: leaf` pair per line, so that a change shows as the lines it changes."""
    if isinstance(value, dict) and value and "array" not in value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{path}[{index}]"))
        return out
    return {path: value}


def figure_json(figure: Any) -> Any:
    """A plotly figure as normalised JSON (its data and layout)."""
    return flatten(normalise(figure.to_plotly_json()))


def table_json(table: Any) -> Any:
    """A DataFrame (or Styler) as its columns and rows of text."""
    data = getattr(table, "data", table)
    return {"columns": [str(c) for c in data.columns], "rows": normalise(data.astype(str).values.tolist())}


def _weights(spec: ModelSpec) -> ModelWeights:
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=w.shape).astype(np.float32) for layer in describe(spec).layers for w in layer.weights]
    return ModelWeights.from_arrays(spec, arrays)


def _stepped(spec: ModelSpec) -> tuple[ModelWeights, Any, int]:
    """Seeded random weights, one seeded sample stepped through them, and the step shown (t=1 where there is one)."""
    weights = _weights(spec)
    x = np.random.default_rng(1).normal(size=(spec.timesteps, spec.input_size)).astype(np.float32)
    if spec.repeat == "input":
        x = x[0]
    trace = run(weights, x)
    return weights, trace, min(1, trace.top.steps - 1)


def step_figures(spec: ModelSpec, talk: bool) -> dict[str, Any]:
    """The step panel's figures at t=1 for seeded random weights and inputs."""
    weights, trace, t = _stepped(spec)
    return {
        "step_states": states_strip(trace, t, theme=theme_for(talk)),
        "step_weights": weights_figure(weights, "forward", 0, theme=theme_for(talk)),
        "step_head": head_figure(trace, weights, t, trace.top.steps - 1, theme=theme_for(talk)),
    }


def step_tables(spec: ModelSpec, talk: bool) -> dict[str, Any]:
    """The step panel's cell (and a bidirectional layer's merge) at t=1, as the HTML tables the page sends."""
    _, trace, t = _stepped(spec)
    out = {"step_cell": {"html": cell_table(trace.forward[t], "#000", spec.bidirectional, talk=talk)}}
    if spec.bidirectional:
        out["step_merge"] = {"html": merge_table(trace, t, "#000", talk)}
    return out


def preset_figures(spec: ModelSpec, talk: bool) -> dict[str, Any]:
    """Every pure figure a preset draws, by name."""
    description = describe(spec)
    figures: dict[str, Any] = {
        "unrolled": unrolled_figure(description, theme=theme_for(talk)),
        "unrolled_focus": unrolled_figure(description, theme=theme_for(talk), focus=("time", 1), height=300),
        "shape_flow": shape_flow_figure(spec, theme=theme_for(talk)),
        "shape_flow_per_sequence": shape_flow_figure(spec, per_timestep_targets=False, theme=theme_for(talk)),
        "growth_timesteps": growth_figure(spec, "timesteps", theme=theme_for(talk)),
        "growth_hidden": growth_figure(spec, "hidden_size", theme=theme_for(talk)),
    }
    if not talk:
        figures["unrolled_compact"] = unrolled_figure(description, COMPACT)
    if spec.is_valid:
        figures.update(step_figures(spec, talk))
    out = {name: figure_json(figure) for name, figure in figures.items()}
    return out | (step_tables(spec, talk) if spec.is_valid else {})


def preset_texts(spec: ModelSpec) -> dict[str, Any]:
    """The tables, captions, verdicts and counts a preset shows (independent of talk mode)."""
    from core.model.code import keras_code

    description = describe(spec)
    diagram = layout(description)
    texts: dict[str, Any] = {
        "caption_hidden_steps": hidden_steps_caption(diagram),
        "caption_head": head_caption(description),
        "caption_pattern": pattern_caption(description),
        "variants_table": table_json(variants_table(spec)),
        "keras_code": keras_code(spec).splitlines(),
    }
    if spec.is_valid:
        texts["weights_table"] = table_json(weights_table(spec))
        texts["summary_table"] = table_json(summary_table(spec))
        texts["summary_totals"] = normalise(summary_totals(spec))
        texts["table_csv"] = table_csv(spec).splitlines()
    for per_timestep in (True, False):
        verdict = target_verdict(spec, per_timestep)
        texts[f"target_verdict_{per_timestep}"] = normalise(dataclasses.asdict(verdict))
    return normalise(texts)


def lab_and_training_figures(talk: bool) -> dict[str, Any]:
    """The Equivalence and Training pages' figures, from fixed numbers standing for the worker's results."""
    spec = PRESETS[PRESET_NAMES[3]]
    rng = np.random.default_rng(2)
    dense = rng.normal(size=(2, spec.timesteps, spec.output_size))
    outputs = TwinOutputs(spec, rng.normal(size=(2, spec.timesteps, spec.input_size)), dense, dense + 1e-7, 1e-7)
    training = TwinTraining(spec, (1.0, 0.8, 0.7), (1.0, 0.8, 0.7), 0.0, 0.0, 3, 16, 8)
    counts = {
        head: {
            "head": GraphCounts(ops=40 + i, matmuls=3 + i, top_types=(("MatMul", 3 + i), ("Add", 2))),
            "model": GraphCounts(ops=400 + i, matmuls=9 + i, top_types=(("MatMul", 9 + i),)),
        }
        for i, head in enumerate(("dense", "time_distributed"))
    }
    curves = [("Model 1", [1.0, 0.9, 0.8, 0.7], [0.95, 0.75]), ("Model 2", [1.1, 0.9, 0.8, 0.6], [1.0, 0.7])]
    figures = {
        "equivalence_heatmaps": output_heatmaps(outputs, 0, theme=theme_for(talk)),
        "equivalence_losses": loss_figure(training, theme=theme_for(talk)),
        "equivalence_ops": op_counts_figure(counts, theme=theme_for(talk)),
        "training_losses": training_loss_figure(curves, 2, loss_name="mse", theme=theme_for(talk), dashed=["Model 2"]),
        "training_heatmap": timestep_heatmap(rng.random((3, spec.timesteps)), "mse", theme=theme_for(talk)),
        "training_prediction": prediction_figure(
            rng.random((spec.timesteps, spec.output_size)),
            rng.random((spec.timesteps, spec.output_size)),
            theme_for(talk),
        ),
    }
    out = {name: figure_json(figure) for name, figure in figures.items()}
    if not talk:
        out["equivalence_counts_table"] = table_json(counts_table(counts))
        timings = {"dense": Timing(0.5, 0.01), "time_distributed": Timing(0.6, 0.02)}
        out["equivalence_timing_table"] = table_json(timing_table(timings))
    return out


def page_snapshot(at) -> dict[str, list[str]]:
    """A page run's text, by element kind in page order: titles, markdown, captions, alerts, metrics, code, tables."""
    out: dict[str, list[str]] = {}
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        values = [str(element.value) for element in getattr(at.main, kind)]
        if values:
            out[kind] = values
    sidebar = [str(element.value) for kind in ("warning", "caption") for element in getattr(at.sidebar, kind)]
    out["sidebar"] = sidebar
    metrics = [f"{element.label}: {element.value}" for element in at.main.metric]
    if metrics:
        out["metric"] = metrics
    code = [str(element.value) for element in at.main.code]
    if code:
        out["code"] = code
    tables = [table_json(element.value) for element in at.main.dataframe]
    if tables:
        out["dataframe"] = tables
    return out


def pages_for(spec_name: str) -> dict[str, Any]:
    """Every page's text for a preset, in normal mode and, where it differs, in talk mode."""
    out: dict[str, Any] = {}
    for talk in (False, True):
        at = run_app("overview", {"talk": "true"} if talk else None)
        if spec_name != PRESET_NAMES[0]:
            at.selectbox(key="preset").set_value(spec_name).run()
        for page, path in PAGES.items():
            if page != "overview":
                at.switch_page(path).run()
            assert not at.exception, [e.value for e in at.exception]
            text = page_snapshot(at)
            if not talk:
                out[page] = text
            elif text != out[page]:
                out[f"{page} (talk)"] = text
    return out


def dump(snapshot: dict[str, Any]) -> str:
    """JSON with one line per figure path (or page element): a change reads as the lines it changes."""
    sections = []
    for name, lines in snapshot.items():
        if isinstance(lines, dict):
            body = ",\n".join(f"  {json.dumps(k, ensure_ascii=False)}: {_compact(v)}" for k, v in lines.items())
            sections.append(
                f" {json.dumps(name, ensure_ascii=False)}: {{\n{body}\n }}" if body else f" {json.dumps(name)}: {{}}"
            )
        else:
            sections.append(f" {json.dumps(name, ensure_ascii=False)}: {_compact(lines)}")
    return "{\n" + ",\n".join(sections) + "\n}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def check(name: str, actual: Any) -> None:
    """Compare `actual` with the stored snapshot `name` (or write it, in update mode)."""
    path = SNAPSHOTS / f"{name}.json"
    text = dump(actual)
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if not UPDATE:
            pytest.fail(f"{path} did not exist: written now; rerun (set TDE_UPDATE_SNAPSHOTS=1 to rewrite all)")
        return
    expected = json.loads(path.read_text())
    actual = json.loads(text)
    if expected != actual:
        changed = sorted(
            key
            for key in set(expected) | set(actual)
            if json.dumps(expected.get(key), sort_keys=True) != json.dumps(actual.get(key), sort_keys=True)
        )
        pytest.fail(f"{path.name} changed in {changed}; if intended: TDE_UPDATE_SNAPSHOTS=1, then read the git diff")


def differences(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """The lines of `other` that differ from `base` (a figure drawn again with one option changed)."""
    out = {path: value for path, value in other.items() if base.get(path, ...) != value}
    out.update({path: "(absent)" for path in base if path not in other})
    return out


def with_talk(normal: dict[str, Any], talk: dict[str, Any]) -> dict[str, Any]:
    """The normal figures, then of each talk-mode figure only the lines that differ (a theme's sizes, mostly)."""
    out = dict(normal)
    for name, lines in talk.items():
        out[f"{name} (talk)"] = differences(normal.get(name, {}), lines)
    return out


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_figures_of_every_preset(name):
    spec = PRESETS[name]
    figures = with_talk(preset_figures(spec, False), preset_figures(spec, True))
    figures["unrolled_focus"] = differences(figures["unrolled"], figures["unrolled_focus"])
    check(f"figures/{slug(name)}", {"texts": preset_texts(spec), **figures})


def test_lab_and_training_figures():
    check("figures/lab_and_training", with_talk(lab_and_training_figures(False), lab_and_training_figures(True)))


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_page_text_of_every_preset(name):
    check(f"pages/{slug(name)}", pages_for(name))
