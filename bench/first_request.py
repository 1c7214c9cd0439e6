"""How long a fresh gunicorn worker takes to answer its first request, with and without preload.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hongfan_bench .venv/bin/python bench/first_request.py

Starts gunicorn with docker/gunicorn.conf.py (one worker) on a free port, twice: GUNICORN_PRELOAD
false (the old way: each new worker imports the application) and true (the master imports and
warms it, portal.warmup, and forks warm workers). Each time it measures the first request to the
login page and to an authenticated page (the home page, via a session cookie made
for the first superuser) answered by a worker forked a moment before: the worker is killed
(SIGKILL) and the clock runs from the master's fork of its replacement to the response, as when
max_requests recycles a worker under load. Prints medians over
RUNS (default 3) and the ratio. Needs a migrated, seeded database (manage.py seed_demo).
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("RUNS", "3"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie() -> str:
    code = (
        "from django.contrib.auth import get_user_model; from django.test import Client; "
        "c = Client(); c.force_login(get_user_model().objects.filter(is_superuser=True).first()); "
        "print(c.cookies['sessionid'].value)"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="portal.settings")
    out = subprocess.check_output([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, text=True)
    return out.strip().splitlines()[-1]


def timed_get(url: str, cookie: str | None = None) -> float:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"} if cookie else {})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback only
        response.read()
    return time.perf_counter() - started


def wait_for(port: int) -> None:
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def measure(preload: bool, cookie: str) -> dict[str, float]:
    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="portal.settings",
        GUNICORN_PRELOAD=str(preload).lower(),
        GUNICORN_WORKERS="1",
        PORT=str(port),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "docker/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "portal.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        base = f"http://127.0.0.1:{port}"
        timed_get(f"{base}/accounts/login/")  # the server is up and its first worker answers
        results = {}
        for name, path, with_cookie in (
            ("recycled worker: first login page", "/accounts/login/", False),
            ("recycled worker: first home page", "/", True),
        ):
            old = worker_pids(server.pid)
            for pid in old:
                os.kill(pid, signal.SIGKILL)  # as max_requests recycling: the master forks another
            for _ in range(600):
                if [p for p in worker_pids(server.pid) if p not in old]:
                    break
                time.sleep(0.01)
            results[name] = timed_get(f"{base}{path}", cookie if with_cookie else None)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    cookie = session_cookie()
    results = {False: [], True: []}
    for _ in range(RUNS):
        for preload in (False, True):
            results[preload].append(measure(preload, cookie))
    load = os.getloadavg()
    print(f"runs: {RUNS}, load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'measure':34} {'no preload':>12} {'preload+warm':>13} {'ratio':>7}  goal")
    for key in results[False][0]:
        before = statistics.median(r[key] for r in results[False])
        after = statistics.median(r[key] for r in results[True])
        print(f"{key:34} {before * 1000:10.0f}ms {after * 1000:11.0f}ms {before / after:6.1f}×  < 1000 ms")


if __name__ == "__main__":
    main()
