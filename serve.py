"""The server entry point: `streamlit run serve.py` serves the app (`app.py`, the frame) through Streamlit's ASGI
`st.App`, with one addition Streamlit's own server lacks: a deep unknown path answers with the app's "page not found".

Why: Streamlit answers any unknown path with its HTML page, whose scripts are linked relative to the path. At
`/weights/x` the browser then asks for `/weights/static/js/…`, gets the HTML page again instead of the scripts, and
shows a blank page with no app code running to say why. Here a browser's request for a page two or more levels deep
(outside Streamlit's own routes) is redirected to the home page, which names the missing path and links home.
`streamlit run app.py` still works, without this redirect.

When the server stops (SIGTERM, SIGINT, SIGHUP, or a normal exit), the TensorFlow worker's process and its socket folder
in the temp directory go with it (`core.keras.worker_process.remove_children_on_signals`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import streamlit as st
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse

from core.keras.worker_process import remove_children_on_signals
from core.model.url_state import MAX_VALUE_CHARS, NOT_FOUND_PARAM

# Streamlit's own multi-level routes (assets, websocket, media, components, static serving): never redirected.
STREAMLIT_PREFIXES = frozenset({"static", "_stcore", "media", "component", "app", "favicon.png", "manifest.json"})


def not_found_redirect(path: str, accept: str, query: str = "") -> str | None:
    """Where a browser asking for `path` should go instead, or None to serve it as Streamlit would: only page
    requests (they accept HTML) at least two levels deep, outside Streamlit's own routes. The link's own query
    (its settings) goes along."""
    parts = [part for part in path.split("/") if part]
    if len(parts) < 2 or parts[0] in STREAMLIT_PREFIXES or "text/html" not in accept:
        return None
    # Cut like any link value (the page shows its start): a megabyte-long path must not come back in the Location.
    target = f"/?{NOT_FOUND_PARAM}=" + quote(("/" + "/".join(parts))[:MAX_VALUE_CHARS], safe="/")
    return target + (f"&{query}" if query else "")


class DeepPathRedirect:
    """ASGI middleware: redirect deep unknown page paths (see `not_found_redirect`); everything else passes."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            target = not_found_redirect(
                scope.get("path", ""),
                headers.get(b"accept", b"").decode("latin-1"),
                scope.get("query_string", b"").decode("latin-1"),
            )
            if target is not None:
                await RedirectResponse(target, status_code=307)(scope, receive, send)
                return
        await self.app(scope, receive, send)


app = st.App("app.py", middleware=[Middleware(DeepPathRedirect)])
remove_children_on_signals()
