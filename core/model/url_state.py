"""The URL <-> spec mapping for shareable links: pure Python, so it is testable without Streamlit.

A link such as `/weights?cell=LSTM&return_sequences=false&timesteps=12` names spec fields as query
parameters (defaults left out) plus the app's own `talk=true`. Reading is lenient: every valid field is kept,
every bad one falls back to its default and is reported once, in words that name the field and its allowed range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from core.model.spec import FIELD_NAMES, ModelSpec, SpecError, parse_bool, parse_params

# The app's own parameters, which are not spec fields but must not be reported as unknown (core.talk.stories reads the
# story's own two).
TALK_PARAM = "talk"
STORY_PARAMS = ("story", "step")
# Set by serve.py when it redirects a deep unknown path (such as /weights/x) to the home page.
NOT_FOUND_PARAM = "not_found"

# Shown keys and values are cut, so that a hostile link cannot flood the page.
MAX_SHOWN = 40
MAX_LISTED = 8


@dataclass(frozen=True)
class UrlState:
    """What a URL asks for: the spec (bad fields at their defaults), talk mode, and what was wrong with it."""

    spec: ModelSpec
    talk: bool = False
    errors: tuple[SpecError, ...] = ()
    unknown: tuple[str, ...] = ()
    talk_error: str | None = None

    @property
    def has_problems(self) -> bool:
        """True when the link had a bad value, a repeated or unknown key: the page must say so."""
        return bool(self.errors or self.unknown or self.talk_error)


def _shorten(text: str) -> str:
    """A user-supplied string cut to a readable length, without characters that would break its Markdown."""
    text = " ".join(str(text).replace("`", "'").split())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _parse_talk(values: Sequence[str]) -> tuple[bool, str | None]:
    """talk=true/false; anything else (or a repeat) is off, with a message."""
    if len(values) != 1:
        return False, f"**{TALK_PARAM}** is repeated; allowed: a single true | false. Talk mode stays off."
    if not values[0].strip():  # "?talk=" is a link with talk mode left off, not a mistake
        return False, None
    talk = parse_bool(values[0])
    if talk is not None:
        return talk, None
    return False, f"**{TALK_PARAM}**: got {_quoted(values[0])}; allowed: true | false. Talk mode stays off."


def read_url(params: Mapping[str, Sequence[str] | str]) -> UrlState:
    """Parse query parameters (each key to its list of values, as `st.query_params.get_all` gives) into a UrlState.

    Never raises: a bad field falls back to its default and is listed in `errors`; an unknown key in `unknown`.
    """
    spec_params: dict[str, list[str]] = {}
    unknown: list[str] = []
    talk, talk_error = False, None
    for key, raw in params.items():
        values = [raw] if isinstance(raw, str) else [str(value) for value in raw]
        if key == TALK_PARAM:
            talk, talk_error = _parse_talk(values)
        elif key in FIELD_NAMES:
            spec_params[key] = values
        elif key in STORY_PARAMS or key == NOT_FOUND_PARAM:
            continue
        else:
            unknown.append(key)
    spec, errors = parse_params(spec_params)
    return UrlState(spec=spec, talk=talk, errors=tuple(errors), unknown=tuple(unknown), talk_error=talk_error)


def spec_to_query(spec: ModelSpec, talk: bool = False) -> dict[str, str]:
    """The query parameters of a view: non-default spec fields, plus talk=true when talk mode is on."""
    query = spec.to_params(omit_defaults=True)
    if talk:
        query[TALK_PARAM] = "true"
    return query


def share_url(base: str | None, page_path: str, query: Mapping[str, str]) -> str:
    """The link to copy: `base` (the page's full URL when the browser told us) or the relative page path, plus query."""
    if base:
        parts = urlsplit(base)
        # The root page comes back as "http://host:8501" without a slash; a link reads better with one.
        target = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    else:
        target = "/" + page_path.strip("/")
    encoded = urlencode(dict(query))
    return f"{target}?{encoded}" if encoded else target


def problem_message(state: UrlState) -> str | None:
    """One Markdown message naming every bad field with its allowed range, and any unknown keys; None if all is well."""
    if not state.has_problems:
        return None
    lines = []
    for error in state.errors[:MAX_LISTED]:
        lines.append(
            f"- **{error.field}**: got {_quoted(error.value)}; allowed: {error.allowed}. "
            f"Using the default, {_show_value(getattr(ModelSpec(), error.field))}."
        )
    if len(state.errors) > MAX_LISTED:
        lines.append(f"- … and {len(state.errors) - MAX_LISTED} more bad fields, all at their defaults.")
    if state.talk_error:
        lines.append(f"- {state.talk_error}")
    if state.unknown:
        shown = ", ".join(f"`{_shorten(key)}`" for key in state.unknown[:MAX_LISTED])
        more = f" and {len(state.unknown) - MAX_LISTED} more" if len(state.unknown) > MAX_LISTED else ""
        lines.append(
            f"- Ignored unknown parameter(s) {shown}{more}. Known ones: {', '.join(FIELD_NAMES)}, {TALK_PARAM}, "
            f"{', '.join(STORY_PARAMS)}."
        )
    return "This link has settings the app cannot use; every other setting was kept.\n\n" + "\n".join(lines)


def _show_value(value: object) -> str:
    """A URL value as the user typed it (a repeated key shows its values joined)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " & ".join(str(item) for item in value)
    return str(value)


def _quoted(value: object) -> str:
    """A user-supplied value as inline code, or "an empty value"."""
    text = _shorten(_show_value(value))
    return f"`{text}`" if text.strip() else "an empty value"


def not_found_message(path: str, pages: Sequence[str]) -> str:
    """What the home page says when a link pointed below a page: the path asked for, and the pages there are."""
    shown = _shorten(path) if path.startswith("/") else "/" + _shorten(path)
    listed = ", ".join(f"`/{page}`" if page else "`/`" for page in pages)
    return (
        f"**Page not found:** `{shown}` is not a page of this app, so here is the home page. "
        f"Its pages are {listed}; every link to a page is one level deep, such as `/weights?cell=LSTM`."
    )
