"""The unrolled network: what its Diagram draws where for given specs (not pixels), its labels against Keras, the
renderer's few promises, and the page."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core import PRESETS, ModelSpec, describe, format_shape
from core.figures.theme import COMPACT, NORMAL, SLIDE_STRIP_HEIGHT, TALK
from core.figures.unrolled import LINE_SPACING, TimeAxis, layout, render, unrolled_figure, visible_steps

TINY = {"timesteps": 5, "input_size": 3, "hidden_size": 4, "output_size": 2}
T = TINY["timesteps"]
EVERY = list(range(T))  # timesteps are numbered from 0, as Keras arrays index them


def diagram(talk_mode: bool = False, **fields):
    """The Diagram of a spec built from TINY sizes plus `fields`."""
    return layout(describe(ModelSpec(**{**TINY, **fields})), TALK if talk_mode else NORMAL)


def figure(talk_mode: bool = False, **fields):
    return unrolled_figure(describe(ModelSpec(**{**TINY, **fields})), TALK if talk_mode else NORMAL)


def traces(fig, role: str) -> list:
    return [trace for trace in fig.data if (trace.meta or {}).get("role") == role]


# -- which steps are drawn -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("timesteps", [1, 2, 7, 12])
def test_short_sequences_draw_every_step(timesteps):
    assert visible_steps(timesteps) == list(range(timesteps))


@pytest.mark.parametrize("timesteps", [13, 64, 512])
def test_long_sequences_keep_first_and_last_steps_around_one_ellipsis(timesteps):
    steps = visible_steps(timesteps, max_columns=12, first=4, last=3)
    assert steps == [0, 1, 2, 3, None, timesteps - 3, timesteps - 2, timesteps - 1]


def test_steps_are_numbered_from_zero_on_ticks_and_hovers():
    drawn = diagram()
    (axis,) = drawn.axes
    assert [axis.tick(step) for step in axis.shown] == [f"t={t}" for t in EVERY]
    first_input = min(drawn.nodes_of("input"), key=lambda node: node.step)
    assert first_input.step == 0 and "x<sub>0</sub>" in first_input.label and "X[:, 0, :]" in first_input.hover
    first_cell = next(node for node in drawn.nodes_of("cell") if node.step == 0)
    assert "initial h (zeros)" in first_cell.hover
    last_cell = next(node for node in drawn.nodes_of("cell") if node.step == T - 1)
    assert f"h<sub>{T - 2}</sub>" in last_cell.hover


# -- return_sequences=True: a head at every step -----------------------------------------------------------------------
@pytest.mark.parametrize("head", ["time_distributed", "dense"])
def test_return_sequences_draws_one_cell_head_and_output_per_step(head):
    drawn = diagram(head=head, return_sequences=True)
    for role in ("input", "cell", "state", "head", "output"):
        assert drawn.steps_of(role) == EVERY, role
    assert not drawn.nodes_of("state", faded=True) and not drawn.edges_of("link", faded=True)
    assert not drawn.nodes_of("error")
    # One series (so one colour) for the cell at every step, one for the head: the same weights each time.
    assert len({node.series for node in drawn.nodes_of("cell")}) == 1
    assert len({node.series for node in drawn.nodes_of("head")}) == 1
    # Each column stacks input < cell < state < head < output.
    for t in EVERY:
        heights = [next(n.y for n in drawn.nodes_of(role) if n.step == t) for role in ("input", "cell", "state")]
        heights += [next(n.y for n in drawn.nodes_of(role) if n.step == t) for role in ("head", "output")]
        assert heights == sorted(heights) and len(set(heights)) == 5


def test_dense_and_time_distributed_draw_the_same_picture():
    def geometry(drawn):
        nodes = [(n.role, n.step, n.x, n.y, n.faded) for n in drawn.nodes]
        edges = [(e.role, e.points, e.faded) for e in drawn.edges]
        return nodes, edges, [frame.path for frame in drawn.frames]

    assert geometry(diagram(head="dense")) == geometry(diagram(head="time_distributed"))


# -- return_sequences=False: only the last state reaches the single Dense ---------------------------------------------
def test_last_step_only_fades_the_earlier_states_and_draws_one_head():
    drawn = diagram(return_sequences=False, head="dense")
    assert drawn.steps_of("cell") == EVERY  # the cell still runs at every step
    assert drawn.steps_of("state", faded=True) == EVERY[:-1]
    assert drawn.steps_of("state", faded=False) == [T - 1]
    assert drawn.steps_of("head") == drawn.steps_of("output") == [T - 1]
    # The faded states' links up are faded too; the last one is solid.
    faded_links = {edge.step for edge in drawn.edges_of("link", faded=True)}
    assert faded_links == set(EVERY[:-1])
    assert all("not returned" in node.series for node in drawn.nodes_of("state", faded=True))


def test_the_head_fires_at_every_step_or_only_at_the_last_in_the_animation():
    def frames_reaching_head(drawn):
        head_y = drawn.row("head").y
        return [frame.name for frame in drawn.frames if any(stop and stop.y == head_y for stop in frame.path)]

    every = diagram(return_sequences=True)
    last_only = diagram(return_sequences=False, head="dense")
    # A start frame, then one frame per step.
    assert len(every.frames) == T + 1 and every.frames[0].path == ()
    assert len(frames_reaching_head(every)) == T
    assert frames_reaching_head(last_only) == [last_only.frames[-1].name]
    assert [frame.label for frame in every.frames] == ["start", *(f"t={t}" for t in EVERY)]


# -- the invalid combination ---------------------------------------------------------------------------------------
def test_invalid_combination_draws_up_to_the_recurrent_layer_and_marks_the_break():
    description = describe(ModelSpec(**TINY, return_sequences=False, head="time_distributed"))
    drawn = layout(description)
    assert drawn.steps_of("cell") == EVERY
    assert not drawn.nodes_of("head") and not drawn.nodes_of("output")
    (error,) = drawn.nodes_of("error")
    assert error.step == T - 1
    hover = error.hover.replace("<br>", " ")
    assert description.keras_error in hover and description.error in hover
    # The break sits where the head would be, above the last returned state.
    (last_state,) = drawn.nodes_of("state", faded=False)
    assert error.x == last_state.x and error.y > last_state.y
    label = drawn.note("error_label")
    assert label is not None and label.error and format_shape(description.recurrent.output_shape) in label.text
    assert drawn.note("error_pointer").x == error.x


# -- bidirectional: a second, backward row -------------------------------------------------------------------------
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_draws_a_backward_row_above_the_forward_one(return_sequences):
    drawn = diagram(cell="LSTM", bidirectional=True, return_sequences=return_sequences, head="dense")
    forward = drawn.nodes_of("cell", direction="forward")
    backward = drawn.nodes_of("cell", direction="backward")
    assert sorted(n.step for n in forward) == sorted(n.step for n in backward) == EVERY
    assert drawn.row("cell", "forward").y < drawn.row("cell", "backward").y < drawn.row("state").y
    assert {n.y for n in backward} == {drawn.row("cell", "backward").y}
    assert all("backward copy" in n.hover for n in backward)
    assert drawn.steps_of("head") == (EVERY if return_sequences else [T - 1])
    # The merged state carries the merged width (concat doubles the units).
    assert format_shape((None, 2 * TINY["hidden_size"])) in drawn.nodes_of("state", faded=False)[0].hover
    # The state is passed left to right on the forward row and right to left on the backward row.
    passed = drawn.edges_of("passed")
    for edge in passed:
        (x0, _), (x1, _) = edge.points[0], edge.points[-1]
        assert (x1 > x0) == (edge.direction == "forward")


def test_bidirectional_without_sequences_returns_the_backward_state_after_step_zero():
    drawn = diagram(bidirectional=True, return_sequences=False, head="dense")
    axis = drawn.axes[0]
    backward_y, state_y = drawn.row("cell", "backward").y, drawn.row("state").y
    solid_from_backward = [
        edge for edge in drawn.edges_of("link", faded=False) if edge.points[0][1] > backward_y - 0.01
    ]
    solid_from_backward = [edge for edge in solid_from_backward if edge.points[-1][1] < state_y]
    # One solid link leaves the backward row: from the column of step 0 to the last column, where the state is merged.
    (link,) = solid_from_backward
    assert link.points[0][0] == axis.x(0) and link.points[-1][0] == pytest.approx(axis.x(T - 1) + 0.12)
    assert "backward state after step 0" in drawn.nodes_of("state", faded=False)[0].hover


def test_lstm_passes_h_and_c_from_step_to_step():
    lstm = [edge.label for edge in diagram(cell="LSTM").edges_of("passed")]
    gru = [edge.label for edge in diagram(cell="GRU").edges_of("passed")]
    assert len(lstm) == len(gru) == T - 1
    assert all("c<sub>" in label for label in lstm) and not any("c<sub>" in label for label in gru)
    assert lstm[0] == "h<sub>0</sub>, c<sub>0</sub>"


# -- long sequences --------------------------------------------------------------------------------------------------
def test_long_sequences_show_an_ellipsis_and_stay_bounded():
    short = diagram(timesteps=100)
    huge = diagram(timesteps=512, cell="LSTM", bidirectional=True)
    assert short.steps_of("cell") == [0, 1, 2, 3, 97, 98, 99]
    assert huge.steps_of("cell", direction="forward") == [0, 1, 2, 3, 509, 510, 511]
    assert "505 steps hidden" in huge.note("ellipsis").text
    assert huge.note("ellipsis").x == huge.axes[0].x(None)
    assert len(huge.edges_of("hidden")) == 4  # in and out of the ellipsis, on each of the two cell rows
    assert diagram(timesteps=12).note("ellipsis") is None
    # Same number of columns, so the same size, whatever T.
    assert len(diagram(timesteps=512).nodes) == len(short.nodes)
    assert len(huge.nodes) < 60 and len(huge.frames) <= 10


def test_talk_mode_draws_fewer_wider_columns_for_long_sequences():
    talk = diagram(talk_mode=True, timesteps=64)
    assert talk.steps_of("cell") == [0, 1, 2, 62, 63]
    assert "59 steps hidden" in talk.note("ellipsis").text
    assert diagram(talk_mode=True, timesteps=8).steps_of("cell") == list(range(8))


@pytest.mark.parametrize("step", [5, 40])
def test_a_focused_step_of_the_seeds_model_is_drawn_and_clickable(step):
    """The step panel's step is drawn at T=64 (h_5 and t=40 of the seed's model 1 sit in the default ellipsis),
    between two ellipses that account for every hidden step; a click on its cell names it."""
    from core.figures.unrolled.clicks import clicked_element

    seed = describe(ModelSpec())
    assert step not in layout(seed, NORMAL).steps_of("cell")
    for style in (NORMAL, TALK):
        drawn = layout(seed, style, focus=("time", step))
        assert step in drawn.steps_of("cell") and step in drawn.steps_of("state") and step in drawn.steps_of("head")
        assert {0, 63} <= set(drawn.steps_of("cell"))  # first and last stay
        hidden = [note for note in drawn.notes if note.name.startswith("ellipsis")]
        assert len(hidden) == 2
        assert sum(int(note.text.split()[1]) for note in hidden) == 64 - len(drawn.steps_of("cell"))
        assert len(drawn.axes[0].steps) <= style.max_columns
    drawn = layout(seed, NORMAL, focus=("time", step))
    fig = render(drawn, NORMAL)
    curve, cells = next((i, t) for i, t in enumerate(fig.data) if (t.meta or {}).get("role") == "cell")
    index = list(cells.customdata).index(step)
    clicked = clicked_element(drawn, [{"curve_number": curve, "point_index": index, "customdata": step}])
    assert (clicked.step, clicked.role, clicked.layer, clicked.axis) == (step, "cell", 0, "time")


def test_a_click_on_a_lower_layer_or_the_decoder_names_that_layer():
    from core.figures.unrolled.clicks import clicked_element

    spec = ModelSpec(
        **{**TINY, "timesteps": 30}, layers=2, return_sequences=False, repeat="encoder", output_timesteps=20
    )
    drawn = layout(describe(spec), NORMAL, focus=("decoder", 12))
    fig = render(drawn, NORMAL)
    curve, cells = next((i, t) for i, t in enumerate(fig.data) if (t.meta or {}).get("role") == "cell")
    found = {
        (layer, axis, step)
        for index, (step, (layer, axis)) in enumerate(zip(cells.customdata, cells.meta["points"], strict=True))
        if (clicked := clicked_element(drawn, [{"curve_number": curve, "point_index": index, "customdata": step}]))
        and (clicked.layer, clicked.axis, clicked.step) == (layer, axis, step)
    }
    assert {(0, "time", 0), (1, "time", 29), (2, "decoder", 12)} <= found


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("style", [NORMAL, TALK])
def test_a_click_read_from_the_diagram_names_what_the_drawn_figure_shows_at_that_point(name, style):
    """`clicked_element` reads a click from the Diagram, not the figure: for every point of every trace of the
    figure drawn from it, the element named has the step, role, direction, layer and axis the figure's point shows."""
    from core.figures.unrolled.clicks import clicked_element

    drawn = layout(describe(PRESETS[name]), style, focus=("time", 1))
    fig = render(drawn, style)
    clickable = 0
    for curve, trace in enumerate(fig.data):
        meta = trace.meta or {}
        for index, step in enumerate(trace.customdata if trace.customdata is not None else ()):
            clicked = clicked_element(drawn, [{"curve_number": curve, "point_index": index}])
            layer, axis = meta["points"][index]
            role = "cell" if meta["role"] == "passed_label" else meta["role"]
            assert (clicked.step, clicked.role, clicked.layer, clicked.axis) == (step, role, layer, axis)
            assert clicked.direction == meta.get("direction")
            clickable += 1
        if trace.customdata is None:
            assert clicked_element(drawn, [{"curve_number": curve, "point_index": 0}]) is None
    assert clickable >= len(drawn.nodes)


