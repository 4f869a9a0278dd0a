"""One theme for every figure: a concept keeps its colour from page to page, talk mode grows every figure alike, and
timesteps are numbered from 0 on every axis."""

from __future__ import annotations

import numpy as np
import pytest

from core import ModelSpec, describe
from core.figures.equivalence import loss_figure, op_counts_figure, output_heatmaps
from core.figures.shape_flow import shape_flow_figure
from core.figures.theme import NORMAL, PALETTE, TALK, theme_for
from core.figures.unrolled import unrolled_figure
from core.figures.weights import growth_figure
from core.keras.equivalence import GraphCounts, TwinOutputs, TwinTraining

TINY = ModelSpec(timesteps=4, input_size=3, hidden_size=4, output_size=2)


def _node_colour(fig, role: str) -> str:
    return next(trace.marker.color for trace in fig.data if (trace.meta or {}).get("role") == role)


def _cell_fills(fig) -> list[str]:
    """The fills of the shape flow's axis cells (the small rectangles; the boxes are transparent)."""
    return [shape.fillcolor for shape in fig.layout.shapes if shape.fillcolor != "rgba(0,0,0,0)"]


def _twins(spec: ModelSpec) -> TwinOutputs:
    rng = np.random.default_rng(0)
    dense = rng.uniform(size=(2, spec.timesteps, spec.output_size))
    return TwinOutputs(spec=spec, inputs=np.zeros(1), dense=dense, time_distributed=dense.copy(), max_abs_diff=0.0)


def _training(spec: ModelSpec) -> TwinTraining:
    losses = (1.0, 0.5)
    return TwinTraining(spec, losses, losses, 0.0, 0.0, epochs=2, samples=4, batch_size=4)


def _counts() -> dict:
    counts = {"head": GraphCounts(3, 1, ()), "model": GraphCounts(9, 2, ())}
    return {"dense": counts, "time_distributed": counts}


def test_the_recurrent_cell_is_the_same_blue_on_every_figure():
    unrolled = unrolled_figure(describe(TINY))
    flow = shape_flow_figure(TINY)  # return_sequences=True: the GRU's highlighted axis is time, walked along
    growth = growth_figure(TINY, "timesteps")
    gru_line = next(trace.line.color for trace in growth.data if trace.name == "GRU")
    assert _node_colour(unrolled, "cell") == PALETTE["cell"] == gru_line
    assert PALETTE["cell"] in _cell_fills(flow)
    # The head is green, the input purple, the time axis light blue: one colour per concept.
    assert _node_colour(unrolled, "head") == PALETTE["head"]
    assert _node_colour(unrolled, "input") == PALETTE["input"]
    assert PALETTE["time"] in _cell_fills(flow)  # the input's time axis, not acted on
    assert len({PALETTE[c] for c in ("input", "cell", "cell_backward", "state", "head", "output", "time")}) == 7


def test_each_twin_keeps_its_model_colour():
    lines = loss_figure(_training(TINY)).data
    colours = {trace.name: trace.line.color for trace in lines}
    assert colours["Dense"] != colours["TimeDistributed(Dense)"]
    assert len(set(colours.values())) == 2


@pytest.mark.parametrize("talk_mode", [False, True])
def test_every_figure_uses_the_theme_font(talk_mode):
    theme = theme_for(talk_mode)
    figures = {
        "unrolled": unrolled_figure(describe(TINY), theme=theme_for(talk_mode)),
        "growth": growth_figure(TINY, "timesteps", theme=theme_for(talk_mode)),
        "heatmaps": output_heatmaps(_twins(TINY), theme=theme_for(talk_mode)),
        "losses": loss_figure(_training(TINY), theme=theme_for(talk_mode)),
        "ops": op_counts_figure(_counts(), theme=theme_for(talk_mode)),
    }
    for name, fig in figures.items():
        assert fig.layout.font.size == theme.font, name
    flow = shape_flow_figure(TINY, per_timestep_targets=True, theme=theme_for(talk_mode))
    sizes = {annotation.font.size for annotation in flow.layout.annotations if annotation.text}
    assert sizes == {theme.font, theme.label}


def test_heights_follow_the_content_within_the_theme_bounds():
    short, long = (output_heatmaps(_twins(TINY.replace(timesteps=t))).layout.height for t in (4, 40))
    assert short < long <= NORMAL.max_height
    assert output_heatmaps(_twins(TINY.replace(timesteps=500))).layout.height == NORMAL.max_height
    assert output_heatmaps(_twins(TINY), theme=TALK).layout.height > short
    one_row = unrolled_figure(describe(TINY)).layout.height
    two_rows = unrolled_figure(describe(TINY.replace(bidirectional=True))).layout.height
    assert two_rows - one_row == NORMAL.row_height
    assert TALK.row_height > NORMAL.row_height


def test_timesteps_are_numbered_from_zero_on_every_axis():
    heatmap_rows = list(output_heatmaps(_twins(TINY)).data[0].y)
    unrolled_ticks = list(unrolled_figure(describe(TINY)).layout.xaxis.ticktext)
    expected = [f"t={t}" for t in range(TINY.timesteps)]
    assert heatmap_rows == unrolled_ticks == expected
