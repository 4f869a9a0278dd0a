"""The unrolled-network figure: its structure for given specs (not pixels), its labels against Keras, and the page."""

from __future__ import annotations

import json

import pytest

from core import ModelSpec, describe, format_shape
from core.unrolled import unrolled_figure, visible_steps

TINY = {"timesteps": 5, "input_size": 3, "hidden_size": 4, "output_size": 2}


def figure(talk_mode: bool = False, **fields):
    """The figure of a spec built from TINY sizes plus `fields`."""
    return unrolled_figure(describe(ModelSpec(**{**TINY, **fields})), talk_mode=talk_mode)


def traces(fig, role: str, faded: bool | None = None, direction: str | None = None) -> list:
    """The figure's traces of one role (optionally only faded / not faded ones, or one direction)."""
    found = []
    for trace in fig.data:
        meta = trace.meta or {}
        if meta.get("role") != role:
            continue
        if faded is not None and meta.get("faded") != faded:
            continue
        if direction is not None and meta.get("direction") != direction:
            continue
        found.append(trace)
    return found


def steps_of(fig, role: str, **filters) -> list[int]:
    """The timesteps at which elements of `role` are drawn, sorted."""
    return sorted(step for trace in traces(fig, role, **filters) for step in trace.customdata)


def hovers_of(fig, role: str, **filters) -> list[str]:
    """The hover texts of all elements of `role`."""
    return [text for trace in traces(fig, role, **filters) for text in trace.hovertext]


def annotation(fig, name: str):
    """The layout annotation called `name`, or None."""
    return next((a for a in fig.layout.annotations if a.name == name), None)


# -- which steps are drawn -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("timesteps", [1, 2, 7, 12])
def test_short_sequences_draw_every_step(timesteps):
    assert visible_steps(timesteps) == list(range(1, timesteps + 1))


@pytest.mark.parametrize("timesteps", [13, 64, 512])
def test_long_sequences_keep_first_and_last_steps_around_one_ellipsis(timesteps):
    steps = visible_steps(timesteps, max_columns=12, first=4, last=3)
    assert steps == [1, 2, 3, 4, None, timesteps - 2, timesteps - 1, timesteps]


# -- return_sequences=True: a head at every step -----------------------------------------------------------------------
@pytest.mark.parametrize("head", ["time_distributed", "dense"])
def test_return_sequences_draws_one_cell_head_and_output_per_step(head):
    fig = figure(head=head, return_sequences=True)
    every = list(range(1, TINY["timesteps"] + 1))
    assert steps_of(fig, "cell") == every
    assert steps_of(fig, "head") == every
    assert steps_of(fig, "output") == every
    assert steps_of(fig, "state", faded=False) == every
    assert not steps_of(fig, "state", faded=True)
    assert not traces(fig, "error")
    # One colour for the cell at every step, one for the head: the same weights each time.
    assert len(traces(fig, "cell")) == 1 and len(traces(fig, "head")) == 1


def test_dense_and_time_distributed_draw_the_same_picture():
    def geometry(fig):
        return [
            ((t.meta or {}).get("role"), (t.meta or {}).get("faded"), tuple(t.x or ()), tuple(t.y or ()))
            for t in fig.data
        ]

    dense = figure(head="dense")
    wrapped = figure(head="time_distributed")
    assert geometry(dense) == geometry(wrapped)
    assert len(dense.frames) == len(wrapped.frames)


# -- return_sequences=False: only the last state reaches the single Dense ---------------------------------------------
def test_last_step_only_fades_the_earlier_states_and_draws_one_head():
    T = TINY["timesteps"]
    fig = figure(return_sequences=False, head="dense")
    assert steps_of(fig, "cell") == list(range(1, T + 1))  # the cell still runs at every step
    assert steps_of(fig, "state", faded=True) == list(range(1, T))
    assert steps_of(fig, "state", faded=False) == [T]
    assert steps_of(fig, "head") == [T]
    assert steps_of(fig, "output") == [T]
    assert all(trace.meta["faded"] for trace in traces(fig, "state") if "not returned" in trace.name)


