"""Where a narrow column may wrap a sentence that quotes code: between words, and inside an identifier or a shape
only after "(", "," or "=" ("return_sequences=" / "False"), never mid-word ("return_sequence" / "s=False").

An identifier has no spaces, so a browser that must wrap it in a narrow box cuts it anywhere. `<wbr>` offers the
break without adding a character: copy and find-in-page still see "return_sequences=False" (a zero-width space would
be copied into the learner's code).

Example:
    >>> identifier_breaks("TimeDistributed('time_distributed') needs return_sequences=True")
    'TimeDistributed(<wbr>&#x27;time&#95;distributed&#x27;) needs return&#95;sequences=<wbr>True'
"""

from __future__ import annotations

import html

BREAK_AFTER = frozenset("(,=")
# Markdown would read these (emphasis, links, code, LaTeX, Streamlit's :colour[...]): written as character references,
# the text shows as given. html.escape already covers & < > " '.
MARKDOWN_SPECIALS = {"_": "&#95;", "*": "&#42;", "`": "&#96;", "[": "&#91;", "]": "&#93;", "$": "&#36;", "~": "&#126;"}


def _opens_shape(text: str, index: int) -> bool:
    """True at the "(" of a shape such as "(None, 16)" or "(32, 8)": a shape stays whole, it reads as one thing."""
    return text[index] == "(" and (text.startswith("None", index + 1) or text[index + 1 : index + 2].isdigit())


def identifier_breaks(text: str) -> str:
    """`text` as HTML for a Markdown block: escaped, with a `<wbr>` after each "(", "," or "=" that another character
    follows directly (inside an identifier), except a shape's "(". One pass, linear in the text."""
    out: list[str] = []
    for index, char in enumerate(text):
        out.append(MARKDOWN_SPECIALS.get(char) or html.escape(char))
        following = text[index + 1] if index + 1 < len(text) else " "
        if char in BREAK_AFTER and not following.isspace() and not _opens_shape(text, index):
            out.append("<wbr>")
    return "".join(out)
