"""One look for every figure of the app: one colour per concept, one set of sizes for screens and for talks.

Every figure builder takes a `Theme` (the page picks it, `theme_for(talk_mode, compact)`); nothing else in core/
names a colour, a font size or a height in pixels. A concept keeps its colour on every page: the recurrent cell is the
same blue in the unrolled diagram, the shape flow (the time axis it walks along) and the growth chart; the head the
same green; the time axis the same light blue.

Timesteps are numbered from 0 everywhere, as Keras arrays index them: step t is `X[:, t, :]`, the first is t=0 and
the last t=T-1. Axes say "t", diagram subscripts (x₀, h₀) and hovers use the same numbers.

Example:
    >>> theme_for(True).font > theme_for(False).font
    True
    >>> PALETTE["cell"] == CELL_KIND_COLOURS["GRU"]
    True
"""

from __future__ import annotations

from dataclasses import dataclass

# Mid-tone fills that read on both Streamlit's light (white) and dark (#0e1117) backgrounds, with white text inside.
# The colours a figure must tell apart stay apart under deuteranopia too (tests/test_colour_vision.py).
PALETTE: dict[str, str] = {
    # the parts of the model
    "input": "#5b2e9e",  # x_t, the input sequence (dark: told from the cell's blue under deuteranopia)
    "cell": "#2f6fd6",  # the recurrent cell (forward copy), and the time axis it walks along
    "cell_backward": "#0a6f67",  # the backward copy of a Bidirectional cell
    "state": "#d9822b",  # h_t, the state the recurrent layer returns
    "head": "#2e9e4f",  # Dense / TimeDistributed(Dense)
    "output": "#c43d7f",  # y, the model's output
    # the axes of a tensor
    "batch": "#d9d9d9",
    "time": "#9ecae1",  # the time axis, light blue
    "feature": "#fdd0a2",
    "feature_acted": "#e6550d",  # the feature axis a layer transforms
    # verdicts and emphasis
    "ok": "#2e9e4f",
    "warn": "#d9822b",
    "error": "#b42318",  # the one thing that breaks (dark: told from "ok" green under deuteranopia)
    "now": "#f5c518",  # what is being computed / the current spec
    # neutrals
    "link": "#8a8f98",  # connections, borders
    "ink": "#252525",  # text on light fills
    "muted": "#636363",  # secondary text and outlines on light fills
    "on_fill": "#ffffff",  # text inside a mid-tone fill
}

# The three cell kinds side by side (growth chart): shades of the cell's blue, told apart by dash as well.
CELL_KIND_COLOURS: dict[str, str] = {"SimpleRNN": "#8fb3ef", "GRU": PALETTE["cell"], "LSTM": "#1f4fa8"}
CELL_KIND_DASHES: dict[str, str] = {"SimpleRNN": "dot", "GRU": "solid", "LSTM": "dash"}

# Series of curves compared on one chart ("Model 1/2/3", the twins of the equivalence lab): each model keeps its
# colour from page to page. Model 1 is TimeDistributed(Dense), Model 2 plain Dense, Model 3 the last-step model.
SERIES_COLOURS: tuple[str, ...] = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3")
MODEL_COLOURS: dict[str, str] = {
    "Model 1": SERIES_COLOURS[0],
    "Model 2": SERIES_COLOURS[1],
    "Model 3": SERIES_COLOURS[2],
}
HEAD_COLOURS: dict[str, str] = {"time_distributed": MODEL_COLOURS["Model 1"], "dense": MODEL_COLOURS["Model 2"]}

# Heatmap colour scales (plotly names): values, absolute differences, losses (light = high), probabilities.
HEATMAP_SCALES: dict[str, str] = {"values": "Viridis", "difference": "Reds", "loss": "Viridis", "probability": "Blues"}
TRANSPARENT = "rgba(0,0,0,0)"


