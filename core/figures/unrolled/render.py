"""`render(diagram, theme) -> go.Figure`: a Diagram drawn with plotly (one scatter trace per kind of element, its
`meta` saying role, faded, direction, its `customdata` the timesteps), and `unrolled_figure`, the two composed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import plotly.graph_objects as go

from core.figures.theme import NORMAL, PALETTE, TRANSPARENT, Theme
from core.figures.unrolled.layout import layout
from core.figures.unrolled.model import (
    Diagram,
    Edge,
    Node,
)
from core.model.anatomy import Description

# -- rendering --------------------------------------------------------------------------------------------------------
# How each role is drawn: marker symbol and size relative to the theme's marker.
MARKS = {
    "input": ("circle", 0.85),
    "repeat": ("circle", 0.7),
    "cell": ("square", 1.25),
    "state": ("circle", 0.85),
    "head": ("square", 1.25),
    "output": ("square", 1.0),
    "error": ("x", 1.1),
    "state_out": ("diamond", 1.0),
}
# Roles drawn in another role's colour: RepeatVector's copies are the input's, returned final states the state's.
COLOUR_OF = {"repeat": "input", "state_out": "state"}
ROLE_ORDER = tuple(MARKS)


def _node_colour(node: Node) -> str:
    if node.role == "cell" and node.direction == "backward":
        return PALETTE["cell_backward"]
    return PALETTE[COLOUR_OF.get(node.role, node.role)]


def series(nodes: Sequence[Node]) -> list[list[Node]]:
    """Nodes grouped by legend entry, in drawing order: by role, layer, forward before backward, solid before faded."""
    groups: dict[str, list[Node]] = {}
    for node in nodes:
        groups.setdefault(node.series, []).append(node)

    def order(group: list[Node]) -> tuple:
        first = group[0]
        return (ROLE_ORDER.index(first.role), first.layer, first.direction == "backward", first.faded)

    return sorted(groups.values(), key=order)


def _node_trace(nodes: Sequence[Node], theme: Theme) -> go.Scatter:
    first = nodes[0]
    colour = _node_colour(first)
    symbol, size = MARKS[first.role]
    return go.Scatter(
        x=[node.x for node in nodes],
        y=[node.y for node in nodes],
        mode="markers+text",
        name=first.series,
        text=[node.label for node in nodes],
        textposition="middle center",
        textfont={
            "color": colour if first.faded else PALETTE["on_fill"],
            "size": [_label_size(node.label, theme.marker * size, theme) for node in nodes],
        },
        hovertext=[node.hover for node in nodes],
        hoverinfo="text",
        customdata=[node.step for node in nodes],
        marker={
            "symbol": symbol + ("-open" if first.faded else ""),
            "size": theme.marker * size,
            "color": colour,
            "line": {"width": theme.line, "color": colour},
        },
        opacity=0.45 if first.faded else 1.0,
        meta={
            "role": first.role,
            "faded": first.faded,
            "direction": first.direction,
            "layer": first.layer,
            # Per point: layers and axes share a series (a stack's cells are drawn alike), a click needs its own.
            "points": [[node.layer, node.axis] for node in nodes],
        },
    )


def _label_size(label: str, box_px: float, theme: Theme) -> int:
    """The font size of a node's label: the theme's, or smaller when the label would spill out of its marker
    (a narrow marker on a phone or a slide would otherwise print "DenseDenseDense" across its neighbours)."""
    visible = len(re.sub(r"<[^>]+>", "", label)) or 1
    return max(8, min(theme.label, int(box_px * 1.7 / visible)))


def _edge_trace(
    edges: Sequence[Edge],
    name: str,
    role: str,
    colour: str,
    theme: Theme,
    faded: bool = False,
    dash: str = "solid",
) -> go.Scatter:
    """Polylines of one kind in one trace, separated by None, with an arrowhead where each one ends."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    arrows: list[float] = []
    for edge in edges:
        for index, (x, y) in enumerate(edge.points):
            xs.append(x)
            ys.append(y)
            arrows.append(theme.line * 4 + 4 if index == len(edge.points) - 1 else 0)
        xs.append(None)
        ys.append(None)
        arrows.append(0)
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        name=name,
        line={"color": colour, "width": theme.line, "dash": dash},
        marker={"symbol": "arrow", "angleref": "previous", "size": arrows, "color": colour},
        opacity=0.35 if faded else 0.9,
        hoverinfo="skip",
        showlegend=False,
        meta={"role": role, "faded": faded},
    )


# Where `_traces` puts the traces a click can pick (core.figures.unrolled.clicks reads a click by these): the
# passed-state labels, and the node series from this index on, one trace per `series` group.
PASSED_LABELS_TRACE = 7
FIRST_NODE_TRACE = 9


