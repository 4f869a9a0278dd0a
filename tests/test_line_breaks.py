"""core/figures/line_breaks.py: a sentence that quotes code may wrap only between words or after "(", "," and "=";
its text is unchanged for the reader (copy, find) and for Markdown."""

from __future__ import annotations

import html
import time

from hypothesis import given
from hypothesis import strategies as st

from core import describe
from core.figures.line_breaks import identifier_breaks
from core.model.spec import DEFAULTS


def _shown(markup: str) -> str:
    """The text a browser shows for the markup: no <wbr>, character references resolved."""
    return html.unescape(markup.replace("<wbr>", ""))


@given(st.text(max_size=300))
def test_the_text_is_unchanged_and_breaks_only_after_brackets_commas_and_equals(text):
    markup = identifier_breaks(text)
    assert _shown(markup) == text
    for piece in markup.split("<wbr>")[:-1]:
        assert html.unescape(piece)[-1] in "(,="
    assert "<" not in markup.replace("<wbr>", "") and "_" not in markup and "$" not in markup


def test_keras_refusal_breaks_inside_identifiers_only_at_equals_and_brackets():
    error = describe(DEFAULTS.replace(return_sequences=False)).error
    markup = identifier_breaks(error)
    assert "return&#95;sequences=<wbr>False" in markup
    assert "(<wbr>&#x27;time&#95;distributed&#x27;)" in markup
    assert "(None, 16)" in markup  # a shape stays whole: no break after its "(" (its space is the one break)


def test_a_long_text_in_well_under_a_second():
    # The text is the app's own refusal (a few hundred characters); 100 KB only shows the pass is linear. A megabyte
    # took 0.5-1.0 s of a loaded 2-core machine: a per-character loop, fine for what it is given.
    start = time.perf_counter()
    identifier_breaks("return_sequences=False, (" * 4_000)
    assert time.perf_counter() - start < 1.0