# -- room for stacked layers and two time axes -----------------------------------------------------------------------
def test_rows_stack_recurrent_layers_bottom_to_top():
    rows = diagram(bidirectional=True, layers=2).rows
    keys = [(row.role, row.layer, row.direction) for row in rows]
    assert keys == [
        ("input", 0, None),
        ("cell", 0, "forward"),
        ("cell", 0, "backward"),
        ("state", 0, None),
        ("cell", 1, "forward"),
        ("cell", 1, "backward"),
        ("state", 1, None),
        ("head", 0, None),
        ("output", 0, None),
    ]
    assert [row.y for row in rows] == sorted(row.y for row in rows)


def test_renderer_draws_every_time_axis_side_by_side():
    drawn = diagram()
    encoder = drawn.axes[0]
    decoder = TimeAxis("decoder", 3, (0, 1, 2), x0=encoder.x_range[1] + 1.0)
    fig = render(dataclasses.replace(drawn, axes=(encoder, decoder)))
    assert fig.layout.xaxis.range[0] == encoder.x_range[0] and fig.layout.xaxis.range[1] == decoder.x_range[1]
    assert list(fig.layout.xaxis.ticktext)[-3:] == ["decoder t=0", "decoder t=1", "decoder t=2"]
    assert decoder.x(0) > encoder.x(T - 1)