def _traces(diagram: Diagram, theme: Theme) -> list[go.Scatter]:
    """The highlight of the play control first (drawn under what it walks through), then edges, then nodes."""
    now = go.Scatter(
        x=[],
        y=[],
        mode="lines+markers",
        name="now computing",
        line={"color": PALETTE["now"], "width": theme.line + 3},
        marker={"symbol": "square-open", "size": theme.marker * 1.5, "color": PALETTE["now"], "line": {"width": 3}},
        hoverinfo="skip",
        showlegend=False,
        meta={"role": "now", "faded": False},
    )
    passed = diagram.edges_of("passed")
    # The hand-over's label sits above its last stretch, just before the decoder's first cell.
    handed = [edge for edge in diagram.edges_of("handover") if edge.label]
    traces = [
        now,
        _edge_trace(diagram.edges_of("link", faded=True), "not returned", "link", PALETTE["link"], theme, True, "dot"),
        _edge_trace(diagram.edges_of("link", faded=False), "data flow", "link", PALETTE["link"], theme),
        _edge_trace(passed, "state passed on", "passed", PALETTE["cell"], theme),
        _edge_trace(diagram.edges_of("hidden"), "hidden steps", "hidden", PALETTE["cell"], theme, dash="dot"),
        _edge_trace(diagram.edges_of("copy"), "RepeatVector copies", "copy", PALETTE["input"], theme, dash="dash"),
        _edge_trace(diagram.edges_of("handover"), "final states", "handover", PALETTE["state"], theme),
        go.Scatter(
            x=[(edge.points[0][0] + edge.points[-1][0]) / 2 for edge in passed],
            y=[edge.points[0][1] + 0.2 for edge in passed],
            mode="text",
            name="state passed to the next step",
            text=[edge.label for edge in passed],
            textfont={"size": theme.label - 1},
            hovertext=[edge.hover for edge in passed],
            hoverinfo="text",
            customdata=[edge.step for edge in passed],
            showlegend=False,
            meta={"role": "passed_label", "faded": False, "points": [[edge.layer, edge.axis] for edge in passed]},
        ),
        go.Scatter(
            x=[edge.points[-2][0] + 0.04 for edge in handed],
            y=[edge.points[-1][1] + 0.3 for edge in handed],
            mode="text",
            name="initial_state",
            text=[edge.label for edge in handed],
            textposition="middle right",
            textfont={"size": theme.label - 1, "color": PALETTE["state"]},
            hovertext=[edge.hover for edge in handed],
            hoverinfo="text",
            showlegend=False,
            meta={"role": "handover_label", "faded": False},
        ),
    ]
    return traces + [_node_trace(group, theme) for group in series(diagram.nodes)]


def _annotations(diagram: Diagram, theme: Theme) -> tuple[list[dict], int]:
    """The notes as plotly annotations, and how many text lines the headings take above the plot."""
    annotations = []
    lines_above = 0
    line_px = theme.font + 10
    for note in reversed([note for note in diagram.notes if note.x is None]):
        text = note.text
        # Too long for one line (plotly does not wrap): break after the colon, before the sentence.
        plain = text.replace("<b>", "").replace("</b>", "")
        if len(plain) > theme.wrap and ": " in text:
            text = text.replace(": ", ":<br>", 1)
        if theme.compact:
            text = _wrap_markup(text, theme.wrap)
        font = {"size": theme.font, **({"color": PALETTE["error"]} if note.error else {})}
        annotations.append(
            {
                "name": note.name,
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1,
                "xanchor": "left",
                "yanchor": "bottom",
                "yshift": 6 + lines_above * line_px,
                "showarrow": False,
                "align": "left",
                "font": font,
            }
        )
        lines_above += text.count("<br>") + 1
    for note in diagram.notes:
        if note.name.startswith("ellipsis"):
            annotations.append(
                {
                    "name": note.name,
                    "text": note.text,
                    "x": note.x,
                    "y": note.y,
                    "textangle": -90,
                    "showarrow": False,
                    "font": {"size": theme.font},
                }
            )
        elif note.x is not None:
            annotations.append(
                {
                    "name": note.name,
                    "text": note.text,
                    "x": note.x,
                    "y": note.y,
                    "xanchor": "right",
                    "xshift": -theme.marker * 0.8,
                    "showarrow": False,
                    "font": {"size": theme.label, **({"color": PALETTE["error"]} if note.error else {})},
                }
            )
    return annotations, lines_above


