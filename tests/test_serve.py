"""serve.py: a deep unknown path (a blank page under Streamlit's own server) goes to the home page, which says so."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from serve import DeepPathRedirect, not_found_redirect
from tests.conftest import page_text, run_app

HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


def test_only_deep_page_requests_are_redirected_with_their_settings():
    assert not_found_redirect("/weights/x", HTML, "cell=LSTM") == "/?not_found=/weights/x&cell=LSTM"
    assert not_found_redirect("/training/extra/deep/", HTML) == "/?not_found=/training/extra/deep"
    # A page, the home page, Streamlit's own routes, and anything that is not a page request pass untouched.
    for path in ("/", "/weights", "/nope", "/static/js/index.js", "/_stcore/stream", "/media/a/b.png", "/app/static/x"):
        assert not_found_redirect(path, HTML) is None, path
    assert not_found_redirect("/weights/static/js/index.js", "*/*") is None


def _call(path: str, accept: bytes) -> list[dict]:
    """Run the middleware on one HTTP request; what it sends, or [{"passed": True}] when it hands it on."""
    sent: list[dict] = []

    async def inner(scope, receive, send):
        sent.append({"passed": True})

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"talk=true",
        "headers": [(b"accept", accept)],
    }
    # Its own thread: the test process may already run an event loop in this one (Playwright's, AppTest's).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, DeepPathRedirect(inner)(scope, receive, send)).result()
    return sent


def test_the_middleware_answers_a_redirect_or_passes_the_request_on():
    start = _call("/weights/x", HTML.encode())[0]
    assert start["status"] == 307
    assert (b"location", b"/?not_found=/weights/x&talk=true") in start["headers"]
    assert _call("/weights", HTML.encode()) == [{"passed": True}]


def test_the_home_page_names_the_missing_path_and_keeps_the_links_settings():
    at = run_app("overview", {"not_found": "/weights/x", "cell": "LSTM"})
    assert not at.exception
    message = next(error.value for error in at.error if "Page not found" in error.value)
    assert "/weights/x" in message and "`/weights`" in message
    assert at.session_state["spec"].cell == "LSTM"
    assert not any("unknown" in warning.value for warning in at.warning)  # not reported as a bad parameter
    assert "TimeDistributed" in page_text(at)  # the home page itself is drawn under the message
    at.switch_page("views/weights.py").run()
    assert not any("Page not found" in error.value for error in at.error)  # once the learner moves on, it goes