# -- labels carry describe()'s numbers, which equal Keras's -----------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [
        {"cell": "GRU", "return_sequences": True, "head": "time_distributed"},
        {"cell": "LSTM", "bidirectional": True, "merge_mode": "sum", "return_sequences": False, "head": "dense"},
    ],
)
def test_labels_carry_the_shapes_and_parameter_counts_keras_builds(fields):
    from core.keras.env import load_keras

    keras = load_keras()
    spec = ModelSpec(**{**TINY, **fields})
    cell_layer = getattr(keras.layers, spec.cell)(spec.hidden_size, return_sequences=spec.return_sequences)
    recurrent = keras.layers.Bidirectional(cell_layer, merge_mode=spec.merge_mode) if spec.bidirectional else cell_layer
    dense = keras.layers.Dense(spec.output_size)
    head = keras.layers.TimeDistributed(dense) if spec.head == "time_distributed" else dense
    inputs = keras.Input((spec.timesteps, spec.input_size))
    hidden = recurrent(inputs)
    outputs = head(hidden)
    keras.Model(inputs, outputs)

    drawn = layout(describe(spec))
    assert f"{recurrent.count_params():,} parameters" in drawn.note("cell_label").text
    head_note = drawn.note("head_label").text
    assert f"{head.count_params():,} parameters" in head_note
    # Every weight tensor Keras made for one direction of the cell appears in the cell's hover, with its shape.
    one_cell = recurrent.forward_layer if spec.bidirectional else recurrent
    cell_hover = drawn.nodes_of("cell", direction="forward")[0].hover
    for weight in one_cell.weights:
        assert format_shape(tuple(weight.shape)) in cell_hover
    head_hover = drawn.nodes_of("head")[0].hover
    for weight in head.weights:
        assert format_shape(tuple(weight.shape)) in head_hover
    # Per-step shapes in the head's hover: Keras's tensors without their time axis.
    step_in = (None, *hidden.shape[2:]) if spec.return_sequences else tuple(hidden.shape)
    step_out = (None, *outputs.shape[2:]) if spec.return_sequences else tuple(outputs.shape)
    assert f"in {format_shape(step_in)} → out {format_shape(step_out)}" in head_hover
    applications = spec.timesteps if spec.return_sequences else 1
    assert ("used once" if applications == 1 else f"used {applications} times") in head_note