@dataclass(frozen=True)
class Theme:
    """Sizes for normal screens or for talk mode (projectors): text, markers and lines all grow together.

    Heights are derived from these and from the content (rows, lines), never written per figure.
    """

    talk_mode: bool
    font: int  # body text, axis titles, headings inside figures
    label: int  # labels inside marks, ticks, legends, hovers
    line: int  # line width
    marker: int  # a diagram node's size
    row_height: int  # one row of a diagram, in pixels
    chart_height: int  # a line or bar chart
    heatmap_row: int  # one row of a heatmap, in pixels
    max_height: int  # the tallest a chart may grow (about a screen): long sequences scroll inside, not the page
    max_columns: int  # beyond this many steps, a diagram shows `first` steps, an ellipsis, and `last` steps
    first: int
    last: int
    wrap: int  # a heading line longer than this (in characters) breaks after its colon
    box_chars: int  # characters per line of the text in a narrow box (a shape-flow note)
    # A slide: the page's key picture must fit under the title on a 1280x720 projector, so a diagram shrinks its rows
    # to this height in pixels (None: grow with the content), and drops what a presenter does not need on a slide.
    picture_height: int | None = None
    legend: bool = True  # the colour legend under a diagram (its rows are labelled anyway)
    play_slider: bool = True  # the step slider under the unrolled diagram's Play button
    controls_on_top: bool = False  # Play/Pause as symbols left of the headings, not under the plot (a slide's height)
    compact: bool = False  # a phone: short labels, no axis titles beside the diagram
    # The narrowest a full-width figure is drawn at, in pixels (a phone's sideways-scrolling figure keeps 760 px, a
    # 1280x720 slide's main column is about 1050): where labels side by side must not run together.
    narrowest: int = 760

    def heatmap_height(self, rows: int) -> int:
        """A heatmap tall enough for its rows plus title and axes, bounded so that a long sequence still fits."""
        chrome = 8 * self.font  # title, subplot titles, axis ticks
        return max(2 * self.chart_height // 3, min(self.max_height, chrome + self.heatmap_row * rows))

    def margin(self, top: int = 0, bottom: int = 0, left: int = 10, right: int = 10) -> dict[str, int]:
        """Plot margins: `top`/`bottom` are extra text lines above/below the plot, in lines of body text."""
        per_line = self.font + 10
        return {"l": left, "r": right, "t": 10 + top * per_line, "b": 10 + bottom * per_line}


NORMAL = Theme(
    talk_mode=False,
    font=13,
    label=12,
    line=2,
    marker=36,
    row_height=92,
    chart_height=400,
    heatmap_row=14,
    max_height=700,
    max_columns=12,
    first=4,
    last=3,
    wrap=100,
    box_chars=26,
)
# Larger marks need wider columns: fewer of them on a projector.
TALK = Theme(
    talk_mode=True,
    font=19,
    label=17,
    line=4,
    marker=50,
    row_height=122,
    chart_height=405,  # a slide's key chart, its axis and legend fit under the title and the buttons at 1280x720
    heatmap_row=20,
    max_height=780,
    max_columns=8,
    first=3,
    last=2,
    wrap=120,
    box_chars=17,
    picture_height=440,  # under the title and a story's takeaway bar at 1280x720
    legend=False,
    play_slider=False,
    controls_on_top=True,
    narrowest=1050,
)
# On a slide with the step panel open, the unrolled diagram is squeezed into a strip of this height (pixels), so
# that the cell's numbers fit under it on one 1280x720 screen.
SLIDE_STRIP_HEIGHT = 300
# A 1920x1080 slide has 360 px more height than a 1280x720 one: a deep diagram (a stack, an encoder-decoder) is drawn
# this tall for it, instead of squeezing its rows into the small slide's strip (the page's CSS picks by screen height).
TALL_PICTURE_HEIGHT = 700
# A phone (about 400 px wide): few columns and short labels, so that nothing overlaps.
COMPACT = Theme(
    talk_mode=False,
    font=12,
    label=11,
    line=2,
    marker=26,
    row_height=64,
    chart_height=320,
    heatmap_row=12,
    max_height=600,
    max_columns=4,
    first=2,
    last=1,
    wrap=44,
    box_chars=14,
    legend=False,
    play_slider=False,
    compact=True,
    narrowest=360,
)


def theme_for(talk_mode: bool, compact: bool = False) -> Theme:
    """The theme of a page: TALK for projectors, COMPACT for phones, NORMAL otherwise."""
    if compact:
        return COMPACT
    return TALK if talk_mode else NORMAL


def step_label(step: int) -> str:
    """How a timestep is named on every axis: 't=0' for the first (Keras arrays index time from 0)."""
    return f"t={step}"


def wrap_words(text: str, width: int) -> str:
    """Break a label into lines of about `width` characters at word boundaries (plotly text needs <br>)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return "<br>".join(lines)


def arrow(tail: tuple[float, float], head: tuple[float, float], width: float, colour: str, **style: float) -> dict:
    """A plotly annotation drawing an arrow in data coordinates from `tail` to `head` (a box-to-box link)."""
    return {
        "x": head[0],
        "y": head[1],
        "ax": tail[0],
        "ay": tail[1],
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "text": "",
        "showarrow": True,
        "arrowhead": 3,
        **style,
        "arrowwidth": width,
        "arrowcolor": colour,
    }
