"""The pasted error made readable: decoded, tail-trimmed, ANSI colours and HTML entities gone, quote marks of replies
and the backticks and quotes a web page may drop removed, whitespace collapsed. All str methods: linear time.

`clean_text` returns the cleaned lines joined by "\\n"; `flatten` turns that into one lower-case line of the same
length, so a position found in one is a position in the other (a message wrapped over lines reads as one).
"""

from __future__ import annotations

import html
import re

MAX_CHARS = 30_000  # a traceback's last lines carry the error; more is pasted logs
# The text box takes a long log (its end is read); the browser stops a paste past this, and core cuts to MAX_CHARS.
MAX_PASTE_CHARS = 200_000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # no nested quantifier: linear
_DROPPED = str.maketrans(
    {"`": None, "'": None, '"': None, "\u2018": None, "\u2019": None, "\u201c": None, "\u201d": None}
)


def _decode(text: object, problems: list[str]) -> str | None:
    """The paste as str (bytes decoded), or None with a problem when it is not text."""
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", errors="replace")
    if isinstance(text, str):
        return text
    problems.append("The error must be text: paste the message (or the whole traceback).")
    return None


def _clean_line(line: str) -> str:
    """One line without the `>` of a quoted reply, pytest's `E` column, quotes and repeated spaces."""
    line = line.strip()
    while line.startswith(">") and not line.startswith(">>>"):
        line = line[1:].lstrip()
    if line.startswith("E ") or line == "E":
        line = line[1:].lstrip()
    return " ".join(line.translate(_DROPPED).split())


def clean_text(text: object, problems: list[str], notes: list[str]) -> str:
    """The pasted text made safe and uniform to read; "" (with a problem) when it is not text."""
    decoded = _decode(text, problems)
    if decoded is None:
        return ""
    if len(decoded) > MAX_CHARS:
        notes.append(
            f"The text is {len(decoded):,} characters long; only its last {MAX_CHARS:,} were read "
            "(the error is at the end of a traceback)."
        )
        decoded = decoded[-MAX_CHARS:]
    if decoded.strip():
        printable = sum(ch.isprintable() or ch in "\n\r\t\x1b" for ch in decoded)
        if printable / len(decoded) < 0.9 or "\ufffd" * 4 in decoded:
            problems.append(
                "This does not look like an error message (it is mostly unprintable characters). "
                "Paste the text of the error, or the whole traceback."
            )
            return ""
    decoded = _ANSI.sub("", decoded)  # Jupyter and Keras 3 colour their messages
    if "&" in decoded:
        decoded = html.unescape(decoded)  # copied from a web page's source: &gt; &quot; &#39;
    decoded = decoded.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_clean_line(line) for line in decoded.split("\n"))
    return "\n".join(line for line in lines if line)


def flatten(cleaned: str) -> str:
    """One lower-case line, position for position the cleaned text (newlines become spaces)."""
    return cleaned.lower().replace("\n", " ")


def line_around(cleaned: str, start: int, end: int, limit: int = 2000) -> str:
    """The cleaned lines that hold text[start:end]: what the page quotes as the line it read."""
    first = cleaned.rfind("\n", 0, start) + 1
    last = cleaned.find("\n", max(end - 1, start))
    line = cleaned[first : last if last >= 0 else len(cleaned)]
    return line if len(line) <= limit else line[: limit - 3] + "..."


_EXCEPTION_WORDS = ("error", "exception")


def last_error_line(cleaned: str) -> str:
    """The last line that looks like an exception ("ValueError: ..."), or the last non-empty line."""
    lines = cleaned.split("\n")
    for line in reversed(lines[-400:]):
        head = line.split(":", 1)[0]
        if ":" in line and " " not in head and head.lower().endswith(_EXCEPTION_WORDS):
            return line[:2000]
    return lines[-1][:2000] if lines else ""
