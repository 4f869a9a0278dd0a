"""What only a browser shows of issue 25's fit items: text wraps between words or after "(", "," and "=" but never
inside an identifier (the Overview's Invalid card, the sidebar's link), a figure wider than a phone says that it
scrolls, and Fix my error's introduction folds on a slide like every page's. One tab per page, resized from
1400x900 to a phone's 400x850 where both are checked; no Keras job."""

from __future__ import annotations

import pytest

from tests.browser_fixtures import new_tab
from tests.browser_support import settle_frames, shrink_to, wait_idle

pytestmark = pytest.mark.browser

# Every place where a line breaks inside `selector`'s text: the characters either side of it. Characters are measured
# one by one (a Range per character): a break is where a character starts a new line.
_LINE_BREAKS = """(selector) => {
    const breaks = [];
    for (const root of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        let previous = null;  // the last character drawn with a width
        let before = "";  // the character just before, drawn or not (a space at a line's end has no width)
        let block = null;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            let box = node.parentElement;  // a new block (a list item, a paragraph) starts a new line: not a break
            while (box && getComputedStyle(box).display.startsWith("inline")) box = box.parentElement;
            if (box !== block) { before = " "; previous = null; block = box; }
            for (let i = 0; i < node.length; i++) {
                const range = document.createRange();
                range.setStart(node, i);
                range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                const char = node.data[i];
                if (rect && rect.width > 0) {
                    if (previous && rect.top > previous.top + previous.height / 2) breaks.push([before, char]);
                    previous = {top: rect.top, height: rect.height};
                }
                before = char;
            }
        }
    }
    return breaks;
}"""
ALLOWED_AFTER = set(" \\n\\t(,=-—→·/")


def _breaks_inside_words(page, selector: str) -> list[list[str]]:
    """The line breaks inside `selector` that fall inside a word (neither side a space, nor after "(", "," or "=")."""
    return [
        pair
        for pair in page.evaluate(_LINE_BREAKS, selector)
        if not (pair[0] in ALLOWED_AFTER or pair[1].isspace() or pair[0].isspace())
    ]


# Each test opens its page once, at 1400x900 and then at a phone's 400x850: the layout's widths are CSS alone
# (assets/layout.css), and below Streamlit's mobile width its sidebar collapses on a resize as on a phone's first load
# (measured: the same sidebar and link boxes), so a resized tab lays the page out as a phone that opened it does.
SIZES = ((1400, 900), (400, 850))


def test_identifiers_never_break_inside(chromium, app_server):
    page = new_tab(chromium, app_server, *SIZES[0])
    try:
        page.goto(f"{app_server}/")
        wait_idle(page, title="TimeDistributed(Dense) or Dense?")
        card = ".st-key-overview_invalid"
        assert page.locator(card).count() == 1
        # At 1400 the card is narrow and Keras's refusal wraps (at least 5 times: the check is not empty), only at a
        # space or after "(", "," or "=": it once cut "return_sequence|s=False" and "time_distribute|d".
        refusal = page.evaluate(_LINE_BREAKS, f"{card}_error p")
        assert len(refusal) >= 5, refusal
        assert [pair for pair in refusal if not (pair[0] in " (,=" or pair[1].isspace())] == [], refusal
        link = page.locator(".st-key-share_link code").first
        link.wait_for(state="attached")
        for size in SIZES:
            shrink_to(page, *size)
            assert _breaks_inside_words(page, card) == [], size
            # The sidebar's link: one line, never broken ("…/we|ights"), and no sideways scroll a keyboard cannot
            # reach.
            box = link.evaluate("(el) => [el.getClientRects().length, el.scrollHeight, el.clientHeight]")
            assert box[1] <= box[2] + 1, (size, box)
            assert _breaks_inside_words(page, ".st-key-share_link code") == [], size
    finally:
        page.context.close()


def test_a_wide_figure_on_a_phone_says_that_it_scrolls(chromium, app_server):
    page = new_tab(chromium, app_server, 400, 850)
    try:
        page.goto(f"{app_server}/shapes")
        wait_idle(page, title="Shape flow")
        scroller = page.locator(".st-key-scroll-shapes")
        scroller.wait_for()
        page.wait_for_function(
            "() => document.querySelector('.st-key-scroll-shapes .main-svg')", polling=100, timeout=30_000
        )
        assert scroller.evaluate("(el) => el.scrollWidth > el.clientWidth + 50")  # it is wider than the screen
        assert page.locator(".st-key-narrow-shapes_scroll_hint").is_visible()
        assert "scroll" in page.locator(".st-key-narrow-shapes_scroll_hint").inner_text()
        page.set_viewport_size({"width": 1400, "height": 900})
        settle_frames(page)
        assert not page.locator(".st-key-narrow-shapes_scroll_hint").is_visible()  # nothing to scroll there
    finally:
        page.context.close()


def test_fix_my_error_s_introduction_folds_on_a_slide(chromium, app_server):
    page = new_tab(chromium, app_server, 1280, 720)
    try:
        page.goto(f"{app_server}/fix?talk=true")
        wait_idle(page, title="Fix my error")
        summary = page.locator("[data-testid='stExpander'] summary").filter(has_text="Paste a Keras error")
        assert summary.is_visible()
        assert not page.get_by_text("a whole traceback is fine").is_visible()
        # Folded, the form's first box starts on the first screen.
        top = page.locator("[data-testid='stTextArea']").first.bounding_box()["y"]
        assert top < 720
    finally:
        page.context.close()


def test_the_code_listings_wrap_instead_of_running_off_sideways(chromium, app_server):
    page = new_tab(chromium, app_server, *SIZES[0])
    try:
        page.goto(f"{app_server}/code")
        wait_idle(page, title="Code")
        for size in SIZES:
            shrink_to(page, *size)
            widths = page.evaluate(
                """() => [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stCode'] pre")]
                    .map((pre) => [pre.scrollWidth, pre.clientWidth])"""
            )
            assert len(widths) >= 3, size  # the learner's script, the seed's Keras 1 and its Keras 3
            assert all(scroll <= client + 1 for scroll, client in widths), (size, widths)
    finally:
        page.context.close()