# -- the renderer --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [{}, {"return_sequences": False}, {"cell": "LSTM", "bidirectional": True, "return_sequences": False}],
)
def test_the_rendered_figure_carries_every_node_of_the_diagram(fields):
    drawn = diagram(**fields)
    fig = render(drawn)
    drawn_points = set()
    for trace in fig.data:
        meta = trace.meta or {}
        if meta.get("role") in ("input", "cell", "state", "head", "output", "error"):
            for x, y, step, hover in zip(trace.x, trace.y, trace.customdata, trace.hovertext, strict=True):
                drawn_points.add((meta["role"], meta["faded"], meta["direction"], x, y, step, hover))
    expected = {(n.role, n.faded, n.direction, n.x, n.y, n.step, n.hover) for n in drawn.nodes}
    assert drawn_points == expected
    # Frames move only the highlight trace (the first one) along the Diagram's path, and keep the others visible.
    assert fig.data[0].meta["role"] == "now"
    assert len(fig.frames) == len(drawn.frames) == len(fig.layout.sliders[0].steps)
    for frame, planned in zip(fig.frames, drawn.frames, strict=True):
        assert list(frame.traces) == list(range(len(fig.data)))
        assert list(frame.data[0].x) == [stop.x if stop else None for stop in planned.path]
        assert all(update.visible is True and update.x is None for update in frame.data[1:])
    assert {button.method for button in fig.layout.updatemenus[0].buttons} == {"animate"}


