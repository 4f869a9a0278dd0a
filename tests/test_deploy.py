"""The replicas recipe (deploy/): two replicas behind nginx as deploy/replicas.py runs them, in headless Chromium.

Checks what the recipe promises: every request of a browser (page, files, websocket) lands on one replica, distinct
browsers spread over the replicas, the page works through the proxy, and a replica's restart loses only its own
sessions (the others keep their websocket and state; its visitors reconnect with their settings from the link).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploy.replicas import ROOT, is_healthy, render_nginx_config, replica_name, wait_healthy
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, free_port, missing_browser, wait_idle

pytestmark = pytest.mark.browser

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SESSIONS = 4
# Counts the page's websockets from inside it, so that a test can wait for a reconnect as a page condition.
COUNT_SOCKETS = """(() => {
    const Native = window.WebSocket;
    window.__sockets = 0;
    window.WebSocket = function (...args) { window.__sockets += 1; return new Native(...args); };
    window.WebSocket.prototype = Native.prototype;
    Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})()"""
REPLICA_OF_A_FETCH = """async () => (await fetch('/_stcore/health')).headers.get('x-tde-replica')"""
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"


def _require_nginx_and_browser() -> None:
    """Skip where nginx or Chromium is missing, except under CI=true, where that is a failure."""
    reason = missing_browser()
    if not Path(NGINX).exists():
        reason = "nginx not found (Debian: apt-get install nginx)"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"deploy test cannot run in CI: {reason}")
        pytest.skip(f"deploy test skipped: {reason}")


@dataclass
class Cluster:
    """The launcher's nginx URL, its replicas' ports and its run directory (pid files, logs)."""

    url: str
    ports: list[int]
    prefix: Path

    def replica_pid(self, port: int) -> int:
        return int((self.prefix / f"replica-{port}.pid").read_text())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    """deploy/replicas.py with two replicas on free ports and nginx on a third, for the module."""
    _require_nginx_and_browser()
    prefix = tmp_path_factory.mktemp("deploy")
    ports: list[int] = []
    while len(ports) < 3:  # two replicas and nginx, on distinct free ports
        ports += [port for port in [free_port()] if port not in ports]
    listen = ports.pop()
    env = dict(os.environ, TDE_SPECULATE="0", PYTHONUNBUFFERED="1")  # no warm-ups: nothing here trains
    env.pop("TDE_WORKER_RSS_LIMIT_MB", None)
    command = [sys.executable, "deploy/replicas.py", "--ports", ",".join(map(str, ports))]
    command += ["--listen", f"127.0.0.1:{listen}", "--prefix", str(prefix), "--nginx", NGINX]
    log = open(prefix / "launcher.log", "w")  # noqa: SIM115 (closed in finally)
    launcher = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{listen}"
    try:
        wait_healthy(url, 120, launcher)
        yield Cluster(url, ports, prefix)
    finally:
        launcher.send_signal(signal.SIGTERM)  # the launcher stops nginx and the replicas
        try:
            launcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            launcher.kill()
        log.close()


def _get(url: str, cookie: str = "", accept: str = "*/*") -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: status, headers (lowercase names, Set-Cookie joined), body."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie, "Accept": accept})
    try:
        response = urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        headers = {name.lower(): ", ".join(response.headers.get_all(name)) for name in response.headers}
        return response.status, headers, response.read()


def test_rendered_config_passes_nginx_check(tmp_path):
    """The template renders into a config nginx accepts, for three replicas; each has its route and its backups."""
    _require_nginx_and_browser()
    (tmp_path / "temp").mkdir()
    config = render_nginx_config([9001, 9002, 9003], "127.0.0.1:9000", tmp_path)
    assert not re.search(r"\{\{\w+\}\}", config), "a placeholder was left unfilled"
    (tmp_path / "nginx.conf").write_text(config)
    subprocess.run([NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], check=True)
    assert config.count("backup;") == 3 * 2
    assert "r9002 tde_r9002;" in config


def test_streamlit_routes_work_through_the_proxy(cluster):
    """Health, host config, the page, its scripts and serve.py's deep-path redirect answer through nginx, each
    response naming its replica and setting the affinity cookie to it; a cookie picks its replica."""
    status, headers, page = _get(cluster.url + "/")
    assert status == 200 and b"<html" in page.lower()
    first = headers["x-tde-replica"]
    assert f"tde_replica={first};" in headers["set-cookie"]
    script = re.search(rb'src="\.?/?(static/js/[^"]+\.js)"', page).group(1).decode()
    for path in ("/_stcore/health", "/_stcore/host-config", "/" + script):
        status, headers, _ = _get(cluster.url + path, cookie=f"tde_replica={first}")
        assert (status, headers["x-tde-replica"]) == (200, first), path
    status, headers, _ = _get(cluster.url + "/no/such/page", cookie=f"tde_replica={first}", accept="text/html")
    assert status == 307 and headers["location"].startswith("/?not_found=/no/such/page")
    for port in cluster.ports:
        status, headers, _ = _get(cluster.url + "/_stcore/health", cookie=f"tde_replica={replica_name(port)}")
        assert headers["x-tde-replica"] == replica_name(port)


@dataclass
class Session:
    """One browser context's tab and the replicas that answered it."""

    page: object
    http_replicas: set[str] = field(default_factory=set)
    socket_replicas: list[str] = field(default_factory=list)

    def sockets(self) -> int:
        return self.page.evaluate("window.__sockets")

    def fetched_replica(self) -> str:
        return self.page.evaluate(REPLICA_OF_A_FETCH)

    def hidden_size(self) -> str:
        box = self.page.locator("[data-testid='stSidebar'] [data-testid='stNumberInput']").filter(has_text="Hidden")
        return box.locator("input").input_value()