def _wrap_markup(text: str, width: int) -> str:
    """Break each line of a heading at word boundaries into lines of about `width` visible characters (plotly
    annotations do not wrap); <b> tags are not counted."""
    lines = []
    for line in text.split("<br>"):
        current, visible = [], 0
        for word in line.split(" "):
            length = len(word.replace("<b>", "").replace("</b>", ""))
            if current and visible + 1 + length > width:
                lines.append(" ".join(current))
                current, visible = [], 0
            current.append(word)
            visible += length + (1 if visible else 0)
        lines.append(" ".join(current))
    return "<br>".join(lines)


def _frames(diagram: Diagram, theme: Theme, trace_count: int) -> list[go.Frame]:
    """The play frames; each only moves the "now computing" trace (the first), so frames stay tiny."""
    ring = theme.marker * 1.5
    frames = []
    for frame in diagram.frames:
        frames.append(
            go.Frame(
                name=frame.name,
                # Every trace is listed: plotly.js hides the traces a frame leaves out (plotly.js#4596), so the
                # others get an update that changes nothing but keeps them visible.
                traces=list(range(trace_count)),
                data=[
                    go.Scatter(
                        x=[stop.x if stop else None for stop in frame.path],
                        y=[stop.y if stop else None for stop in frame.path],
                        marker={"size": [ring if stop and stop.ring else 0 for stop in frame.path]},
                    )
                ]
                + [go.Scatter(visible=True) for _ in range(trace_count - 1)],
            )
        )
    return frames


def _play_controls(diagram: Diagram, theme: Theme, controls_y: float, slider_y: float) -> dict:
    """The ▶ Play / ❚❚ Pause buttons and the slider with one step per frame."""
    play = {"frame": {"duration": 900, "redraw": False}, "fromcurrent": True, "transition": {"duration": 0}}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    # On a slide the buttons sit left of the headings, over the row labels' column, as symbols: at the headings'
    # right end they covered any heading longer than the plot is wide less the buttons, which the renderer cannot
    # measure in pixels (a sequence-to-sequence slide's head heading ran under them).
    on_top = theme.controls_on_top
    buttons = {
        "type": "buttons",
        "direction": "left",
        "x": 0,
        "y": 1 if on_top else controls_y,
        "xanchor": "right" if on_top else "left",
        "yanchor": "bottom" if on_top else "top",
        "pad": {"t": 0, "r": 16} if on_top else {"t": 10, "r": 10},
        "showactive": False,
        "font": {"size": theme.label},
        "buttons": [
            {"label": "▶" if on_top else "▶ Play", "method": "animate", "args": [None, play]},
            {"label": "❚❚" if on_top else "❚❚ Pause", "method": "animate", "args": [[None], pause]},
        ],
    }
    slider = {
        "active": 0,
        "x": 0,
        "y": slider_y,
        "len": 1,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"t": 0},
        "currentvalue": {"visible": False},
        "font": {"size": max(theme.label - 2, 9)},
        "steps": [
            {
                "label": frame.label,
                "method": "animate",
                "args": [[frame.name], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}],
            }
            for frame in diagram.frames
        ],
    }
    return {"updatemenus": [buttons], "sliders": [slider] if theme.play_slider else []}