def test_talk_mode_makes_text_markers_and_lines_larger():
    normal, talk = figure(), figure(talk_mode=True)
    assert talk.layout.font.size > normal.layout.font.size
    assert traces(talk, "cell")[0].marker.size > traces(normal, "cell")[0].marker.size
    assert traces(talk, "link")[0].line.width > traces(normal, "link")[0].line.width
    # On a slide the whole diagram fits under the page title of a 1280x720 projector, yet its cells stay larger.
    assert talk.layout.height <= TALK.picture_height < normal.layout.height


def test_backgrounds_are_transparent_for_light_and_dark_themes():
    fig = figure()
    for colour in (fig.layout.paper_bgcolor, fig.layout.plot_bgcolor):
        assert colour.replace(" ", "") == "rgba(0,0,0,0)"


# -- the page --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"return_sequences": "false"},
        {"cell": "LSTM", "bidirectional": "true", "return_sequences": "false", "head": "dense", "timesteps": "512"},
        {"timesteps": "6", "talk": "true"},
    ],
)
def test_page_renders_the_figure(app, params):
    at = app("unrolled", params)
    assert not at.exception
    charts = at.get("plotly_chart")
    # the wide figure, the phone's and on a slide the 1920x1080 one (the page's CSS shows one)
    assert len(charts) == (3 if params.get("talk") else 2)
    compact = json.loads(charts[1].proto.spec)
    assert max(len(t.get("customdata") or []) for t in compact["data"]) <= COMPACT.max_columns
    spec = json.loads(charts[0].proto.spec)
    roles = [trace.get("meta", {}).get("role") for trace in spec["data"]]
    assert "cell" in roles and spec.get("frames")
    expected = ModelSpec.from_params({k: v for k, v in params.items() if k != "talk"})  # what the URL asks for
    cells = [t for t in spec["data"] if t.get("meta", {}).get("role") == "cell"]
    drawn = sorted(cells[0]["customdata"])
    assert drawn[0] == 0 and drawn[-1] == expected.timesteps - 1 and len(drawn) <= 12
    if not expected.is_valid:
        assert any("cannot be built" in element.value for element in at.error)