def _open_session(browser, url: str) -> Session:
    """A new browser (context) on `url`, recording the replica of every HTTP response and of its websockets."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_init_script(COUNT_SOCKETS)
    session = Session(context.new_page())
    session.page.on("response", lambda response: session.http_replicas.add(response.headers.get("x-tde-replica")))
    cdp = context.new_cdp_session(session.page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.webSocketHandshakeResponseReceived",
        lambda event: session.socket_replicas.append(
            {name.lower(): value for name, value in event["response"]["headers"].items()}.get("x-tde-replica")
        ),
    )
    session.page.goto(url, wait_until="commit")
    return session


def _scenario(cluster: Cluster) -> None:
    """Sessions stick and spread; a replica's restart loses only its own sessions (runs in its own thread)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # The Code page: the sidebar and a page without figures (no plotly to load), the cheapest first view.
            sessions = [_open_session(browser, cluster.url + "/code") for _ in range(SESSIONS)]
            for session in sessions:
                wait_idle(session.page)
            _stick_and_spread(sessions, cluster)
            _restart_one(sessions, cluster)
        finally:
            browser.close()


def _stick_and_spread(sessions: list[Session], cluster: Cluster) -> None:
    """Each session's page, files and websocket came from one replica, and keep going there across a rerun."""
    for session in sessions:
        # A sidebar edit reruns the script over the websocket; the link follows.
        session.page.locator("[data-testid='stSidebar'] [data-testid='stNumberInput']").filter(
            has_text="Hidden"
        ).locator("[data-testid='stNumberInputStepUp']").click()
    for session in sessions:
        session.page.wait_for_url(re.compile(r"hidden_size=17"), timeout=30_000)
        wait_idle(session.page)
        assert session.hidden_size() == "17"
        assert len(session.http_replicas) == 1, session.http_replicas
        (replica,) = session.http_replicas
        assert session.socket_replicas == [replica] and session.sockets() == 1
        assert {session.fetched_replica() for _ in range(3)} == {replica}
    spread = {next(iter(session.http_replicas)) for session in sessions}
    assert spread == {replica_name(port) for port in cluster.ports}, "new browsers should spread over both replicas"


