"""Figures and tables built once per input for the whole server: 30 visitors on one link cost about one visitor's work.

The builders of `core.figures` (and a page's pure composites of them) are functions of frozen values (a `ModelSpec`, a
`Theme`, a focus): `once(builder)(*args)` runs `builder(*args)` the first time any session asks for those arguments and
answers every later session from `st.cache_data`, which hashes the arguments (a dataclass by its fields) and keeps
a pickled copy, so each session gets its own copy that it may change. A plotly figure is kept as its dict (validated
once when it was built) and handed back as a `ServedFigure`: `st.plotly_chart` only asks a figure for that dict, and
rebuilding plotly's objects from it would cost as much as drawing the figure again.

Bounds: one cache of `MAX_ENTRIES` results server-wide, least recently used first out; a result is at most
`MAX_ENTRY_BYTES` pickled (the largest the app draws is about a tenth of it, bench/repeat_visitor.py prints them), so
the cache holds at most MAX_ENTRIES x MAX_ENTRY_BYTES = 32 MB, and the live one (a running training's charts)
LIVE_ENTRIES x MAX_ENTRY_BYTES = 8 MB; a larger result is built, served and not kept.
Not a page itself.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import plotly.graph_objects as go
import streamlit as st

MAX_ENTRIES = 128
MAX_ENTRY_BYTES = 256 * 1024
LIVE_ENTRIES = 32  # a running training's loss charts, as its watchers poll them

P = ParamSpec("P")
R = TypeVar("R")


class ServedFigure(go.Figure):
    """A figure already built and validated: it hands `st.plotly_chart` the dict it was made from."""

    def __init__(self, spec: dict) -> None:
        super().__init__()
        self._served_spec = spec

    def to_dict(self) -> dict:
        """The figure's plotly dict, as built (what plotly_chart serialises)."""
        return self._served_spec

    def to_plotly_json(self) -> dict:
        """The same dict (plotly's JSON encoder asks for this one)."""
        return self._served_spec


class _FigureSpec(dict):
    """A figure's dict inside a cached result (a tuple may hold figures beside other values)."""


class _TooLarge:
    """A result too large to keep: the cache keeps this marker, and the caller builds the result itself."""


def _frozen(result: Any) -> Any:
    """The result with every figure replaced by its dict (cheap to pickle and to copy)."""
    if isinstance(result, go.Figure):
        return _FigureSpec(result.to_dict())
    if isinstance(result, tuple):
        return tuple(_frozen(item) for item in result)
    return result


def _thawed(result: Any) -> Any:
    """The cached result with every figure's dict served as a figure again."""
    if isinstance(result, _FigureSpec):
        return ServedFigure(dict(result))
    if isinstance(result, tuple):
        return tuple(_thawed(item) for item in result)
    return result


def _builder(path: str) -> Callable[..., Any]:
    """The builder at "module:qualname", looked up at each build (so a test's monkeypatch is seen)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _build(path: str, args: tuple, kwargs: dict) -> Any:
    """`path`'s result for these arguments, frozen; the marker when it is too large to keep."""
    frozen = _frozen(_builder(path)(*args, **kwargs))
    if len(pickle.dumps(frozen, protocol=pickle.HIGHEST_PROTOCOL)) > MAX_ENTRY_BYTES:
        return _TooLarge()
    return frozen


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _built(path: str, args: tuple, kwargs: dict) -> Any:
    """`_build`, kept server-wide."""
    return _build(path, args, kwargs)


@st.cache_data(max_entries=LIVE_ENTRIES, show_spinner=False)
def _built_live(path: str, args: tuple, kwargs: dict) -> Any:
    """`_built` for figures of a run in progress: their own small cache, so that a run's passing states do not push
    the pages' figures out."""
    return _build(path, args, kwargs)


def once(builder: Callable[P, R], *, live: bool = False) -> Callable[P, R]:
    """`builder`, answered from the server-wide cache for arguments any session has asked for before. The builder
    must be pure (a function of its arguments only) and its arguments hashable by Streamlit (frozen dataclasses,
    numbers, strings, tuples, arrays). `live`: a figure of a run in progress (every watcher of a shared run polls the
    same states), kept in a small cache of its own."""
    path = f"{builder.__module__}:{builder.__qualname__}"
    built = _built_live if live else _built

    def cached(*args: P.args, **kwargs: P.kwargs) -> R:
        result = built(path, args, kwargs)
        if isinstance(result, _TooLarge):
            return _builder(path)(*args, **kwargs)
        return _thawed(result)

    cached.__doc__ = builder.__doc__
    cached.__name__ = getattr(builder, "__name__", "cached")
    return cached


def clear() -> None:
    """Forget every cached result (tests that count builds start from an empty cache)."""
    _built.clear()
    _built_live.clear()