# -- sequence patterns: stacked rows, RepeatVector, two time axes, return_state ---------------------------------------
def test_stacked_layers_draw_one_row_each_and_the_lower_states_go_up():
    drawn = diagram(layers=3, bidirectional=True)
    for layer in range(3):
        assert drawn.steps_of("cell", layer=layer, direction="backward") == EVERY
        assert drawn.steps_of("state", layer=layer, faded=False) == EVERY
    ys = [drawn.row("state", layer=layer).y for layer in range(3)]
    assert ys == sorted(ys) and drawn.row("head").y > ys[-1]
    # Each upper layer reads the state below it at every step: a solid link from state row k to cell row k+1.
    links = [e for e in drawn.edges_of("link", faded=False) if e.layer == 1 and e.direction is None]
    assert {e.points[0][1] for e in links} == {ys[0] + 0.3}
    assert f"{describe(ModelSpec(**TINY, layers=3, bidirectional=True)).recurrent.params:,}" in drawn.note(
        "cell_label"
    ).text.replace("<br>", " ")


def test_the_stacking_mistake_shows_where_the_sequence_is_lost():
    description = describe(ModelSpec(**TINY, cell="LSTM", layers=2, inner_return_sequences=False, head="dense"))
    drawn = layout(description)
    # The lower layer computes every state but returns only the last; that one alone goes up, into the break.
    assert drawn.steps_of("state", faded=True) == EVERY[:-1] and drawn.steps_of("state", faded=False) == [T - 1]
    (error,) = drawn.nodes_of("error")
    assert error.step == T - 1 and error.y == drawn.row("broken", layer=1).y
    assert description.keras_error in error.hover.replace("<br>", " ") and "'lstm_1'" in error.hover
    assert "expected ndim=3, found ndim=2" in drawn.note("error_label").text
    assert not drawn.nodes_of("head") and not drawn.nodes_of("cell", layer=1)


def test_one_to_many_copies_one_vector_to_every_step():
    drawn = diagram(repeat="input")
    (vector,) = drawn.nodes_of("input")
    assert drawn.steps_of("repeat") == EVERY
    copies = drawn.edges_of("copy")
    assert len(copies) == T and {edge.points[0] for edge in copies} == {(vector.x, vector.y + 0.3)}
    assert drawn.steps_of("head") == EVERY


def test_encoder_decoder_on_two_axes_with_the_state_handover():
    spec = ModelSpec(
        **TINY, cell="LSTM", return_sequences=False, repeat="encoder", output_timesteps=3, return_state=True
    )
    drawn = layout(describe(spec))
    encoder, decoder = drawn.axes
    assert decoder.name == "decoder" and decoder.timesteps == 3 and decoder.x0 > encoder.x(T - 1)
    assert {node.axis for node in drawn.nodes_of("head")} == {"decoder"} and drawn.steps_of("head") == [0, 1, 2]
    assert drawn.steps_of("repeat") == [0, 1, 2] and len(drawn.edges_of("copy")) == 3
    (handover,) = drawn.edges_of("handover")
    assert handover.label == "h, c → initial_state"
    start, end = handover.points[0], handover.points[-1]
    assert start[1] == drawn.row("cell", layer=0).y and end[1] == drawn.row("cell", layer=1).y
    assert start[0] > encoder.x(T - 1) and end[0] < decoder.x(0)
    # Without return_state the decoder starts from zeros: no hand-over.
    assert not layout(describe(spec.replace(return_state=False))).edges_of("handover")