def test_the_head_fires_at_every_step_or_only_at_the_last_in_the_animation():
    def frames_reaching_head(fig):
        head_row = traces(fig, "head")[0].y[0]
        return [frame.name for frame in fig.frames if head_row in [y for y in frame.data[0].y if y is not None]]

    every = figure(return_sequences=True)
    last_only = figure(return_sequences=False, head="dense")
    # A start frame, then one frame per step.
    assert len(every.frames) == TINY["timesteps"] + 1
    assert len(frames_reaching_head(every)) == TINY["timesteps"]
    assert frames_reaching_head(last_only) == [last_only.frames[-1].name]
    # Play/pause buttons animate the frames; the slider has one step per frame.
    buttons = every.layout.updatemenus[0].buttons
    assert {button.method for button in buttons} == {"animate"}
    assert len(every.layout.sliders[0].steps) == len(every.frames)
    # Frames move only the highlight trace (the first one) and keep every other trace visible.
    assert every.data[0].meta["role"] == "now"
    for frame in every.frames:
        assert list(frame.traces) == list(range(len(every.data)))
        assert all(update.visible is True and update.x is None for update in frame.data[1:])


# -- the invalid combination ---------------------------------------------------------------------------------------
def test_invalid_combination_draws_up_to_the_recurrent_layer_and_marks_the_break():
    T = TINY["timesteps"]
    spec = ModelSpec(**TINY, return_sequences=False, head="time_distributed")
    description = describe(spec)
    fig = unrolled_figure(description)
    assert steps_of(fig, "cell") == list(range(1, T + 1))
    assert not traces(fig, "head") and not traces(fig, "output")
    assert steps_of(fig, "error") == [T]
    hover = hovers_of(fig, "error")[0].replace("<br>", " ")
    assert description.keras_error in hover and description.error in hover
    # The break sits where the head would be, above the last returned state.
    error = traces(fig, "error")[0]
    last_state = traces(fig, "state", faded=False)[0]
    assert error.x[0] == last_state.x[0] and error.y[0] > last_state.y[0]
    label = annotation(fig, "error_label")
    assert label is not None and format_shape(description.recurrent.output_shape) in label.text


# -- bidirectional: a second, backward row -------------------------------------------------------------------------
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bidirectional_draws_a_backward_row_above_the_forward_one(return_sequences):
    T = TINY["timesteps"]
    fig = figure(cell="LSTM", bidirectional=True, return_sequences=return_sequences, head="dense")
    forward = traces(fig, "cell", direction="forward")
    backward = traces(fig, "cell", direction="backward")
    assert len(forward) == 1 and len(backward) == 1
    assert sorted(forward[0].customdata) == sorted(backward[0].customdata) == list(range(1, T + 1))
    assert set(backward[0].y) != set(forward[0].y)
    assert "backward" in hovers_of(fig, "cell", direction="backward")[0]
    assert steps_of(fig, "head") == (list(range(1, T + 1)) if return_sequences else [T])
    # The merged state carries the merged width (concat doubles the units).
    assert format_shape((None, 2 * TINY["hidden_size"])) in hovers_of(fig, "state", faded=False)[0]


def test_lstm_passes_h_and_c_from_step_to_step():
    lstm = figure(cell="LSTM")
    gru = figure(cell="GRU")
    lstm_labels = traces(lstm, "passed_label")[0].text
    gru_labels = traces(gru, "passed_label")[0].text
    assert len(lstm_labels) == len(gru_labels) == TINY["timesteps"] - 1
    assert all("c<sub>" in label for label in lstm_labels)
    assert not any("c<sub>" in label for label in gru_labels)


