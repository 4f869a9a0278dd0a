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