def test_return_state_without_a_decoder_draws_the_extra_outputs():
    drawn = diagram(cell="LSTM", bidirectional=True, return_state=True)
    outputs = drawn.nodes_of("state_out")
    assert {(node.direction, node.step) for node in outputs} == {("forward", T - 1), ("backward", 0)}
    assert all("(None, 4), (None, 4), (None, 4), (None, 4)" in node.hover for node in outputs)


def test_the_largest_stack_draws_a_bounded_picture():
    """Drawing costs what is drawn, not T or the sizes (no wall-clock test: measured ~0.2 s on the dev machine)."""
    largest = ModelSpec(
        cell="LSTM", bidirectional=True, layers=3, repeat="encoder", return_sequences=False, return_state=True,
        timesteps=512, input_size=512, hidden_size=512, output_size=512, output_timesteps=512,
    )  # fmt: skip
    drawn = layout(describe(largest))
    assert len(drawn.nodes) < 120 and len(drawn.edges) < 200 and len(drawn.frames) < 20
    assert [axis.hidden for axis in drawn.axes] == [508, 508]
    assert len(render(drawn).frames) == len(drawn.frames)


@pytest.mark.parametrize("talk", [False, True])
@pytest.mark.parametrize("extra", [{}, {"bidirectional": True, "cell": "LSTM"}])
def test_row_labels_of_a_deep_stack_on_two_time_axes_do_not_overlap(talk, extra):
    """Three layers and a decoder: each row label's lines fit within its row's height, so neighbours never overlap."""

    spec = ModelSpec(layers=3, return_sequences=False, repeat="encoder", **extra)
    layout = unrolled_figure(describe(spec), TALK if talk else NORMAL).layout
    low, high = layout.yaxis.range
    row_px = (layout.height - layout.margin.t - layout.margin.b) / (high - low)
    font = layout.yaxis.tickfont.size or layout.font.size
    labels = list(layout.yaxis.ticktext)
    assert len(labels) == len(layout.yaxis.tickvals) >= 12
    for label in labels:
        assert (label.count("<br>") + 1) * font * 1.2 <= row_px, (label, font, row_px)


def test_a_slides_strip_keeps_two_line_row_labels_in_a_smaller_font():
    """With the step panel open a slide squeezes the diagram into a strip whose rows cannot hold two lines of the
    theme's font. One-line labels ("bidirectional backward h (None, 16)") would widen the label column and the plot
    would lose that width (its cell heading ran off the figure): the labels keep their two lines, a little smaller."""
    strip = unrolled_figure(describe(ModelSpec(bidirectional=True)), TALK, height=SLIDE_STRIP_HEIGHT)
    layout = strip.layout
    low, high = layout.yaxis.range
    row_px = (layout.height - layout.margin.t - layout.margin.b) / (high - low)
    assert 2 * TALK.font * LINE_SPACING > row_px  # the theme's font would not fit two lines
    labels = list(layout.yaxis.ticktext)
    assert all(label.count("<br>") == 1 for label in labels if "(None" in label), labels
    assert TALK.label - 2 <= layout.yaxis.tickfont.size < TALK.font
    assert 2 * layout.yaxis.tickfont.size * 1.2 <= row_px


def test_the_hidden_steps_caption_counts_what_the_diagram_draws():
    """The caption under the picture matches the cells drawn on each time axis (two axes for an encoder-decoder)."""
    from core.figures.unrolled import hidden_steps_caption

    seq2seq = ModelSpec(
        cell="LSTM", timesteps=12, output_timesteps=6, return_sequences=False, repeat="encoder", return_state=True
    )
    diagram = layout(describe(seq2seq), TALK)
    encoder_cells = {node.step for node in diagram.nodes_of("cell") if node.axis == "time"}
    decoder_cells = {node.step for node in diagram.nodes_of("cell") if node.axis == "decoder"}
    caption = hidden_steps_caption(diagram)
    assert f"of the 12 timesteps, {len(encoder_cells)} are drawn and {12 - len(encoder_cells)} hidden" in caption
    assert f"of the 6 decoder steps, {len(decoder_cells)} are drawn and {6 - len(decoder_cells)} hidden" in caption
    assert hidden_steps_caption(layout(describe(ModelSpec(**TINY)), NORMAL)) is None  # all 5 steps drawn
