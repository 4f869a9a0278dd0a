"""Run N replicas of the app behind nginx on one machine: `python deploy/replicas.py --replicas 2 --listen 8080`.

Each replica is `streamlit run serve.py` on its own localhost port, so each has its own TensorFlow worker and memory;
all share one `server.cookieSecret`. nginx (deploy/nginx.conf.template) keeps each browser on one replica and spreads
new browsers. The launcher waits for every replica's /_stcore/health before nginx starts, restarts a replica that
exits, and stops everything on Ctrl-C or SIGTERM. tests/test_deploy.py uses the same functions.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
HOST = "127.0.0.1"
# Passive health: a replica that fails once is left out of new connections for this long, then tried again.
FAIL_TIMEOUT_S = 5


def replica_name(port: int) -> str:
    """The replica's name in the affinity cookie and the X-TDE-Replica header (its port: stable across launches)."""
    return f"r{port}"


def _server_line(port: int, backup: bool = False) -> str:
    extra = " backup" if backup else f" max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s"
    return f"        server {HOST}:{port}{extra};"


def render_nginx_config(ports: list[int], listen: str, prefix: Path) -> str:
    """nginx.conf for replicas on `ports`, listening on `listen` (as nginx's `listen`: "8080", "127.0.0.1:8080"),
    with its pid, logs and temp files under `prefix`.

    Each replica gets its own upstream with the others as backups: a browser whose replica is down is served by
    another one (which then becomes its replica through the cookie) instead of getting an error page."""
    route_map = "\n".join(f"        {replica_name(port)} tde_{replica_name(port)};" for port in ports)
    host = HOST.replace(".", r"\.")
    served_map = "\n".join(f'        "~{host}:{port}$" {replica_name(port)};' for port in ports)
    upstreams = []
    for port in ports:
        lines = [_server_line(port)] + [_server_line(other, backup=True) for other in ports if other != port]
        name = f"tde_{replica_name(port)}"
        upstreams.append(f"    upstream {name} {{\n        zone {name} 64k;\n" + "\n".join(lines) + "\n    }")
    values = {
        "prefix": str(prefix),
        "listen": listen,
        "route_map": route_map,
        "served_map": served_map,
        "any_servers": "\n".join(_server_line(port) for port in ports),
        "replica_upstreams": "\n\n".join(upstreams),
    }
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def replica_command(port: int) -> list[str]:
    """The command of one replica: the app as shipped, on localhost only (nginx is the public door)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "serve.py",
        "--server.port",
        str(port),
        "--server.address",
        HOST,
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]


def start_replica(port: int, cookie_secret: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start one replica, its process id in `log` with the suffix .pid; the cookie secret goes by environment, so it
    does not show in the process list."""
    full_env = dict(os.environ if env is None else env, STREAMLIT_SERVER_COOKIE_SECRET=cookie_secret)
    full_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with open(log, "ab") as out:
        process = subprocess.Popen(replica_command(port), cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    pid_file = log.with_suffix(".pid")
    pid_file.with_suffix(".pid.new").write_text(str(process.pid))
    pid_file.with_suffix(".pid.new").replace(pid_file)  # atomic: a reader never sees it half written
    return process


def is_healthy(url: str) -> bool:
    """Whether `url`/_stcore/health answers 200 now."""
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_healthy(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Poll `url`'s health until it answers (bounded by `timeout`); fail early if `process` exits."""
    deadline = time.monotonic() + timeout
    while not is_healthy(url):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} was not healthy within {timeout} s")
        time.sleep(0.2)


def start_nginx(config: str, prefix: Path, nginx: str = "nginx") -> subprocess.Popen:
    """Write `config` under `prefix`, check it with `nginx -t`, and run nginx in the foreground (daemon off)."""
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(config)
    command = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    subprocess.run([*command, "-t", "-q"], check=True)
    return subprocess.Popen(command)


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate `process` and wait for it (kill it if it does not end in `timeout`)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run N replicas of the app behind nginx.")
    parser.add_argument("--replicas", type=int, default=2, help="how many app servers (default 2)")
    parser.add_argument("--listen", default="8080", help="nginx's address: 8080 (all interfaces) or 127.0.0.1:8080")
    parser.add_argument("--first-port", type=int, default=8501, help="the first replica's port (default 8501)")
    parser.add_argument("--ports", help="the replicas' ports, comma-separated (instead of --replicas, --first-port)")
    parser.add_argument("--prefix", type=Path, default=ROOT / "deploy" / "run", help="nginx's config, logs, pid")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx", help="the nginx binary")
    parser.add_argument("--print-config", action="store_true", help="print the nginx config and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the replicas, wait for their health, start nginx, restart replicas that exit, stop all on a signal."""
    args = _arguments(argv)
    ports = [args.first_port + index for index in range(args.replicas)]
    if args.ports:
        ports = [int(port) for port in args.ports.split(",")]
    prefix = args.prefix.resolve()
    config = render_nginx_config(ports, args.listen, prefix)
    if args.print_config:
        print(config)
        return 0
    prefix.mkdir(parents=True, exist_ok=True)
    # One secret for all replicas: a cookie Streamlit signs on one replica must verify on the others.
    cookie_secret = os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    replicas = {port: start_replica(port, cookie_secret, prefix / f"replica-{port}.log") for port in ports}
    nginx = None
    try:
        for port, process in replicas.items():
            wait_healthy(f"http://{HOST}:{port}", 180, process)
        nginx = start_nginx(config, prefix, args.nginx)
        print(f"{len(ports)} replicas behind nginx on {args.listen} (logs in {prefix})", flush=True)
        while nginx.poll() is None:
            for port, process in replicas.items():
                if process.poll() is not None:
                    print(f"replica {port} exited ({process.returncode}); restarting it", flush=True)
                    replicas[port] = start_replica(port, cookie_secret, prefix / f"replica-{port}.log")
            time.sleep(2)
        return nginx.returncode
    except KeyboardInterrupt:
        return 0
    finally:
        for process in [nginx, *replicas.values()]:
            if process is not None:
                stop(process)


if __name__ == "__main__":
    sys.exit(main())
