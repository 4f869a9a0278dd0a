"""The app's keyboard map, written down once: every key, where it acts, and what it does (one key, one action).

A running story owns ← and → everywhere on the page (they are its Back and Next buttons' shortcuts). The step panel
steps with its own ◀ ▶ buttons, and with ← → only while the keyboard focus is inside it (after Tab or a click into
the panel): there a key press goes to the panel and never reaches the story. The story bar and the step panel read
their keys from here, and the sidebar's "Keys" help shows this table.

Example:
    >>> STORY_NEXT.shortcut, PANEL_NEXT.dom_key
    ('Right', 'ArrowRight')
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One line of the key map: the key as shown, where it acts, what it does; `shortcut` is Streamlit's name for a
    page-wide button shortcut, `dom_key` the browser's KeyboardEvent.key for a key handled inside one region."""

    shown: str
    where: str
    action: str
    shortcut: str | None = None
    dom_key: str | None = None


STORY_BACK = Key("←", "anywhere, while a story runs", "the story's previous step", shortcut="Left")
STORY_NEXT = Key("→", "anywhere, while a story runs", "the story's next step", shortcut="Right")
PANEL_BACK = Key("←", "inside the step panel (Tab to it, or click in it)", "the previous timestep", dom_key="ArrowLeft")
PANEL_NEXT = Key("→", "inside the step panel (Tab to it, or click in it)", "the next timestep", dom_key="ArrowRight")
KEYS = (
    STORY_BACK,
    STORY_NEXT,
    PANEL_BACK,
    PANEL_NEXT,
    Key("Tab / Shift+Tab", "anywhere", "the next / previous control"),
    Key("Enter or Space", "on a button", "press it (◀ ▶ step the panel, Back / Next the story)"),
    Key("← → on a slider", "the focused slider", "move it one step"),
)


def keys_markdown() -> str:
    """The key map as a markdown table (the "Keys" help)."""
    lines = ["| Key | Where | What it does |", "|---|---|---|"]
    lines += [f"| {key.shown} | {key.where} | {key.action} |" for key in KEYS]
    return "\n".join(lines)