# -- long sequences --------------------------------------------------------------------------------------------------
def test_long_sequences_show_an_ellipsis_and_stay_bounded():
    def size(fig) -> tuple[int, int]:
        points = sum(len(t.x or ()) for t in fig.data)
        return points, len(fig.frames)

    short = figure(timesteps=100)
    huge = figure(timesteps=512, cell="LSTM", bidirectional=True)
    assert steps_of(short, "cell") == [1, 2, 3, 4, 98, 99, 100]
    assert steps_of(huge, "cell", direction="forward") == [1, 2, 3, 4, 510, 511, 512]
    hidden = 512 - 7
    assert f"{hidden} steps hidden" in annotation(huge, "ellipsis").text
    assert annotation(figure(timesteps=12), "ellipsis") is None
    # Same number of columns, so the same order of size, whatever T (hundreds of points, not thousands).
    assert size(figure(timesteps=512)) == size(short)
    assert size(huge)[0] < 600 and size(huge)[1] <= 10


# -- labels carry describe()'s numbers, which equal Keras's -----------------------------------------------------------
@pytest.mark.parametrize(
    "fields",
    [
        {"cell": "GRU", "return_sequences": True, "head": "time_distributed"},
        {"cell": "LSTM", "bidirectional": True, "merge_mode": "sum", "return_sequences": False, "head": "dense"},
    ],
)
def test_labels_carry_the_shapes_and_parameter_counts_keras_builds(fields):
    from core.keras_env import load_keras

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

    fig = unrolled_figure(describe(spec))
    cell_note = annotation(fig, "cell_label").text
    head_note = annotation(fig, "head_label").text
    assert f"{recurrent.count_params():,} parameters" in cell_note
    assert f"{head.count_params():,} parameters" in head_note
    # Every weight tensor Keras made for one direction of the cell appears in the cell's hover, with its shape.
    one_cell = recurrent.forward_layer if spec.bidirectional else recurrent
    cell_hover = hovers_of(fig, "cell", direction="forward")[0]
    for weight in one_cell.weights:
        assert format_shape(tuple(weight.shape)) in cell_hover
    head_hover = hovers_of(fig, "head")[0]
    for weight in head.weights:
        assert format_shape(tuple(weight.shape)) in head_hover
    # Per-step shapes in the head's hover: Keras's tensors without their time axis.
    step_in = (None, *hidden.shape[2:]) if spec.return_sequences else tuple(hidden.shape)
    step_out = (None, *outputs.shape[2:]) if spec.return_sequences else tuple(outputs.shape)
    assert f"in {format_shape(step_in)} → out {format_shape(step_out)}" in head_hover
    applications = spec.timesteps if spec.return_sequences else 1
    assert ("used once" if applications == 1 else f"used {applications} times") in head_note


# -- presentation ----------------------------------------------------------------------------------------------------
def test_talk_mode_makes_text_markers_and_lines_larger():
    normal, talk = figure(), figure(talk_mode=True)
    assert talk.layout.font.size > normal.layout.font.size
    assert traces(talk, "cell")[0].marker.size > traces(normal, "cell")[0].marker.size
    assert traces(talk, "link")[0].line.width > traces(normal, "link")[0].line.width


def test_talk_mode_draws_fewer_wider_columns_for_long_sequences():
    talk = figure(talk_mode=True, timesteps=64)
    assert steps_of(talk, "cell") == [1, 2, 3, 63, 64]
    assert "59 steps hidden" in annotation(talk, "ellipsis").text
    assert steps_of(figure(talk_mode=True, timesteps=8), "cell") == list(range(1, 9))


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
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    roles = [trace.get("meta", {}).get("role") for trace in spec["data"]]
    assert "cell" in roles and spec.get("frames")
    expected = ModelSpec.from_params({k: v for k, v in params.items() if k != "talk"})  # what the URL asks for
    cells = [t for t in spec["data"] if t.get("meta", {}).get("role") == "cell"]
    drawn = sorted(cells[0]["customdata"])
    assert drawn[0] == 1 and drawn[-1] == expected.timesteps and len(drawn) <= 12
    if not expected.is_valid:
        assert any("cannot be built" in element.value for element in at.error)