def render(diagram: Diagram, style: Theme = NORMAL) -> go.Figure:
    """Draw a Diagram with plotly: hover details on every node, headings above, a play control below.

    The height follows from the theme and the number of rows; the background is transparent for light and dark.
    """
    top = max(row.y for row in diagram.rows)
    style = _fitted(style, _annotations(diagram, style)[1], top + 1)
    fig = go.Figure(_traces(diagram, style))
    annotations, lines_above = _annotations(diagram, style)
    fig.frames = _frames(diagram, style, len(fig.data))
    # Pixel budget: the play control sits under the x ticks and the legend under it, whatever the number of rows.
    # Deep stacks get shorter rows, so that three bidirectional layers and a decoder still fit a screen or two.
    rows = top + 1
    row_px = _row_px(style, rows, _top_margin(style, lines_above) + _bottom_margin(style))
    plot_height = row_px * rows
    top_margin = _top_margin(style, lines_above)
    controls_px = style.font * 2.5
    slider_px = controls_px + (style.label * 3.4 if style.play_slider else 0)
    legend_px = slider_px + (style.label * 6.5 if style.legend else 0)
    bottom_margin = int(_bottom_margin(style))
    ticks = [(axis.x(step), axis.tick(step)) for axis in diagram.axes for step in axis.shown]
    fig.update_layout(
        height=int(plot_height + top_margin + bottom_margin),
        margin={"l": 10, "r": 10, "t": top_margin, "b": bottom_margin},
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font={"size": style.font},
        hoverlabel={"font": {"size": style.label}},
        showlegend=style.legend,
        legend={
            "orientation": "h",
            "x": 0,
            "y": -legend_px / plot_height,
            "yanchor": "top",
            "font": {"size": style.label},
        },
        annotations=annotations,
        xaxis={
            "range": [
                min([a.x_range[0] for a in diagram.axes] + [node.x - 0.45 for node in diagram.nodes]),
                max([a.x_range[1] for a in diagram.axes] + [node.x + 0.45 for node in diagram.nodes]),
            ],
            "tickvals": [x for x, _ in ticks],
            "ticktext": [text for _, text in ticks],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "side": "bottom",
        },
        yaxis={
            "range": [-0.6, top + 0.6],
            "tickvals": [row.y for row in diagram.rows],
            **_row_labels(diagram, style, plot_height / (top + 1.2)),
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        **_play_controls(diagram, style, -controls_px / plot_height, -slider_px / plot_height),
    )
    return fig


def _row_px(style: Theme, rows: float, margins: float) -> float:
    """A row's height: deep stacks get shorter rows, so that three bidirectional layers and a decoder still fit a
    screen or two; not on a slide whose rows already fit its picture height (_fitted), which they would only squeeze
    into a strip with empty space under it."""
    fits = style.picture_height is not None and style.row_height * rows + margins <= style.picture_height
    if rows <= 8 or fits:
        return style.row_height
    return max(style.row_height * 0.62, style.row_height * 8 / rows)


def _top_margin(style: Theme, lines_above: int) -> float:
    """Room above the plot for the headings."""
    return 30 + lines_above * (style.font + 10)


def _bottom_margin(style: Theme) -> float:
    """Room under the plot: the x ticks, the Play button, and the slider and legend when the theme has them."""
    if style.controls_on_top and not style.legend and not style.play_slider:
        return style.label * 2.5  # the x ticks only
    below = style.font * 2.5 + (style.label * 3.4 if style.play_slider else 0)
    below += style.label * 6.5 if style.legend else 0
    return below + style.label * (5 if style.legend or style.play_slider else 3)


def _fitted(style: Theme, lines_above: int, rows: int) -> Theme:
    """The theme with rows (and markers) shrunk so that the whole figure fits `style.picture_height` (a slide)."""
    if style.picture_height is None:
        return style
    room = style.picture_height - _top_margin(style, lines_above) - _bottom_margin(style)
    row_height = min(style.row_height, int(room / rows))
    if row_height >= style.row_height:
        return style
    # A marker keeps the share of its row it has in the theme, so the arrows between rows stay visible.
    marker = max(24, min(style.marker, int(row_height * 0.62)))
    return replace(style, row_height=max(row_height, 40), marker=marker)


def _row_label(label: str, style: Theme) -> str:
    """A row's axis label; on a phone only its name, broken before "(", so that the plot keeps its width."""
    if not style.compact:
        return label
    return label.split("<br>")[0].replace("(", "<br>(", 1)


LINE_SPACING = 1.25  # a label's line height, in font sizes
TIGHT_LINE_SPACING = 1.2  # the same in a smaller font, where plotly's lines sit closer
LABEL_GAP = 2  # pixels between two rows' labels


def _row_labels(diagram: Diagram, style: Theme, row_px: float) -> dict:
    """The y axis's row labels, each within its row's `row_px` so that neighbours never overlap: two lines (name,
    shape) when they fit; on a deep stack's short rows one line (RepeatVector's name alone), in a smaller font if
    even one line of the theme's is too tall."""
    labels = [_row_label(row.label, style) for row in diagram.rows]
    lines = max(label.count("<br>") + 1 for label in labels)
    room = row_px - LABEL_GAP  # neighbours keep a gap: labels that touch read as one pile of text
    if lines * style.font * LINE_SPACING <= room:
        return {"ticktext": labels}
    # Two lines in a slightly smaller font before one long line: one-line labels widen the label column, and the
    # plot and its headings lose that width (a slide's step-panel strip clipped its cell heading).
    smaller = int(room / (lines * TIGHT_LINE_SPACING))
    if smaller >= style.label - 2:
        return {"ticktext": labels, "tickfont": {"size": smaller}}
    labels = [
        label.split("<br>")[0] if row.role == "repeat" else label.replace("<br>", " ")
        for row, label in zip(diagram.rows, labels, strict=True)
    ]
    return {"ticktext": labels, "tickfont": {"size": min(style.font, int(room / LINE_SPACING))}}


def unrolled_figure(
    description: Description,
    theme: Theme = NORMAL,
    focus: tuple[str, int] | None = None,
    height: int | None = None,
) -> go.Figure:
    """Draw `description`'s model unrolled over its timesteps: `render(layout(description))` in the page's theme
    (COMPACT: the phone layout, with fewer columns), keeping the `focus` step (axis name, step) drawn; `height`
    (pixels) squeezes the rows into a strip, as a slide with the step panel under it needs."""
    if height is not None:
        theme = replace(theme, picture_height=height)
    return render(layout(description, theme, focus), theme)
