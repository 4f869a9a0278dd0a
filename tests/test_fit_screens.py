"""Every screen reads without surprises (issue 25): counts in captions agree with the diagram beside them, figure
titles, colour bars and labels do not overlap at a phone's or a slide's size, identifiers do not break inside."""

from __future__ import annotations

import json
import re

from tests.conftest import run_app


def _blocks(node):
    """Every (block id, block) under `node` of an AppTest tree, depth first."""
    for child in getattr(node, "children", {}).values():
        if type(child).__name__ == "Block":
            yield child.proto.id, child
        yield from _blocks(child)


def _hidden_in(figure: dict) -> int:
    """The steps the figure's ellipses say they hide."""
    texts = [trace.get("text") for trace in figure["data"]] + [a.get("text") for a in figure["layout"]["annotations"]]
    found = []
    for text in texts:
        for item in text if isinstance(text, list) else [text]:
            found += [int(n) for n in re.findall(r"(\d+) steps hidden", str(item or ""))]
    return sum(found)


def test_the_hidden_steps_caption_counts_what_the_diagram_beside_it_draws():
    """The phone's diagram draws 3 of 64 steps and says "61 steps hidden": its caption must say 61, not the
    full-size diagram's 57."""
    at = run_app("unrolled")
    assert not at.exception
    wide, narrow = (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
    for name, figure in (("wide", wide), ("narrow", narrow)):
        hidden = _hidden_in(figure)
        assert hidden > 0, name
        captions = [
            caption.value
            for key, block in _blocks(at.main)
            if key.endswith(f"{name}-unrolled_hidden")
            for caption in block.get("caption")
        ]
        assert len(captions) == 1, name
        assert f"and {hidden} hidden" in captions[0], (name, captions[0])


# -- figures at a phone's width: titles and colour bars as boxes in pixels, none over another ----------------------
PHONE_WIDTH = 360  # a 400 px screen less the page's padding


def _boxes(figure, width: int) -> list[tuple[str, float, float, float, float]]:
    """(what, left, right, bottom, top) in pixels of every annotation title and colour bar, from the figure's own
    layout (text is estimated at 0.6 em a character, a colour bar with its ticks at its thickness plus 45 px)."""
    layout = figure.layout
    margin = layout.margin
    height = layout.height
    plot_w = width - margin.l - margin.r
    plot_h = height - margin.t - margin.b
    font = layout.font.size or 12
    boxes = []
    for annotation in layout.annotations:
        if annotation.xref != "paper" or not annotation.text:
            continue
        size = annotation.font.size if annotation.font and annotation.font.size else 16
        text_w = 0.6 * size * max(len(line) for line in annotation.text.split("<br>"))
        x = margin.l + annotation.x * plot_w
        left = {"left": x, "right": x - text_w}.get(annotation.xanchor, x - text_w / 2)
        y = margin.b + annotation.y * plot_h
        boxes.append((f"title {annotation.text}", left, left + text_w, y, y + 1.2 * size))
    for trace in figure.data:
        if getattr(trace, "showscale", None) is False or not hasattr(trace, "colorbar"):
            continue
        bar = trace.colorbar
        length = bar.len if bar.len is not None else 1.0
        centre = bar.y if bar.y is not None else 0.5
        x = margin.l + (bar.x if bar.x is not None else 1.02) * plot_w
        thickness = bar.thickness if bar.thickness is not None else 30
        low, high = margin.b + (centre - length / 2) * plot_h, margin.b + (centre + length / 2) * plot_h
        boxes.append((f"colour bar {bar.title.text}", x, x + thickness + 45 * font / 12, low, high))
    return boxes


def _overlaps(boxes) -> list[tuple[str, str]]:
    return [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[1] < b[2] and b[1] < a[2] and a[3] < b[4] and b[3] < a[4]
    ]


def _assert_fits(figure, width: int = PHONE_WIDTH) -> None:
    boxes = _boxes(figure, width)
    assert boxes
    assert not _overlaps(boxes), _overlaps(boxes)
    for what, left, right, _, _ in boxes:
        assert left >= -1 and right <= width + 1, (what, left, right)


def test_the_weights_growth_titles_fit_a_phone():
    from core.figures.theme import COMPACT
    from core.figures.weights import growth_figure
    from core.model.spec import DEFAULTS

    _assert_fits(growth_figure(DEFAULTS, "timesteps", COMPACT))


def test_the_equivalence_heatmaps_titles_and_colour_bars_fit_a_phone():
    import numpy as np

    from core.figures.equivalence import output_heatmaps
    from core.figures.theme import COMPACT
    from core.keras.equivalence import TwinOutputs
    from core.model.spec import DEFAULTS

    dense = np.random.default_rng(0).normal(size=(2, DEFAULTS.timesteps, DEFAULTS.output_size))
    outputs = TwinOutputs(DEFAULTS, np.zeros(1), dense, dense + 1e-7, 1e-7)
    _assert_fits(output_heatmaps(outputs, 0, COMPACT))


# -- slides: the unrolled diagram's row labels at the talk theme's sizes -------------------------------------------
def _deep_specs():
    from core.model.spec import PATTERNS, ModelSpec

    return {
        "stacked 3": ModelSpec(layers=3, timesteps=12),
        "stacked 3 bidirectional LSTM": ModelSpec(layers=3, cell="LSTM", bidirectional=True, timesteps=12),
        "encoder-decoder": PATTERNS["Sequence to sequence"],
        "encoder-decoder 2 layers": PATTERNS["Sequence to sequence"].replace(layers=2),
    }


def _row_label_boxes(figure) -> list[tuple[float, float]]:
    """(bottom, top) in pixels of each row label of the unrolled figure's y axis, from its layout."""
    layout = figure.layout
    plot_h = layout.height - layout.margin.t - layout.margin.b
    low, high = layout.yaxis.range
    size = layout.yaxis.tickfont.size if layout.yaxis.tickfont and layout.yaxis.tickfont.size else layout.font.size
    boxes = []
    for y, text in zip(layout.yaxis.tickvals, layout.yaxis.ticktext, strict=True):
        centre = (y - low) / (high - low) * plot_h
        half = (text.count("<br>") + 1) * size * 1.2 / 2
        boxes.append((centre - half, centre + half))
    return sorted(boxes)


def test_deep_diagrams_row_labels_do_not_pile_on_a_slide():
    """On a slide (440 px for 1280×720, taller for 1920×1080) each row label keeps to its row, at a readable size."""
    from core import describe
    from core.figures.theme import TALK, TALL_PICTURE_HEIGHT
    from core.figures.unrolled import unrolled_figure

    for name, spec in _deep_specs().items():
        for height in (TALK.picture_height, TALL_PICTURE_HEIGHT):
            figure = unrolled_figure(describe(spec), TALK, height=height)
            boxes = _row_label_boxes(figure)
            for (_, top), (bottom, _) in zip(boxes, boxes[1:], strict=False):
                assert bottom - top >= 2, (name, height, "row labels touch or overlap")
            size = figure.layout.yaxis.tickfont.size or figure.layout.font.size
            assert size >= TALK.label - 2, (name, height, size)
            if height == TALL_PICTURE_HEIGHT:  # (a 3-layer bidirectional stack's 12 rows need more than 1280x720)
                assert figure.layout.height <= height, (name, height, figure.layout.height)


def test_deep_diagrams_use_a_tall_screen_s_height():
    """At 1920×1080 a stack's rows get the room the screen has, not the 1280×720 slide's strip."""
    from core import describe
    from core.figures.theme import TALK, TALL_PICTURE_HEIGHT
    from core.figures.unrolled import unrolled_figure

    for name, spec in _deep_specs().items():
        short = unrolled_figure(describe(spec), TALK).layout.height
        tall = unrolled_figure(describe(spec), TALK, height=TALL_PICTURE_HEIGHT).layout.height
        assert tall >= short + 150, (name, short, tall)


# -- the shape flow: no label over another at the narrowest width each theme is drawn at -----------------------------
def _plain_lines(text: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", line) for line in text.split("<br>")]


def _annotation_boxes(figure, width: int) -> list[tuple[str, float, float, float, float]]:
    """(text, left, right, bottom, top) in pixels of every text annotation in data coordinates."""
    layout = figure.layout
    (x0, x1), (y0, y1) = layout.xaxis.range, layout.yaxis.range
    plot_w = width - layout.margin.l - layout.margin.r
    plot_h = layout.height - layout.margin.t - layout.margin.b
    boxes = []
    for annotation in layout.annotations:
        if not annotation.text or annotation.showarrow:
            continue
        size = annotation.font.size
        lines = _plain_lines(annotation.text)
        scale = [0.85 if "font-size:0.85em" in line else 1.0 for line in annotation.text.split("<br>")]
        w = max(0.55 * size * s * len(line) for line, s in zip(lines, scale, strict=True))
        h = sum(1.25 * size * s for s in scale)
        x = (annotation.x - x0) / (x1 - x0) * plot_w
        y = (annotation.y - y0) / (y1 - y0) * plot_h
        left = {"left": x, "right": x - w}.get(annotation.xanchor, x - w / 2)
        bottom = {"top": y - h, "bottom": y}.get(annotation.yanchor, y - h / 2)
        boxes.append((" ".join(lines), left, left + w, bottom, bottom + h))
    return boxes


def test_the_shape_flow_draws_no_label_over_another():
    """ "TimeDistributed(" / "Dense)" over "(None, 64, 8)" on a slide; "time" and "features" run together at 1280."""
    from core.figures.shape_flow import shape_flow_figure
    from core.figures.theme import NORMAL, TALK
    from core.model.spec import PATTERNS, ModelSpec

    for spec in (ModelSpec(), ModelSpec(head="dense"), PATTERNS["Sequence to sequence"], ModelSpec(layers=2)):
        for theme in (TALK, NORMAL):
            figure = shape_flow_figure(spec, True, theme)
            overlaps = _overlaps(_annotation_boxes(figure, theme.narrowest))
            assert not overlaps, (spec, theme.talk_mode, overlaps)


# -- tables at 1400 px: every column has its width, and a long cell wraps instead of ending in "…" -------------------
MAIN_COLUMN_AT_1400 = 940  # the page's column beside the open sidebar at 1400 px, in pixels
WRAPS_ABOVE = 64  # st.dataframe wraps a cell's text only in rows taller than 4rem


def _fits_1400(columns: dict, row_height: int, shown: list[str]) -> None:
    widths = [columns[name].get("width") for name in shown]
    assert all(isinstance(width, int) for width in widths), widths  # "medium" and auto widths cut long cells
    assert sum(widths) <= MAIN_COLUMN_AT_1400, sum(widths)
    assert row_height > WRAPS_ABOVE


def test_the_weights_table_fits_its_columns_at_1400_px():
    at = run_app("weights")
    assert not at.exception
    table = at.dataframe[0]
    columns = {name: config for name, config in json.loads(table.proto.columns).items() if name != "_index"}
    assert len(columns) == 6  # every column shown has its own config
    _fits_1400(columns, table.proto.row_height, list(columns))


def test_the_final_loss_table_fits_its_columns_at_1400_px():
    from views.training import RESULTS_ROW, _results_columns

    columns = {name: dict(config) for name, config in _results_columns("categorical_crossentropy").items()}
    _fits_1400(columns, RESULTS_ROW, list(columns))


def test_plain_words_instead_of_internals():
    """The learner reads what happened, not how the worker is built: no "compiled and traced in the worker", no
    "one of O tokens" (O is a symbol the page never defines)."""
    import inspect

    import views.training
    from core.model.datasets import TASKS

    assert not [text for text in TASKS.values() if "O tokens" in text]
    assert "traced in the worker" not in inspect.getsource(views.training)


def test_on_a_slide_the_training_settings_and_buttons_share_one_row():
    """After Train at 1280x720 the loss chart, its axis and legend must be on the first screen: the folded settings
    and Train/Stop take one row, not three (measured in Chromium: the legend ended at 720 px instead of 760)."""
    at = run_app("training", {"talk": "true"})
    assert not at.exception

    def holds(node, wanted) -> bool:
        return wanted(node) or any(holds(child, wanted) for child in getattr(node, "children", {}).values())

    def settings(node) -> bool:
        return type(node).__name__ == "Expander" and node.label == "Training settings"

    def train(node) -> bool:
        return type(node).__name__ == "Button" and node.key == "training_train"

    shared = [
        node
        for node in _all(at.main)
        if len(getattr(node, "children", {})) >= 2
        and all(type(child).__name__ == "Column" for child in node.children.values())
        and any(holds(child, settings) for child in node.children.values())
        and any(holds(child, train) for child in node.children.values())
        and not any(holds(child, settings) and holds(child, train) for child in node.children.values())
    ]
    assert shared, "the settings and the Train button are not side by side"


def _all(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _all(child)


def test_stacked_heatmaps_name_their_units_once_under_the_last():
    """On a phone the units' tick labels of an upper panel sat on the next panel's title."""
    import numpy as np

    from core.figures.equivalence import output_heatmaps
    from core.figures.theme import COMPACT
    from core.keras.equivalence import TwinOutputs
    from core.model.spec import DEFAULTS

    dense = np.zeros((1, DEFAULTS.timesteps, DEFAULTS.output_size))
    figure = output_heatmaps(TwinOutputs(DEFAULTS, np.zeros(1), dense, dense, 0.0), 0, COMPACT)
    shown = [figure.layout[name].showticklabels is not False for name in ("xaxis", "xaxis2", "xaxis3")]
    assert shown == [False, False, True]