def _restart_one(sessions: list[Session], cluster: Cluster) -> None:
    """Stop one replica (the launcher restarts it): its sessions reconnect elsewhere with their link's settings; the
    other replica's sessions keep their websocket and state throughout."""
    port = cluster.ports[0]
    names = {replica_name(other) for other in cluster.ports}
    lost = [session for session in sessions if session.http_replicas == {replica_name(port)}]
    kept = [session for session in sessions if session not in lost]
    old_pid = cluster.replica_pid(port)
    os.kill(old_pid, signal.SIGTERM)
    for session in lost:
        session.page.wait_for_function("window.__sockets >= 2", polling=100, timeout=60_000)
        session.page.wait_for_selector(CONNECTED, timeout=60_000)
        wait_idle(session.page)
        # A new session on whichever replica answered the reconnect; the cookie followed it there.
        assert session.socket_replicas[-1] in names
        assert session.fetched_replica() == session.socket_replicas[-1]
        assert session.hidden_size() == "17"  # the settings came back from the link (URL sync), not the old session
    _wait_until(lambda: cluster.replica_pid(port) != old_pid, "the launcher did not restart the replica")
    wait_healthy(f"http://127.0.0.1:{port}", 90)
    for session in kept:
        assert session.sockets() == 1 and len(session.socket_replicas) == 1
        assert session.page.locator(CONNECTED).count() == 1
        assert session.hidden_size() == "17"
        assert session.fetched_replica() == session.socket_replicas[0]
    # New browsers reach the restarted replica again (dealt out in turn, once any passive fail_timeout has passed).
    _wait_until(
        lambda: _get(cluster.url + "/_stcore/health")[1].get("x-tde-replica") == replica_name(port),
        "no new browser reached the restarted replica",
    )
    # ... and so do requests naming it in their cookie, once nginx's passive mark on it has expired (polled, bounded).
    _wait_until(
        lambda: (
            _get(cluster.url + "/_stcore/health", cookie=f"tde_replica={replica_name(port)}")[1].get("x-tde-replica")
            == replica_name(port)
        ),
        "a browser whose cookie names the restarted replica did not reach it",
    )
    # Now that both replicas are up, each session's requests still reach the replica that holds its session: media
    # files (the Code page's download) live in that replica's memory only. This needs the cookie to have followed
    # the failover.
    for session in sessions:
        assert session.fetched_replica() == session.socket_replicas[-1]
        _download_follows_the_session(session)


def _download_follows_the_session(session: Session) -> None:
    """The Code page's download is a media file in the memory of the session's replica: it must come from there
    (after a failover too, which is why the cookie follows the replica that answered)."""
    page = session.page
    with page.expect_download(timeout=30_000) as started:
        page.get_by_role("button", name="Download the script").click()
    download = started.value
    assert download.failure() is None and "/media/" in download.url, download.url
    assert "17" in Path(download.path()).read_text()  # the session's own spec: hidden size 17
    fetched = page.evaluate(
        "async (url) => { const r = await fetch(url); return [r.status, r.headers.get('x-tde-replica')]; }",
        download.url,
    )
    assert fetched == [200, session.socket_replicas[-1]]


def _wait_until(condition, message: str, timeout: float = 30) -> None:
    """Poll `condition` every 0.2 s until it holds; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{message} within {timeout} s"
        time.sleep(0.2)


def test_sessions_stick_spread_and_survive_a_replica_restart(cluster):
    """Four browsers through nginx: see `_stick_and_spread` and `_restart_one`."""
    assert is_healthy(cluster.url)
    # Playwright's sync API refuses to start inside another one's event loop (the shared browser fixture's, when this
    # file runs in the browser tests' process): run the browser in its own thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_scenario, cluster).result()
